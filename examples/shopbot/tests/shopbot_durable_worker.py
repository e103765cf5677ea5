"""One ShopBot return turn in a process of its own, killed with SIGKILL where a test says.

    python shopbot_durable_worker.py SETTINGS.json STORE RUN_ID start [KILL]
    python shopbot_durable_worker.py SETTINGS.json STORE RUN_ID resume

SETTINGS.json holds the settings ``bot.prepare`` made in the test's process: the carrier
and the SMTP server run there and outlive this process. The bot's side is scripted by the
newest observation of the turn (what any process would write next); a person's approval of
the label and the email is given here (``by="test"``) each time the run pauses for it.
KILL is ``after:TOOL`` (die right after the tool did its work, before the run records the
outcome) or ``before:TOOL`` (die as it is called). The result is printed as JSON.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE.parent, HERE):
    sys.path.insert(0, str(folder))

from agentcore.builtin.scripted import ScriptedBackend  # noqa: E402
from agentcore.cli.chat_command import load_example  # noqa: E402
from agentcore.plugin import create_provider  # noqa: E402

MESSAGE = (
    "I want to return the jeans from order 1001, they're too small. My email is ann@example.com"
)
VERIFY = 'Action: verify_customer[{"order_id": "1001", "email": "ann@example.com"}]'
LABEL = (
    'Action: request_return_label[{"order_id": "1001", "items": ["JEANS-32-BLUE"], '
    '"customer_email": "ann@example.com", "reason": "too small"}]'
)


def bot_side(prompt: str) -> str:
    """The next step of the turn, from what the turn has shown so far."""
    turn = prompt.rsplit(f"Customer: {MESSAGE}", 1)[1]
    seen = re.findall(r"^Observation: (.*)$", turn, flags=re.MULTILINE)
    last = seen[-1] if seen else ""
    if not seen:
        return f" I check who the customer is.\n{VERIFY}"
    if last.startswith("Verified:"):
        return f" Verified. I request the label.\n{LABEL}"
    if label := re.search(r"Return label (LBL-[0-9A-F]+) issued", last):
        return (
            ' I email the label.\nAction: send_email[{"to": "ann@example.com", '
            '"subject": "Your return label for order 1001", '
            '"body": "Hello Ann, your return label is attached.", '
            f'"attachment_label_id": "{label.group(1)}"}}]'
        )
    return " Done. I tell the customer.\nAction: respond[Your return label is in your inbox.]"


def build(settings: dict, store: str, kill: str = ""):
    bot = load_example(str(HERE.parent / "bot.py"))
    agent = bot.build_agent(
        ScriptedBackend(responder=bot_side),
        settings=settings,
        checkpoints=create_provider("run_store", "duckdb", path=store),
    )
    for name in ("request_return_label", "send_email"):
        tool = agent.tools[name]
        work = tool._target

        def dying(*args, _work=work, _name=name, **kwargs):
            if kill == f"before:{_name}":
                os.kill(os.getpid(), signal.SIGKILL)
            value = _work(*args, **kwargs)
            if kill == f"after:{_name}":
                os.kill(os.getpid(), signal.SIGKILL)
            return value

        tool._target = dying
    return agent


def main() -> None:
    settings_file, store, run_id, mode, *rest = sys.argv[1:]
    settings = json.loads(Path(settings_file).read_text())
    agent = build(settings, store, rest[0] if rest else "")
    if mode == "start":
        result = agent.chat_stream("ann", MESSAGE, run_id=run_id).result
    else:
        result = agent.resume(run_id)
    while result.status == "paused" and result.pending.reason == "approval":
        result = agent.approve(run_id, by="test")
    print(result.model_dump_json())


if __name__ == "__main__":
    main()
