"""Fixtures of the eval tests; the helpers are in ``eval_testkit``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_testkit import items


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(i.model_dump()) + "\n" for i in items()), encoding="utf-8")
    return path
