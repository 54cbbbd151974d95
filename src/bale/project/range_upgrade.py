"""A declared requirement rewritten to admit a newer version: lower bounds raised, caps widened on request."""

from __future__ import annotations

from typing import Literal

from packaging.requirements import Requirement
from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from bale.model.record import record

Widen = Literal["major", "minor"]


@record(frozen=True, slots=True)
class RangeChange:
    """What ``raise_range`` made of one requirement.

    ``new`` is the rewritten requirement, or None when it stays as it is; ``held`` says that a cap (``<``,
    ``<=``, ``~=``, ``==X.*``, an exact pin) keeps ``latest`` out and was left alone (no ``--bounds``).
    """

    old: str
    new: str | None
    held: bool = False


def raise_range(requirement: str, latest: Version, widen: Widen | None = None) -> RangeChange:
    """``requirement`` rewritten to admit ``latest``: ``>=``/``>`` lower bounds move up to it, ``~=`` keeps
    its precision at it; a cap that excludes it is widened to the next major (or minor) release after it
    only with ``widen``, else the requirement is held as written. ``!=`` exclusions stay; a URL
    requirement or a bare name (which admits everything) never changes."""
    parsed = Requirement(requirement)
    if parsed.url or not parsed.specifier:
        return RangeChange(requirement, None)
    specs: list[str] = []
    held = False
    for spec in sorted(parsed.specifier, key=str):
        new, capped = _raised(spec, latest, widen)
        held = held or capped
        specs.extend(new)
    if held:
        return RangeChange(requirement, None, held=True)
    rewritten = SpecifierSet(",".join(dict.fromkeys(specs)))
    if rewritten == parsed.specifier:
        return RangeChange(requirement, None)
    parsed.specifier = rewritten
    return RangeChange(requirement, str(parsed))


def cap_after(latest: Version, widen: Widen) -> str:
    """The exclusive upper bound after ``latest``: ``<3`` for 2.4 (major), ``<2.5`` (minor); SemVer's
    leading zeros shift it as ``bale add --bounds`` does (0.4.1: major ``<0.5``)."""
    from bale.project.edit import bounds

    return bounds(latest, widen).split(",", 1)[1]


def _raised(spec: Specifier, latest: Version, widen: Widen | None) -> tuple[list[str], bool]:
    """The specifiers ``spec`` becomes, and whether it is a cap that excludes ``latest`` and stays."""
    operator, text = spec.operator, spec.version
    if operator == "!=":
        return [str(spec)], False
    if operator in (">=", ">"):
        bound = _version(text)
        if bound is not None and latest > bound:
            return [f">={latest}"], False
        return [str(spec)], False
    admits = spec.contains(latest, prereleases=True)
    if operator == "~=":
        if admits:
            # ~=1.2 at 1.5.3 is ~=1.5: the same number of parts, so the same freedom above it.
            precision = len(Version(text).release)
            compatible = Version(".".join(str(p) for p in (*latest.release, 0, 0)[:precision]))
            return [f"~={compatible}" if compatible > Version(text) else str(spec)], False
        return ([f">={latest}", cap_after(latest, widen)], False) if widen else ([str(spec)], True)
    if admits:
        return [str(spec)], False
    if widen is None:
        return [str(spec)], True
    if operator in ("<", "<="):
        return [cap_after(latest, widen)], False
    if operator == "==" and text.endswith(".*"):
        return [f">={latest}", cap_after(latest, widen)], False
    return [f"{operator}{latest}"], False  # an exact pin (== or ===) moves to the new version


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None
