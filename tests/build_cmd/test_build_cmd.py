"""`bale build` through the CLI with real backends (setuptools, hatchling, flit-core from the wheelhouse)."""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.build.helpers import write_tree
from tests.cli.conftest import make_stdlib_venv
from tests.support.cli import BaleRunner, Result, scrub

PY = sys.executable


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: build environments link setuptools from it instead of unpacking it
    again per test (~2 s each); the cache's file locks make sharing it between workers safe."""
    return tmp_path_factory.mktemp("bale-cache")


@pytest.fixture
def run_bale(run_bale: BaleRunner, cache_dir: Path) -> BaleRunner:
    run_bale.cache_dir = cache_dir
    return run_bale


def _build(run_bale: BaleRunner, wheelhouse: Path, *args: str | Path, cwd: Path) -> Result:
    env = {"BALE_CACHE_DIR": str(run_bale.cache_dir)}
    return run_bale("build", *args, "--no-index", "-f", wheelhouse, "-p", PY, cwd=cwd, env=env)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _setuptools_tree(root: Path, name: str = "spam", version: str = "1.0") -> Path:
    return write_tree(
        root,
        {
            "pyproject.toml": f"""
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "{name}"
                version = "{version}"
                description = "Spam for tests"
            """,
            f"src/{name}/__init__.py": f"VALUE = {name!r}\n",
        },
    )


def _hatch_tree(root: Path, name: str = "eggs") -> Path:
    return write_tree(
        root,
        {
            "pyproject.toml": f"""
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "{name}"
                version = "2.0"
                readme = "README.md"
                requires-python = ">=3.8"
            """,
            "README.md": "# Eggs\n",
            f"src/{name}/__init__.py": "VALUE = 'hatched'\n",
        },
    )


def test_setuptools_sdist_then_wheel_from_it_and_the_wheel_installs(
    run_bale: BaleRunner,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    project = _setuptools_tree(tmp_path / "spam")

    result = _build(run_bale, wheelhouse, cwd=project)

    assert result.code == 0, str(result)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Building source distribution...",
        "Building wheel from source distribution...",
        "Successfully built dist/spam-1.0.tar.gz",
        "Successfully built dist/spam-1.0-py3-none-any.whl",
    ]
    dist = project / "dist"
    assert _files(dist) == [".gitignore", "spam-1.0-py3-none-any.whl", "spam-1.0.tar.gz"]
    assert (dist / ".gitignore").read_text() == "*\n"
    with tarfile.open(dist / "spam-1.0.tar.gz") as sdist:
        assert "spam-1.0/src/spam/__init__.py" in sdist.getnames()

    venv = make_stdlib_venv(tmp_path / "venv")
    installed = run_bale(
        "pip", "install", dist / "spam-1.0-py3-none-any.whl", "--no-index", virtual_env=venv.root
    )
    assert installed.code == 0, str(installed)
    done = venv.run("-c", "import spam; print(spam.VALUE)")
    assert done.stdout.strip() == "spam", done.stderr


def test_hatchling_wheel_only_and_sdist_only(
    run_bale: BaleRunner,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    project = _hatch_tree(tmp_path / "eggs")

    wheel = _build(run_bale, wheelhouse, "--wheel", cwd=project)
    assert wheel.code == 0, str(wheel)
    assert wheel.stderr.splitlines() == [
        "Building wheel...",
        "Successfully built dist/eggs-2.0-py3-none-any.whl",
    ]
    assert _files(project / "dist") == [".gitignore", "eggs-2.0-py3-none-any.whl"]

    sdist = _build(run_bale, wheelhouse, "--sdist", cwd=project)
    assert sdist.code == 0, str(sdist)
    assert sdist.stderr.splitlines()[-1] == "Successfully built dist/eggs-2.0.tar.gz"
    assert _files(project / "dist") == [".gitignore", "eggs-2.0-py3-none-any.whl", "eggs-2.0.tar.gz"]

    both = _build(run_bale, wheelhouse, "--sdist", "--wheel", cwd=project)
    assert both.code == 1
    assert "error: Give --sdist or --wheel, not both" in both.stderr


def test_flit_core_sdist_as_path_builds_its_wheel_beside_it(
    run_bale: BaleRunner,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    project = write_tree(
        tmp_path / "ham",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["flit_core>=3.4"]
                build-backend = "flit_core.buildapi"

                [project]
                name = "ham"
                version = "3.1"
                description = "Ham"
            """,
            "ham/__init__.py": "VALUE = 'flit'\n",
        },
    )
    out = tmp_path / "out"

    first = _build(run_bale, wheelhouse, "--sdist", "-o", out, cwd=project)
    assert first.code == 0, str(first)
    assert _files(out) == [".gitignore", "ham-3.1.tar.gz"]
    assert not (project / "dist").exists()

    second = _build(run_bale, wheelhouse, out / "ham-3.1.tar.gz", cwd=tmp_path)
    assert second.code == 0, str(second)
    wheels = [name for name in _files(out) if name.endswith(".whl")]
    # flit-core tags its wheels py3 or py2.py3 depending on its version.
    assert len(wheels) == 1 and wheels[0].startswith("ham-3.1-py") and wheels[0].endswith("-none-any.whl")
    assert scrub(second.stderr, {tmp_path: "[TMP]"}).splitlines() == [
        "Building wheel from ham-3.1.tar.gz...",
        f"Successfully built out/{wheels[0]}",
    ]
    with zipfile.ZipFile(out / wheels[0]) as wheel:
        assert "ham/__init__.py" in wheel.namelist()

    again = _build(run_bale, wheelhouse, "--sdist", out / "ham-3.1.tar.gz", cwd=tmp_path)
    assert again.code == 1
    assert "error: Cannot build a source distribution from ham-3.1.tar.gz: it is one already" in again.stderr


def test_wheel_is_built_from_the_sdist_so_a_missing_file_fails_the_build(
    run_bale: BaleRunner,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    # setup.py reads VERSION.txt, which setuptools leaves out of the sdist: the tree builds a wheel,
    # the sdist does not.
    project = write_tree(
        tmp_path / "leaky",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"
            """,
            "setup.py": """
                from setuptools import setup

                with open("VERSION.txt") as handle:
                    version = handle.read().strip()
                setup(name="leaky", version=version, py_modules=["leaky"])
            """,
            "VERSION.txt": "0.5\n",
            "leaky.py": "VALUE = 1\n",
        },
    )

    result = _build(run_bale, wheelhouse, cwd=project)

    assert result.code == 1, str(result)
    err = scrub(result.stderr, {project: "[PROJECT]"})
    assert "error: Failed to build leaky-0.5.tar.gz" in err
    assert "FileNotFoundError" in err and "VERSION.txt" in err
    assert "to reproduce:" in err and "[PROJECT]/dist/leaky-0.5.tar.gz" in err
    assert "Traceback" not in err
    # The sdist is complete and stays; no wheel and no temporary file is left in dist/.
    assert _files(project / "dist") == [".gitignore", "leaky-0.5.tar.gz"]

    wheel = _build(run_bale, wheelhouse, "--wheel", cwd=project)
    assert wheel.code == 0, str(wheel)
    assert "leaky-0.5-py3-none-any.whl" in _files(project / "dist")


def test_backend_failure_in_the_sdist_hook_is_reported_with_a_reproduce_command(
    run_bale: BaleRunner,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    project = write_tree(
        tmp_path / "broken",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"
            """,
            "setup.py": "raise SystemExit('this project refuses to be built')\n",
        },
    )

    result = _build(run_bale, wheelhouse, cwd=project)

    assert result.code == 1, str(result)
    err = scrub(result.stderr, {project: "[PROJECT]"})
    assert "error: Failed to build the source distribution of broken" in err
    assert "this project refuses to be built" in err
    assert "to reproduce: cd [PROJECT] && " in err and "-m build --sdist" in err
    assert _files(project / "dist") == [".gitignore"]


def test_package_builds_a_workspace_member_into_the_root_dist(
    run_bale: BaleRunner,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path / "ws",
        {
            "pyproject.toml": """
                [tool.bale.workspace]
                members = ["packages/*"]
            """,
        },
    )
    _hatch_tree(root / "packages" / "eggs")
    _setuptools_tree(root / "packages" / "spam")

    result = _build(run_bale, wheelhouse, "--package", "Eggs", "--wheel", cwd=root / "packages" / "spam")

    assert result.code == 0, str(result)
    assert _files(root / "dist") == [".gitignore", "eggs-2.0-py3-none-any.whl"]
    assert not (root / "packages" / "spam" / "dist").exists()

    missing = _build(run_bale, wheelhouse, "--package", "nope", cwd=root)
    assert missing.code == 1
    assert "error: No workspace member is named 'nope'" in missing.stderr
    assert "members: eggs, spam" in missing.stderr

    at_root = _build(run_bale, wheelhouse, cwd=root)
    assert at_root.code == 1
    assert "workspace root without a [project] table" in at_root.stderr
