"""Sets of Python interpreter versions as sorted cut points, and their marker and specifier spellings."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from bale.model.record import record

__all__ = ["PythonRange", "normal_version"]

# A cut sits just before (0) or just after (1) a version; a set is the alternating list of cuts where
# membership flips, starting outside. The domain starts at version 0: nothing lies below it.
Cut = tuple[Version, int]
_ZERO = Version("0")
_MIN: Cut = (_ZERO, 0)


def normal_version(version: Version) -> Version:
    """One spelling per version: ``3.10.0`` -> ``3.10``, ``3`` -> ``3.0`` (final releases only)."""
    if version.pre or version.post is not None or version.dev is not None or version.local or version.epoch:
        return version
    release = list(version.release)
    while len(release) > 2 and release[-1] == 0:
        release.pop()
    while len(release) < 2:
        release.append(0)
    return Version(".".join(map(str, release)))


def _next_prefix(release: tuple[int, ...]) -> Version:
    """The first version after every ``release.*``: ``3.9`` -> ``3.10``, ``3`` -> ``4``."""
    bumped = (*release[:-1], release[-1] + 1)
    return normal_version(Version(".".join(map(str, bumped))))


@record(frozen=True, slots=True)
class PythonRange:
    """A set of interpreter versions (``python_full_version`` values), as intervals in version order.

    Interpreters are releases (``3.12.1``), so intervals use plain version order: ``not >=3.10`` is
    ``<3.10``. ``packaging.ranges.VersionRange`` follows PEP 440 specifier rules instead, where ``<3.10``
    also excludes 3.10's pre-releases, and its complements then spell as ``!=3.10,<=3.10,>=3.9``.
    """

    cuts: tuple[Cut, ...] = ()

    # -- construction ---------------------------------------------------------------------------------

    @staticmethod
    def full() -> PythonRange:
        return _FULL

    @staticmethod
    def empty() -> PythonRange:
        return _EMPTY

    @staticmethod
    def between(lower: Cut | None, upper: Cut | None) -> PythonRange:
        """Versions after cut ``lower`` (None: from the start) and before cut ``upper`` (None: no end)."""
        start = _MIN if lower is None or lower < _MIN else lower
        if upper is None:
            return PythonRange((start,)) if start != _MIN else _FULL
        if upper <= start:
            return _EMPTY
        return PythonRange((start, upper))

    @staticmethod
    def from_specifier(operator: str, text: str) -> PythonRange | None:
        """The ``python_full_version`` values that ``python_full_version <operator> '<text>'`` admits.

        None when the pair is not a valid specifier (the marker then compares strings).
        """
        return _full_version_range(operator, text)

    @staticmethod
    def from_minor_specifier(operator: str, text: str) -> PythonRange | None:
        """The interpreters whose ``python_version`` (``X.Y``) satisfies ``<operator> '<text>'``."""
        return _minor_version_range(operator, text)

    @staticmethod
    def from_specifier_set(specifiers: SpecifierSet) -> PythonRange:
        """The interpreters a ``Requires-Python`` admits (invalid parts are ignored)."""
        return _specifier_set_range(str(specifiers))

    # -- set algebra ----------------------------------------------------------------------------------

    def __and__(self, other: PythonRange) -> PythonRange:
        return _combine(self, other, both=True)

    def __or__(self, other: PythonRange) -> PythonRange:
        return _combine(self, other, both=False)

    def __invert__(self) -> PythonRange:
        cuts = self.cuts
        flipped = cuts[1:] if cuts and cuts[0] == _MIN else (_MIN, *cuts)
        return PythonRange(flipped)

    def __sub__(self, other: PythonRange) -> PythonRange:
        return self & ~other

    @property
    def is_empty(self) -> bool:
        return not self.cuts

    @property
    def is_full(self) -> bool:
        return self.cuts == (_MIN,)

    def is_subset(self, other: PythonRange) -> bool:
        return (self - other).is_empty

    def contains(self, version: Version) -> bool:
        if version < _ZERO:
            return False
        return bisect_left(self.cuts, (version, 1)) % 2 == 1

    def contains_after(self, cut: Cut) -> bool:
        """Whether the versions just after ``cut`` are in the set."""
        return bisect_left(self.cuts, (cut[0], cut[1] + 1)) % 2 == 1

    def contains_before(self, cut: Cut) -> bool:
        """Whether the versions just before ``cut`` are in the set."""
        return bisect_left(self.cuts, cut) % 2 == 1

    def segments(self) -> list[tuple[Cut, Cut | None]]:
        """The intervals ``(start, end)`` in order; the last end is None when unbounded."""
        cuts = self.cuts
        return [(cuts[i], cuts[i + 1] if i + 1 < len(cuts) else None) for i in range(0, len(cuts), 2)]

    def lower_hull(self) -> PythonRange:
        """From the lowest member on, with no upper end (upper bounds of ``Requires-Python`` are ignored,
        as uv and pip do: ``<4`` must not make a package unusable)."""
        return PythonRange(self.cuts[:1])

    def sort_key(self) -> tuple[Cut, ...]:
        return self.cuts

    # -- spelling -------------------------------------------------------------------------------------

    def marker_atoms(self, variable: str = "python_full_version") -> list[str]:
        """The set as marker text: one entry per interval (to be joined with ``or``), each a conjunction."""
        return [_segment_text(start, end, variable) for start, end in self.segments()]

    def marker_text(self, variable: str = "python_full_version") -> str:
        """One marker expression; several intervals are joined with ``or`` (``!=`` forms stay one atom)."""
        gap = self._single_gap()
        if gap is not None:
            return f"{variable} != '{gap}'"
        atoms = self.marker_atoms(variable)
        if len(atoms) > 1:
            atoms = [f"({text})" if " and " in text else text for text in atoms]
        return " or ".join(atoms)

    def _single_gap(self) -> str | None:
        """``3.9`` or ``3.9.*`` when the set is everything but that version or minor series."""
        cuts = self.cuts
        if len(cuts) != 3 or cuts[0] != _MIN:
            return None
        (low, low_side), (high, high_side) = cuts[1], cuts[2]
        if low == high and low_side == 0 and high_side == 1:
            return str(low)
        if low_side == 0 and high_side == 0 and _is_minor_span(low, high):
            return f"{low}.*"
        return None

    def specifier_text(self) -> str:
        """Roughly a ``Requires-Python`` (``>=3.8, <3.10``), for messages; unions join with ``or``."""
        if self.is_full:
            return "any version"
        if self.is_empty:
            return "no version"
        parts = []
        for start, end in self.segments():
            pieces = []
            if start != _MIN:
                pieces.append((">=" if start[1] == 0 else ">") + str(start[0]))
            if end is not None:
                pieces.append(("<" if end[1] == 0 else "<=") + str(end[0]))
            if start[1] == 0 and end == (start[0], 1):
                pieces = [f"=={start[0]}"]
            parts.append(", ".join(pieces))
        return " or ".join(parts)

    def __repr__(self) -> str:
        return f"PythonRange({self.specifier_text()!r})"


_FULL = PythonRange((_MIN,))
_EMPTY = PythonRange(())


def _combine(left: PythonRange, right: PythonRange, *, both: bool) -> PythonRange:
    a, b = left.cuts, right.cuts
    if both:
        if not a or not b:
            return _EMPTY
        if a == _FULL.cuts:
            return right
        if b == _FULL.cuts:
            return left
    else:
        if not a:
            return right
        if not b:
            return left
    points = sorted(set(a) | set(b))
    result: list[Cut] = []
    inside = False
    set_a, set_b = set(a), set(b)
    in_a = in_b = False
    for cut in points:
        if cut in set_a:
            in_a = not in_a
        if cut in set_b:
            in_b = not in_b
        now = (in_a and in_b) if both else (in_a or in_b)
        if now != inside:
            result.append(cut)
            inside = now
    return PythonRange(tuple(result))


def _is_minor_span(low: Version, high: Version) -> bool:
    if low != normal_version(low) or len(low.release) != 2:
        return False
    return high == _next_prefix(low.release)


def _segment_text(start: Cut, end: Cut | None, variable: str) -> str:
    low, low_side = start
    if end is not None:
        high, high_side = end
        if low == high and low_side == 0 and high_side == 1:
            return f"{variable} == '{low}'"
        if low_side == 0 and high_side == 0 and _is_minor_span(low, high):
            return f"{variable} == '{low}.*'"
    pieces = []
    if start != _MIN:
        pieces.append(f"{variable} {'>=' if low_side == 0 else '>'} '{low}'")
    if end is not None:
        pieces.append(f"{variable} {'<' if end[1] == 0 else '<='} '{end[0]}'")
    return " and ".join(pieces)


def _parse(text: str) -> Version | None:
    try:
        return normal_version(Version(text))
    except InvalidVersion:
        return None


@lru_cache(maxsize=4096)
def _full_version_range(operator: str, text: str) -> PythonRange | None:
    try:
        Specifier(f"{operator}{text}")
    except InvalidSpecifier:
        return None
    if text.endswith(".*"):
        prefix = Version(text[:-2])
        low = normal_version(prefix)
        inside = PythonRange.between((low, 0), (_next_prefix(prefix.release), 0))
        return inside if operator == "==" else ~inside
    version = _parse(text)
    if version is None:
        return None
    if operator in ("==", "==="):
        return PythonRange.between((version, 0), (version, 1))
    if operator == "!=":
        return ~PythonRange.between((version, 0), (version, 1))
    if operator == "<":
        return PythonRange.between(None, (version, 0))
    if operator == "<=":
        return PythonRange.between(None, (version, 1))
    if operator == ">":
        return PythonRange.between((version, 1), None)
    if operator == ">=":
        return PythonRange.between((version, 0), None)
    if operator == "~=":
        release = Version(text).release
        return PythonRange.between((version, 0), (_next_prefix(release[:-1]), 0))
    return None


@lru_cache(maxsize=4096)
def _minor_version_range(operator: str, text: str) -> PythonRange | None:
    """``python_version`` holds ``X.Y``; map the ``X.Y`` values a specifier admits to interpreter ranges.

    A bound falls at ``X.Y`` or ``X.(Y+1)``: which one is decided by asking the specifier itself
    about ``X.Y`` (``python_version > '3.9.1'`` admits 3.10 but not 3.9).
    """
    try:
        specifier = Specifier(f"{operator}{text}")
    except InvalidSpecifier:
        return None
    if text.endswith(".*"):
        release = Version(text[:-2]).release
        if len(release) == 1:
            inside = PythonRange.between((normal_version(Version(text[:-2])), 0), (_next_prefix(release), 0))
        else:
            minor = _minor_of(release)
            admitted = Specifier(f"=={text}").contains(str(minor), prereleases=True)
            inside = _minor_span(minor) if admitted else _EMPTY
        return inside if operator == "==" else ~inside
    try:
        version = Version(text)
    except InvalidVersion:
        return None
    minor = _minor_of(version.release)
    here = specifier.contains(str(minor), prereleases=True)
    after = _next_prefix(minor.release)
    if operator in (">", ">="):
        return PythonRange.between((minor if here else after, 0), None)
    if operator in ("<", "<="):
        return PythonRange.between(None, (after if here else minor, 0))
    if operator in ("==", "==="):
        return _minor_span(minor) if here else _EMPTY
    if operator == "!=":
        return ~_minor_span(minor) if not here else _FULL
    if operator == "~=":
        prefix = ".".join(map(str, version.release[:-1]))
        lower = _minor_version_range(">=", text) or _EMPTY
        return lower & (_minor_version_range("==", f"{prefix}.*") or _EMPTY)
    return None


def _minor_of(release: Iterable[int]) -> Version:
    parts = [*release, 0, 0][:2]
    return Version(f"{parts[0]}.{parts[1]}")


def _minor_span(minor: Version) -> PythonRange:
    return PythonRange.between((minor, 0), (_next_prefix(minor.release), 0))


@lru_cache(maxsize=1024)
def _specifier_set_range(text: str) -> PythonRange:
    result = _FULL
    for item in SpecifierSet(text):
        found = _full_version_range(item.operator, item.version)
        if found is not None:
            result = result & found
    return result
