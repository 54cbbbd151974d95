"""An in-memory package universe declared in a few lines, and a provider over it (for tests)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from bale.model.record import record
from bale.resolver.provider import (
    Dependencies,
    Dependency,
    PackageId,
    Unavailable,
    UnavailableKind,
    requirement_dependencies,
)
from bale.resolver.solver import (
    NoSolution,
    Resolution,
    SolverOptions,
    SolverReporter,
    solve,
)

__all__ = ["ScenarioProvider", "ScenarioVersion", "Universe", "marker_environment", "solve_scenario"]

# {"a": {"1.0": ["b>=1"], "2.0": {"requires": [...], "requires_python": ">=3.12", "yanked": True}}}
Universe = Mapping[str, Mapping[str, Sequence[str] | Mapping[str, object]]]

_KEYS = {"requires", "requires_python", "yanked", "unavailable"}


@record(frozen=True)
class ScenarioVersion:
    """One declared version: its requirements, ``Requires-Python``, yank reason, or unavailability."""

    requires: tuple[Requirement, ...] = ()
    requires_python: SpecifierSet | None = None
    yanked: str | None = None  # the reason ("" for none); None when not yanked
    unavailable: str | None = None  # e.g. "has no wheel for this platform"


def _parse_version(name: str, text: str, value: Sequence[str] | Mapping[str, object]) -> ScenarioVersion:
    if isinstance(value, Mapping):
        unknown = set(value) - _KEYS
        if unknown:
            raise ValueError(f"{name} {text}: unknown keys {sorted(unknown)} (known: {sorted(_KEYS)})")
        requires = value.get("requires", ())
        requires_python = value.get("requires_python")
        yanked = value.get("yanked", False)
        unavailable = value.get("unavailable")
    else:
        requires, requires_python, yanked, unavailable = value, None, False, None
    if isinstance(requires, str) or not isinstance(requires, Iterable):
        raise ValueError(f"{name} {text}: 'requires' must be a list of requirement strings")
    return ScenarioVersion(
        requires=tuple(Requirement(str(item)) for item in requires),
        requires_python=SpecifierSet(str(requires_python)) if requires_python else None,
        yanked=(yanked if isinstance(yanked, str) else "") if yanked else None,
        unavailable=str(unavailable) if unavailable else None,
    )


def marker_environment(python: str | Version) -> dict[str, str]:
    """A fixed Linux/CPython marker environment for ``python`` (no reading of the running interpreter)."""
    version = Version(str(python))
    release = [*version.release, 0, 0]
    full = f"{release[0]}.{release[1]}.{release[2]}"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": full,
        "python_version": f"{release[0]}.{release[1]}",
        "sys_platform": "linux",
    }


@record
class ScenarioProvider:
    """A :class:`~bale.resolver.provider.Provider` over a declared universe.

    Records every call in ``calls`` (``("versions", name)``, ``("dependencies", "a[x]", "1.0")``,
    ``("prefetch", names)``) so tests can check what the solver asked for.
    """

    universe: Mapping[NormalizedName, Mapping[Version, ScenarioVersion]]
    python: Version | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    @classmethod
    def from_dict(
        cls,
        universe: Universe,
        *,
        python: str | None = "3.12",
        environment: Mapping[str, str] | None = None,
    ) -> ScenarioProvider:
        parsed: dict[NormalizedName, dict[Version, ScenarioVersion]] = {}
        for name, versions in universe.items():
            entries = parsed.setdefault(canonicalize_name(name), {})
            for text, value in versions.items():
                entries[Version(text)] = _parse_version(name, text, value)
        env = dict(environment) if environment is not None else marker_environment(python or "3.12")
        return cls(parsed, Version(python) if python else None, env)

    @property
    def python_version(self) -> Version | None:
        return self.python

    def available_versions(self, package: PackageId) -> Sequence[Version] | Unavailable:
        self.calls.append(("versions", str(package)))
        versions = self.universe.get(package.name)
        if versions is None:
            return Unavailable("was not found in the package index", UnavailableKind.NOT_FOUND)
        return sorted(versions, reverse=True)

    def yanked(self, package: PackageId) -> Mapping[Version, str]:
        versions = self.universe.get(package.name, {})
        return {version: info.yanked for version, info in versions.items() if info.yanked is not None}

    def dependencies(self, package: PackageId, version: Version) -> Dependencies | Unavailable:
        self.calls.append(("dependencies", str(package), str(version)))
        info = self.universe[package.name][version]
        if info.unavailable is not None:
            return Unavailable(info.unavailable, UnavailableKind.OTHER)
        found = requirement_dependencies(info.requires, self.environment, extra=package.extra)
        return Dependencies(found, info.requires_python)

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        self.calls.append(("prefetch", *names))


def root_dependencies(requirements: Iterable[str], environment: Mapping[str, str]) -> tuple[Dependency, ...]:
    """Root requirements as written on a command line, markers evaluated for ``environment``."""
    return requirement_dependencies((Requirement(text) for text in requirements), environment)


def solve_scenario(
    universe: Universe | ScenarioProvider,
    requirements: Sequence[str],
    *,
    constraints: Sequence[str] = (),
    python: str | None = "3.12",
    options: SolverOptions | None = None,
    reporter: SolverReporter | None = None,
) -> Resolution | NoSolution:
    """Resolve ``requirements`` in ``universe``: the resolution, or the ``NoSolution`` (not raised)."""
    provider = (
        universe
        if isinstance(universe, ScenarioProvider)
        else ScenarioProvider.from_dict(universe, python=python)
    )
    environment = provider.environment
    constraint_deps = tuple(
        Dependency(PackageId.dist(req.name), SpecifierSet(str(req.specifier)))
        for req in (Requirement(text) for text in constraints)
        if req.marker is None or req.marker.evaluate(dict(environment))
    )
    try:
        return solve(
            provider,
            root_dependencies(requirements, environment),
            constraints=constraint_deps,
            options=options or SolverOptions(),
            reporter=reporter,
        )
    except NoSolution as failure:
        return failure
