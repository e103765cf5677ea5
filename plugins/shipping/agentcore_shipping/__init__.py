"""Shipping tools for agentcore: return labels from a carrier's HTTP API, emailed over SMTP.

Both tools are built so that a retried call — by the model, by the engine, or by an
agent restarted after a crash — never issues a second label or sends a second email.
"""

from __future__ import annotations

__version__ = "0.1.0"
