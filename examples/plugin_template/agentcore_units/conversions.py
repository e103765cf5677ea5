"""Length, mass and temperature conversions (the plugin's actual work, plain Python)."""

from __future__ import annotations

from agentcore.plugin import tool

# factor to the base unit of each dimension (metre, kilogram)
_LINEAR: dict[str, tuple[str, float]] = {
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "cm": ("length", 0.01),
    "mi": ("length", 1609.344),
    "ft": ("length", 0.3048),
    "in": ("length", 0.0254),
    "kg": ("mass", 1.0),
    "g": ("mass", 0.001),
    "lb": ("mass", 0.45359237),
}
_ALIASES = {
    "metre": "m",
    "meter": "m",
    "metres": "m",
    "meters": "m",
    "kilometre": "km",
    "kilometer": "km",
    "kilometres": "km",
    "kilometers": "km",
    "mile": "mi",
    "miles": "mi",
    "foot": "ft",
    "feet": "ft",
    "inch": "in",
    "inches": "in",
    "kilogram": "kg",
    "kilograms": "kg",
    "gram": "g",
    "grams": "g",
    "pound": "lb",
    "pounds": "lb",
    "lbs": "lb",
    "celsius": "c",
    "fahrenheit": "f",
    "kelvin": "k",
}
_TEMPERATURE = {"c", "f", "k"}


def _unit(name: str) -> str:
    key = name.strip().lower().rstrip(".")
    key = _ALIASES.get(key, key)
    if key not in _LINEAR and key not in _TEMPERATURE:
        known = sorted(set(_LINEAR) | _TEMPERATURE)
        raise ValueError(f"unknown unit {name!r}; known units: {', '.join(known)}")
    return key


def _to_kelvin(value: float, unit: str) -> float:
    return {"k": value, "c": value + 273.15, "f": (value - 32) * 5 / 9 + 273.15}[unit]


def _from_kelvin(value: float, unit: str) -> float:
    return {"k": value, "c": value - 273.15, "f": (value - 273.15) * 9 / 5 + 32}[unit]


@tool
def convert_units(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a quantity between units of length, mass or temperature.

    Args:
        value: The number to convert.
        from_unit: Unit of the value, e.g. mi, km, lb, kg, C, F.
        to_unit: Unit to convert to.
    """
    source, target = _unit(from_unit), _unit(to_unit)
    if source in _TEMPERATURE or target in _TEMPERATURE:
        if not (source in _TEMPERATURE and target in _TEMPERATURE):
            raise ValueError(f"cannot convert {from_unit} to {to_unit}: different dimensions")
        result = _from_kelvin(_to_kelvin(value, source), target)
    else:
        (dim_a, factor_a), (dim_b, factor_b) = _LINEAR[source], _LINEAR[target]
        if dim_a != dim_b:
            raise ValueError(f"cannot convert {dim_a} ({from_unit}) to {dim_b} ({to_unit})")
        result = value * factor_a / factor_b
    return f"{value:g} {from_unit} = {result:.6g} {to_unit}"
