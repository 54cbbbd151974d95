"""Solver options: pre-release policies, yanked versions, strategies, preferences and constraints."""

from __future__ import annotations

import pytest
from packaging.utils import NormalizedName
from packaging.version import Version

from bale.resolver.candidates import PreReleases
from bale.resolver.scenario import solve_scenario
from bale.resolver.solver import NoSolution, SolverOptions, Strategy
from tests.resolver.helpers import assert_failure, assert_pins

PRE = {
    "a": {"1.0": [], "2.0b1": []},
    "b": {"1.0": ["a>=2.0b1"]},
    "c": {"1.0": ["a>=1.5"]},
}


def _pre(policy: PreReleases, *requirements: str) -> dict[str, str] | str:
    result = solve_scenario(PRE, list(requirements), options=SolverOptions(prereleases=policy))
    return result.explanation if isinstance(result, NoSolution) else result.pins()


NO_MATCH = (
    "Because your requirements depend on a>=1.5 which matches only pre-releases, "
    "your requirements are unsatisfiable."
)


FAILS = None  # the requirement cannot be met under this policy


@pytest.mark.parametrize(
    ("policy", "plain", "above_finals", "named", "through_b", "through_c"),
    [
        (PreReleases.ALLOW, "2.0b1", "2.0b1", "2.0b1", "2.0b1", "2.0b1"),
        (PreReleases.DISALLOW, "1.0", FAILS, FAILS, FAILS, FAILS),
        (PreReleases.IF_NECESSARY, "1.0", "2.0b1", "2.0b1", "2.0b1", "2.0b1"),
        # Only first-party requirements opt in under "explicit" (b's is a dependency's): as uv.
        (PreReleases.EXPLICIT, "1.0", FAILS, "2.0b1", FAILS, FAILS),
        (PreReleases.IF_NECESSARY_OR_EXPLICIT, "1.0", "2.0b1", "2.0b1", "2.0b1", "2.0b1"),
    ],
)
def test_prerelease_policies(
    policy: PreReleases,
    plain: str,
    above_finals: str | None,
    named: str | None,
    through_b: str | None,
    through_c: str | None,
) -> None:
    def expect(requirement: str, version: str | None, **others: str) -> None:
        outcome = _pre(policy, requirement)
        if version is FAILS:
            assert isinstance(outcome, str), f"{requirement} under {policy.value}: resolved to {outcome}"
        else:
            assert outcome == {"a": version, **others}, f"{requirement} under {policy.value}"

    expect("a", plain)
    expect("a>=1.5", above_finals)  # only the pre-release is in range
    expect("a>=2.0b1", named)  # the requirement names a pre-release
    expect("b", through_b, b="1.0")  # b's requirement names one (a dependency's, not first-party)
    expect("c", through_c, c="1.0")  # c's does not, but only a pre-release fits it


def test_a_policy_failure_reads_plainly() -> None:
    assert _pre(PreReleases.DISALLOW, "a>=1.5") == NO_MATCH


def test_a_prerelease_blocked_by_policy_is_hinted() -> None:
    result = solve_scenario(PRE, ["a>=1.5"], options=SolverOptions(prereleases=PreReleases.EXPLICIT))
    failure = assert_failure(result, NO_MATCH)
    assert failure.hints == [
        "pre-releases of a match a>=1.5 (2.0b1), but pre-releases are not allowed for it "
        "(allow them with --prerelease allow, or name one in the requirement (a>=2.0b1))"
    ]
    disallowed = solve_scenario(PRE, ["a>=1.5"], options=SolverOptions(prereleases=PreReleases.DISALLOW))
    assert isinstance(disallowed, NoSolution)
    assert disallowed.hints == [
        "pre-releases of a match a>=1.5 (2.0b1), but pre-releases are not allowed for it "
        "(allow them with --prerelease allow)"
    ]


def test_if_necessary_when_conflicts_leave_only_prereleases() -> None:
    universe = {"a": {"1.0": [], "2.0rc1": []}, "d": {"1.0": ["a>1.0"]}}
    options = SolverOptions(prereleases=PreReleases.IF_NECESSARY)
    assert_pins(solve_scenario(universe, ["a", "d"], options=options), {"a": "2.0rc1", "d": "1.0"})


YANK = {"a": {"1.0": [], "2.0": {"yanked": "broken build"}}, "b": {"1.0": ["a==2.0"]}}


def test_yanked_versions_only_for_exact_pins() -> None:
    assert_pins(solve_scenario(YANK, ["a"]), {"a": "1.0"})
    assert_pins(solve_scenario(YANK, ["a==2.0"]), {"a": "2.0"})
    failure = assert_failure(
        solve_scenario(YANK, ["a>=2"]),
        "Because your requirements depend on a>=2 which matches only yanked versions, "
        "your requirements are unsatisfiable.",
    )
    assert failure.hints == [
        "a==2.0 matches a>=2 but was yanked (reason: broken build); "
        "it is used only when pinned exactly (a==2.0)"
    ]


def test_a_transitive_pin_does_not_allow_a_yanked_version() -> None:
    # Like uv, only the user's own exact pins count: a dependency cannot pull in a yanked release.
    assert isinstance(solve_scenario(YANK, ["b"]), NoSolution)
    assert_pins(solve_scenario(YANK, ["b", "a==2.0"]), {"a": "2.0", "b": "1.0"})


STRATEGY = {
    "a": {"1.0": ["b>=1"], "2.0": ["b>=2"]},
    "b": {"1.0": [], "2.0": [], "3.0": []},
}


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (Strategy.HIGHEST, {"a": "2.0", "b": "3.0"}),
        (Strategy.LOWEST, {"a": "1.0", "b": "1.0"}),
        (Strategy.LOWEST_DIRECT, {"a": "1.0", "b": "3.0"}),
    ],
)
def test_strategies(strategy: Strategy, expected: dict[str, str]) -> None:
    assert_pins(solve_scenario(STRATEGY, ["a"], options=SolverOptions(strategy=strategy)), expected)


def test_lowest_still_honours_the_ranges() -> None:
    options = SolverOptions(strategy=Strategy.LOWEST)
    assert_pins(solve_scenario(STRATEGY, ["a>=1.5"], options=options), {"a": "2.0", "b": "2.0"})


def test_preferences_are_kept_when_they_fit() -> None:
    prefer = {NormalizedName("a"): _v("1.0"), NormalizedName("b"): _v("2.0")}
    assert_pins(
        solve_scenario(STRATEGY, ["a"], options=SolverOptions(preferences=prefer)), {"a": "1.0", "b": "2.0"}
    )
    # A preference outside the range is ignored, not an error.
    assert_pins(
        solve_scenario(STRATEGY, ["a>=2"], options=SolverOptions(preferences=prefer)),
        {"a": "2.0", "b": "2.0"},
    )
    # The preferred b is out of range; the preferred a still fits.
    assert_pins(
        solve_scenario(STRATEGY, ["a", "b>=3"], options=SolverOptions(preferences=prefer)),
        {"a": "1.0", "b": "3.0"},
    )


def test_constraints_restrict_without_requiring() -> None:
    assert_pins(solve_scenario(STRATEGY, ["a"], constraints=["b<3", "unrelated<1"]), {"a": "2.0", "b": "2.0"})
    assert_pins(solve_scenario(STRATEGY, ["a"], constraints=["b<2"]), {"a": "1.0", "b": "1.0"})


def _v(text: str) -> Version:
    return Version(text)
