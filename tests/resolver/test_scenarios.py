"""Resolutions that succeed: the classic PubGrub examples, extras, markers, versions of every shape."""

from __future__ import annotations

from bale.resolver.scenario import solve_scenario
from bale.resolver.solver import Resolution, SolverOptions
from tests.resolver.helpers import assert_consistent, assert_pins

# "^1.0.0" in the PubGrub write-up, spelled in PEP 440.
C1 = ">=1.0.0,<2.0.0"
C2 = ">=2.0.0,<3.0.0"


def test_simple_chain() -> None:
    universe = {
        "a": {"1.0": ["b>=1"], "2.0": ["b>=2"]},
        "b": {"1.0": ["c"], "2.0": ["c<2"], "3.0": ["c>=9"]},
        "c": {"1.0": [], "1.5": [], "2.0": []},
    }
    result = solve_scenario(universe, ["a"])
    assert_pins(result, {"a": "2.0", "b": "2.0", "c": "1.5"})


def test_no_conflicts() -> None:
    universe = {"foo": {"1.0.0": [f"bar{C1}"]}, "bar": {"1.0.0": [], "2.0.0": []}}
    result = assert_pins(solve_scenario(universe, [f"foo{C1}"]), {"foo": "1.0.0", "bar": "1.0.0"})
    assert result.stats.conflicts == 0


def test_avoiding_conflict_during_decision_making() -> None:
    universe = {
        "foo": {"1.1.0": [f"bar{C2}"], "1.0.0": []},
        "bar": {"1.0.0": [], "1.1.0": [], "2.0.0": []},
    }
    result = solve_scenario(universe, [f"foo{C1}", f"bar{C1}"])
    assert_pins(result, {"foo": "1.0.0", "bar": "1.1.0"})
    assert isinstance(result, Resolution)
    # The conflict is seen before foo 1.1.0 is decided, so nothing has to be undone.
    assert result.stats.conflicts == 0
    assert result.stats.backtracks == 0


def test_performing_conflict_resolution() -> None:
    universe = {
        "foo": {"2.0.0": [f"bar{C1}"], "1.0.0": []},
        "bar": {"1.0.0": [f"foo{C1}"]},
    }
    result = assert_pins(solve_scenario(universe, ["foo>=1.0.0"]), {"foo": "1.0.0"})
    assert result.stats.conflicts == 1


def test_conflict_resolution_with_a_partial_satisfier() -> None:
    universe = {
        "foo": {"1.1.0": [f"left{C1}", f"right{C1}"], "1.0.0": []},
        "left": {"1.0.0": ["shared>=1.0.0"]},
        "right": {"1.0.0": ["shared<2.0.0"]},
        "shared": {"2.0.0": [], "1.0.0": [f"target{C1}"]},
        "target": {"2.0.0": [], "1.0.0": []},
    }
    result = solve_scenario(universe, [f"foo{C1}", f"target{C2}"])
    assert_pins(result, {"foo": "1.0.0", "target": "2.0.0"})


def test_cycles_resolve() -> None:
    universe = {"a": {"1.0": ["b"], "2.0": ["b>=2"]}, "b": {"1.0": ["a"], "2.0": ["a>=2"]}}
    assert_pins(solve_scenario(universe, ["a"]), {"a": "2.0", "b": "2.0"})


def test_a_package_requiring_itself_is_fine() -> None:
    universe = {"a": {"1.0": ["a[x]"]}}
    result = assert_pins(solve_scenario(universe, ["a"]), {"a": "1.0"})
    assert result.extras == {"a": frozenset({"x"})}


def test_excluded_ranges_and_exclusions() -> None:
    universe = {"a": {v: [] for v in ("1.0", "1.1", "1.2", "1.3", "2.0")}}
    assert_pins(solve_scenario(universe, ["a!=1.3,<2"]), {"a": "1.2"})
    assert_pins(solve_scenario(universe, ["a<2", "a!=1.2,!=1.3"]), {"a": "1.1"})
    assert_pins(solve_scenario(universe, ["a==1.*,!=1.3.*"]), {"a": "1.2"})
    assert_pins(solve_scenario(universe, ["a~=1.1.0"]), {"a": "1.1"})


def test_backtracking_over_several_versions() -> None:
    # Only the oldest a works with c: every newer one needs a b that conflicts with c.
    universe = {
        "a": {f"{v}.0": [f"b=={v}.0"] for v in range(1, 6)},
        "b": {"1.0": [], **{f"{v}.0": ["c<1"] for v in range(2, 6)}},
        "c": {"0.5": [], "1.0": []},
    }
    result = solve_scenario(universe, ["a", "c>=1"])
    assert_pins(result, {"a": "1.0", "b": "1.0", "c": "1.0"})
    assert_consistent(universe, ["a", "c>=1"], result)  # type: ignore[arg-type]


def test_extras_bring_their_dependencies() -> None:
    universe = {
        "app": {"1.0": ["web[tls,speed]>=1"]},
        "web": {
            "1.0": ["tls-lib>=1; extra == 'tls'", "fast>=2; extra == 'speed'", "core"],
            "2.0": ["tls-lib>=2; extra == 'tls'", "fast>=2; extra == 'speed'", "core>=2"],
        },
        "tls-lib": {"1.0": [], "2.0": []},
        "fast": {"1.0": [], "2.0": [], "3.0": []},
        "core": {"1.0": [], "2.0": []},
        "unused": {"1.0": []},
    }
    result = assert_pins(
        solve_scenario(universe, ["app"]),
        {"app": "1.0", "web": "2.0", "tls-lib": "2.0", "fast": "3.0", "core": "2.0"},
    )
    assert result.extras == {"web": frozenset({"tls", "speed"})}
    assert_consistent(universe, ["app"], result)  # type: ignore[arg-type]


def test_extras_of_extras() -> None:
    universe = {
        "a": {"1.0": ["b[all]"]},
        "b": {"1.0": ["b[x,y]; extra == 'all'", "x-dep; extra == 'x'", "y-dep>=2; extra == 'y'"]},
        "x-dep": {"1.0": []},
        "y-dep": {"1.0": [], "2.0": []},
    }
    result = assert_pins(
        solve_scenario(universe, ["a"]), {"a": "1.0", "b": "1.0", "x-dep": "1.0", "y-dep": "2.0"}
    )
    assert result.extras == {"b": frozenset({"all", "x", "y"})}


def test_an_extra_constrains_the_version_of_its_package() -> None:
    # Only b 1.0 has the extra's dependency satisfiable: requiring b[x] pins b to it.
    universe = {
        "b": {"1.0": ["c<2; extra == 'x'"], "2.0": ["c>=5; extra == 'x'"]},
        "c": {"1.0": [], "2.0": []},
    }
    assert_pins(solve_scenario(universe, ["b", "b[x]"]), {"b": "1.0", "c": "1.0"})
    assert_pins(solve_scenario(universe, ["b"]), {"b": "2.0"})


def test_markers_are_evaluated_for_the_target() -> None:
    universe = {
        "a": {
            "1.0": [
                "win-only; sys_platform == 'win32'",
                "new-py; python_version >= '3.12'",
                "old-py; python_version < '3.12'",
            ]
        },
        "win-only": {"1.0": []},
        "new-py": {"1.0": []},
        "old-py": {"1.0": []},
    }
    assert_pins(solve_scenario(universe, ["a"], python="3.12"), {"a": "1.0", "new-py": "1.0"})
    assert_pins(solve_scenario(universe, ["a"], python="3.11"), {"a": "1.0", "old-py": "1.0"})
    assert_pins(solve_scenario(universe, ["a; python_version < '3'"], python="3.12"), {})


def test_requires_python_holds_back_a_version_transitively() -> None:
    universe = {
        "a": {"1.0": ["b"]},
        "b": {"1.0": ["c"], "2.0": {"requires": ["c"], "requires_python": ">=3.12"}},
        "c": {"1.0": [], "2.0": {"requires_python": ">=3.13"}},
    }
    assert_pins(solve_scenario(universe, ["a"], python="3.11"), {"a": "1.0", "b": "1.0", "c": "1.0"})
    assert_pins(solve_scenario(universe, ["a"], python="3.12"), {"a": "1.0", "b": "2.0", "c": "1.0"})
    assert_pins(solve_scenario(universe, ["a"], python="3.13"), {"a": "1.0", "b": "2.0", "c": "2.0"})


def test_local_versions_satisfy_their_public_version() -> None:
    universe = {"a": {"1.0": [], "1.0+cpu": [], "1.1": []}, "b": {"1.0": ["a==1.0"]}}
    assert_pins(solve_scenario(universe, ["b"]), {"a": "1.0+cpu", "b": "1.0"})
    assert_pins(solve_scenario(universe, ["a==1.0+cpu"]), {"a": "1.0+cpu"})


def test_post_and_dev_releases() -> None:
    universe = {"a": {"1.0": [], "1.0.post1": [], "1.1.dev1": [], "0.9": []}}
    assert_pins(solve_scenario(universe, ["a>=1.0"]), {"a": "1.0.post1"})
    assert_pins(solve_scenario(universe, ["a<=1.0"]), {"a": "1.0"})
    assert_pins(solve_scenario(universe, ["a<1.0"]), {"a": "0.9"})
    # ">1.0" excludes 1.0's post-releases (PEP 440): only the dev release is left, and it is used
    # because nothing else matches (if-necessary).
    assert_pins(solve_scenario(universe, ["a>1.0"]), {"a": "1.1.dev1"})
    assert_pins(solve_scenario(universe, ["a==1.0.post1"]), {"a": "1.0.post1"})


def test_parents_say_who_required_what() -> None:
    universe = {
        "app": {"1.0": ["web[tls]>=1", "log"]},
        "web": {"1.0": ["tls-lib; extra == 'tls'", "log>=1"]},
        "tls-lib": {"1.0": []},
        "log": {"1.0": []},
    }
    result = assert_pins(
        solve_scenario(universe, ["app"]), {"app": "1.0", "web": "1.0", "tls-lib": "1.0", "log": "1.0"}
    )
    via = {name: sorted(f"{v.parent} {v.requirement}" for v in vias) for name, vias in result.parents.items()}
    assert via == {
        "app": ["root app"],
        "log": ["app log", "web log>=1"],
        "tls-lib": ["web[tls] tls-lib"],
        "web": ["app web>=1"],  # one entry per parent, even when it asks for extras too
    }


def test_options_do_not_matter_without_choices() -> None:
    universe = {"a": {"1.0": ["b==2.0"]}, "b": {"1.0": [], "2.0": [], "3.0": []}}
    for options in (SolverOptions(), SolverOptions(root_label="app")):
        assert_pins(solve_scenario(universe, ["a"], options=options), {"a": "1.0", "b": "2.0"})
