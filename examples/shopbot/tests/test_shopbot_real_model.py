"""ShopBot on the real embedded model (llama.cpp, Qwen2.5-Coder 0.5B, greedy, CPU).

Slow: it loads a GGUF model and generates a few hundred tokens. It checks the
order-lookup turn: once the customer gives an order number, the bot queries
that order in the real orders database and sees its items.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

MODEL = "qwen2.5-coder-0.5b"


def test_real_model_asks_for_and_looks_up_the_order(shop, shopbot):
    pytest.importorskip("llama_cpp")
    agent = shopbot.build_agent("llama-cpp", model=MODEL, settings=shop.settings)

    first = agent.chat("femi", "Hi, I want to return the jeans I bought.")
    assert first.answer, first.error
    assert [s.action.tool for s in first.steps if s.action] == ["respond"]
    assert "order" in first.answer.lower()

    second = agent.chat("femi", "My order number is 1007.")
    lookups = [s for s in second.steps if s.action is not None and s.action.tool == "sql"]
    assert lookups, [s.action.raw if s.action else s.parse_error for s in second.steps]
    assert all("1007" in s.action.arguments["query"] for s in lookups)
    # order 1007 is two pairs of slim jeans: the bot saw them in the database
    seen = [s for s in lookups if s.tool_result is not None and s.tool_result.ok]
    assert any("JEANS-32-BLUE" in s.observation for s in seen), [s.observation for s in lookups]
    assert second.answer, second.error
    assert "jeans" in second.answer.lower()
    # nothing was issued or sent on an order lookup
    assert shop.services.carrier.service.store.count() == 0
    assert shop.services.messages() == []
