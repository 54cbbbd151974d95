"""The solver's view of a package universe: package identities, dependencies and the Provider protocol."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from packaging.markers import Marker
from packaging.ranges import VersionRange
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from bale.model.record import record
from bale.resolver.candidates import names_prerelease

if TYPE_CHECKING:
    from bale.markers import MarkerExpr

__all__ = [
    "ROOT_VERSION",
    "Dependencies",
    "Dependency",
    "PackageId",
    "PackageKind",
    "Provider",
    "Unavailable",
    "UnavailableKind",
    "full_range",
    "requirement_dependencies",
    "spec_range",
]

# The root is a package like any other for the algorithm; it has exactly this one version.
ROOT_VERSION = Version("0")


class PackageKind(Enum):
    ROOT = "root"
    DIST = "dist"
    PYTHON = "python"

    # Members are singletons compared by identity; Enum's own __hash__ is Python code, and package
    # ids (which hash their kind) are hashed tens of thousands of times in a resolution.
    __hash__ = object.__hash__


@record(frozen=True, slots=True, order=True)
class PackageId:
    """What the solver picks a version for: the root, a distribution (maybe one of its extras), or Python.

    ``name[extra]`` is a virtual package tied to ``name`` at the same version: choosing it adds the
    dependency ``name==version`` plus the requirements that the extra turns on.
    """

    kind: PackageKind
    name: NormalizedName
    extra: NormalizedName | None = None

    @staticmethod
    def root() -> PackageId:
        return _ROOT

    @staticmethod
    def python() -> PackageId:
        return _PYTHON

    @staticmethod
    def dist(name: str, extra: str | None = None) -> PackageId:
        # One object per spelling: the solver's dicts then find their keys by identity, without the
        # dataclass __eq__ (1.4 million calls in a 525-package universal resolve).
        found = _INTERNED.get((name, extra))
        if found is None:
            made = PackageId(
                PackageKind.DIST, canonicalize_name(name), canonicalize_name(extra) if extra else None
            )
            found = _INTERNED.setdefault((name, extra), made)
        return found

    @property
    def is_root(self) -> bool:
        return self.kind is PackageKind.ROOT

    @property
    def is_python(self) -> bool:
        return self.kind is PackageKind.PYTHON

    @property
    def base(self) -> PackageId:
        """The distribution without its extra (itself when it has none)."""
        if self.extra is None:
            return self
        return PackageId.dist(self.name) if self.kind is PackageKind.DIST else PackageId(self.kind, self.name)

    def __str__(self) -> str:
        if self.kind is PackageKind.PYTHON:
            return "Python"
        if self.kind is PackageKind.ROOT:
            return "root"
        return f"{self.name}[{self.extra}]" if self.extra else self.name


_INTERNED: dict[tuple[str, str | None], PackageId] = {}
_ROOT = PackageId(PackageKind.ROOT, NormalizedName("."))
_PYTHON = PackageId(PackageKind.PYTHON, NormalizedName("python"))


@lru_cache(maxsize=1)
def full_range() -> VersionRange:
    """Every version. All solver ranges share the ``prereleases=True`` policy so set algebra composes;
    the pre-release policy is applied when a version is chosen, not inside ranges."""
    return VersionRange.full(admit_arbitrary=False, prereleases=True)


def spec_range(specifier: str | SpecifierSet) -> VersionRange:
    """The versions a specifier admits, pre-releases included (see :func:`full_range`)."""
    return _spec_range(str(specifier))


# Keyed by the text, not the SpecifierSet: "==2" and "==2.0" compare equal, and a range keeps the
# spelling it was built from, which explanations print.
@lru_cache(maxsize=8192)
def _spec_range(text: str) -> VersionRange:
    if not text.strip():
        return full_range()
    return SpecifierSet(text, prereleases=True).to_range() & full_range()


@record(frozen=True, slots=True)
class Dependency:
    """One requirement of a package version (or of the root), its marker already evaluated to true.

    ``specifier`` is what was written (kept for ``# via`` lines, pre-release opt-in and exact-pin
    detection); a bare ``VersionRange`` is accepted too, for constraints built by set algebra.
    ``marker`` is for universal resolution: the environments where this edge applies (None: all);
    the solver itself ignores it.
    """

    package: PackageId
    specifier: SpecifierSet | VersionRange = field(default_factory=SpecifierSet)
    marker: MarkerExpr | None = None

    @property
    def range(self) -> VersionRange:
        if isinstance(self.specifier, VersionRange):
            return self.specifier & full_range()
        return spec_range(self.specifier)

    @property
    def names_prerelease(self) -> bool:
        return isinstance(self.specifier, SpecifierSet) and names_prerelease(self.specifier)

    @property
    def exact_version(self) -> Version | None:
        """The version of an exact ``==V`` / ``===V`` pin (no wildcard), else None."""
        if not isinstance(self.specifier, SpecifierSet):
            return None
        items = list(self.specifier)
        if len(items) != 1 or items[0].operator not in ("==", "===") or items[0].version.endswith(".*"):
            return None
        try:
            return Version(items[0].version)
        except ValueError:
            return None

    def __str__(self) -> str:
        text = str(self.specifier) if isinstance(self.specifier, SpecifierSet) else "<range>"
        return f"{self.package}{text}"


@record(frozen=True, slots=True)
class Dependencies:
    """What one package version needs: its dependencies and its ``Requires-Python`` (None: any)."""

    dependencies: tuple[Dependency, ...] = ()
    requires_python: SpecifierSet | None = None


class UnavailableKind(Enum):
    YANKED = "yanked"
    NO_WHEEL = "no-wheel"
    REQUIRES_PYTHON = "requires-python"
    METADATA = "metadata"
    OFFLINE = "offline"
    NOT_FOUND = "not-found"
    OTHER = "other"


@record(frozen=True, slots=True)
class Unavailable:
    """A version (or a whole package) that cannot be used, as data the explanation quotes.

    ``reason`` completes "<name> <version> ..." (or "<name> ..." for a whole package), e.g.
    "has no wheel for this platform" or "has invalid metadata: ...".
    """

    reason: str
    kind: UnavailableKind = UnavailableKind.OTHER


class Provider(Protocol):
    """Everything the solver needs to know about packages, for one marker environment.

    The solver is synchronous and calls these from one thread; an implementation doing I/O should
    start work in :meth:`prefetch` and have answers ready when asked. Answers must be stable for the
    whole resolution (the solver caches them and its learned facts depend on them).
    """

    @property
    def python_version(self) -> Version | None:
        """The target interpreter's version, checked against each version's ``Requires-Python``
        (None: no check). Cost: free."""
        ...

    def available_versions(self, package: PackageId) -> Sequence[Version] | Unavailable:
        """Every version of ``package`` (a distribution without extra), newest first, yanked ones included.

        ``Unavailable`` when the package cannot be listed at all (not found, offline). Called once
        per package; cost: one index page, usually already prefetched.
        """
        ...

    def yanked(self, package: PackageId) -> Mapping[Version, str]:
        """The yanked versions of ``package`` with their reason ("" when none was given).

        Called once per package, after :meth:`available_versions`; must come from the same data,
        without more I/O.
        """
        ...

    def dependencies(self, package: PackageId, version: Version) -> Dependencies | Unavailable:
        """Requirements of ``package`` at ``version`` whose markers are true for the environment.

        For ``name[extra]`` answer only the requirements the extra turns on (the solver adds the
        dependency on ``name==version`` itself). ``Unavailable`` when this version cannot be used
        (no compatible file, invalid metadata, offline). Called at most once per package version;
        cost: one metadata fetch or build, usually already prefetched.
        """
        ...

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        """Hint: the solver will soon ask about these packages. Must return at once; a no-op is fine."""
        ...


def _marker_true(marker: Marker | None, environment: Mapping[str, str], extra: str) -> bool:
    if marker is None:
        return True
    values = dict(environment)
    values["extra"] = extra
    return marker.evaluate(values)


def requirement_dependencies(
    requirements: Iterable[Requirement],
    environment: Mapping[str, str],
    *,
    extra: str | None = None,
) -> tuple[Dependency, ...]:
    """Turn PEP 508 requirements into dependencies for one marker environment.

    With ``extra`` set, keep only the requirements that this extra turns on (true with the extra,
    false without it). A requirement on ``foo[x]`` gives two dependencies: on ``foo`` and on
    ``foo[x]`` (the first keeps ``foo``'s ``# via`` line, the second brings the extra's requirements).
    """
    result: list[Dependency] = []
    for requirement in requirements:
        if extra is None:
            if not _marker_true(requirement.marker, environment, ""):
                continue
        elif not _marker_true(requirement.marker, environment, extra) or _marker_true(
            requirement.marker, environment, ""
        ):
            continue
        specifier = SpecifierSet(str(requirement.specifier))
        result.append(Dependency(PackageId.dist(requirement.name), specifier))
        for name in sorted(requirement.extras):
            result.append(Dependency(PackageId.dist(requirement.name, name), specifier))
    return tuple(result)
