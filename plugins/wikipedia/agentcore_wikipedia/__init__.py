"""Wikipedia ``search`` / ``lookup`` tools for agentcore, over a bundled corpus or the live API.

See the plugin README for settings. Importing this package imports neither
``wikipedia`` nor ``requests``; the online backend loads them on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"
