"""PubGrub terms: a statement about the version of one package, with the set relations between them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from packaging.ranges import VersionRange
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from bale.resolver.provider import PackageId, full_range

__all__ = ["Relation", "Term", "describe_range"]


class Relation(Enum):
    """How a term relates to what is known: it must hold, it cannot hold, or it is still open."""

    SATISFIED = "satisfied"
    CONTRADICTED = "contradicted"
    INCONCLUSIVE = "inconclusive"


# Only predicates are cached: a cached range would carry the spelling of whichever equal range came
# first ("2.0" for "2"), and explanations print ranges.
def _intersect(left: VersionRange, right: VersionRange) -> VersionRange:
    return left & right


def _complement(value: VersionRange) -> VersionRange:
    return ~value


@lru_cache(maxsize=65536)
def _subset(left: VersionRange, right: VersionRange) -> bool:
    return left.is_subset(right)


@lru_cache(maxsize=65536)
def _disjoint(left: VersionRange, right: VersionRange) -> bool:
    return left.is_disjoint(right)


@lru_cache(maxsize=65536)
def _empty(value: VersionRange) -> bool:
    return value.is_empty


@dataclass(frozen=True, slots=True)
class Term:
    """``package`` has a version in ``allowed`` -- and, when ``positive``, the package is selected at all.

    A positive term "a>=2" is satisfied only by selecting a version >=2; its negation "not a>=2"
    is ``Term(a, <2, positive=False)``: satisfied by any version <2 or by not selecting ``a``.
    Storing the allowed set for both polarities makes every operation one range operation.
    """

    package: PackageId
    allowed: VersionRange
    positive: bool = True

    @staticmethod
    def any(package: PackageId) -> Term:
        """Nothing known yet: any version, or not selected."""
        return Term(package, full_range(), positive=False)

    def negate(self) -> Term:
        return Term(self.package, _complement(self.allowed), not self.positive)

    @property
    def is_empty(self) -> bool:
        """No assignment satisfies it (only positive terms can be empty)."""
        return self.positive and _empty(self.allowed)

    @property
    def excluded(self) -> VersionRange:
        """For a negative term, the versions it rules out."""
        return _complement(self.allowed)

    def intersect(self, other: Term) -> Term:
        return Term(self.package, _intersect(self.allowed, other.allowed), self.positive or other.positive)

    def difference(self, other: Term) -> Term:
        return self.intersect(other.negate())

    def satisfies(self, other: Term) -> bool:
        """Every assignment satisfying ``self`` satisfies ``other``."""
        if other.positive and not self.positive:
            return False  # "not selected" satisfies self but never a positive term
        return _subset(self.allowed, other.allowed)

    def is_disjoint(self, other: Term) -> bool:
        if not (self.positive or other.positive):
            return False  # both hold when the package is not selected
        return _disjoint(self.allowed, other.allowed)

    def relation(self, other: Term) -> Relation:
        """How ``other`` fares when ``self`` (everything known about the package) holds."""
        if self.satisfies(other):
            return Relation.SATISFIED
        if self.is_disjoint(other):
            return Relation.CONTRADICTED
        return Relation.INCONCLUSIVE

    def __str__(self) -> str:
        text = f"{self.package}{describe_range(self.allowed if self.positive else self.excluded)}"
        return text if self.positive else f"not {text}"


def _is_pure_dev0(version: Version) -> bool:
    return version.dev == 0 and version.pre is None and version.post is None and version.local is None


def _base(version: Version) -> str:
    return str(version.__replace__(dev=None))


def _wildcard(lower: object, upper: object) -> str | None:
    """``1.*`` when ``[lower, upper)`` is exactly the prefix match of a release, else None."""
    if not (isinstance(lower, Version) and isinstance(upper, Version) and _is_pure_dev0(lower)):
        return None
    release = list(lower.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    prefix = ".".join(str(part) for part in release)
    if lower.epoch:
        prefix = f"{lower.epoch}!{prefix}"
    try:
        expected = SpecifierSet(f"=={prefix}.*", prereleases=True).to_range()
    except InvalidSpecifier:
        return None
    bounds = expected._bounds  # no public accessor for intervals in packaging 26.3
    if len(bounds) == 1 and bounds[0][0].version == lower and bounds[0][1].version == upper:
        return f"{prefix}.*"
    return None


def _lower_text(bound: object) -> str:
    version = getattr(bound, "version", None)
    if version is None:
        return ""
    if isinstance(version, Version):
        if not getattr(bound, "inclusive", True):
            return f">{version}"
        # ">=2.0.dev0" is how "not <2.0" is stored; ">=2.0" reads better and differs only in pre-releases.
        return f">={_base(version)}" if _is_pure_dev0(version) else f">={version}"
    # A boundary sits just above a version (and its local or post releases): ">V" in words.
    return f">{version.version}"


def _upper_text(bound: object) -> str:
    version = getattr(bound, "version", None)
    if version is None:
        return ""
    if isinstance(version, Version):
        if getattr(bound, "inclusive", False):
            return f"<={version}"
        # "<2.0" is stored as "below 2.0.dev0" so that 2.0's pre-releases are excluded too.
        return f"<{_base(version)}" if _is_pure_dev0(version) else f"<{version}"
    return f"<={version.version}"


def _single_hole(upper: object, lower: object) -> str | None:
    """``V`` when the gap between two intervals is exactly ``==V`` (``!=V`` leaves it), else None."""
    up = getattr(upper, "version", None)
    low = getattr(lower, "version", None)
    if isinstance(up, Version) and not getattr(upper, "inclusive", True) and low is not None:
        if not isinstance(low, Version) and getattr(low, "version", None) == up and up.local is None:
            kind = getattr(getattr(low, "kind", None), "name", "")
            if kind == "AFTER_LOCALS":
                return str(up)
    return None


def describe_range(value: VersionRange) -> str:
    """A range in requirement syntax without the name: ``>=1.0,<2.0``, ``==1.0``, ``<1.0 or >2.0``.

    The full range gives "" and the empty range " (no version)". Intervals come from packaging's
    private representation (26.3 has no public accessor); anything unexpected falls back to the
    specifier set packaging itself recovers.
    """
    try:
        bounds = value._bounds
        literals = sorted(value._admit)
    except AttributeError:  # pragma: no cover - a future packaging changed its internals
        recovered = value.to_specifier_set()
        return str(recovered) if recovered is not None else repr(value)
    if not bounds and not literals:
        return " (no version)"
    segments: list[tuple[object, object, list[str]]] = []
    for lower, upper in bounds:
        if segments:
            previous_lower, previous_upper, holes = segments[-1]
            hole = _single_hole(previous_upper, lower)
            if hole is None and not getattr(previous_upper, "inclusive", True) and getattr(lower, "inclusive", False):
                hole = _wildcard(getattr(previous_upper, "version", None), getattr(lower, "version", None))
            if hole is not None:
                segments[-1] = (previous_lower, upper, [*holes, f"!={hole}"])
                continue
        segments.append((lower, upper, []))
    parts: list[str] = []
    for lower, upper, holes in segments:
        low = getattr(lower, "version", None)
        high = getattr(upper, "version", None)
        if isinstance(low, Version) and getattr(lower, "inclusive", False) and not holes:
            if high == low or (
                high is not None
                and not isinstance(high, Version)
                and getattr(high, "version", None) == low
                and getattr(getattr(high, "kind", None), "name", "") == "AFTER_LOCALS"
            ):
                parts.append(f"=={low}")
                continue
            wildcard = _wildcard(low, high) if not getattr(upper, "inclusive", True) else None
            if wildcard is not None:
                parts.append(f"=={wildcard}")
                continue
        pieces = [_lower_text(lower), _upper_text(upper), *holes]
        parts.append(",".join(piece for piece in pieces if piece))
    parts.extend(f"==={literal}" for literal in literals)
    return " or ".join(parts)
