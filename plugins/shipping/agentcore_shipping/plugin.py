"""Entry point of the ``shipping`` plugin: registers its tools.

Kept light: the tool modules import ``http.client`` and ``smtplib`` only when a
tool is actually called, so ``agentcore --help`` does not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable

from agentcore.plugin import hookimpl


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    from agentcore_shipping.tools import request_return_label, send_email

    register(request_return_label)
    register(send_email)


@hookimpl
def register_settings(register: Callable[..., None]) -> None:
    from agentcore_shipping.config import EmailSection, ShippingSection

    register("shipping", ShippingSection, description="the carrier, and approval of its tools")
    register("email", EmailSection, description="the SMTP server send_email uses")
