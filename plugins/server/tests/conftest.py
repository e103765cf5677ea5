"""Fixtures of the server tests; the helpers are in ``server_testkit``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_testkit import serving


@pytest.fixture
def serve(tmp_path: Path) -> Callable[..., Any]:
    return lambda *args, **kwargs: serving(tmp_path, *args, **kwargs)
