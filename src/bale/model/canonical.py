"""A value as JSON-able data that is the same in every process: the stuff of cache keys."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from typing import Any


def canonical(value: Any) -> Any:
    """Dataclasses as their fields, mappings with sorted keys, sets sorted, anything else as its text.

    A field the constructor does not take (``init=False``) is derived from the others (a target's tag
    ranks: 800 entries, most of a resolution key's cost), so it is left out.
    """
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in fields(value) if f.init}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda item: str(item[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
