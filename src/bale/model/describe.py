"""TOML values named as a user reads them in an error message: ``an integer (3)``, ``a table``."""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["describe_value"]


def describe_value(value: object) -> str:
    """A TOML value as a user would name it: ``an integer (3)``, ``a table``."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        return f'a string ("{value}")'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, (datetime, date)):
        return f"a date-time ({value.isoformat()})"
    return type(value).__name__
