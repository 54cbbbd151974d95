"""Failures: the whole explanation a user reads, and the hints beside it."""

from __future__ import annotations

from packaging.specifiers import SpecifierSet

from bale.resolver.provider import Dependency, PackageId
from bale.resolver.scenario import ScenarioProvider, solve_scenario
from bale.resolver.solver import NoSolution, SolverOptions, solve
from tests.resolver.helpers import assert_failure

C1 = ">=1.0.0,<2.0.0"
C2 = ">=2.0.0,<3.0.0"
C3 = ">=3.0.0,<4.0.0"


def test_linear_error_reporting() -> None:
    universe = {
        "foo": {"1.0.0": [f"bar{C2}"]},
        "bar": {"2.0.0": [f"baz{C3}"]},
        "baz": {"1.0.0": [], "3.0.0": []},
    }
    assert_failure(
        solve_scenario(universe, [f"foo{C1}", f"baz{C1}"]),
        "Because every version of foo depends on bar>=2.0.0,<3.0.0 which depends on baz>=3.0.0,<4.0.0, "
        "every version of foo depends on baz>=3.0.0,<4.0.0.\n"
        "And because your requirements depend on both foo>=1.0.0,<2.0.0 and baz>=1.0.0,<2.0.0, "
        "your requirements are unsatisfiable.",
    )


def test_branching_error_reporting() -> None:
    universe = {
        "foo": {"1.0.0": [f"a{C1}", f"b{C1}"], "1.1.0": [f"x{C1}", f"y{C1}"]},
        "a": {"1.0.0": [f"b{C2}"]},
        "b": {"1.0.0": [], "2.0.0": []},
        "x": {"1.0.0": [f"y{C2}"]},
        "y": {"1.0.0": [], "2.0.0": []},
    }
    assert_failure(
        solve_scenario(universe, [f"foo{C1}"]),
        "    Because foo==1.0.0 depends on a>=1.0.0,<2.0.0 which depends on b>=2.0.0,<3.0.0, "
        "foo==1.0.0 depends on b>=2.0.0,<3.0.0.\n"
        "(1) So, because foo==1.0.0 depends on b>=1.0.0,<2.0.0, foo==1.0.0 cannot be used.\n"
        "\n"
        "    Because foo==1.1.0 depends on x>=1.0.0,<2.0.0 which depends on y>=2.0.0,<3.0.0, "
        "foo==1.1.0 depends on y>=2.0.0,<3.0.0.\n"
        "    And because foo==1.1.0 depends on y>=1.0.0,<2.0.0, foo==1.1.0 cannot be used.\n"
        "    And because foo==1.0.0 cannot be used (1), no version of foo can be used.\n"
        "    And because your requirements depend on foo>=1.0.0,<2.0.0, your requirements are unsatisfiable.",
    )


def test_root_label_and_merged_versions() -> None:
    universe = {"a": {"1.0": [], "2.0": ["b<1"], "2.1": ["b<1"]}, "b": {"0.5": [], "1.0": []}}
    assert_failure(
        solve_scenario(universe, ["a>=2", "b>=1"], options=SolverOptions(root_label="app")),
        "Because app depends on a>=2 which depends on b<1, app depends on b<1.\n"
        "And because app depends on b>=1, app's requirements are unsatisfiable.",
    )


def test_versions_that_do_not_exist() -> None:
    universe = {"a": {"1.0": [], "1.5": []}, "b": {"1.0": ["a>=3"]}}
    assert_failure(
        solve_scenario(universe, ["a>=2"]),
        "Because your requirements depend on a>=2 which does not match any version, "
        "your requirements are unsatisfiable.",
    )
    assert_failure(
        solve_scenario(universe, ["b"]),
        "Because every version of b depends on a>=3 which does not match any version, "
        "no version of b can be used.\n"
        "And because your requirements depend on b, your requirements are unsatisfiable.",
    )


def test_unknown_package() -> None:
    failure = assert_failure(
        solve_scenario({"a": {"1.0": ["zzz>=1"]}}, ["a"]),
        "Because every version of a depends on zzz>=1 which was not found in the package index, "
        "no version of a can be used.\n"
        "And because your requirements depend on a, your requirements are unsatisfiable.",
    )
    assert failure.hints == []


def test_unavailable_versions_are_collapsed() -> None:
    universe = {
        "a": {
            "1.0": {"unavailable": "has no wheel for this platform"},
            "2.0": {"unavailable": "has no wheel for this platform"},
        }
    }
    assert_failure(
        solve_scenario(universe, ["a"]),
        "Because every version of a has no wheel for this platform and your requirements depend on a, "
        "your requirements are unsatisfiable.",
    )


def test_requires_python_is_explained_and_hinted() -> None:
    universe = {
        "a": {"1.0": [], "2.0": {"requires_python": ">=3.12"}, "2.1": {"requires_python": ">=3.12"}},
    }
    failure = assert_failure(
        solve_scenario(universe, ["a>=2"], python="3.11"),
        "Because every version of a>=2.0 requires Python>=3.12 and your requirements depend on a>=2, "
        "your requirements are unsatisfiable.",
    )
    assert failure.hints == ["a==2.0 and a==2.1 require Python>=3.12, but the target Python is 3.11"]


def test_requires_python_with_different_bounds() -> None:
    universe = {
        "a": {"1.0": ["b"]},
        "b": {"1.0": {"requires_python": ">=3.13"}, "0.9": {"requires_python": ">=3.12"}},
    }
    failure = assert_failure(
        solve_scenario(universe, ["a"], python="3.11"),
        "Because every version of a depends on b and b==0.9 requires Python>=3.12 and "
        "b==1.0 requires Python>=3.13, no version of a can be used.\n"
        "And because your requirements depend on a, your requirements are unsatisfiable.",
    )
    assert failure.hints == [
        "b==0.9 requires Python>=3.12, but the target Python is 3.11",
        "b==1.0 requires Python>=3.13, but the target Python is 3.11",
    ]


def test_python_itself_as_a_requirement() -> None:
    provider = ScenarioProvider.from_dict({"a": {"1.0": []}}, python="3.11")
    requirements = [Dependency(PackageId.python(), SpecifierSet(">=3.12")), Dependency(PackageId.dist("a"))]
    try:
        solve(provider, requirements)
    except NoSolution as failure:
        assert failure.explanation == (
            "Because the target Python (3.11) does not satisfy Python>=3.12 and your requirements depend "
            "on Python>=3.12, your requirements are unsatisfiable."
        )
    else:
        raise AssertionError("Python 3.11 cannot satisfy >=3.12")
    resolution = solve(ScenarioProvider.from_dict({"a": {"1.0": []}}, python="3.12"), requirements)
    assert resolution.pins() == {"a": "1.0"}  # Python is not a package of the resolution


def test_extras_in_explanations() -> None:
    universe = {"a": {"1.0": ["b[x]"]}, "b": {"1.0": ["c>=2; extra == 'x'"]}, "c": {"1.0": []}}
    assert_failure(
        solve_scenario(universe, ["a"]),
        "Because every version of a depends on b[x] which depends on c>=2, "
        "every version of a depends on c>=2.\n"
        "And because there is no version of c>=2 and your requirements depend on a, "
        "your requirements are unsatisfiable.",
    )


def test_constraints_are_explained() -> None:
    universe = {"a": {"1.0": [], "2.0": []}}
    assert_failure(
        solve_scenario(universe, ["a>=2"], constraints=["a<2"]),
        "Because your requirements constrain a<2 and your requirements depend on a>=2, "
        "your requirements are unsatisfiable.",
    )


def test_bale_error_fields() -> None:
    failure = solve_scenario({"a": {"1.0": []}}, ["a>=2"])
    assert isinstance(failure, NoSolution)
    assert failure.message == "No solution found when resolving dependencies:"
    assert failure.context == (
        "Because your requirements depend on a>=2 which does not match any version, "
        "your requirements are unsatisfiable.",
    )
    assert failure.hint is None
    assert failure.code == 1
