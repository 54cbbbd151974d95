"""An in-memory universe whose provider answers for a fork of environments (universal resolution)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from bale.markers import TRUE, MarkerExpr
from bale.resolver.provider import Dependencies, Dependency, PackageId, Unavailable, UnavailableKind
from bale.resolver.scenario import ScenarioProvider, ScenarioVersion, Universe
from bale.resolver.solver import NoSolution, SolverOptions
from bale.resolver.universal import ForkStrategy, UniversalResolution, marker_dependencies, resolve_universal


@dataclass
class UniversalScenarioProvider:
    """A :class:`bale.resolver.universal.ForkableProvider` over a declared universe.

    ``forks`` records the marker of every fork asked for, ``calls`` every dependencies question.
    """

    universe: Mapping[NormalizedName, Mapping[Version, ScenarioVersion]]
    fork: MarkerExpr = TRUE
    forks: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, universe: Universe) -> UniversalScenarioProvider:
        return cls(ScenarioProvider.from_dict(universe).universe)

    def for_fork(self, marker: MarkerExpr) -> UniversalScenarioProvider:
        self.forks.append(str(marker))
        return UniversalScenarioProvider(self.universe, marker, self.forks, self.calls)

    @property
    def python_version(self) -> Version | None:
        return None

    def available_versions(self, package: PackageId) -> Sequence[Version] | Unavailable:
        versions = self.universe.get(package.name)
        if versions is None:
            return Unavailable("was not found in the package index", UnavailableKind.NOT_FOUND)
        return sorted(versions, reverse=True)

    def yanked(self, package: PackageId) -> Mapping[Version, str]:
        versions = self.universe.get(package.name, {})
        return {version: info.yanked for version, info in versions.items() if info.yanked is not None}

    def dependencies(self, package: PackageId, version: Version) -> Dependencies | Unavailable:
        self.calls.append((str(package), str(version)))
        info = self.universe[package.name][version]
        if info.unavailable is not None:
            return Unavailable(info.unavailable, UnavailableKind.OTHER)
        found = marker_dependencies(info.requires, self.fork, extra=package.extra)
        return Dependencies(found, info.requires_python)

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        pass


def roots(requirements: Iterable[str]) -> tuple[Dependency, ...]:
    return marker_dependencies(Requirement(text) for text in requirements)


def resolve(
    universe: Universe | UniversalScenarioProvider,
    requirements: Sequence[str],
    *,
    requires_python: str = ">=3.8",
    constraints: Sequence[str] = (),
    options: SolverOptions | None = None,
    fork_strategy: ForkStrategy = ForkStrategy.REQUIRES_PYTHON,
) -> UniversalResolution:
    provider = (
        universe
        if isinstance(universe, UniversalScenarioProvider)
        else UniversalScenarioProvider.from_dict(universe)
    )
    return resolve_universal(
        provider,
        roots(requirements),
        constraints=roots(constraints),
        options=options or SolverOptions(),
        requires_python=SpecifierSet(requires_python),
        fork_strategy=fork_strategy,
    )


def failure(universe: Universe, requirements: Sequence[str], **kwargs: object) -> NoSolution:
    try:
        result = resolve(universe, requirements, **kwargs)  # type: ignore[arg-type]
    except NoSolution as error:
        return error
    raise AssertionError(f"expected a failure, got {result.pins()}")
