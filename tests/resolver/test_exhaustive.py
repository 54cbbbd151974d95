"""The solver against brute force on many small random universes: it finds a solution exactly when
one exists, and what it finds satisfies every requirement."""

from __future__ import annotations

import itertools
import random

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.resolver.scenario import solve_scenario
from bale.resolver.solver import NoSolution
from tests.resolver.helpers import assert_consistent

NAMES = ["a", "b", "c", "d", "e"]
VERSIONS = ["1.0", "2.0", "3.0"]
SPECS = ["", ">=2.0", "<2.0", "==2.0", "!=2.0", ">=3.0", "<3.0", ">=1.0,<3.0"]


def _universe(rng: random.Random) -> dict[str, dict[str, list[str]]]:
    universe: dict[str, dict[str, list[str]]] = {}
    for name in NAMES:
        entries: dict[str, list[str]] = {}
        for version in rng.sample(VERSIONS, rng.randint(1, 3)):
            others = [n for n in NAMES if n != name]
            entries[version] = [f"{n}{rng.choice(SPECS)}" for n in rng.sample(others, rng.randint(0, 2))]
        universe[name] = entries
    return universe


def _brute_force(universe: dict[str, dict[str, list[str]]], requirements: list[str]) -> bool:
    """Whether some choice (a version or nothing, per package) meets every requirement."""
    options = [[None, *universe[name]] for name in NAMES]
    for choice in itertools.product(*options):
        chosen = {name: Version(v) for name, v in zip(NAMES, choice, strict=True) if v is not None}
        needs = [text for text in requirements]
        for name, version in zip(NAMES, choice, strict=True):
            if version is not None:
                needs.extend(universe[name][version])
        if all(_holds(text, chosen) for text in needs):
            return True
    return False


def _holds(text: str, chosen: dict[str, Version]) -> bool:
    name, spec = text[0], text[1:]
    return name in chosen and SpecifierSet(spec).contains(chosen[name], prereleases=True)


def test_solver_agrees_with_brute_force() -> None:
    rng = random.Random(2024)
    solved = failed = 0
    for _ in range(300):
        universe = _universe(rng)
        requirements = [f"{n}{rng.choice(SPECS)}" for n in rng.sample(NAMES, 2)]
        result = solve_scenario(universe, requirements)
        exists = _brute_force(universe, requirements)
        if isinstance(result, NoSolution):
            assert not exists, f"missed a solution for {requirements} in {universe}:\n{result.explanation}"
            assert result.explanation.endswith("your requirements are unsatisfiable.")
            failed += 1
        else:
            assert exists
            assert_consistent(universe, requirements, result)  # type: ignore[arg-type]
            solved += 1
    # Both outcomes must be well represented for the comparison to mean something.
    assert solved > 50 and failed > 50, (solved, failed)
