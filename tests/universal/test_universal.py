"""resolver/universal.py: one resolution for every platform and Python of a range (in-memory universes)."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet

from bale.markers import parse
from bale.resolver.provider import Dependency, PackageId
from bale.resolver.solver import NoSolution, SolverOptions, Strategy
from bale.resolver.universal import ForkNoSolution, ForkStrategy, marker_dependencies, resolve_universal
from tests.universal.universe import UniversalScenarioProvider, failure, resolve, roots

NUMPY = {
    "numpy": {
        "1.24": {"requires_python": ">=3.8"},
        "1.26": {"requires_python": ">=3.9"},
        "2.0": {"requires_python": ">=3.10"},
        "2.1": {"requires_python": ">=3.10"},
    },
}


def test_platform_specific_dependency_carries_its_marker() -> None:
    universe = {
        "app": {"1.0": ["colorama; sys_platform == 'win32'", "click"]},
        "click": {"8.0": ["colorama; platform_system == 'Windows'"]},
        "colorama": {"0.4": []},
        "pywin32": {"306": []},
    }
    result = resolve(universe, ["app", "pywin32; sys_platform == 'win32'"])
    assert result.pins() == {
        "app": [("1.0", None)],
        "click": [("8.0", None)],
        "colorama": [("0.4", "sys_platform == 'win32'")],
        "pywin32": [("306", "sys_platform == 'win32'")],
    }
    (colorama,) = result.versions("colorama")
    assert colorama.parents == [("app", "sys_platform == 'win32'"), ("click", "sys_platform == 'win32'")]
    (pywin32,) = result.versions("pywin32")
    assert pywin32.parents == [(None, "sys_platform == 'win32'")]
    assert result.forks == []


def test_python_version_fork_gives_one_entry_per_version() -> None:
    universe = {
        "app": {"1.0": ["numpy>=2; python_version >= '3.10'", "numpy<2; python_version < '3.10'"]},
        **NUMPY,
    }
    provider = UniversalScenarioProvider.from_dict(universe)
    result = resolve(provider, ["app"], requires_python=">=3.9")
    assert result.pins() == {
        "app": [("1.0", None)],
        "numpy": [("1.26", "python_full_version < '3.10'"), ("2.1", "python_full_version >= '3.10'")],
    }
    assert result.forks == ["python_full_version >= '3.10'", "python_full_version < '3.10'"]
    # The whole range first, then each half once.
    assert provider.forks == [
        "python_full_version >= '3.9'",
        "python_full_version >= '3.10'",
        "python_full_version == '3.9.*'",
    ]


def test_root_requirements_fork_too() -> None:
    result = resolve(
        NUMPY,
        ["numpy>=2; python_version >= '3.10'", "numpy<2; python_version < '3.10'"],
        requires_python=">=3.8",
    )
    # Below 3.10 the newest numpy<2 (1.26) needs 3.9, so that fork splits again at 3.9.
    assert result.pins() == {
        "numpy": [
            ("1.24", "python_full_version < '3.9'"),
            ("1.26", "python_full_version == '3.9.*'"),
            ("2.1", "python_full_version >= '3.10'"),
        ],
    }
    assert [package.parents for package in result.packages] == [
        [(None, "python_full_version < '3.10'")],
        [(None, "python_full_version < '3.10'")],
        [(None, "python_full_version >= '3.10'")],
    ]


def test_newer_pythons_get_the_newest_versions_by_default() -> None:
    # uv's fork strategy "requires-python": each Python gets the newest numpy that supports it.
    assert resolve(NUMPY, ["numpy"], requires_python=">=3.8").pins() == {
        "numpy": [
            ("1.24", "python_full_version < '3.9'"),
            ("1.26", "python_full_version == '3.9.*'"),
            ("2.1", "python_full_version >= '3.10'"),
        ]
    }
    assert resolve(NUMPY, ["numpy"], requires_python=">=3.10").pins() == {"numpy": [("2.1", None)]}
    # An upper bound in Requires-Python does not count (as pip and uv).
    universe = {"lib": {"1.0": {"requires_python": ">=3.8,<4"}}}
    assert resolve(universe, ["lib"], requires_python=">=3.9").pins() == {"lib": [("1.0", None)]}


def test_fewest_forks_takes_one_version_for_the_whole_range() -> None:
    # 1.26 needs 3.9 and 2.x need 3.10: only 1.24 serves 3.8 and up, so the single fork takes it.
    fewest = ForkStrategy.FEWEST
    assert resolve(NUMPY, ["numpy"], requires_python=">=3.8", fork_strategy=fewest).pins() == {
        "numpy": [("1.24", None)]
    }
    error = failure(NUMPY, ["numpy>=2"], requires_python=">=3.9", fork_strategy=fewest)
    assert not isinstance(error, ForkNoSolution)
    assert error.explanation == (
        "Because every version of numpy>=2.0 requires Python >=3.10, but the resolution must support "
        "Python >=3.9 and your requirements depend on numpy>=2, your requirements are unsatisfiable."
    )


def test_a_requires_python_too_low_for_a_dependency_gets_the_hint_to_raise_it() -> None:
    error = failure(NUMPY, ["numpy>=2"], requires_python=">=3.9")
    assert isinstance(error, ForkNoSolution)
    assert error.message == (
        "No solution found when resolving dependencies when python_full_version < '3.10':"
    )
    assert error.explanation == (
        "Because every version of numpy>=2.0 requires Python >=3.10, but the resolution must support "
        "Python >=3.9, <3.10 and your requirements depend on numpy>=2, your requirements are unsatisfiable."
    )
    assert error.hints == [
        "requires-python (>=3.9) includes Python versions that the newer releases do not support "
        "(numpy==2.1 needs Python >=3.10); consider raising requires-python (to >=3.10)"
    ]


def test_two_parents_with_different_markers_or_together() -> None:
    universe = {
        "a": {"1.0": ["shared; sys_platform == 'linux'"]},
        "b": {"1.0": ["shared; python_version < '3.10'"]},
        "shared": {"1.0": ["leaf"]},
        "leaf": {"1.0": []},
    }
    result = resolve(universe, ["a", "b"], requires_python=">=3.8")
    expected = "python_full_version < '3.10' or sys_platform == 'linux'"
    assert result.pins()["shared"] == [("1.0", expected)]
    # The child of a conditional package inherits its marker.
    assert result.pins()["leaf"] == [("1.0", expected)]
    (shared,) = result.versions("shared")
    assert shared.parents == [("a", "sys_platform == 'linux'"), ("b", "python_full_version < '3.10'")]


def test_marker_chains_narrow_and_cycles_terminate() -> None:
    universe = {
        "a": {"1.0": ["b; sys_platform == 'win32'"]},
        "b": {"1.0": ["c; python_version >= '3.11'"]},
        "c": {"1.0": ["b"]},
    }
    result = resolve(universe, ["a"], requires_python=">=3.9")
    assert result.pins() == {
        "a": [("1.0", None)],
        "b": [("1.0", "sys_platform == 'win32'")],
        "c": [("1.0", "python_full_version >= '3.11' and sys_platform == 'win32'")],
    }


def test_extras_with_markers() -> None:
    universe = {
        "app": {
            "1.0": [
                "click; extra == 'cli'",
                "colorama; extra == 'cli' and sys_platform == 'win32'",
                "pytest; extra == 'test'",
                "tomli; python_version < '3.11'",
            ]
        },
        "click": {"8.0": []},
        "colorama": {"0.4": []},
        "pytest": {"8.0": []},
        "tomli": {"2.0": []},
    }
    result = resolve(universe, ["app[cli]"], requires_python=">=3.9")
    assert result.pins() == {
        "app": [("1.0", None)],
        "click": [("8.0", None)],
        "colorama": [("0.4", "sys_platform == 'win32'")],
        "tomli": [("2.0", "python_full_version < '3.11'")],
    }
    (app,) = result.versions("app")
    assert app.extras == {"cli"}
    (click,) = result.versions("click")
    assert click.parents == [("app[cli]", None)]
    # An extra asked for under a marker: its requirements inherit that marker.
    result = resolve(universe, ["app", "app[cli]; os_name == 'nt'"], requires_python=">=3.9")
    assert result.pins()["click"] == [
        ("8.0", "sys_platform == 'win32'")
    ]  # os_name == 'nt', spelled canonically
    assert result.pins()["colorama"] == [("0.4", "sys_platform == 'win32'")]


def test_fork_prefers_versions_chosen_in_earlier_forks() -> None:
    universe = {
        "app": {"1.0": ["a>=2; python_version >= '3.10'", "a<2; python_version < '3.10'"]},
        "a": {"1.0": ["helper"], "2.0": ["helper<=2"]},
        "helper": {"1.0": [], "2.0": [], "3.0": []},
    }
    result = resolve(universe, ["app"], requires_python=">=3.9")
    # Without the preference, the second fork would take helper 3.0 and the lock would hold two.
    assert result.pins()["helper"] == [("2.0", None)]
    assert result.pins()["a"] == [
        ("1.0", "python_full_version < '3.10'"),
        ("2.0", "python_full_version >= '3.10'"),
    ]


def test_same_specifier_under_disjoint_markers_does_not_fork() -> None:
    universe = {
        "app": {"1.0": ["lib>=1; sys_platform == 'linux'", "lib>=1; sys_platform == 'darwin'"]},
        "lib": {"1.0": []},
    }
    provider = UniversalScenarioProvider.from_dict(universe)
    result = resolve(provider, ["app"])
    assert result.pins()["lib"] == [("1.0", "sys_platform == 'darwin' or sys_platform == 'linux'")]
    assert len(provider.forks) == 1


def test_conflict_in_one_fork_names_the_fork() -> None:
    universe = {
        "app": {"1.0": ["numpy>=2; python_version >= '3.10'", "numpy<2; python_version < '3.10'", "old"]},
        "old": {"1.0": ["numpy>=2; python_version < '3.10'"]},
        **NUMPY,
    }
    error = failure(universe, ["app"], requires_python=">=3.9")
    assert isinstance(error, ForkNoSolution)
    assert error.fork == "python_full_version < '3.10'"
    assert error.message == "No solution found when resolving dependencies when python_full_version < '3.10':"
    assert str(error).startswith(error.message + "\n")
    assert error.explanation == (
        "Because every version of old depends on numpy>=2 and every version of app depends on numpy<2, "
        "old is incompatible with app.\n"
        "And because your requirements depend on app which depends on old, "
        "your requirements are unsatisfiable."
    )


def test_constraints_apply_in_forks_where_they_can_hold() -> None:
    universe = {"lib": {"1.0": [], "2.0": []}, "app": {"1.0": ["lib"]}}
    result = resolve(universe, ["app"], constraints=["lib<2; sys_platform == 'win32'"])
    # A constraint is not a requirement, and within one fork it applies wholesale.
    assert result.pins() == {"app": [("1.0", None)], "lib": [("1.0", None)]}
    result = resolve(universe, ["app"], constraints=["lib<2; python_version < '3'"])
    assert result.pins()["lib"] == [("2.0", None)]


def test_marker_dependencies_split_extras_from_the_base() -> None:
    from packaging.requirements import Requirement

    requirements = [
        Requirement("a; extra == 'x' or sys_platform == 'win32'"),
        Requirement("b[fast]>=1; python_version < '3.10'"),
        Requirement("c; python_version < '3.8'"),
    ]
    fork = parse("python_version >= '3.8'")
    base = marker_dependencies(requirements, fork)
    assert [(str(d), str(d.marker)) for d in base] == [
        ("a", "sys_platform == 'win32'"),
        ("b>=1", "python_full_version < '3.10'"),
        ("b[fast]>=1", "python_full_version < '3.10'"),
    ]
    extra = marker_dependencies(requirements, fork, extra="X")
    assert [(str(d), str(d.marker)) for d in extra] == [("a", "sys_platform != 'win32'")]
    assert Dependency(PackageId.dist("a")).marker is None


def test_preferences_and_options_pass_through() -> None:
    universe = {"lib": {"1.0": [], "2.0": []}}
    provider = UniversalScenarioProvider.from_dict(universe)
    result = resolve_universal(
        provider,
        roots(["lib"]),
        options=SolverOptions(preferences={"lib": __import__("packaging.version").version.Version("1.0")}),
        requires_python=SpecifierSet(">=3.9"),
    )
    assert result.pins() == {"lib": [("1.0", None)]}
    assert result.requires_python == ">=3.9"


def test_plain_failure_without_forks_is_the_solvers() -> None:
    error = failure({"a": {"1.0": ["missing"]}}, ["a"])
    assert type(error) is NoSolution
    with pytest.raises(NoSolution):
        resolve({"a": {"1.0": ["missing"]}}, ["a"])


def test_lowest_direct_is_direct_only_in_the_forks_its_marker_reaches() -> None:
    universe = {"app": {"1.0": ["lib"]}, "lib": {"1.0": [], "2.0": []}, "x": {"1.0": [], "2.0": []}}
    requirements = [
        "app",
        "lib; python_version < '3.10'",  # direct below 3.10 only; above, app's (transitive) lib
        "x>=2; python_version >= '3.10'",
        "x<2; python_version < '3.10'",
    ]
    options = SolverOptions(strategy=Strategy.LOWEST_DIRECT)
    result = resolve(universe, requirements, requires_python=">=3.8", options=options)
    assert result.pins() == {
        "app": [("1.0", None)],
        "lib": [("1.0", "python_full_version < '3.10'"), ("2.0", "python_full_version >= '3.10'")],
        "x": [("1.0", "python_full_version < '3.10'"), ("2.0", "python_full_version >= '3.10'")],
    }
