"""`bale lock` records the build dependencies of sdist-only packages; `bale sync` builds with exactly those.

The backend is the real setuptools of the test wheelhouse (84.2.1); "setuptools 999" is a fake that
fails on import, standing for a release that breaks builds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.pylock import Pylock

from tests.build.conftest import wheelhouse  # noqa: F401  (the fixture, with its skip logic)
from tests.cli.conftest import make_stdlib_venv
from tests.support.builders import Pkg, make_wheel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SETUPTOOLS = "setuptools==84.2.1"


def _project(tmp_path: Path, *dependencies: str) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    major, minor = sys.version_info[:2]
    listed = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">={major}.{minor}"\n'
        f"dependencies = [{listed}]\n"
    )
    return root


def _broken_setuptools(folder: Path) -> Path:
    """A folder holding setuptools 999, whose import raises: any build using it fails."""
    files = {
        "setuptools/__init__.py": "raise RuntimeError('setuptools 999 is broken')\n",
        "setuptools/build_meta.py": "",
    }
    make_wheel(Pkg("setuptools", "999", files=files), folder)
    return folder


def _build_dependencies(root: Path) -> dict[str, object]:
    data = tomllib.loads((root / "pylock.toml").read_text())
    Pylock.from_dict(data).validate()
    table = data["tool"]["bale"].get("build-dependencies", {})
    assert isinstance(table, dict)
    return table


def test_lock_records_build_dependencies_and_sync_builds_with_them(
    make_pkg,
    static_index,
    run_bale,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    # srconly's PKG-INFO is static: locking reads it without a build, and resolves the build
    # requirements anyway. dynsrc's is not: locking builds its metadata, and records that build.
    static = make_pkg(Pkg("srconly", "1.0"), sdist=True)
    dynamic = make_pkg(Pkg("dynsrc", "2.0", extra_metadata=["Dynamic: Requires-Dist"]), sdist=True)
    server = static_index([static, dynamic, make_pkg("haswheel", "1.0")])
    root = _project(tmp_path, "srconly", "dynsrc", "haswheel")

    locked = run_bale("lock", "-i", server.url, "-f", wheelhouse, "-v", cwd=root)

    assert locked.code == 0, locked
    assert "locked the build dependencies of srconly==1.0 without building it" in locked.stderr
    assert "prepare_metadata_for_build_wheel of setuptools.build_meta for dynsrc-2.0.tar.gz" in locked.stderr
    assert _build_dependencies(root) == {"dynsrc": {"2.0": [SETUPTOOLS]}, "srconly": {"1.0": [SETUPTOOLS]}}
    text = (root / "pylock.toml").read_text()
    assert '[tool.bale.build-dependencies.srconly]\n"1.0" = ["setuptools==84.2.1"]\n' in text

    # A newer, broken setuptools appears. The locked project still builds, with 84.2.1 ...
    broken = _broken_setuptools(tmp_path / "broken")
    synced = run_bale(
        "sync", "--locked", "-i", server.url, "-f", broken, "-f", wheelhouse,
        cwd=root, env={"BALE_CACHE_DIR": str(tmp_path / "sync-cache")},
    )  # fmt: skip
    assert synced.code == 0, synced
    assert "Built srconly==1.0 in " in synced.stderr
    assert "Built dynsrc==2.0 in " in synced.stderr
    assert " + srconly==1.0" in synced.stderr and " + dynsrc==2.0" in synced.stderr

    # ... while the same sdist installed without the lock takes setuptools 999 and fails to build.
    venv = make_stdlib_venv(tmp_path / "plain")
    unlocked = run_bale(
        "pip", "install", "srconly", "-i", server.url, "-f", broken, "-f", wheelhouse,
        virtual_env=venv.root, env={"BALE_CACHE_DIR": str(tmp_path / "pip-cache")},
    )  # fmt: skip
    assert unlocked.code == 1, unlocked
    assert "Failed to build srconly-1.0.tar.gz" in unlocked.stderr
    assert "setuptools 999 is broken" in unlocked.stderr


def test_a_locked_build_dependency_that_is_gone_is_named(
    make_pkg,
    static_index,
    run_bale,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    server = static_index([make_pkg(Pkg("srconly", "1.0"), sdist=True)])
    root = _project(tmp_path, "srconly")
    assert run_bale("lock", "-i", server.url, "-f", wheelhouse, cwd=root).code == 0
    broken = _broken_setuptools(tmp_path / "broken")

    # Only setuptools 999 is left: no build is attempted with it.
    result = run_bale(
        "sync", "--frozen", "-i", server.url, "-f", broken,
        cwd=root, env={"BALE_CACHE_DIR": str(tmp_path / "sync-cache")},
    )  # fmt: skip

    assert result.code == 1, result
    assert result.stdout == ""
    assert result.stderr.startswith(
        "error: Cannot build srconly==1.0 with its locked build dependencies: "
        "setuptools==84.2.1 is not available from the configured indexes\n"
    ), result.stderr
    assert f"locked in {root / 'pylock.toml'}: setuptools==84.2.1" in result.stderr
    assert "bale lock --upgrade-package setuptools" in result.stderr
    assert "setuptools 999 is broken" not in result.stderr
    assert "Traceback" not in result.stderr


def test_relocking_keeps_build_dependencies_until_upgraded(
    make_pkg,
    static_index,
    run_bale,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    server = static_index([make_pkg(Pkg("srconly", "1.0"), sdist=True)])
    root = _project(tmp_path, "srconly")
    assert run_bale("lock", "-i", server.url, "-f", wheelhouse, cwd=root).code == 0
    before = (root / "pylock.toml").read_text()
    newer = _broken_setuptools(tmp_path / "newer")  # locking only resolves: a broken wheel is fine here

    again = run_bale("lock", "-i", server.url, "-f", newer, "-f", wheelhouse, cwd=root)
    assert again.code == 0, again
    assert (root / "pylock.toml").read_text() == before

    upgraded = run_bale("lock", "-P", "setuptools", "-i", server.url, "-f", newer, "-f", wheelhouse, cwd=root)
    assert upgraded.code == 0, upgraded
    assert _build_dependencies(root) == {"srconly": {"1.0": ["setuptools==999"]}}


def test_a_lock_of_wheels_only_has_no_build_dependencies(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("haswheel", "1.0")])
    root = _project(tmp_path, "haswheel")
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    assert "build-dependencies" not in (root / "pylock.toml").read_text()
