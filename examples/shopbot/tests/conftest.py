"""ShopBot tests run against the real thing: the orders DuckDB file, the reference carrier
and an aiosmtpd SMTP server, all started by ``bot.prepare`` on 127.0.0.1 (free ports)
in the test's own directory and stopped afterwards.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agentcore.cli.chat_command import load_example

TESTS_DIR = Path(__file__).resolve().parent
SHOPBOT_DIR = TESTS_DIR.parent
for folder in (SHOPBOT_DIR, TESTS_DIR):  # bot.py's sibling modules; shopbot_testkit.py
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

# Loaded the way `agentcore chat examples/shopbot/bot.py` loads it (not as a bare `bot`
# module, a name other examples could use too).
BOT = load_example(str(SHOPBOT_DIR / "bot.py"))


@pytest.fixture
def shopbot() -> ModuleType:
    """``examples/shopbot/bot.py``: ``prepare`` and ``build_agent``."""
    return BOT


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Any]:
    """Orders database, carrier and SMTP server for one test; ``shop.settings`` configures tools."""
    settings: dict[str, Any] = {
        # the bot's own policy is under test here; test_shopbot_return_flow's first test and
        # test_shopbot_durable run with a person approving the label and the email (the default)
        "shopbot": {"work_dir": str(tmp_path / "shop"), "quiet": True, "approval": "off"},
        "shipping": {"timeout_s": 5.0, "deadline_s": 20.0},
        "email": {"timeout_s": 5.0, "deadline_s": 20.0},
    }
    prepared = BOT.prepare(settings)
    try:
        yield prepared
    finally:
        prepared()
