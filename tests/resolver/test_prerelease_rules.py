"""uv's pre-release rules: a stable version in range always wins; pre-releases only once none is left."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from packaging.utils import NormalizedName

from bale.resolver.candidates import PreReleases
from bale.resolver.scenario import solve_scenario
from bale.resolver.solver import NoSolution, SolverOptions

PREFER_STABLE = (PreReleases.IF_NECESSARY, PreReleases.IF_NECESSARY_OR_EXPLICIT, PreReleases.EXPLICIT)


def _pins(
    universe: dict[str, Any],
    requirements: list[str],
    policy: PreReleases,
    package_prereleases: Mapping[NormalizedName, PreReleases] | None = None,
) -> dict[str, str]:
    options = SolverOptions(prereleases=policy, package_prereleases=package_prereleases or {})
    result = solve_scenario(universe, requirements, options=options)
    assert not isinstance(result, NoSolution), result.explanation
    return result.pins()


@pytest.mark.parametrize("policy", PREFER_STABLE)
def test_a_specifier_naming_a_prerelease_still_prefers_stable(policy: PreReleases) -> None:
    universe = {"a": {"1.0.0": [], "1.1.0a1": []}}
    assert _pins(universe, ["a>=1.0.0a1"], policy) == {"a": "1.0.0"}
    # Redundant and equivalent spellings of the same range change nothing.
    assert _pins(universe, ["a>=1.0.0a1,>=0.9,!=1.1.0a2"], policy) == {"a": "1.0.0"}
    assert _pins(universe, ["a>=1.0.0a1", "a>=1.0.0a1"], policy) == {"a": "1.0.0"}


@pytest.mark.parametrize("policy", PREFER_STABLE)
def test_an_upper_bound_naming_a_prerelease(policy: PreReleases) -> None:
    universe = {"a": {"0.1.0": [], "0.2.0a1": [], "0.2.0a2": [], "0.2.0": []}}
    assert _pins(universe, ["a<0.2.0a2"], policy) == {"a": "0.1.0"}
    # At the boundary: only the pre-release is left in range, and it is used when opted in.
    assert _pins(universe, ["a>0.1.0,<0.2.0a2"], policy) == {"a": "0.2.0a1"}


def test_allow_takes_the_highest_version_regardless() -> None:
    universe = {"a": {"1.0.0": [], "1.1.0a1": []}}
    assert _pins(universe, ["a>=1.0.0a1"], PreReleases.ALLOW) == {"a": "1.1.0a1"}
    assert _pins(universe, ["a"], PreReleases.ALLOW) == {"a": "1.1.0a1"}


@pytest.mark.parametrize("policy", [PreReleases.IF_NECESSARY, PreReleases.IF_NECESSARY_OR_EXPLICIT])
def test_a_transitive_dependency_prefers_stable_and_falls_back(policy: PreReleases) -> None:
    universe = {
        "app": {"1.0": ["lib>=2.0b1"]},
        "lib": {"1.9": [], "2.0b1": [], "2.0": [], "2.1rc1": []},
    }
    assert _pins(universe, ["app"], policy) == {"app": "1.0", "lib": "2.0"}
    fallback = {"app": {"1.0": ["lib>2.0"]}, "lib": {"2.0": [], "2.1rc1": []}}
    assert _pins(fallback, ["app"], policy) == {"app": "1.0", "lib": "2.1rc1"}


def test_explicit_admits_prereleases_only_for_first_party_requirements() -> None:
    universe = {"app": {"1.0": ["lib>2.0"]}, "lib": {"2.0": [], "2.1rc1": []}}
    result = solve_scenario(universe, ["app"], options=SolverOptions(prereleases=PreReleases.EXPLICIT))
    assert isinstance(result, NoSolution)
    # Naming a pre-release at the root opts lib in (still preferring stable where one fits).
    assert _pins(universe, ["app", "lib>=2.1rc1"], PreReleases.EXPLICIT) == {"app": "1.0", "lib": "2.1rc1"}
    assert _pins(universe, ["lib>=2.0rc1"], PreReleases.EXPLICIT) == {"lib": "2.0"}
    # An exclusion does not name a pre-release.
    assert isinstance(
        solve_scenario(
            universe, ["app", "lib!=2.1rc2"], options=SolverOptions(prereleases=PreReleases.EXPLICIT)
        ),
        NoSolution,
    )


@pytest.mark.parametrize("policy", PREFER_STABLE)
def test_reached_through_an_extra(policy: PreReleases) -> None:
    universe = {
        "app": {"1.0": ["web[tls]>=1.0a1"]},
        "web": {"1.0": ["tls-lib>=1.0a1; extra == 'tls'"], "1.1a1": ["tls-lib>=1.0a1; extra == 'tls'"]},
        "tls-lib": {"1.0": [], "1.1a1": []},
    }
    expected = {"app": "1.0", "web": "1.0", "tls-lib": "1.0"}
    assert {k: v for k, v in _pins(universe, ["app"], policy).items() if "[" not in k} == expected


@pytest.mark.parametrize("policy", [PreReleases.IF_NECESSARY, PreReleases.IF_NECESSARY_OR_EXPLICIT])
def test_after_backtracking_stable_is_still_preferred(policy: PreReleases) -> None:
    # a 2.0 conflicts with b, so the solver backtracks: it must land on stable a 1.5, not a 2.0rc1
    # (which sits between them and also satisfies b).
    universe = {
        "a": {"1.5": [], "2.0rc1": [], "2.0": ["c==2"]},
        "b": {"1.0": ["c==1", "a>=1.0"]},
        "c": {"1": [], "2": []},
    }
    assert _pins(universe, ["a", "b"], policy) == {"a": "1.5", "b": "1.0", "c": "1"}
    # Only when every stable version is excluded does the pre-release come in.
    only_pre = {
        "a": {"1.5": ["c==2"], "2.0rc1": [], "2.0": ["c==2"]},
        "b": {"1.0": ["c==1"]},
        "c": {"1": [], "2": []},
    }
    assert _pins(only_pre, ["a", "b"], policy) == {"a": "2.0rc1", "b": "1.0", "c": "1"}


def test_per_package_modes_override_the_default() -> None:
    universe = {"a": {"1.0": [], "2.0b1": []}, "b": {"1.0": [], "2.0b1": []}}
    allow_a = {NormalizedName("a"): PreReleases.ALLOW}
    assert _pins(universe, ["a", "b"], PreReleases.IF_NECESSARY, allow_a) == {"a": "2.0b1", "b": "1.0"}
    blocked = SolverOptions(
        prereleases=PreReleases.ALLOW, package_prereleases={NormalizedName("b"): PreReleases.DISALLOW}
    )
    result = solve_scenario(universe, ["a", "b>1.0"], options=blocked)
    assert isinstance(result, NoSolution)
    assert "pre-releases are not allowed" in " ".join(result.hints)
