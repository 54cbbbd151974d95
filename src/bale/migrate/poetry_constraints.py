"""Poetry's version constraints (``^1.2``, ``~1.2``, ``1.2.*``, ``>=1 <2``, ``a || b``) as PEP 440 specifiers.

The rules are poetry-core's (``semver/helpers.py``, ``Version.next_breaking``): a caret allows changes
that keep the leftmost non-zero part (``^1.2.3`` -> ``>=1.2.3,<2.0.0``, ``^0.2.3`` -> ``>=0.2.3,<0.3.0``,
``^0.0.3`` -> ``>=0.0.3,<0.0.4``, ``^0`` -> ``>=0,<1``, ``^0.0`` -> ``>=0.0,<0.1``); a tilde allows patch
changes, or minor ones when only the major is given (``~1.2`` -> ``>=1.2,<1.3``, ``~1`` -> ``>=1,<2``).
Upper bounds keep the precision written, as poetry prints them.

A union (``||``) is exact when its parts join into one range (``>=1,<2 || >=1.5,<3`` -> ``>=1,<3``).
When they leave a hole (``^1.0 || ^3.0``), PEP 440 cannot say it in one requirement; rather than fail a
whole import over it, the widest range covering every part is used and ``Translated.widened`` says so,
for the caller to report (the first lock still prefers the versions the old lock held).
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from bale.model.record import record

__all__ = ["ConstraintError", "Translated", "python_marker", "translate"]


class ConstraintError(ValueError):
    """A constraint poetry would not read either; the message says which part."""


@record(frozen=True, slots=True)
class Translated:
    """``specifier`` is the PEP 440 text ("" allows every version); ``widened`` is True when a union
    with a hole became its widest range."""

    specifier: str
    widened: bool = False


_OPERATOR_SPACE = re.compile(r"(\^|~=|~|===|==|!=|>=|<=|>|<|=)\s+")
_WILDCARD = re.compile(r"^(?:==|=)?(?P<release>\d+(?:\.\d+)*)\.[*xX](?:\.[*xX])*$")
_SINGLE = re.compile(r"^(?P<op>\^|~=|~|===|==|!=|>=|<=|>|<|=)?(?P<version>[^\s,]+)$")


def _version(text: str, whole: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise ConstraintError(f"{whole!r}: {text!r} is not a version") from None


def _bump(version: Version, index: int, precision: int) -> str:
    """``version``'s release with part ``index`` increased and the later ones zeroed, ``precision`` long."""
    parts = list(version.release[:precision]) + [0] * max(0, precision - len(version.release))
    parts[index] += 1
    parts[index + 1 :] = [0] * (len(parts) - index - 1)
    return ".".join(str(part) for part in parts)


def _single(text: str, whole: str) -> list[str]:
    """One poetry constraint (no comma, space or ``||``) as PEP 440 specifiers."""
    if text in ("*", "x", "X", ""):
        return []
    wildcard = _WILDCARD.match(text)
    if wildcard:
        return [f"=={wildcard['release']}.*"]
    match = _SINGLE.match(text)
    if match is None:
        raise ConstraintError(f"{whole!r}: cannot read {text!r}")
    op, raw = match["op"] or "==", match["version"]
    if raw.endswith((".*", ".x", ".X")) and op in ("!=", "=="):
        return [f"{op}{raw[:-2]}.*"]
    version = _version(raw, whole)
    precision = len(raw.split("+")[0].split("."))  # as written: `1.2` and `1.2.0` differ in print only
    precision = min(precision, len(version.release)) or 1
    if op == "^":
        # next_breaking: the first non-zero part of the release, or the last one written.
        release = list(version.release[:precision])
        index = next((i for i, part in enumerate(release) if part != 0), precision - 1)
        return [f">={raw}", f"<{_bump(version, index, precision)}"]
    if op == "~":
        index = 0 if precision == 1 else 1
        return [f">={raw}", f"<{_bump(version, index, max(precision, 2) if index else 1)}"]
    if op == "=":
        op = "=="
    return [f"{op}{raw}"]


def _intersection(text: str, whole: str) -> list[str]:
    """``>=1.2, <2`` or ``>=1.2 <2``: every part, all of them required."""
    text = _OPERATOR_SPACE.sub(r"\1", text.strip())
    specifiers: list[str] = []
    for part in (p for p in re.split(r"[,\s]+", text) if p):
        specifiers.extend(_single(part, whole))
    for specifier in specifiers:
        try:
            Specifier(specifier)
        except InvalidSpecifier:
            raise ConstraintError(f"{whole!r}: {specifier!r} is not a PEP 440 specifier") from None
    return specifiers


def translate(constraint: str) -> Translated:
    """A poetry constraint as a PEP 440 specifier set; raises ConstraintError when unreadable."""
    parts = [part for part in re.split(r"\s*\|\|?\s*", constraint.strip())]
    alternatives = [_intersection(part, constraint) for part in parts]
    if len(alternatives) == 1:
        return Translated(",".join(alternatives[0]))
    if any(not alternative for alternative in alternatives):
        return Translated("")  # one part allows everything: so does the union
    sets = [SpecifierSet(",".join(alternative)) for alternative in alternatives]
    union = sets[0].to_range()
    for specifier_set in sets[1:]:
        union = union | specifier_set.to_range()
    exact = union.to_specifier_set()
    if exact is not None:
        return Translated(_ordered(exact))
    hull = _hull(sets)
    return Translated(hull, widened=_has_hole(SpecifierSet(hull), sets))


def _has_hole(hull: SpecifierSet, sets: list[SpecifierSet]) -> bool:
    """Whether ``hull`` allows a final release no part of the union allows. A hole starts just above
    some part's upper bound, so those are the versions tried; a gap of pre-releases only (``^7.4 ||
    ^8``: 8.0 pre-releases are below ``>=8`` yet not ``<8.0``) is no hole, pre-releases being
    excluded unless asked for."""
    for specifier_set in sets:
        _, upper = _bounds(specifier_set)
        if upper is None:
            continue
        version, inclusive = upper
        point = Version(f"{version.base_version}.0.1") if inclusive else Version(version.base_version)
        if hull.contains(point) and not any(s.contains(point) for s in sets):
            return True
    return False


def _ordered(specifiers: SpecifierSet) -> str:
    """Lower bounds first, as people write them (packaging sorts ``<3,>=1``)."""
    return ",".join(sorted((str(s) for s in specifiers), key=lambda s: (not s.startswith(">"), s)))


_Bound = tuple[Version, bool]  # a version and whether it is included


def _bounds(specifiers: SpecifierSet) -> tuple[_Bound | None, _Bound | None]:
    lower: _Bound | None = None
    upper: _Bound | None = None
    for specifier in specifiers:
        op, text = specifier.operator, specifier.version
        lows: list[_Bound] = []
        highs: list[_Bound] = []
        if op in ("==", "===") and text.endswith(".*"):
            base = Version(text[:-2])
            lows.append((base, True))
            highs.append((Version(_bump(base, len(base.release) - 1, len(base.release))), False))
        elif op in ("==", "==="):
            lows.append((Version(text), True))
            highs.append((Version(text), True))
        elif op == "~=":
            base = Version(text)
            lows.append((base, True))
            highs.append((Version(_bump(base, len(base.release) - 2, len(base.release) - 1)), False))
        elif op in (">=", ">"):
            lows.append((Version(text), op == ">="))
        elif op in ("<=", "<"):
            highs.append((Version(text), op == "<="))
        for low in lows:
            lower = low if lower is None or (low[0], not low[1]) > (lower[0], not lower[1]) else lower
        for high in highs:
            upper = high if upper is None or (high[0], high[1]) < (upper[0], upper[1]) else upper
    return lower, upper


def _hull(sets: list[SpecifierSet]) -> str:
    """The narrowest single range holding every set: the lowest lower bound, the highest upper one."""
    bounds = [_bounds(s) for s in sets]
    lowers = [low for low, _ in bounds]
    uppers = [high for _, high in bounds]
    parts: list[str] = []
    if all(low is not None for low in lowers):
        version, inclusive = min((low for low in lowers if low is not None), key=lambda b: (b[0], not b[1]))
        parts.append(f"{'>=' if inclusive else '>'}{version}")
    if all(high is not None for high in uppers):
        version, inclusive = max((high for high in uppers if high is not None), key=lambda b: (b[0], b[1]))
        parts.append(f"{'<=' if inclusive else '<'}{version}")
    return ",".join(parts)


def python_marker(constraint: str) -> str:
    """A dependency's ``python = "..."`` as a marker: ``python_version`` for X.Y bounds, else
    ``python_full_version``; a union becomes an ``or`` (markers, unlike specifiers, can say it)."""
    parts = [part for part in re.split(r"\s*\|\|?\s*", constraint.strip())]
    alternatives: list[str] = []
    for part in parts:
        specifiers = _intersection(part, constraint)
        if not specifiers:
            return ""
        terms = []
        for specifier in (Specifier(s) for s in specifiers):
            text = specifier.version
            variable = "python_version"
            if len(text.removesuffix(".*").split(".")) > 2 and not text.endswith(".*"):
                variable = "python_full_version"
            terms.append(f'{variable} {specifier.operator} "{text}"')
        alternatives.append(" and ".join(terms))
    if len(alternatives) == 1:
        return alternatives[0]
    return " or ".join(f"({a})" if " and " in a else a for a in alternatives)
