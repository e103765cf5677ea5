"""Email address checks and the deterministic keys that make retries safe.

A key is a hash of *what is being asked for*, never of when or by whom: the same
label request (order, items, customer) or the same email (recipient, subject,
attachment) always maps to the same key, so a retry — even from an agent that
restarted and lost its memory — is recognised as a retry, by the carrier (the
``Idempotency-Key`` header) and by the local sent-mail ledger.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

# Deliberately stricter than RFC 5322: plain ASCII addresses as people type them,
# at least one dot in the domain, no quoting, no comments, no whitespace — anything
# else is far more likely a model's mistake (or a header injection) than a customer.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
MAX_EMAIL_LENGTH = 254


def email_problem(address: str) -> str | None:
    """Why ``address`` is not a usable email address, or ``None`` if it is."""
    if not address or not address.strip():
        return "the email address is empty"
    if any(ch in address for ch in "\r\n"):
        return "an email address cannot contain line breaks"
    candidate = address.strip()
    if len(candidate) > MAX_EMAIL_LENGTH:
        return f"the email address is longer than {MAX_EMAIL_LENGTH} characters"
    if "@" not in candidate:
        return f"{candidate!r} is not an email address (no '@'); expected one like name@example.com"
    if not _EMAIL_RE.match(candidate):
        return f"{candidate!r} is not a valid email address; expected one like name@example.com"
    local, _, _ = candidate.rpartition("@")
    if len(local) > 64:
        return "the part of the email address before '@' is longer than 64 characters"
    return None


def normalize_email(address: str) -> str:
    """The canonical form used in keys and requests: trimmed, domain lower-cased.

    The local part keeps its case (it is case-sensitive in principle); the domain
    is not, so ``Ann@Example.COM`` and ``Ann@example.com`` are the same customer.
    """
    local, _, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def label_idempotency_key(order_id: str, items: Iterable[str], customer_email: str) -> str:
    """The ``Idempotency-Key`` for a return-label request.

    Items are sorted (their order in the model's call carries no meaning) but not
    de-duplicated (two identical SKUs are two pieces being returned).
    """
    canonical = json.dumps(
        {
            "order_id": order_id.strip(),
            "items": sorted(item.strip() for item in items),
            "customer_email": normalize_email(customer_email),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "rl-" + hashlib.sha256(canonical.encode()).hexdigest()[:48]


def email_dedupe_key(to: str, subject: str, content_identity: str) -> str:
    """The ledger key (and Message-ID seed) of an email.

    ``content_identity`` names what is being sent: ``label:<id>`` for a label
    attachment, ``sha256:<hex>`` for another attachment, ``body:<hex>`` for a
    message without one.
    """
    canonical = json.dumps(
        [normalize_email(to), " ".join(subject.split()), content_identity],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
