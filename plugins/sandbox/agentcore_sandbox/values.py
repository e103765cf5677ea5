"""Turning a program's return value into JSON the engine can receive (worker side).

Values stay what a PAL answer means:

* ``None``, ``bool``, ``int``, ``float`` and ``str`` pass through, except
  that NaN and infinities become the strings ``"nan"``, ``"inf"``, ``"-inf"``
  (so every result is valid JSON);
* ``Fraction`` and ``Decimal`` become an ``int`` when they are whole numbers,
  otherwise a ``float`` (the nearest one: answers are compared as numbers);
* ``complex`` becomes its string, e.g. ``"(1+2j)"``;
* ``date``/``datetime``/``time`` become ISO strings, ``timedelta`` its string;
* lists, tuples, sets, deques and ranges become lists
  (sets sorted when their items can be ordered); dicts (and ``Counter``,
  ``defaultdict``...) become objects with string keys;
* anything else (a function, a class, a module...) is
  ``result_not_serializable``, with the type named.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import json
import math
from typing import Any

# Bound at import: a program that patches the json module changes only its own view.
_json_dumps = json.dumps
_json_loads = json.loads

MAX_DEPTH = 50


class NotSerializable(Exception):
    """The value cannot be sent back as JSON."""


def to_jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-compatible copy of ``value`` (see the module docstring for the rules)."""
    if depth > MAX_DEPTH:
        raise NotSerializable(f"the value is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, str)):
        return str(value) if isinstance(value, str) and type(value) is not str else value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, fractions.Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return _float(float(value))
    if isinstance(value, complex):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, dict):
        return {_key(k): to_jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(v, depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (list, tuple, collections.deque, range)):
        return [to_jsonable(v, depth + 1) for v in value]
    raise NotSerializable(
        f"the program returned a {type(value).__name__}, which cannot be sent back; "
        "return a number, string, bool, None, list or dict"
    )


def _float(value: float) -> float | str:
    return float(value) if math.isfinite(value) else str(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    converted = to_jsonable(key)
    return converted if isinstance(converted, str) else _json_dumps(converted)


def encode_value(value: Any, max_bytes: int) -> Any:
    """Convert and size-check a value; raise :class:`NotSerializable` or ``OverflowError``."""
    converted = to_jsonable(value)
    try:
        size = len(_json_dumps(converted, allow_nan=False))
    except ValueError as exc:  # e.g. an int beyond sys.get_int_max_str_digits()
        raise NotSerializable(f"the value cannot be written out: {exc}") from None
    if size > max_bytes:
        raise OverflowError(
            f"the return value is {size:,} bytes as JSON, above the {max_bytes:,} limit"
        )
    return converted
