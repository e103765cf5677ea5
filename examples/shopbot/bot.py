"""ShopBot: a customer-service chat agent that handles returns.

Run it (``agentcore chat`` calls :func:`prepare`, then :func:`build_agent`)::

    .venv/bin/agentcore chat examples/shopbot/bot.py

The bot talks with a customer, looks orders up with the SQL tool (orders,
items and products only), checks who the customer is with ``verify_customer``,
requests a return label from the carrier and emails it. The return policy is
enforced by the tools in :mod:`returns_policy`, not only by the prompt
(``prompts/chat/shopbot.toml``).

Before it requests a label or sends an email, the bot stops and asks a person (the run
pauses; ``agentcore chat`` asks inline, ``agentcore runs approve RUN_ID`` answers from
elsewhere): ``shopbot.approval=off`` lets it act on its own policy alone.

Settings (``--set SECTION.KEY=VALUE``): ``shopbot.work_dir`` (keep the orders
database, labels and mail there; default a temporary directory removed at the
end), ``shopbot.database`` (use this orders database), ``shopbot.quiet``,
``shopbot.approval`` (``on``, the default, or ``off``); and
the shipping plugin's ``shipping.*`` / ``email.*`` to use a real carrier or
SMTP server instead of the local ones.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # the sibling modules, however this file was loaded
    sys.path.insert(0, str(_HERE))

from orders_db import BOT_TABLES, create_orders_db  # noqa: E402
from reply_facts import SHOPBOT_REPLY_CHECKS  # noqa: E402
from returns_policy import (  # noqa: E402
    FailedChecks,
    OrderBook,
    customer_said,
    guarded_tools,
    order_lookups_given,
)
from shop_services import LOOPBACK, LocalServices, start_local_services  # noqa: E402

PROMPT = "chat/shopbot"
SENDER = "returns@shop.example"
SQL_ROW_LIMIT = 20
#: The tools a person approves before each call (unless ``shopbot.approval=off``).
APPROVED_BY_A_PERSON = ["request_return_label", "send_email"]


@dataclass
class Prepared:
    """What :func:`prepare` set up; calling it stops the services and tidies up."""

    settings: dict[str, Any]
    work_dir: Path
    database: Path
    services: LocalServices
    remove_work_dir: bool

    def __call__(self) -> None:
        self.services.stop()
        if self.remove_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)


def prepare(settings: dict[str, Any]) -> Prepared:
    """Create the orders database and start what is not configured; fills ``settings`` in.

    The carrier starts unless ``shipping.base_url`` is set, the SMTP server
    unless ``email.host`` or ``email.port`` is. Returns the cleanup callable.
    """
    shop = settings.setdefault("shopbot", {})
    if shop.get("work_dir"):
        work_dir, temporary = Path(str(shop["work_dir"])).expanduser(), False
        work_dir.mkdir(parents=True, exist_ok=True)
    else:
        work_dir, temporary = Path(tempfile.mkdtemp(prefix="shopbot-")), True
    database = create_orders_db(shop.get("database") or work_dir / "orders.duckdb")
    shop.update(work_dir=str(work_dir), database=str(database))

    shipping = settings.setdefault("shipping", {})
    email = settings.setdefault("email", {})
    own_carrier = not shipping.get("base_url")
    own_smtp = not (email.get("host") or email.get("port"))
    services = start_local_services(work_dir, carrier=own_carrier, smtp=own_smtp)
    if own_carrier:
        shipping.update(base_url=services.carrier_url, api_key=services.carrier_api_key)
    if own_smtp:
        email.update(host=LOOPBACK, port=services.smtp_port)
    shipping.setdefault("download_dir", str(work_dir / "labels"))
    email.setdefault("sender", SENDER)
    email.setdefault("state_dir", str(work_dir / "mail-state"))
    if not _truthy(shop.get("quiet")):
        print(
            f"shopbot: orders {database}; carrier {shipping['base_url']}; "
            f"SMTP {email.get('host', LOOPBACK)}:{email.get('port')}"
            + (f" (mail kept in {services.mail_dir})" if services.mail_dir else ""),
            file=sys.stderr,
        )
    return Prepared(settings, work_dir, database, services, temporary)


def build_agent(
    backend: Any = "llama-cpp",
    model: str | None = None,
    settings: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """The ShopBot :class:`~agentcore.chat.ChatAgent` over ``settings['shopbot']['database']``.

    ``options`` go to ChatAgent (``plugin_manager``, ``memory``, ``max_steps``, ...).
    """
    from agentcore_duckdb import sql_tool

    from agentcore.chat import ChatAgent
    from agentcore.errors import ConfigError

    settings = settings if settings is not None else {}
    database = settings.get("shopbot", {}).get("database")
    if not database:
        raise ConfigError(
            "ShopBot needs its orders database: call prepare(settings) first "
            "(agentcore chat does) or set shopbot.database to a DuckDB file"
        )
    tools = [
        # a query may name only order numbers the customer gave
        order_lookups_given(sql_tool(database, BOT_TABLES, row_limit=SQL_ROW_LIMIT)),
        # failed identity checks are counted in a file in the work directory, so neither a
        # new conversation nor a restarted bot resets them
        *guarded_tools(OrderBook(database), customer_said, FailedChecks.for_settings(settings)),
    ]
    if backend == "llama-cpp":  # a whole return conversation needs more than 4k tokens
        options["backend_options"] = {"n_ctx": 8192, **options.get("backend_options", {})}
    options.setdefault("generation", {"max_new_tokens": 256, "temperature": 0.0})
    options.setdefault("max_steps", 6)
    options.setdefault("reply_checks", SHOPBOT_REPLY_CHECKS)
    if _truthy(settings.get("shopbot", {}).get("approval", "on")):
        options.setdefault("approval", APPROVED_BY_A_PERSON)
    return ChatAgent(backend, tools=tools, model=model, prompt=PROMPT, settings=settings, **options)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}
