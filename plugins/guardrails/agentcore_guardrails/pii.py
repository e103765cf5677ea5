"""Personal data in what is stored: e-mail addresses, phone numbers and payment card numbers.

The redactor replaces each with a label (``[email redacted]``, …). It runs on what the run store
and trace files receive (the ``storage_redactor`` hook), never on what the model or the user
sees. Phone numbers are found by libphonenumber's matcher (``phonenumbers``): numbers written
with a ``+`` country code anywhere, others as numbers of the configured region, and only those
that are valid numbers there — order ids and timestamps stay. Card numbers are 13–19 digits
(spaces or dashes allowed) that pass the Luhn check (``stdnum.luhn``), so a long id that is not
a card number stays too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
LABELS = {"email": "[email redacted]", "phone": "[phone redacted]", "card": "[card redacted]"}


def redact_cards(text: str) -> str:
    from stdnum import luhn

    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return LABELS["card"] if luhn.is_valid(digits) else match.group()

    return CARD_CANDIDATE.sub(replace, text)


def redact_emails(text: str) -> str:
    return EMAIL.sub(LABELS["email"], text)


def redact_phones(text: str, region: str) -> str:
    import phonenumbers

    if not any(ch.isdigit() for ch in text):
        return text
    leniency = phonenumbers.Leniency.VALID
    matches = list(phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency))
    for match in reversed(matches):  # from the end, so earlier offsets stay right
        text = text[: match.start] + LABELS["phone"] + text[match.end :]
    return text


def redact(text: str, *, region: str = "US") -> str:
    """``text`` with e-mail addresses, valid phone numbers and Luhn-valid card numbers replaced."""
    if not text:
        return text
    return redact_phones(redact_emails(redact_cards(text)), region)


def redactor(region: str) -> Callable[[str], str]:
    """The redactor for one run (its phone region fixed)."""
    import phonenumbers

    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        from agentcore.plugin import ConfigError

        raise ConfigError(
            f"guardrails.phone_region {region!r} is not a region libphonenumber knows; use a "
            "two-letter code such as US, GB, DE or FR"
        )
    return partial(redact, region=region.upper())
