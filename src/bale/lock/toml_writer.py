"""Spell values as TOML 1.0 text: keys, escaped strings, datetimes, one-line arrays and inline tables, tables.

Lock files need only a small, predictable part of TOML, and the text must not depend on anything but the
values (same values, same bytes), so bale writes it itself rather than depending on a TOML library.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timezone
from typing import Any

__all__ = ["datetime_value", "dumps", "inline", "key", "string", "table"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
# Everything TOML forbids raw in a basic string: the escapes above, other control characters, DEL.
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04X}"


def string(text: str) -> str:
    """A TOML basic string; other characters (``é``, ``✓``) are written as they are, in UTF-8."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def key(name: str) -> str:
    """A key, bare when TOML allows it, else quoted."""
    return name if _BARE_KEY.match(name) else string(name)


def datetime_value(moment: datetime) -> str:
    """An offset date-time in UTC (``Z``) for an aware value, a local date-time for a naive one.

    Microseconds are written only when there are some, so equal moments always read the same.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + ("Z" if moment.tzinfo is not None else "")


def inline(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` on one line: a scalar, an array or an inline table.

    Raises ``TypeError`` for what TOML cannot hold (None, sets, other objects): a lock file must not
    depend on how a caller happened to spell "nothing".
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, datetime):
        return datetime_value(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, Mapping):
        items = _items(value, sort_keys)
        if not items:
            return "{}"
        body = ", ".join(f"{key(k)} = {inline(v, sort_keys=sort_keys)}" for k, v in items)
        return "{ " + body + " }"
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return "[" + ", ".join(inline(item, sort_keys=sort_keys) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as TOML")


def _items(mapping: Mapping[Any, Any], sort_keys: bool) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for name, value in mapping.items():
        if not isinstance(name, str):
            raise TypeError(f"TOML keys are strings, not {type(name).__name__} {name!r}")
        items.append((name, value))
    return sorted(items) if sort_keys else items


def array_lines(name: str, values: Sequence[Any], *, sort_keys: bool = False) -> list[str]:
    """``name = [`` one value per line ``]``: small diffs when one element changes."""
    if not values:
        return [f"{key(name)} = []"]
    return [
        f"{key(name)} = [",
        *(f"    {inline(value, sort_keys=sort_keys)}," for value in values),
        "]",
    ]


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, (str, bytes, bytearray))
        and bool(value)
        and all(isinstance(item, Mapping) for item in value)
    )


def table(path: Sequence[str], mapping: Mapping[str, Any], *, sort_keys: bool = True) -> list[str]:
    """Lines of ``[path]`` holding ``mapping``: plain values first, then one sub-table per mapping value.

    Arrays are written one element per line when they hold tables, else on one line. The header is
    written even for an empty table so that the table exists when read back.
    """
    lines = ["[" + ".".join(key(part) for part in path) + "]"]
    lines.extend(_body(path, mapping, sort_keys))
    return lines


def _body(path: Sequence[str], mapping: Mapping[str, Any], sort_keys: bool) -> list[str]:
    lines: list[str] = []
    nested: list[tuple[str, Mapping[str, Any]]] = []
    for name, value in _items(mapping, sort_keys):
        if isinstance(value, Mapping):
            nested.append((name, value))
        elif _is_table_array(value):
            lines.extend(array_lines(name, value, sort_keys=sort_keys))
        else:
            lines.append(f"{key(name)} = {inline(value, sort_keys=sort_keys)}")
    for name, value in nested:
        lines.append("")
        lines.extend(table([*path, name], value, sort_keys=sort_keys))
    return lines


def dumps(mapping: Mapping[str, Any], *, sort_keys: bool = True) -> str:
    """A whole document for ``mapping`` (top-level values, then its tables), ending with a newline."""
    lines = _body([], mapping, sort_keys)
    while lines and lines[0] == "":
        lines.pop(0)
    return "\n".join(lines) + "\n" if lines else ""
