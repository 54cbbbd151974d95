"""Assertions shared by the resolver tests: whole resolutions compared package by package."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.resolver.scenario import ScenarioProvider, Universe, marker_environment
from bale.resolver.solver import NoSolution, Resolution


def assert_pins(result: Resolution | NoSolution, expected: Mapping[str, str]) -> Resolution:
    """The resolution holds exactly ``expected``; a failure names each package that differs."""
    assert not isinstance(result, NoSolution), f"expected a resolution, got a failure:\n{result.explanation}"
    got = result.pins()
    differences = [
        f"{name}: expected {expected.get(name, '(absent)')}, got {got.get(name, '(absent)')}"
        for name in sorted(set(got) | set(expected))
        if got.get(name) != expected.get(name)
    ]
    assert not differences, "the resolution differs:\n" + "\n".join(differences)
    return result


def assert_failure(result: Resolution | NoSolution, explanation: str) -> NoSolution:
    assert isinstance(result, NoSolution), f"expected a failure, got {result.pins()}"
    assert result.explanation == explanation, f"explanation was:\n{result.explanation}"
    return result


def assert_consistent(
    universe: Universe, requirements: Sequence[str], resolution: Resolution, python: str = "3.12"
) -> None:
    """Every requirement of the root and of every chosen version (and chosen extra) holds."""
    provider = ScenarioProvider.from_dict(universe, python=python)
    env = marker_environment(python)
    problems: list[str] = []

    def check(owner: str, requirement: Requirement, extra: str) -> None:
        if requirement.marker is not None and not requirement.marker.evaluate({**env, "extra": extra}):
            return
        chosen = resolution.versions.get(requirement.name)  # type: ignore[call-overload]
        if chosen is None:
            problems.append(f"{owner} needs {requirement} but {requirement.name} is not in the resolution")
        elif not SpecifierSet(str(requirement.specifier)).contains(chosen, prereleases=True):
            problems.append(f"{owner} needs {requirement} but {requirement.name} {chosen} was chosen")
        for name in requirement.extras:
            if name not in resolution.extras.get(requirement.name, frozenset()):  # type: ignore[call-overload]
                problems.append(f"{owner} needs {requirement} but extra {name} was not selected")

    for text in requirements:
        check("root", Requirement(text), "")
    for name, version in resolution.versions.items():
        info = provider.universe[name][version]
        if info.requires_python is not None:
            assert info.requires_python.contains(Version(python), prereleases=True), f"{name} {version}"
        for extra in ["", *sorted(resolution.extras.get(name, frozenset()))]:
            for requirement in info.requires:
                check(f"{name} {version}" + (f"[{extra}]" if extra else ""), requirement, extra)
    assert not problems, "\n".join(problems)
