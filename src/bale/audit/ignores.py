"""Which findings a project has chosen to ignore, for how long and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from bale.audit.findings import Finding
from bale.errors import BaleError
from bale.model.record import record


@record(frozen=True, slots=True)
class Ignore:
    """Ignore the finding one of whose ids (its id or an alias) is ``id``, until ``until`` (that day
    included; None: for good). ``origin`` says where it was written, for messages."""

    id: str
    until: dt.date | None = None
    reason: str | None = None
    origin: str = "--ignore"


@record(frozen=True, slots=True)
class Ignored:
    finding: Finding
    why: str  # "PYSEC-1 (pyproject.toml: not reachable from our code)", "no fix yet"


@record(frozen=True, slots=True)
class Triage:
    """The findings split: those that remain, those ignored (with why), the ignores that have expired
    (their findings are in ``remaining`` again) and the ignores that matched nothing."""

    remaining: tuple[Finding, ...]
    ignored: tuple[Ignored, ...]
    expired: tuple[tuple[Finding, Ignore], ...]
    unused: tuple[Ignore, ...]


_KEYS = {"id", "until", "reason"}


def parse_ignores(raw: object, *, source: str) -> tuple[Ignore, ...]:
    """``[tool.bale.audit] ignore``: a list of ids, or of tables ``{ id, until = "YYYY-MM-DD", reason }``
    (``until`` may be a TOML date). Every problem is reported at once, naming the entry."""
    if raw is None:
        return ()
    where = f"{source}: [tool.bale.audit] ignore"
    if not isinstance(raw, list):
        raise BaleError(f"{where} must be a list of advisory ids or {{ id = ..., until = ... }} tables")
    found: list[Ignore] = []
    problems: list[str] = []
    for position, entry in enumerate(raw, start=1):
        label = f"entry {position}"
        if isinstance(entry, str):
            if entry.strip():
                found.append(Ignore(entry.strip(), origin=source))
            else:
                problems.append(f"{label}: an empty id")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{label}: {entry!r} is neither an id nor a table")
            continue
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            problems.append(f"{label}: unknown key {', '.join(unknown)} (known: id, until, reason)")
        ident = entry.get("id")
        if not isinstance(ident, str) or not ident.strip():
            problems.append(f"{label}: `id` must be an advisory id such as PYSEC-2021-335")
            continue
        until, problem = _until(entry.get("until"))
        if problem:
            problems.append(f"{label} ({ident}): {problem}")
        reason = entry.get("reason")
        if reason is not None and not isinstance(reason, str):
            problems.append(f"{label} ({ident}): `reason` must be a string")
            reason = None
        found.append(Ignore(ident.strip(), until, reason, source))
    if problems:
        raise BaleError(f"{where} has {_count(len(problems), 'problem')}", context=problems)
    return tuple(found)


def _until(value: object) -> tuple[dt.date | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()), None
        except ValueError:
            pass
    return None, f"`until` must be a date such as 2027-01-31, not {value!r}"


def command_line_ignores(ids: Iterable[str]) -> tuple[Ignore, ...]:
    return tuple(Ignore(ident.strip()) for ident in ids if ident.strip())


def triage(
    findings: Sequence[Finding], ignores: Sequence[Ignore], *, today: dt.date, until_fixed: bool = False
) -> Triage:
    """Apply the ignores (ids compared without regard to case) and, with ``until_fixed``, set aside the
    findings no released version fixes yet."""
    by_id: dict[str, list[Ignore]] = {}
    for ignore in ignores:
        by_id.setdefault(ignore.id.upper(), []).append(ignore)
    used: set[Ignore] = set()
    remaining: list[Finding] = []
    ignored: list[Ignored] = []
    expired: list[tuple[Finding, Ignore]] = []
    for finding in findings:
        matching = [ig for ident in sorted(finding.ids()) for ig in by_id.get(ident.upper(), ())]
        used.update(matching)
        live = [ig for ig in matching if ig.until is None or ig.until >= today]
        if live:
            ignored.append(Ignored(finding, _why(live[0])))
            continue
        if matching:
            expired.append((finding, max(matching, key=lambda ig: ig.until or dt.date.min)))
        if until_fixed and not finding.fixed_in:
            ignored.append(Ignored(finding, "no fix is released yet (--ignore-until-fixed)"))
            continue
        remaining.append(finding)
    unused = tuple(ig for ig in ignores if ig not in used)
    return Triage(tuple(remaining), tuple(ignored), tuple(expired), unused)


def _why(ignore: Ignore) -> str:
    parts = [ignore.origin]
    if ignore.until is not None:
        parts.append(f"until {ignore.until.isoformat()}")
    if ignore.reason:
        parts.append(ignore.reason)
    return f"ignored by {ignore.id} ({'; '.join(parts)})"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
