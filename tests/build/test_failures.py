"""Failed builds: readable messages (last lines, a command to reproduce, no traceback) and a clean cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bale.dist.build import BuildCycleError, Builder, current_build_chain
from bale.errors import BaleError
from bale.python.probe import Interpreter
from bale.python.venv import PythonEnvironment
from tests.build.conftest import BuildBed
from tests.build.helpers import in_tree_files, setuptools_pyproject, tar_sdist, write_tree


def test_a_backend_error_shows_the_last_lines_and_how_to_reproduce(bed: BuildBed) -> None:
    files = {
        "pyproject.toml": setuptools_pyproject("boom", "1.0"),
        "setup.py": """
            from setuptools import setup
            print("configuring boom")
            raise RuntimeError("the flux capacitor is missing")
        """,
    }
    sdist = tar_sdist(files, bed.root / "dist", "boom-1.0")

    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(sdist)

    rendered = caught.value.render()
    python = str(bed.interpreter.executable)
    lines = rendered.replace(python, "<python>").replace(str(sdist), "<sdist>").splitlines()
    assert lines[0] == "Failed to build boom-1.0.tar.gz"
    assert lines[1] == "  setuptools.build_meta failed in get_requires_for_build_wheel (exit status 1)"
    assert re.fullmatch(r"  last \d+ lines of the build output:", lines[2]), lines[2]
    output = [line for line in lines if line.startswith("    | ")]
    assert output[-2:] == ["    | configuring boom", "    | RuntimeError: the flux capacitor is missing"]
    assert lines[-2] == "  to reproduce: <python> -m pip wheel --no-deps --wheel-dir dist <sdist>"
    assert lines[-1].startswith("hint: the build failed inside the package's own build backend")
    assert "Traceback" not in rendered and 'File "' not in rendered
    # The whole output is still there for -v.
    assert any("Traceback (most recent call last)" in line for line in bed.reporter.debugs)


def test_nothing_half_built_stays_in_the_cache(bed: BuildBed) -> None:
    files = {
        "pyproject.toml": setuptools_pyproject("halfway", "1.0"),
        "setup.py": """
            import os, sys
            from setuptools import setup
            if "bdist_wheel" in sys.argv:
                raise SystemExit("error: dying in the middle of bdist_wheel")
            setup(packages=["halfway"])
        """,
        "halfway/__init__.py": "",
    }
    sdist = tar_sdist(files, bed.root / "dist", "halfway-1.0")
    builder = bed.builder()

    with pytest.raises(BaleError) as caught:
        builder.build_wheel(sdist)

    assert "    | error: dying in the middle of bdist_wheel" in caught.value.render()
    assert bed.leftovers() == []
    builds = bed.cache.bucket_path("builds")
    assert [p for p in builds.rglob("*") if p.is_file() and not p.name.endswith(".lock")] == []
    assert builder.stats.wheels_built == 0


def test_a_tree_build_failure_suggests_python_m_build(bed: BuildBed) -> None:
    tree = write_tree(
        bed.root / "broken-tree",
        {
            "pyproject.toml": setuptools_pyproject("broken-tree", "1.0"),
            "setup.py": "raise ValueError('no')\n",
        },
    )
    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(tree, config_settings={"--build-option": "--quiet"})
    assert (
        f"  to reproduce: cd {tree} && {bed.interpreter.executable} -m build --wheel -C--build-option=--quiet"
        in (caught.value.render().splitlines())
    )


def test_an_unimportable_backend_is_named(bed: BuildBed) -> None:
    tree = write_tree(
        bed.root / "nobackend",
        {
            "pyproject.toml": """
                [build-system]
                requires = []
                build-backend = "bale_no_such_backend.api"
            """
        },
    )
    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(tree)
    error = caught.value
    assert (
        error.message
        == "Cannot build nobackend: its build backend 'bale_no_such_backend.api' cannot be imported"
    )
    assert "ModuleNotFoundError: No module named 'bale_no_such_backend'" in error.context
    assert error.hint is not None and "build-backend" in error.hint


def test_an_uninstallable_backend_is_a_resolution_error(bed: BuildBed) -> None:
    tree = write_tree(
        bed.root / "needs-missing",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["bale-missing-backend>=1"]
                build-backend = "bale_missing_backend"
            """
        },
    )
    builder = bed.builder()
    with pytest.raises(BaleError) as caught:
        builder.build_wheel(tree)
    error = caught.value
    assert (
        error.message == "Could not install the build requirements of needs-missing: bale-missing-backend>=1"
    )
    assert error.context[0] == "No solution found when resolving dependencies:"
    assert builder.stats.backend_calls == 0
    assert bed.leftovers() == []


def test_a_tree_that_is_not_a_project_is_refused(bed: BuildBed) -> None:
    tree = write_tree(bed.root / "empty", {"README": "nothing to build\n"})
    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(tree)
    assert caught.value.message == f"Cannot build empty: {tree} has neither pyproject.toml nor setup.py"


def test_build_system_without_requires_is_refused(bed: BuildBed) -> None:
    tree = write_tree(bed.root / "norequires", {"pyproject.toml": '[build-system]\nbuild-backend = "x"\n'})
    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(tree)
    assert (
        caught.value.message
        == f"[build-system] in {tree / 'pyproject.toml'} has no `requires` list of strings"
    )


class SdistFolderContext:
    """A BuildContext double that builds requirements from a folder of sdists, as the real one will once
    the resolver can pick sdists: through a nested builder carrying the build chain."""

    def __init__(self, bed: BuildBed, sdists: dict[str, Path]) -> None:
        self.bed = bed
        self.sdists = sdists
        self.seen_chains: list[list[str]] = []

    @property
    def interpreter(self) -> Interpreter:
        return self.bed.interpreter

    def install(self, requirements: list[str], env: PythonEnvironment) -> None:
        chain = current_build_chain()
        self.seen_chains.append([link.label for link in chain])
        nested = Builder(self.bed.cache, self, chain=chain)
        try:
            for requirement in requirements:
                wheel = nested.build_wheel(self.sdists[requirement])
                self.bed.install(wheel, env)
        finally:
            nested.close()


def test_a_build_cycle_is_reported_with_its_chain(bed: BuildBed) -> None:
    dist = bed.root / "dist"
    sdists = {
        "alpha": tar_sdist(in_tree_files("alpha", build_requires=("beta",)), dist, "alpha-1.0"),
        "beta": tar_sdist(in_tree_files("beta", build_requires=("gamma",)), dist, "beta-1.0"),
        "gamma": tar_sdist(in_tree_files("gamma", build_requires=("alpha",)), dist, "gamma-1.0"),
    }
    context = SdistFolderContext(bed, sdists)

    with pytest.raises(BuildCycleError) as caught:
        bed.builder(context=context).build_wheel(sdists["alpha"])

    error = caught.value
    assert (
        error.message == "Cannot build alpha-1.0.tar.gz: its build requirements need alpha-1.0.tar.gz itself"
    )
    assert error.context == (
        "build chain: alpha-1.0.tar.gz -> beta-1.0.tar.gz -> gamma-1.0.tar.gz -> alpha-1.0.tar.gz",
    )
    assert context.seen_chains == [
        ["alpha-1.0.tar.gz"],
        ["alpha-1.0.tar.gz", "beta-1.0.tar.gz"],
        ["alpha-1.0.tar.gz", "beta-1.0.tar.gz", "gamma-1.0.tar.gz"],
    ]
    assert bed.leftovers() == []


def test_a_build_requirement_that_needs_building_is_allowed(bed: BuildBed) -> None:
    dist = bed.root / "dist"
    sdists = {
        "helper": tar_sdist(in_tree_files("helper"), dist, "helper-1.0"),
        "app": tar_sdist(in_tree_files("app", build_requires=("helper",)), dist, "app-1.0"),
    }
    builder = bed.builder(context=SdistFolderContext(bed, sdists))

    wheel = builder.build_wheel(sdists["app"])

    assert wheel.name == "app-1.0-py3-none-any.whl"
    assert [p.name for p in bed.cache.bucket_path("builds").rglob("helper-*.whl")] == [
        "helper-1.0-py3-none-any.whl"
    ]
