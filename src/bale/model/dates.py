"""Points in time users write: an RFC 3339 date or timestamp, or a duration back from now ("7 days")."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week)s?\s*(ago)?\s*$", re.IGNORECASE)
_ISO_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.IGNORECASE)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time is taken to be UTC already (indexes and lock files publish UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def is_duration(text: str) -> bool:
    """Whether ``text`` is a duration back from now (its cutoff moves with the clock), not a point in time."""
    value = text.strip()
    iso = _ISO_DURATION.match(value)
    return bool(_DURATION.match(value)) or bool(iso and any(iso.groups()))


def parse_cutoff(text: str, now: datetime) -> datetime:
    """``2026-11-01``, ``2026-11-01T00:00:00Z``, ``7 days``, ``24 hours`` or ``P7D`` -> an aware UTC datetime.

    A bare date means the end of that day in UTC, as uv reads it. Raises ValueError with the accepted forms.
    """
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    iso = _ISO_DURATION.match(value)
    if iso and any(iso.groups()):
        weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in iso.groups())
        return now - timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        return day + timedelta(days=1) - timedelta(microseconds=1)
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a date (2026-11-01), a timestamp (2026-11-01T00:00:00Z) "
            "nor a duration (7 days, 24 hours, P7D)"
        ) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
