"""PII redaction of what is stored: the redactor, and real runs into a real DuckDB store and a
JSONL trace file — redacted there, untouched in what the caller and the model get."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from agentcore_guardrails.pii import redact, redactor

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.errors import ConfigError
from agentcore.models import RunStatus
from agentcore.plugins import AgentcorePluginManager
from agentcore.react import ReActAgent
from agentcore.tools import tool

#: What a customer might write: an e-mail address, a phone number and a card number.
EMAIL = "ann.lee@example.com"
PHONE = "+1 415-555-0132"
CARD = "4111 1111 1111 1111"


@tool
def customer_lookup(query: str) -> str:
    """Find a customer record.

    Args:
        query: A name or an e-mail address.
    """
    return f"Ann Lee, {EMAIL}, phone {PHONE}, card on file {CARD}, order A-1001"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ann.lee@example.com today", "write to [email redacted] today"),
        ("a+tag@mail.co.uk, b_c@x.io", "[email redacted], [email redacted]"),
        ("call +1 415-555-0132 now", "call [phone redacted] now"),
        ("or (415) 555-0199", "or [phone redacted]"),
        ("UK office +44 20 7946 0958.", "UK office [phone redacted]."),
        ("card 4111 1111 1111 1111 exp 12/28", "card [card redacted] exp 12/28"),
        ("card 4111-1111-1111-1111", "card [card redacted]"),
        ("amex 378282246310005", "amex [card redacted]"),
    ],
)
def test_redacts_emails_phones_and_cards(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order A-1001 placed on 2025-03-18 for 1844.50 EUR",
        "card 4111 1111 1111 1112 fails the Luhn check",  # not a card number
        "invoice 1234567 and timestamp 1733150000",
        "run 123456789012, version 2.5.1, pi 3.14159265",
        "an @mention and user@localhost",
        "",
    ],
)
def test_leaves_other_numbers_and_text_alone(text):
    assert redact(text) == text


def test_the_phone_region_reads_numbers_without_a_country_code():
    assert redact("ring 020 7946 0958", region="GB") == "ring [phone redacted]"
    assert redact("ring 020 7946 0958", region="US") == "ring 020 7946 0958"
    with pytest.raises(ConfigError, match="not a region libphonenumber knows"):
        redactor("Atlantis")


# --- real runs into a real store -------------------------------------------------------------

TASK = f"Find the customer {EMAIL} and tell me the card on file; she called from {PHONE}."
SCRIPT = (
    f" Look her up.\nAction 1: customer_lookup[{EMAIL}]",
    f" Found her.\nAction 2: finish[Ann Lee, card {CARD}]",
)
RAW = (EMAIL, PHONE, CARD, "555-0132", "4111 1111")


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the script with the store and JSONL tracing on; return (result, store rows, trace)."""
    store = tmp_path / "runs.duckdb"
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv("AGENTCORE_STORE", str(store))
    monkeypatch.setenv("AGENTCORE_TRACE_FILE", str(trace))

    def run(pii: str):
        pm = AgentcorePluginManager(allow={"scripted", "guardrails", "store", "jsonl-trace"})
        assert {"guardrails", "store", "jsonl-trace"} <= set(pm.infos), pm.failures
        backend = ScriptedBackend(list(SCRIPT))
        agent = ReActAgent(
            backend,
            tools=[customer_lookup],
            plugin_manager=pm,
            settings={"guardrails": {"pii": pii}},
        )
        result = agent.run(TASK)
        con = duckdb.connect(str(store), read_only=True)
        try:
            tables = ("runs", "steps", "llm_calls", "tool_calls")
            rows = {
                t: con.execute(f"SELECT * FROM {t} WHERE run_id = ?", [result.run_id]).fetchall()
                for t in tables
            }
        finally:
            con.close()
        lines = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
        [record] = [r for r in lines if r["run_id"] == result.run_id]
        return result, rows, record, backend

    return run


def test_stored_runs_and_traces_hold_no_pii_but_the_caller_and_model_see_it(stored):
    result, rows, record, backend = stored("redact")
    # what the user and the model see is untouched
    assert result.status is RunStatus.FINISHED
    assert result.answer == f"Ann Lee, card {CARD}" and result.input == TASK
    assert EMAIL in backend.prompts[0] and CARD in backend.prompts[1]
    # every stored row and the trace line: no raw value, the labels instead
    stored_text = json.dumps({t: [list(map(str, r)) for r in v] for t, v in rows.items()})
    trace_text = json.dumps(record)
    for raw in RAW:
        assert raw not in stored_text, raw
        assert raw not in trace_text, raw
    for label in ("[email redacted]", "[phone redacted]", "[card redacted]"):
        assert label in stored_text and label in trace_text
    assert all(rows[t] for t in rows)  # the run, its steps, calls and tool call were all stored
    [run_row] = rows["runs"]
    assert run_row[0] == result.run_id and "finished" in run_row
    assert record["answer"] == "Ann Lee, card [card redacted]"
    assert len(rows["llm_calls"]) == 2 and len(rows["steps"]) == 2


def test_without_the_setting_the_store_keeps_the_text_as_it_was(stored):
    result, rows, record, _ = stored("off")
    stored_text = json.dumps({t: [list(map(str, r)) for r in v] for t, v in rows.items()})
    assert EMAIL in stored_text and CARD in stored_text and PHONE in stored_text
    assert record["answer"] == result.answer
