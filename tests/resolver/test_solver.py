"""The solver's contract with its provider and reporter, its statistics and its step limit."""

from __future__ import annotations

import random
import time

import pytest
from packaging.version import Version

from bale.resolver.incompatibility import Incompatibility
from bale.resolver.provider import PackageId
from bale.resolver.scenario import ScenarioProvider, solve_scenario
from bale.resolver.solver import NoSolution, ResolutionTooComplex, SolverOptions
from tests.resolver.helpers import assert_consistent, assert_pins


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def decision(self, package: PackageId, version: Version, level: int) -> None:
        self.events.append(f"decide {package} {version} @{level}")

    def conflict(self, incompatibility: Incompatibility) -> None:
        self.events.append("conflict")

    def backtrack(self, level: int) -> None:
        self.events.append(f"backtrack to {level}")


def test_reporter_sees_decisions_conflicts_and_backtracks() -> None:
    universe = {"foo": {"2.0.0": ["bar>=1,<2"], "1.0.0": []}, "bar": {"1.0.0": ["foo>=1,<2"]}}
    recorder = Recorder()
    assert_pins(solve_scenario(universe, ["foo>=1"], reporter=recorder), {"foo": "1.0.0"})
    assert recorder.events == [
        "decide root 0 @1",
        "decide foo 2.0.0 @2",
        "conflict",
        "backtrack to 1",
        "decide foo 1.0.0 @2",
    ]


def test_provider_is_asked_once_and_prefetch_comes_first() -> None:
    universe = {
        "a": {"1.0": ["b", "c"], "2.0": ["b>=2", "c"]},
        "b": {"1.0": [], "2.0": ["c<1"]},
        "c": {"0.5": [], "1.0": []},
    }
    provider = ScenarioProvider.from_dict(universe)
    assert_pins(solve_scenario(provider, ["a", "c>=1"]), {"a": "1.0", "b": "1.0", "c": "1.0"})
    calls = provider.calls
    dependencies = [call for call in calls if call[0] == "dependencies"]
    assert len(dependencies) == len(set(dependencies)), "metadata asked twice"
    listings = [call for call in calls if call[0] == "versions"]
    assert sorted(listings) == [("versions", "a"), ("versions", "b"), ("versions", "c")]
    assert calls[0] == ("prefetch", "a", "c")
    # b and c are hinted as soon as a 2.0's metadata is read, before their versions are listed.
    assert calls.index(("prefetch", "b", "c")) < calls.index(("versions", "b"))


def test_stats_count_the_work() -> None:
    result = solve_scenario({"a": {"1.0": ["b"]}, "b": {"1.0": []}}, ["a"])
    assert not isinstance(result, NoSolution)
    assert (result.stats.decisions, result.stats.conflicts, result.stats.backtracks) == (3, 0, 0)
    assert result.stats.incompatibilities == 3  # root, root -> a, a -> b


def _hard_universe(seed: int, packages: int = 100, versions: int = 20) -> dict[str, dict[str, list[str]]]:
    """Ecosystem-like: each version needs recent versions of a few later packages; a quarter of the
    packages have poisoned newest versions that cap some later package, forcing backtracking."""
    rng = random.Random(seed)
    universe: dict[str, dict[str, list[str]]] = {}
    for i in range(packages):
        targets = sorted(rng.sample(range(i + 1, min(packages, i + 12)), min(3, packages - i - 1)))
        poisoned = rng.random() < 0.25 and i + 1 < packages
        entries: dict[str, list[str]] = {}
        for v in range(1, versions + 1):
            needs = [f"p{j}>={max(1, v - rng.randint(2, 5))}.0,<{v + 3}.0" for j in targets]
            if poisoned and v > versions - rng.randint(2, 6):
                needs.append(f"p{rng.choice(range(i + 1, packages))}<{rng.randint(3, 12)}.0")
            entries[f"{v}.0"] = needs
        universe[f"p{i}"] = entries
    return universe


def test_generated_hard_universe() -> None:
    universe = _hard_universe(seed=4)
    requirements = ["p0", "p1", "p2", "p3"]
    started = time.perf_counter()
    result = solve_scenario(universe, requirements)
    elapsed = time.perf_counter() - started
    assert not isinstance(result, NoSolution), result.explanation
    print(f"\nhard universe: {len(result)} packages in {elapsed:.2f} s; {result.stats}")
    assert_consistent(universe, requirements, result)
    # Guards against a heuristic or propagation regression without timing the machine.
    assert result.stats.conflicts >= 50, "the universe should force real backtracking"
    assert result.stats.steps < 5_000


def test_too_complex_names_the_packages_in_conflict() -> None:
    with pytest.raises(ResolutionTooComplex) as caught:
        solve_scenario(_hard_universe(seed=4), ["p0", "p1", "p2", "p3"], options=SolverOptions(max_steps=200))
    error = caught.value
    assert error.steps == 200
    assert len(error.packages) == 5
    counts = [count for _, count in error.packages]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    assert error.message == "Dependency resolution gave up after 200 steps: the search is too complex."
    assert error.context[0].startswith("packages in the most conflicts: p")
