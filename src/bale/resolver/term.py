"""PubGrub terms: a statement about the version of one package, with the set relations between them."""

from __future__ import annotations

from enum import Enum

from packaging.ranges import VersionRange
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from bale.model.record import record
from bale.resolver.provider import PackageId, full_range

__all__ = ["Relation", "Term", "describe_range"]


class Relation(Enum):
    """How a term relates to what is known: it must hold, it cannot hold, or it is still open."""

    SATISFIED = "satisfied"
    CONTRADICTED = "contradicted"
    INCONCLUSIVE = "inconclusive"


class _Memo:
    """Results of range operations keyed by the identity of their operands.

    The solver asks the same questions about the same range objects over and over (each
    propagation re-checks an incompatibility against the partial solution). Hashing a
    VersionRange walks its bounds and costs more than most answers, so keys are ``id()``s, with the
    operands kept in the entry: a recycled id cannot match a different object. Keys by value would
    also hand back a range spelled like an earlier equal one ("2.0" for "2"), and explanations print
    ranges.
    """

    __slots__ = ("_entries", "_limit")

    def __init__(self, limit: int = 50_000) -> None:
        self._entries: dict[tuple[int, int], tuple[object, object, object]] = {}
        self._limit = limit

    def get(self, left: object, right: object) -> object | None:
        entry = self._entries.get((id(left), id(right)))
        if entry is not None and entry[0] is left and entry[1] is right:
            return entry[2]
        return None

    def put(self, left: object, right: object, value: object) -> None:
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[(id(left), id(right))] = (left, right, value)

    def clear(self) -> None:
        self._entries.clear()


_INTERSECT = _Memo()
_COMPLEMENT = _Memo()
_SUBSET = _Memo()
_DISJOINT = _Memo()
_EMPTY = _Memo()


def forget_memos() -> None:
    """Release the ranges the memos keep alive (the solver calls this when it is done)."""
    for memo in (_INTERSECT, _COMPLEMENT, _SUBSET, _DISJOINT, _EMPTY):
        memo.clear()


def _intersect(left: VersionRange, right: VersionRange) -> VersionRange:
    found = _INTERSECT.get(left, right)
    if found is None:
        found = left & right
        _INTERSECT.put(left, right, found)
    assert isinstance(found, VersionRange)
    return found


def _complement(value: VersionRange) -> VersionRange:
    found = _COMPLEMENT.get(value, None)
    if found is None:
        found = ~value
        _COMPLEMENT.put(value, None, found)
    assert isinstance(found, VersionRange)
    return found


def _subset(left: VersionRange, right: VersionRange) -> bool:
    found = _SUBSET.get(left, right)
    if found is None:
        found = left.is_subset(right)
        _SUBSET.put(left, right, found)
    return found is True


def _disjoint(left: VersionRange, right: VersionRange) -> bool:
    found = _DISJOINT.get(left, right)
    if found is None:
        found = left.is_disjoint(right)
        _DISJOINT.put(left, right, found)
    return found is True


def _empty(value: VersionRange) -> bool:
    found = _EMPTY.get(value, None)
    if found is None:
        found = value.is_empty
        _EMPTY.put(value, None, found)
    return found is True


@record(frozen=True, slots=True)
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


@record(frozen=True, slots=True)
class _Edge:
    """One end of an interval: a version (None: unbounded), whether it is included, and for a
    boundary point ("just above V and its local/post releases") which one."""

    version: Version | None
    inclusive: bool
    boundary: str | None = None  # "AFTER_LOCALS" or "AFTER_POSTS"


def _edge(bound: object) -> _Edge:
    value = getattr(bound, "version", None)
    inclusive = bool(getattr(bound, "inclusive", False))
    if value is None or isinstance(value, Version):
        return _Edge(value, inclusive)
    inner = getattr(value, "version", None)
    kind = str(getattr(getattr(value, "kind", None), "name", ""))
    return _Edge(inner if isinstance(inner, Version) else None, inclusive, kind)


def _intervals(value: VersionRange) -> tuple[list[tuple[_Edge, _Edge]], list[str]] | None:
    """The range's intervals and ``===`` literals; None if packaging's internals are not as expected
    (26.3 has no public accessor for them)."""
    try:
        bounds = value._bounds
        literals = sorted(value._admit)
    except AttributeError:  # pragma: no cover - a future packaging changed its internals
        return None
    return [(_edge(lower), _edge(upper)) for lower, upper in bounds], literals


def _wildcard(lower: _Edge, upper: _Edge) -> str | None:
    """``1.*`` when ``[lower, upper)`` is exactly the prefix match of a release, else None."""
    low, high = lower.version, upper.version
    if low is None or high is None or lower.boundary or upper.boundary or not _is_pure_dev0(low):
        return None
    if not lower.inclusive or upper.inclusive:
        return None
    release = list(low.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    prefix = ".".join(str(part) for part in release)
    if low.epoch:
        prefix = f"{low.epoch}!{prefix}"
    try:
        expected = _intervals(SpecifierSet(f"=={prefix}.*", prereleases=True).to_range())
    except InvalidSpecifier:
        return None
    if expected is not None and expected[0] == [(lower, upper)]:
        return f"{prefix}.*"
    return None


def _lower_text(edge: _Edge) -> str:
    version = edge.version
    if version is None:
        return ""
    if edge.boundary or not edge.inclusive:
        # A boundary sits just above a version (and its local or post releases): ">V" in words.
        return f">{version}"
    # ">=2.0.dev0" is how "not <2.0" is stored; ">=2.0" reads better and differs only in pre-releases.
    return f">={_base(version)}" if _is_pure_dev0(version) else f">={version}"


def _upper_text(edge: _Edge) -> str:
    version = edge.version
    if version is None:
        return ""
    if edge.boundary or edge.inclusive:
        return f"<={version}"
    # "<2.0" is stored as "below 2.0.dev0" so that 2.0's pre-releases are excluded too.
    return f"<{_base(version)}" if _is_pure_dev0(version) else f"<{version}"


def _hole(upper: _Edge, lower: _Edge) -> str | None:
    """What ``!=`` leaves out between two intervals: ``1.0`` (from ``!=1.0``), ``1.*``, or None."""
    if (
        upper.version is not None
        and not upper.inclusive
        and not upper.boundary
        and lower.version == upper.version
        and not lower.inclusive
        and (lower.boundary == "AFTER_LOCALS" or not lower.boundary)
    ):
        # "!=1.0" leaves out 1.0 and its local versions; a decided "==1.0" just 1.0 itself. In words
        # both are "!=1.0".
        return str(upper.version)
    if lower.inclusive and not (upper.inclusive or upper.boundary or lower.boundary):
        return _wildcard(_Edge(upper.version, True), _Edge(lower.version, False))
    return None


def describe_range(value: VersionRange) -> str:
    """A range in requirement syntax without the name: ``>=1.0,<2.0``, ``==1.0``, ``<1.0 or >2.0``.

    The full range gives "" and the empty range " (no version)".
    """
    found = _intervals(value)
    if found is None:  # pragma: no cover - see _intervals
        recovered = value.to_specifier_set()
        return str(recovered) if recovered is not None else repr(value)
    intervals, literals = found
    if not intervals and not literals:
        return " (no version)"
    segments: list[tuple[_Edge, _Edge, list[str]]] = []
    for lower, upper in intervals:
        if segments:
            previous_lower, previous_upper, holes = segments[-1]
            hole = _hole(previous_upper, lower)
            if hole is not None:
                segments[-1] = (previous_lower, upper, [*holes, f"!={hole}"])
                continue
        segments.append((lower, upper, []))
    parts: list[str] = []
    for lower, upper, holes in segments:
        low = lower.version
        if low is not None and lower.inclusive and not lower.boundary and not holes:
            if (upper.version == low and upper.inclusive and not upper.boundary) or (
                upper.boundary == "AFTER_LOCALS" and upper.version == low
            ):
                parts.append(f"=={low}")
                continue
            wildcard = _wildcard(lower, upper)
            if wildcard is not None:
                parts.append(f"=={wildcard}")
                continue
        pieces = [_lower_text(lower), _upper_text(upper), *holes]
        parts.append(",".join(piece for piece in pieces if piece))
    parts.extend(f"==={literal}" for literal in literals)
    return " or ".join(parts)
