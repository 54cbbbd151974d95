"""The PubGrub solver: unit propagation, decisions, and conflict-driven learning with backjumping."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from enum import Enum
from typing import Protocol

from packaging.ranges import VersionRange
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from bale.errors import BaleError
from bale.model.record import record
from bale.resolver.candidates import PreReleases, PreReleaseSelection, prerelease_selection, python_allows
from bale.resolver.incompatibility import (
    ConstraintCause,
    DependencyCause,
    DerivedCause,
    Incompatibility,
    NoVersionsCause,
    RequiresPythonCause,
    RootCause,
    UnavailableCause,
)
from bale.resolver.partial import PartialSolution
from bale.resolver.provider import (
    ROOT_VERSION,
    Dependency,
    PackageId,
    PackageKind,
    Provider,
    Unavailable,
    full_range,
)
from bale.resolver.term import Term, forget_memos

__all__ = [
    "NoSolution",
    "NullSolverReporter",
    "Resolution",
    "ResolutionTooComplex",
    "SolverOptions",
    "SolverReporter",
    "SolverStats",
    "Strategy",
    "Via",
    "solve",
]


class Strategy(Enum):
    """Which version to try first: uv's ``--resolution`` values."""

    HIGHEST = "highest"
    LOWEST = "lowest"
    LOWEST_DIRECT = "lowest-direct"


@record(frozen=True)
class SolverOptions:
    """How to choose among the versions a range allows.

    ``preferences`` (an existing lock, installed versions) are tried first when in range and usable.
    Pre-releases follow ``prereleases``, or ``package_prereleases`` for the packages it names: unless
    allowed outright, a stable version in range always wins and pre-releases are tried only once no
    stable version is left; under ``explicit`` only packages whose root requirement names a
    pre-release (``>=2.0b1``) may use one. A yanked version is used only when a root requirement pins
    it exactly (``==V``). ``max_steps`` bounds decisions plus conflict-resolution steps.
    """

    strategy: Strategy = Strategy.HIGHEST
    prereleases: PreReleases = PreReleases.IF_NECESSARY
    package_prereleases: Mapping[NormalizedName, PreReleases] = field(default_factory=dict)
    preferences: Mapping[NormalizedName, Version] = field(default_factory=dict)
    max_steps: int = 200_000
    root_label: str | None = None


class SolverReporter(Protocol):
    """Observes the search (for ``-v``). Called synchronously from the solver; keep it cheap."""

    def decision(self, package: PackageId, version: Version, level: int) -> None:
        """``package`` is tried at ``version``, opening decision ``level``."""
        ...

    def conflict(self, incompatibility: Incompatibility) -> None:
        """A conflict was resolved into ``incompatibility`` (learned, or the final failure)."""
        ...

    def backtrack(self, level: int) -> None:
        """Decisions above ``level`` were undone."""
        ...


class NullSolverReporter:
    """The default reporter: ignores everything."""

    def decision(self, package: PackageId, version: Version, level: int) -> None:
        pass

    def conflict(self, incompatibility: Incompatibility) -> None:
        pass

    def backtrack(self, level: int) -> None:
        pass


@record(frozen=True, slots=True)
class Via:
    """Why a package is in the resolution: ``parent`` (the root, a package or ``pkg[extra]``) requires it."""

    parent: PackageId
    requirement: Dependency


@record(frozen=True, slots=True)
class SolverStats:
    """How much work a resolution took. ``decisions`` includes the root's; ``steps`` is what
    ``max_steps`` bounds (decision rounds plus conflict-resolution steps); ``propagations`` counts
    incompatibilities examined."""

    decisions: int = 0
    conflicts: int = 0
    backtracks: int = 0
    propagations: int = 0
    steps: int = 0
    incompatibilities: int = 0


@record(frozen=True)
class Resolution:
    """The chosen version of each distribution, the extras used, and who required what."""

    versions: Mapping[NormalizedName, Version]
    extras: Mapping[NormalizedName, frozenset[NormalizedName]]
    parents: Mapping[NormalizedName, tuple[Via, ...]]
    stats: SolverStats

    def __getitem__(self, name: str) -> Version:
        return self.versions[canonicalize_name(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonicalize_name(name) in self.versions

    def __len__(self) -> int:
        return len(self.versions)

    def pins(self) -> dict[str, str]:
        """``{name: "version"}``, handy for comparisons."""
        return {name: str(version) for name, version in sorted(self.versions.items())}


class NoSolution(BaleError):
    """No set of versions satisfies the requirements; ``incompatibility`` is the root of the proof."""

    def __init__(
        self,
        incompatibility: Incompatibility,
        *,
        versions: Mapping[PackageId, Sequence[Version]],
        root_label: str | None = None,
        python_version: Version | None = None,
        prereleases: PreReleases | None = None,
        stats: SolverStats = SolverStats(),
    ) -> None:
        from bale.resolver import report

        self.incompatibility = incompatibility
        self.versions = versions
        self.root_label = root_label
        self.python_version = python_version
        self.stats = stats
        self.explanation = report.explain(incompatibility, root_label=root_label, versions=versions)
        self.hints = report.hints(
            incompatibility, versions=versions, python_version=python_version, prereleases=prereleases
        )
        super().__init__(
            "No solution found when resolving dependencies:",
            context=self.explanation.splitlines(),
            hint="\n".join(self.hints) if self.hints else None,
        )


class ResolutionTooComplex(BaleError):
    """The search took more than ``max_steps``; ``packages`` are those in the most conflicts."""

    def __init__(self, steps: int, packages: Sequence[tuple[PackageId, int]], stats: SolverStats) -> None:
        self.steps = steps
        self.packages = tuple(packages)
        self.stats = stats
        names = ", ".join(f"{package} ({count})" for package, count in self.packages)
        super().__init__(
            f"Dependency resolution gave up after {steps} steps: the search is too complex.",
            context=[f"packages in the most conflicts: {names}"] if names else [],
            hint="constrain or pin some of these packages to narrow the search",
        )


class _Solver:
    def __init__(
        self,
        provider: Provider,
        requirements: Sequence[Dependency],
        constraints: Sequence[Dependency],
        options: SolverOptions,
        reporter: SolverReporter,
    ) -> None:
        self._provider = provider
        self._requirements = tuple(requirements)
        self._constraints = tuple(constraints)
        self._options = options
        self._reporter = reporter
        self._python = provider.python_version
        self._solution = PartialSolution()
        self._incompatibilities: dict[PackageId, list[Incompatibility]] = {}
        self._dependency_incompatibilities: dict[tuple[PackageId, PackageId], list[Incompatibility]] = {}
        self._versions: dict[PackageId, tuple[Version, ...]] = {}
        self._listing_unavailable: dict[PackageId, Unavailable] = {}
        self._yanked: dict[PackageId, Mapping[Version, str]] = {}
        self._dependencies: dict[tuple[PackageId, Version], tuple[Dependency, ...]] = {}
        self._counts: dict[PackageId, tuple[Term, int]] = {}
        # (pick key, tiebreak, package, the term the key was computed for): entries whose term or
        # place is no longer current are dropped when they reach the top (see ``_pick``).
        self._picks: list[tuple[tuple[int, int, int, int], int, PackageId, Term]] = []
        self._pushes = 0
        self._direct = {dep.package.name for dep in requirements if dep.package.kind is PackageKind.DIST}
        # uv's "first-party" requirements: only the root's own can opt a package into pre-releases.
        self._explicit_prereleases = {
            dep.package.name for dep in (*requirements, *constraints) if dep.names_prerelease
        }
        self._exact_pins: dict[NormalizedName, set[Version]] = {}
        for dep in requirements:
            pinned = dep.exact_version
            if pinned is not None:
                self._exact_pins.setdefault(dep.package.name, set()).add(pinned)
        self._conflicts: Counter[PackageId] = Counter()
        # id -> (incompatibility, level): the object is kept so that a recycled id cannot match.
        self._contradicted: dict[int, tuple[Incompatibility, int]] = {}
        self._stats = {"decisions": 0, "conflicts": 0, "backtracks": 0, "propagations": 0, "steps": 0}
        self._incompatibility_count = 0

    # -- main loop ---------------------------------------------------------------------------------

    def run(self) -> Resolution:
        root = PackageId.root()
        self._add(Incompatibility([Term(root, full_range()).negate()], RootCause()))
        names = [dep.package.name for dep in self._requirements if dep.package.kind is PackageKind.DIST]
        if names:
            self._provider.prefetch(list(dict.fromkeys(names)))
        package: PackageId | None = root
        while package is not None:
            self._propagate(package)
            self._step()
            package = self._decide_next()
        return self._resolution()

    def _step(self) -> None:
        self._stats["steps"] += 1
        if self._stats["steps"] > self._options.max_steps:
            top = [(package, count) for package, count in self._conflicts.most_common(5)]
            raise ResolutionTooComplex(self._options.max_steps, top, self._current_stats())

    def _current_stats(self) -> SolverStats:
        return SolverStats(incompatibilities=self._incompatibility_count, **self._stats)

    def _add(self, incompatibility: Incompatibility) -> None:
        self._incompatibility_count += 1
        for package in incompatibility.packages:
            self._incompatibilities.setdefault(package, []).append(incompatibility)

    def _remove(self, incompatibility: Incompatibility) -> None:
        for package in incompatibility.packages:
            bucket = self._incompatibilities[package]
            for index, candidate in enumerate(bucket):
                if candidate is incompatibility:
                    del bucket[index]
                    break

    # -- unit propagation --------------------------------------------------------------------------

    def _propagate(self, package: PackageId) -> None:
        changed = [package]
        # What ``changed`` holds, by identity: a list scan with the record __eq__ cost 0.17 s of a
        # 400-package universal resolve, where one propagation queues hundreds. Ids are interned per
        # spelling, so an equal id spelled otherwise may be queued twice: propagating it again only
        # finds nothing new.
        queued = {id(package)}
        while changed:
            current = changed.pop()
            queued.discard(id(current))
            level = self._solution.level
            for incompatibility in reversed(list(self._incompatibilities.get(current, ()))):
                seen = self._contradicted.get(id(incompatibility))
                if seen is not None and seen[0] is incompatibility:
                    continue
                self._stats["propagations"] += 1
                result = self._relation(incompatibility)
                if result is None:
                    # Stays contradicted until a backtrack undoes this level (pubgrub-rs keeps the
                    # same record): most incompatibilities are, and skipping them halves solve time.
                    self._contradicted[id(incompatibility)] = (incompatibility, level)
                    continue
                if result is True:
                    root_cause = self._resolve_conflict(incompatibility)
                    unsatisfied = self._relation(root_cause)
                    assert isinstance(unsatisfied, Term), "a learned incompatibility must be almost satisfied"
                    self._solution.derive(unsatisfied.negate(), root_cause)
                    changed = [unsatisfied.package]
                    queued = {id(unsatisfied.package)}
                    break
                if result is not False:
                    self._solution.derive(result.negate(), incompatibility)
                    self._contradicted[id(incompatibility)] = (incompatibility, self._solution.level)
                    if id(result.package) not in queued:
                        queued.add(id(result.package))
                        changed.append(result.package)

    def _relation(self, incompatibility: Incompatibility) -> Term | bool | None:
        """True when satisfied (a conflict), the one open term when almost satisfied, None when
        contradicted, False when two or more terms are open."""
        unsatisfied: Term | None = None
        solution = self._solution
        for term in incompatibility.terms:
            decided = solution.decided_version(term.package)
            if decided is not None:
                # A decided package's term is its version: one membership test instead of range algebra.
                if term.allowed.contains(decided):
                    continue
                return None
            known = solution.term(term.package)
            if known is None:
                if unsatisfied is not None:
                    return False
                unsatisfied = term
                continue
            if known.satisfies(term):
                continue
            if known.is_disjoint(term):
                return None
            if unsatisfied is not None:
                return False
            unsatisfied = term
        return True if unsatisfied is None else unsatisfied

    # -- conflict resolution -----------------------------------------------------------------------

    def _resolve_conflict(self, incompatibility: Incompatibility) -> Incompatibility:
        self._stats["conflicts"] += 1
        learned = False
        while not incompatibility.is_failure:
            self._step()
            for package in incompatibility.packages:
                self._conflicts[package] += 1
            satisfier, previous_level = self._solution.satisfier(incompatibility)
            if satisfier.is_decision or previous_level < satisfier.level:
                if learned:
                    self._add(incompatibility)
                self._reporter.conflict(incompatibility)
                self._solution.backtrack(previous_level)
                self._contradicted = {
                    key: entry for key, entry in self._contradicted.items() if entry[1] <= previous_level
                }
                self._counts.clear()
                self._stats["backtracks"] += 1
                self._reporter.backtrack(previous_level)
                return incompatibility
            package = satisfier.term.package
            term = incompatibility.term(package)
            assert term is not None and satisfier.cause is not None
            prior = [t for t in incompatibility.terms if t.package != package]
            prior.extend(t for t in satisfier.cause.terms if t.package != package)
            if not satisfier.term.satisfies(term):
                prior.append(satisfier.term.difference(term).negate())
            incompatibility = Incompatibility(prior, DerivedCause(incompatibility, satisfier.cause))
            learned = True
        self._reporter.conflict(incompatibility)
        versions: dict[PackageId, Sequence[Version]] = dict(self._versions)
        if self._python is not None:
            versions[PackageId.python()] = (self._python,)
        raise NoSolution(
            incompatibility,
            versions=versions,
            root_label=self._options.root_label,
            python_version=self._python,
            prereleases=self._options.prereleases,
            stats=self._current_stats(),
        )

    # -- decisions ---------------------------------------------------------------------------------

    def _decide_next(self) -> PackageId | None:
        package = self._pick()
        if package is None:
            return None
        term = self._solution.term(package)
        assert term is not None
        if package.is_root:
            version = ROOT_VERSION
        else:
            listing = self._listing(package)
            if isinstance(listing, Unavailable):
                cause = UnavailableCause(listing.reason, listing.kind)
                self._add(Incompatibility([Term(package, full_range())], cause))
                return package
            chosen, no_versions = self._choose(package, term.allowed)
            if chosen is None:
                self._add(Incompatibility([Term(package, term.allowed)], no_versions))
                return package
            version = chosen
        self._add_dependencies(package, version)
        if not self._would_conflict(package, version):
            self._solution.decide(package, version, _singleton(version))
            self._stats["decisions"] += 1
            self._reporter.decision(package, version, self._solution.level)
        return package

    def _would_conflict(self, package: PackageId, version: Version) -> bool:
        """Deciding ``version`` would satisfy a known incompatibility (PubGrub: decide only if it doesn't)."""
        for incompatibility in self._incompatibilities.get(package, ()):
            own = incompatibility.term(package)
            if own is None or not own.positive or not own.allowed.contains(version):
                continue
            if all(
                self._solution.satisfies(term) for term in incompatibility.terms if term.package != package
            ):
                return True
        return False

    def _pick(self) -> PackageId | None:
        """The next undecided package: root and Python first, then fewest usable versions in range
        (pins and dead ends surface early), direct ones before, then the order they came up in.

        A heap keyed so, fed with the packages whose term changed: the same pick as scanning every
        undecided package each time, which cost O(packages) per decision (a million counts for 525
        packages over a universal resolve's forks).
        """
        solution = self._solution
        for package in dict.fromkeys(solution.drain_changed()):
            term = solution.term(package)
            if term is None or not term.positive or solution.is_decided(package):
                continue
            seq = solution.seq(package)
            if package.is_root or package.is_python:
                key = (-1, 0, 0, seq)
            else:
                count = self._count(package)
                key = (0 if count <= 1 else 1, 0 if package.name in self._direct else 1, count, seq)
            self._pushes += 1
            heapq.heappush(self._picks, (key, self._pushes, package, term))
        picks = self._picks
        while picks:
            key, _, package, term = picks[0]
            if (
                solution.term(package) is term
                and not solution.is_decided(package)
                and solution.seq(package) == key[3]
            ):
                return package
            heapq.heappop(picks)
        return None

    def _count(self, package: PackageId) -> int:
        term = self._solution.term(package)
        assert term is not None
        cached = self._counts.get(package)
        if cached is not None and cached[0] is term:
            return cached[1]
        listing = self._listing(package)
        count = 0 if isinstance(listing, Unavailable) else sum(1 for v in listing if term.allowed.contains(v))
        self._counts[package] = (term, count)
        return count

    def _listing(self, package: PackageId) -> tuple[Version, ...] | Unavailable:
        if package.is_python:
            return (self._python,) if self._python is not None else ()
        base = package.base
        unavailable = self._listing_unavailable.get(base)
        if unavailable is not None:
            return unavailable
        versions = self._versions.get(base)
        if versions is None:
            listed = self._provider.available_versions(base)
            if isinstance(listed, Unavailable):
                self._listing_unavailable[base] = listed
                return listed
            # A provider may give its own order to try versions in (uv's unsafe-first-match: index by index).
            in_order = getattr(listed, "in_priority_order", False)
            versions = tuple(dict.fromkeys(listed)) if in_order else tuple(sorted(set(listed), reverse=True))
            self._versions[base] = versions
            self._yanked[base] = self._provider.yanked(base)
        return versions

    def _choose(self, package: PackageId, allowed: VersionRange) -> tuple[Version | None, NoVersionsCause]:
        """The version to try for ``package`` within ``allowed``, or why there is none."""
        listing = self._listing(package)
        assert not isinstance(listing, Unavailable)
        name = package.name
        yanked = self._yanked.get(package.base, {}) if not package.is_python else {}
        pins = self._exact_pins.get(name, set())
        usable: list[Version] = []
        yanked_out: list[tuple[Version, str]] = []
        for version in listing:
            if not allowed.contains(version):
                continue
            reason = yanked.get(version)
            if reason is not None and version not in pins:
                yanked_out.append((version, reason))
                continue
            usable.append(version)
        prereleases_out: list[Version] = []
        selection = PreReleaseSelection.ALLOW if package.is_python else self._prerelease_selection(name)
        if selection is not PreReleaseSelection.ALLOW:
            finals = [version for version in usable if not version.is_prerelease]
            # Prefer-stable keeps pre-releases in the universe (so learned incompatibilities stay
            # valid) and reaches them once incompatibilities have excluded every stable version.
            if finals or selection is PreReleaseSelection.DISALLOW:
                prereleases_out = [version for version in usable if version.is_prerelease]
                usable = finals
        if not usable:
            return None, NoVersionsCause(tuple(prereleases_out), tuple(yanked_out))
        preferred = self._options.preferences.get(name)
        if preferred is not None and preferred in usable:
            return preferred, NoVersionsCause()
        if package.extra is not None:
            base_version = self._solution.decided_version(package.base)
            if base_version is not None and base_version in usable:
                return base_version, NoVersionsCause()
        strategy = self._options.strategy
        lowest = strategy is Strategy.LOWEST or (strategy is Strategy.LOWEST_DIRECT and name in self._direct)
        return (usable[-1] if lowest else usable[0]), NoVersionsCause()

    def _prerelease_selection(self, name: NormalizedName) -> PreReleaseSelection:
        policy = self._options.package_prereleases.get(name, self._options.prereleases)
        return prerelease_selection(policy, name in self._explicit_prereleases)

    # -- dependencies ------------------------------------------------------------------------------

    def _add_dependencies(self, package: PackageId, version: Version) -> None:
        key = (package, version)
        if key in self._dependencies:
            return
        dependencies: list[Dependency]
        if package.is_root:
            dependencies = list(self._requirements)
            for constraint in self._constraints:
                target = constraint.package.base
                terms = [Term(package, full_range()), Term(target, ~constraint.range & full_range())]
                self._add(Incompatibility(terms, ConstraintCause(target)))
        elif package.is_python:
            dependencies = []
        else:
            answer = self._provider.dependencies(package, version)
            if isinstance(answer, Unavailable):
                self._dependencies[key] = ()
                cause = UnavailableCause(answer.reason, answer.kind)
                self._add(Incompatibility([Term(package, _singleton(version))], cause))
                return
            requires_python = answer.requires_python
            if (
                package.extra is None
                and requires_python is not None
                and self._python is not None
                and not python_allows(requires_python, self._python)
            ):
                self._dependencies[key] = ()
                python_cause = RequiresPythonCause(str(requires_python), self._python)
                self._add(Incompatibility([Term(package, _singleton(version))], python_cause))
                return
            dependencies = list(answer.dependencies)
            if package.extra is not None:
                dependencies.insert(0, Dependency(package.base, _singleton(version)))
        self._dependencies[key] = tuple(dependencies)
        names = [d.package.name for d in dependencies if d.package.kind is PackageKind.DIST]
        if names:
            self._provider.prefetch(list(dict.fromkeys(names)))
        grouped: dict[PackageId, VersionRange] = {}
        for dependency in dependencies:
            if dependency.package.is_python and self._python is None:
                continue
            previous = grouped.get(dependency.package)
            grouped[dependency.package] = (
                dependency.range if previous is None else previous & dependency.range
            )
        for target, allowed in grouped.items():
            if target == package and allowed.contains(version):
                continue  # a package requiring itself (through an extra, say) adds nothing
            self._add_dependency(package, version, target, allowed)

    def _add_dependency(
        self, package: PackageId, version: Version, target: PackageId, allowed: VersionRange
    ) -> None:
        """Add ``{package==version, not target in allowed}``, merged with the same dependency of other
        versions: the explanation can then say "every version of a>=2 depends on b<1"."""
        required = Term(target, allowed).negate()
        cause = DependencyCause(package, target)
        bucket = self._dependency_incompatibilities.setdefault((package, target), [])
        for index, existing in enumerate(bucket):
            if existing.term(target) == required:
                own = existing.term(package)
                assert own is not None
                merged = Incompatibility([Term(package, own.allowed | _singleton(version)), required], cause)
                self._remove(existing)
                self._add(merged)
                bucket[index] = merged
                return
        incompatibility = Incompatibility([Term(package, _singleton(version)), required], cause)
        bucket.append(incompatibility)
        self._add(incompatibility)

    # -- result ------------------------------------------------------------------------------------

    def _resolution(self) -> Resolution:
        decisions = self._solution.decisions
        versions: dict[NormalizedName, Version] = {}
        extras: dict[NormalizedName, set[NormalizedName]] = {}
        for package, version in decisions.items():
            if package.kind is not PackageKind.DIST:
                continue
            if package.extra is None:
                versions[package.name] = version
            else:
                extras.setdefault(package.name, set()).add(package.extra)
        parents: dict[NormalizedName, list[Via]] = {}
        seen: set[tuple[PackageId, NormalizedName]] = set()
        for package, version in decisions.items():
            for dependency in self._dependencies.get((package, version), ()):
                target = dependency.package
                if target.kind is not PackageKind.DIST or target.name not in versions:
                    continue
                if package.extra is not None and target == package.base:
                    continue  # the link of an extra to its own distribution is not a requirement
                if (package, target.name) in seen:
                    continue
                seen.add((package, target.name))
                parents.setdefault(target.name, []).append(Via(package, dependency))
        return Resolution(
            versions=dict(sorted(versions.items())),
            extras={name: frozenset(values) for name, values in sorted(extras.items())},
            parents={name: tuple(values) for name, values in sorted(parents.items())},
            stats=self._current_stats(),
        )


def _singleton(version: Version) -> VersionRange:
    return VersionRange.singleton(version, prereleases=True)


def solve(
    provider: Provider,
    requirements: Iterable[Dependency],
    *,
    constraints: Iterable[Dependency] = (),
    options: SolverOptions = SolverOptions(),
    reporter: SolverReporter | None = None,
) -> Resolution:
    """Choose one version of every package reachable from ``requirements``.

    ``constraints`` restrict versions of packages without requiring them. Raises ``NoSolution``
    (with the explanation) or ``ResolutionTooComplex``.
    """
    solver = _Solver(
        provider, list(requirements), list(constraints), options, reporter or NullSolverReporter()
    )
    try:
        return solver.run()
    finally:
        forget_memos()
