"""Universal resolution: one set of pins for every platform and Python in a range, by forking the solver.

The solver runs once per fork, a set of environments given by a marker (at first: every interpreter
``requires-python`` admits). A fork's provider keeps every dependency whose marker can hold in the
fork, so one resolution covers the whole fork. When one package's dependencies name the same package
twice, with different specifiers under markers that cannot hold together (``numpy>=2; python_version
>= '3.10'`` and ``numpy<2; python_version < '3.10'``), the fork splits in two on that marker and each
half is solved again from scratch, preferring the versions earlier forks chose. At the end each
package gets the marker under which some fork needs it: the fork's marker and the package's
reachability in that fork, the ``or`` over its parents of "parent needed and edge marker holds".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from bale.errors import BaleError
from bale.markers import (
    FALSE,
    TRUE,
    MarkerExpr,
    PythonRange,
    parse,
    python_marker,
    python_range_marker,
    restrict_python,
)
from bale.model.record import record
from bale.resolver.provider import (
    Dependencies,
    Dependency,
    PackageId,
    PackageKind,
    Provider,
    Unavailable,
    UnavailableKind,
)
from bale.resolver.solver import NoSolution, Resolution, SolverOptions, SolverReporter, Strategy, solve

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = [
    "ForkNoSolution",
    "ForkStrategy",
    "ForkableProvider",
    "UniversalPackage",
    "UniversalResolution",
    "marker_dependencies",
    "python_unavailable",
    "resolve_universal",
]

# Each split at least halves a fork; real projects need a handful. A runaway means a bug, not a project.
MAX_FORKS = 256


class ForkStrategy(Enum):
    """uv's ``--fork-strategy``: what to do with a version whose Requires-Python covers part of a fork.

    ``requires-python`` (the default) splits the fork at that lower bound, so each Python gets the
    newest version that supports it (numpy 2.0.x below 3.10, the newest above); ``fewest`` keeps one
    fork and goes back to a version that supports every Python in it.
    """

    REQUIRES_PYTHON = "requires-python"
    FEWEST = "fewest"


class ForkableProvider(Provider, Protocol):
    """A provider that can answer for a set of environments instead of one.

    The provider returned by :meth:`for_fork` must answer ``python_version`` with None, keep each
    dependency whose marker is not disjoint from ``marker`` (with that marker on
    ``Dependency.marker``, None when always true), drop the others, and report each version's
    ``Requires-Python`` (which the driver checks against the fork's interpreters). It should share
    caches with its parent: it is called once per fork, and forks ask the same questions.
    """

    def for_fork(self, marker: MarkerExpr) -> Provider:
        """A provider for the environments where ``marker`` holds. Cost: cheap (a view)."""
        ...


@record(frozen=True)
class UniversalPackage:
    """One pinned version and when it is needed.

    ``marker`` is None when the package is needed everywhere. ``parents`` pairs each package that
    requires it (None for the root, ``name[extra]`` for an extra) with the marker of that edge
    (None: always), over the forks where this version was chosen. ``extras`` are the extras chosen.
    """

    name: NormalizedName
    version: Version
    marker: str | None
    parents: list[tuple[str | None, str | None]]
    extras: frozenset[NormalizedName]


@record(frozen=True)
class UniversalResolution:
    """Every package of every fork. A package with different versions in different forks appears
    once per version, with disjoint markers. ``forks`` are the forks' markers when the resolution
    split (uv's ``resolution-markers``), else empty."""

    packages: list[UniversalPackage]
    forks: list[str]
    requires_python: str

    def versions(self, name: str) -> list[UniversalPackage]:
        key = canonicalize_name(name)
        return [package for package in self.packages if package.name == key]

    def pins(self) -> dict[str, list[tuple[str, str | None]]]:
        """``{name: [(version, marker), ...]}``, handy for comparisons."""
        result: dict[str, list[tuple[str, str | None]]] = {}
        for package in self.packages:
            result.setdefault(package.name, []).append((str(package.version), package.marker))
        return result


class ForkNoSolution(NoSolution):
    """No solution within one fork; ``fork`` is its marker, which the message names."""

    def __init__(self, failure: NoSolution, fork: str, extra_hints: Sequence[str] = ()) -> None:
        super().__init__(
            failure.incompatibility,
            versions=failure.versions,
            root_label=failure.root_label,
            python_version=failure.python_version,
            stats=failure.stats,
        )
        self.fork = fork
        self.hints = [*failure.hints, *extra_hints]
        self.hint = "\n".join(self.hints) if self.hints else None
        self.message = f"No solution found when resolving dependencies when {fork}:"
        self.args = (self.message,)


class _ForkNeeded(Exception):
    """Raised out of the solver: the fork must split on ``marker``; ``why_python`` says which version's
    Requires-Python asked for it (a split at a Python version), e.g. ``numpy==2.1 needs Python >=3.10``."""

    def __init__(self, marker: MarkerExpr, why_python: str | None = None) -> None:
        super().__init__("fork")
        self.marker = marker
        self.why_python = why_python


def marker_dependencies(
    requirements: Iterable[Requirement], fork: MarkerExpr = TRUE, *, extra: str | None = None
) -> tuple[Dependency, ...]:
    """PEP 508 requirements as dependencies with markers, keeping those that can apply in ``fork``.

    Without ``extra`` a requirement applies where its marker holds with no extra; with it, where it
    holds with the extra but not without (the extra's own requirements). A requirement on ``foo[x]``
    gives dependencies on ``foo`` and ``foo[x]``, as ``requirement_dependencies`` does. Raises
    ``ValueError`` for a marker that cannot be evaluated.
    """
    result: list[Dependency] = []
    name = canonicalize_name(extra) if extra else None
    for requirement in requirements:
        marker = parse(requirement.marker)
        without = marker.with_value("extra", "")
        edge = without if name is None else marker.with_value("extra", name) & ~without
        if edge.is_false or edge.is_disjoint(fork):
            continue
        stored = None if edge.is_true else edge
        specifier = SpecifierSet(str(requirement.specifier))
        result.append(Dependency(PackageId.dist(requirement.name), specifier, stored))
        for item in sorted(requirement.extras):
            result.append(Dependency(PackageId.dist(requirement.name, item), specifier, stored))
    return tuple(result)


def python_unavailable(requires_python: SpecifierSet, pythons: PythonRange) -> Unavailable | None:
    """Why a version with this ``Requires-Python`` cannot serve the interpreters ``pythons``, or None.

    Only the lower bound counts: ``<4`` must not make a package unusable (pip and uv agree). A version
    that fits only part of the range is unusable; uv would split the resolution on Python instead.
    """
    if pythons.is_subset(_lower_hull(str(requires_python))):
        return None
    return Unavailable(
        f"requires Python {requires_python}, but the resolution must support Python "
        f"{pythons.specifier_text()}",
        UnavailableKind.REQUIRES_PYTHON,
    )


@lru_cache(maxsize=4096)
def _lower_hull(requires_python: str) -> PythonRange:
    return PythonRange.from_specifier_set(SpecifierSet(requires_python)).lower_hull()


def _applies(dependency: Dependency, fork: MarkerExpr) -> bool:
    return dependency.marker is None or not dependency.marker.is_disjoint(fork)


def _split(dependencies: Sequence[Dependency], fork: MarkerExpr) -> MarkerExpr | None:
    """The marker to split ``fork`` on: that of the first dependency with a sibling on the same
    package under a disjoint marker and another specifier. None when the list needs no split."""
    groups: dict[PackageId, list[Dependency]] = {}
    for dependency in dependencies:
        if dependency.marker is not None:
            groups.setdefault(dependency.package, [])
    if not groups:
        return None
    for dependency in dependencies:
        if dependency.package in groups:
            groups[dependency.package].append(dependency)
    for group in groups.values():
        for index, first in enumerate(group):
            for second in group[index + 1 :]:
                if first.range == second.range:
                    continue
                left = (first.marker or TRUE) & fork
                if left.is_disjoint(second.marker or TRUE):
                    return first.marker
    return None


class _ForkView:
    """The solver's provider inside one fork: checks Requires-Python against the fork's interpreters,
    finds where the fork must split, and records each answer for the reachability markers."""

    def __init__(self, inner: Provider, fork: MarkerExpr, strategy: ForkStrategy) -> None:
        self.inner = inner
        self.fork = fork
        self.pythons = fork.python_range()
        self.strategy = strategy
        self.answers: dict[tuple[PackageId, Version], tuple[Dependency, ...]] = {}

    @property
    def python_version(self) -> Version | None:
        return None

    def available_versions(self, package: PackageId) -> Sequence[Version] | Unavailable:
        return self.inner.available_versions(package)

    def yanked(self, package: PackageId) -> Mapping[Version, str]:
        return self.inner.yanked(package)

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        self.inner.prefetch(names)

    def dependencies(self, package: PackageId, version: Version) -> Dependencies | Unavailable:
        answer = self.inner.dependencies(package, version)
        if isinstance(answer, Unavailable):
            return answer
        requires_python = answer.requires_python
        if requires_python is not None and package.extra is None:
            blocked = python_unavailable(requires_python, self.pythons)
            if blocked is not None:
                supported = self.pythons & _lower_hull(str(requires_python))
                if self.strategy is ForkStrategy.REQUIRES_PYTHON and not supported.is_empty:
                    hull = _lower_hull(str(requires_python))
                    why = f"{package}=={version} needs Python {hull.specifier_text()}"
                    raise _ForkNeeded(python_range_marker(hull), why)
                return blocked
        kept = tuple(d for d in answer.dependencies if _applies(d, self.fork))
        split = _split(kept, self.fork)
        if split is not None:
            raise _ForkNeeded(split)
        self.answers[(package, version)] = kept
        return Dependencies(kept, requires_python)


@record
class _Solved:
    fork: MarkerExpr
    resolution: Resolution
    view: _ForkView
    roots: tuple[Dependency, ...]


def resolve_universal(
    provider: ForkableProvider,
    requirements: Sequence[Dependency],
    *,
    constraints: Sequence[Dependency] = (),
    options: SolverOptions | None = None,
    requires_python: SpecifierSet,
    reporter: SolverReporter | None = None,
    fork_strategy: ForkStrategy = ForkStrategy.REQUIRES_PYTHON,
) -> UniversalResolution:
    """One resolution for every environment whose interpreter ``requires_python`` admits.

    ``requirements`` carry their markers on ``Dependency.marker`` (see :func:`marker_dependencies`).
    A constraint applies wholesale in each fork its marker can hold in. ``fork_strategy`` says
    whether a newer Python's newer versions split the fork (see :class:`ForkStrategy`). Raises ``NoSolution``
    (``ForkNoSolution``, naming the fork, once the resolution has split) or ``ResolutionTooComplex``.
    """
    settings = options or SolverOptions()
    base = python_marker(requires_python)
    if base.is_false:
        raise BaleError(f"requires-python {requires_python} admits no Python version")
    pending: list[MarkerExpr] = [base]
    solved: list[_Solved] = []
    preferred: dict[NormalizedName, Version] = {}
    python_splits: list[tuple[MarkerExpr, str]] = []  # (the newer Pythons' side, why)
    forks_made = 0
    while pending:
        fork = pending.pop(0)
        roots = tuple(d for d in requirements if _applies(d, fork))
        split = _split(roots, fork)
        if split is None:
            view = _ForkView(provider.for_fork(fork), fork, fork_strategy)
            carried = _carried_preferences(preferred, roots, settings.strategy)
            fork_options = replace(settings, preferences={**carried, **settings.preferences})
            try:
                resolution = solve(
                    view,
                    roots,
                    constraints=[c for c in constraints if _applies(c, fork)],
                    options=fork_options,
                    reporter=reporter,
                )
            except _ForkNeeded as needed:
                split = needed.marker
                if needed.why_python is not None:
                    python_splits.append((split, needed.why_python))
            except NoSolution as failure:
                if fork == base:
                    raise
                hints = _requires_python_hints(fork, python_splits, requires_python)
                raise ForkNoSolution(failure, _fork_text(fork, requires_python), hints) from failure
            else:
                solved.append(_Solved(fork, resolution, view, roots))
                for name, version in resolution.versions.items():
                    preferred.setdefault(name, version)
                continue
        forks_made += 1
        if forks_made > MAX_FORKS:
            raise BaleError(
                f"Universal resolution split into more than {MAX_FORKS} forks",
                context=[f"last split: {_fork_text(fork, requires_python)} on {split}"],
            )
        pending[0:0] = [fork & split, fork & ~split]
    return _merge(solved, requires_python)


def _carried_preferences(
    preferred: Mapping[NormalizedName, Version], roots: Sequence[Dependency], strategy: Strategy
) -> Mapping[NormalizedName, Version]:
    """What earlier forks chose, as preferences for this one, except where the strategy decides.

    Under ``lowest-direct`` a requirement is direct only in the forks its marker reaches: there it
    takes its lowest version even when an earlier fork, where it was transitive, took the highest.
    """
    if strategy is Strategy.LOWEST:
        return {}
    if strategy is Strategy.LOWEST_DIRECT:
        direct = {root.package.name for root in roots}
        return {name: version for name, version in preferred.items() if name not in direct}
    return preferred


def _requires_python_hints(
    fork: MarkerExpr, python_splits: Sequence[tuple[MarkerExpr, str]], requires_python: SpecifierSet
) -> list[str]:
    """uv's advice for a fork of older Pythons that has no solution: narrow ``requires-python``."""
    for newer, why in python_splits:
        if fork.is_disjoint(newer):
            bound = newer.python_range().specifier_text()
            return [
                f"requires-python ({requires_python}) includes Python versions that the newer releases "
                f"do not support ({why}); consider raising requires-python (to {bound})"
            ]
    return []


def _fork_text(fork: MarkerExpr, requires_python: SpecifierSet) -> str:
    return restrict_python(fork, requires_python).to_string() or "(all environments)"


# -- merging forks -----------------------------------------------------------------------------------


def _label(package: PackageId) -> str | None:
    if package.is_root:
        return None
    return str(package)


def _reachability(solved: _Solved) -> dict[PackageId, MarkerExpr]:
    """When each chosen package (and chosen extra) is needed in this fork, to a fixpoint (cycles)."""
    resolution = solved.resolution
    chosen: dict[PackageId, Version] = {}
    for name, version in resolution.versions.items():
        chosen[PackageId.dist(name)] = version
        for extra in resolution.extras.get(name, ()):
            chosen[PackageId.dist(name, extra)] = version
    edges: list[tuple[PackageId, PackageId, MarkerExpr]] = []
    root = PackageId.root()
    for dependency in solved.roots:
        if dependency.package in chosen:
            edges.append((root, dependency.package, dependency.marker or TRUE))
    for package, version in chosen.items():
        for dependency in solved.view.answers.get((package, version), ()):
            if dependency.package in chosen:
                edges.append((package, dependency.package, dependency.marker or TRUE))
        if package.extra is not None:
            edges.append((package, package.base, TRUE))
    reach: dict[PackageId, MarkerExpr] = {root: solved.fork}
    changed = True
    while changed:
        changed = False
        for source, target, marker in edges:
            from_source = reach.get(source)
            if from_source is None:
                continue
            before = reach.get(target, FALSE)
            after = before | (from_source & marker)
            if after != before:
                reach[target] = after
                changed = True
    return reach


@record
class _Entry:
    marker: MarkerExpr
    extras: set[NormalizedName]
    parents: dict[str | None, MarkerExpr]


def _merge(solved: list[_Solved], requires_python: SpecifierSet) -> UniversalResolution:
    entries: dict[tuple[NormalizedName, Version], _Entry] = {}
    for item in solved:
        reach = _reachability(item)
        resolution = item.resolution
        for name, version in resolution.versions.items():
            needed = reach.get(PackageId.dist(name), FALSE)
            if needed.is_false:
                continue
            entry = entries.setdefault((name, version), _Entry(FALSE, set(), {}))
            entry.marker = entry.marker | needed
            entry.extras.update(
                extra
                for extra in resolution.extras.get(name, ())
                if not reach.get(PackageId.dist(name, extra), FALSE).is_false
            )
        for dependency in item.roots:
            _add_parent(entries, resolution, PackageId.root(), dependency)
        for (package, version), dependencies in item.view.answers.items():
            source = reach.get(package, FALSE)
            if resolution.versions.get(package.name) != version or source.is_false:
                continue
            for dependency in dependencies:
                _add_parent(entries, resolution, package, dependency)
    packages = []
    for (name, version), entry in sorted(entries.items()):
        parents = [
            (label, _marker_text(marker, requires_python))
            for label, marker in sorted(entry.parents.items(), key=lambda item: item[0] or "")
        ]
        packages.append(
            UniversalPackage(
                name=name,
                version=version,
                marker=_marker_text(entry.marker, requires_python),
                parents=parents,
                extras=frozenset(entry.extras),
            )
        )
    forks = [_fork_text(item.fork, requires_python) for item in solved] if len(solved) > 1 else []
    return UniversalResolution(packages, forks, str(requires_python))


def _add_parent(
    entries: dict[tuple[NormalizedName, Version], _Entry],
    resolution: Resolution,
    source: PackageId,
    dependency: Dependency,
) -> None:
    target = dependency.package
    if target.extra is not None or target.kind is not PackageKind.DIST or source.name == target.name:
        return
    version = resolution.versions.get(target.name)
    entry = entries.get((target.name, version)) if version is not None else None
    if entry is None:
        return
    label = _label(source)
    marker = dependency.marker or TRUE
    entry.parents[label] = entry.parents.get(label, FALSE) | marker


def _marker_text(marker: MarkerExpr, requires_python: SpecifierSet) -> str | None:
    return restrict_python(marker, requires_python).to_string() or None
