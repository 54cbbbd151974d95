"""Whether an OSV record affects one version of a PyPI package, by the schema's evaluation rules."""

from __future__ import annotations

from functools import lru_cache

from packaging.version import InvalidVersion, Version

from bale.audit.osv import Advisory, AffectedRange
from bale.model.names import NormalizedName, normalize
from bale.model.record import record

# A GIT range names commits, which only the repository can order; OSV.dev turns it into the
# record's ``versions`` list (release tags), which is evaluated instead. Every other type but
# ECOSYSTEM (SEMVER on PyPI, a database's own) is reported as not evaluated, never dropped.
_LISTED_INSTEAD = frozenset({"GIT"})
# Events at one version apply in this order: an interval that opens and closes at the same version
# is empty (``introduced: 1.0`` + ``fixed: 1.0`` does not affect 1.0).
_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}
_BEFORE_ALL, _AT, _AFTER_ALL = 0, 1, 2
_ZERO = Version("0")


@record(frozen=True, slots=True)
class Match:
    """Whether the version is ``affected``; ``fixed_in``: for each range that holds it, the ``fixed``
    event closing its interval, ascending (``()`` when none is known: open, or closed by
    ``last_affected``); ``unevaluated``: what had to be skipped for this package, e.g. ``"SEMVER"``
    (a range type) or ``"invalid version 'abc'"``, ``"unknown event 'x'"``."""

    affected: bool
    fixed_in: tuple[Version, ...] = ()
    unevaluated: tuple[str, ...] = ()


@lru_cache(maxsize=8192)
def _parse(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def match(advisory: Advisory, name: NormalizedName, version: Version) -> Match:
    """Evaluate ``advisory`` for ``name`` at ``version`` (OSV's ``IsVulnerable``): affected when an
    entry for the package lists the version in ``versions`` or one of its ECOSYSTEM ranges holds it.
    Versions that are not PEP 440 are skipped (and reported), never fatal."""
    name = normalize(name)
    affected = False
    fixes: set[Version] = set()
    other_fixes: set[Version] = set()
    skipped: list[str] = []
    for entry in advisory.affected:
        if entry.name != name:
            continue
        for text in entry.versions:
            listed = _parse(text)
            if listed is None:
                skipped.append(f"invalid version {text!r}")
            elif listed == version:
                affected = True
        for item in entry.ranges:
            if item.type in _LISTED_INSTEAD:
                continue
            if item.type != "ECOSYSTEM":
                skipped.append(item.type)
                continue
            inside, closing, range_fixes = _evaluate(item, version, skipped)
            if inside:
                affected = True
                if closing is not None:
                    fixes.add(closing)
            other_fixes.update(range_fixes)
    if not affected:
        return Match(False, (), tuple(dict.fromkeys(skipped)))
    if not fixes:
        # Affected by the ``versions`` list alone (a range the list came from, e.g. GIT, or one it
        # disagrees with): the first fix above the version any range of the package names.
        above = sorted(v for v in other_fixes if v > version)
        fixes.update(above[:1])
    return Match(True, tuple(sorted(fixes)), tuple(dict.fromkeys(skipped)))


def _evaluate(
    item: AffectedRange, version: Version, skipped: list[str]
) -> tuple[bool, Version | None, list[Version]]:
    """Whether ``version`` is in the ECOSYSTEM range ``item``, the ``fixed`` version closing its
    interval (None when open or closed by ``last_affected``), and every fixed version of the range."""
    timeline: list[tuple[int, Version, int, str]] = []
    limits: list[tuple[int, Version]] = []
    for event in item.events:
        if event.kind == "limit":
            if "*" in event.version:  # the schema's "infinity"
                limits.append((_AFTER_ALL, _ZERO))
            elif (at := _parse(event.version)) is not None:
                limits.append((_AT, at))
            else:
                skipped.append(f"invalid version {event.version!r}")
            continue
        order = _ORDER.get(event.kind)
        if order is None:
            skipped.append(f"unknown event {event.kind!r}")
            continue
        if event.kind == "introduced" and event.version == "0":  # before every version, 0.dev0 too
            timeline.append((_BEFORE_ALL, _ZERO, order, event.kind))
            continue
        at = _parse(event.version)
        if at is None:
            skipped.append(f"invalid version {event.version!r}")
            continue
        timeline.append((_AT, at, order, event.kind))
    range_fixes = [at for _, at, _, kind in timeline if kind == "fixed"]
    if limits and not any(rank == _AFTER_ALL or version < at for rank, at in limits):
        return False, None, range_fixes
    timeline.sort()
    vulnerable = False
    for rank, at, _, kind in timeline:
        if kind == "introduced":
            if rank == _BEFORE_ALL or version >= at:
                vulnerable = True
        elif kind == "fixed":
            if version >= at:
                vulnerable = False
        elif version > at:  # last_affected
            vulnerable = False
    if not vulnerable:
        return False, None, range_fixes
    # The interval holding the version ends at the next event that closes one: a fix names the
    # version to move to; ``last_affected`` names none.
    closing = next(
        (
            (at, kind)
            for rank, at, _, kind in timeline
            if rank == _AT and kind != "introduced" and at >= version
        ),
        None,
    )
    return True, closing[0] if closing is not None and closing[1] == "fixed" else None, range_fixes
