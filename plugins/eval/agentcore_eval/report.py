"""``agentcore eval report``: one self-contained HTML page a person would rather look at.

The scores, the steps the items took (right and wrong stacked), the kinds of failure, and the
wrong items with their gold answers — drawn as inline SVG, no script, no network, so the
file can be mailed or attached to a pull request as it is. Every text from the results
(questions, answers) is escaped.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from agentcore_eval.results import EvalHeader, ItemResult
from agentcore_eval.summary import Summary

RIGHT, WRONG, INK = "#2f8f5b", "#c8553d", "#333"
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; } td, th { padding: .25rem .6rem; border-bottom: 1px solid #ddd;
text-align: left; vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.big { font-size: 2.4rem; font-weight: 600; } .muted { color: #666; }
"""


def bars(values: list[tuple[str, float]], *, top: float | None = None, colour: str = RIGHT) -> str:
    """Horizontal bars, one per (label, value)."""
    if not values:
        return '<p class="muted">none</p>'
    top = top or max(v for _, v in values) or 1.0
    row, width, label_w = 26, 520, 170
    parts = []
    for n, (label, value) in enumerate(values):
        y, w = n * row, max(1.0, (width - label_w - 60) * value / top)
        parts.append(
            f'<text x="0" y="{y + 17}" fill="{INK}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="18" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" fill="{INK}">{value:g}</text>'
        )
    return f'<svg width="{width}" height="{len(values) * row}">{"".join(parts)}</svg>'


def steps_chart(items: list[ItemResult], primary: str) -> str:
    """Items per number of steps, right ones and wrong ones stacked."""
    right = Counter(i.steps for i in items if i.scores.get(primary, 0.0) >= 1.0)
    wrong = Counter(i.steps for i in items if i.scores.get(primary, 0.0) < 1.0)
    counts = sorted(set(right) | set(wrong))
    if not counts:
        return '<p class="muted">none</p>'
    tallest = max(right[c] + wrong[c] for c in counts)
    col, height = 44, 160
    parts = []
    for n, steps in enumerate(counts):
        x, good, bad = n * col, right[steps], wrong[steps]
        h_good, h_bad = height * good / tallest, height * bad / tallest
        parts.append(
            f'<rect x="{x + 6}" y="{height - h_good:.1f}" width="{col - 12}" height="{h_good:.1f}" '
            f'fill="{RIGHT}"><title>{good} right</title></rect>'
            f'<rect x="{x + 6}" y="{height - h_good - h_bad:.1f}" width="{col - 12}" '
            f'height="{h_bad:.1f}" fill="{WRONG}"><title>{bad} wrong</title></rect>'
            f'<text x="{x + col / 2}" y="{height + 16}" text-anchor="middle">{steps}</text>'
        )
    return (
        f'<svg width="{len(counts) * col}" height="{height + 22}">{"".join(parts)}</svg>'
        f'<p class="muted">steps per item; <span style="color:{RIGHT}">right</span> and '
        f'<span style="color:{WRONG}">wrong</span> stacked</p>'
    )


def render(header: EvalHeader, items: list[ItemResult], summary: Summary) -> str:
    primary = summary.primary
    agent = ", ".join(f"{k}={v}" for k, v in header.agent.items() if v not in (None, {}, []))
    wrong = [i for i in items if i.scores.get(primary, 0.0) < 1.0]
    rows = "".join(
        f"<tr><td>{escape(i.id)}</td><td>{escape(i.input[:300])}</td>"
        f"<td>{escape(i.reference)}</td><td>{escape(i.answer or '—')}</td>"
        f"<td>{escape(i.failure or '')}</td><td class='num'>{i.steps}</td></tr>"
        for i in wrong[:100]
    )
    cost = "".join(
        f"<tr><td>{escape(what)}</td><td class='num'>{escape(value)}</td></tr>"
        for what, value in summary.rows()
    )
    scores = [(name, round(value, 1)) for name, value in summary.scores.items()]
    failures = sorted(summary.failures.items(), key=lambda kv: -kv[1])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agentcore eval: {escape(header.dataset)}</title>
<style>{STYLE}</style></head><body>
<h1>{escape(header.dataset)} — {escape(header.metric)}</h1>
<p class="muted">{escape(agent)}</p>
<p><span class="big">{summary.scores.get(primary, 0.0):.1f}</span> {escape(primary)} on
{summary.items} items · {summary.finished} finished · {summary.mean_steps:.2f} steps on average</p>
<h2>Scores</h2>{bars(scores, top=100.0)}
<h2>Steps</h2>{steps_chart(items, primary)}
<h2>Why the wrong ones are wrong</h2>{bars([(k, float(v)) for k, v in failures], colour=WRONG)}
<h2>Summary</h2><table>{cost}</table>
<h2>Wrong items ({len(wrong)}{", the first 100" if len(wrong) > 100 else ""})</h2>
<table><tr><th>id</th><th>input</th><th>gold</th><th>answer</th><th>failure</th><th>steps</th></tr>
{rows}</table>
</body></html>
"""
