"""A project synced from a wheelhouse with the network cut: `bale sync --offline --index-url file://DIR/simple`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.builders import Pkg, make_wheel
from tests.support.cli import BaleRunner
from tests.support.servers import StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]
PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["alpha"]
"""


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def _site_packages(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python*/site-packages")
    return {p.name.split("-")[0] for p in site.glob("*.dist-info")}


def _wheelhouse(tmp_path: Path, static_index: StartIndex, run_bale: BaleRunner) -> tuple[Path, Path]:
    """A locked project and its wheelhouse; the index server is stopped before this returns."""
    packages = tmp_path / "packages"
    files = [
        make_wheel(Pkg("alpha", "1.0", requires_dist=["beta>=2"]), packages),
        make_wheel(Pkg("beta", "2.0"), packages),
        make_wheel(Pkg("beta", "3.0"), packages),
    ]
    server = static_index(files)
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    # The lock takes beta 3.0; the wheelhouse holds only that one of the two the index offers.
    house = tmp_path / "house"
    result = run_bale("export", "--frozen", "--wheelhouse", house, cwd=root)
    assert result.code == 0, result
    server.stop()
    return root, house


def _offline_copy(root: Path, dest: Path) -> Path:
    """The project as it reaches the offline machine: pyproject.toml and pylock.toml, no .venv."""
    dest.mkdir()
    for name in ("pyproject.toml", "pylock.toml"):
        shutil.copy(root / name, dest / name)
    return dest


def test_a_project_syncs_from_the_wheelhouse_index_with_the_network_cut(
    tmp_path: Path, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    root, house = _wheelhouse(tmp_path, static_index, run_bale)
    index = (house / "simple").as_uri()
    offline = BaleRunner(tmp_path / "offline-home", cwd=tmp_path)

    # --locked: the lock's files come from another index, and it may not be changed.
    project = _offline_copy(root, tmp_path / "locked")
    result = offline("sync", "--offline", "--locked", "--index-url", index, cwd=project)
    assert result.code == 1, result
    assert (
        "Refusing to install from" in result.stderr and "not one of the configured indexes" in result.stderr
    )
    assert "Traceback" not in result.stderr

    # Without it, the lock is written again against the wheelhouse, with the same versions.
    project = _offline_copy(root, tmp_path / "offline")
    before = (project / "pylock.toml").read_text()
    result = offline("sync", "--offline", "--index-url", index, cwd=project)
    assert result.code == 0, result
    assert _site_packages(project / ".venv") == {"alpha", "beta"}
    after = (project / "pylock.toml").read_text()
    assert 'version = "3.0"' in before and 'version = "3.0"' in after
    assert "127.0.0.1" in before and "127.0.0.1" not in after
    assert f'index = "{index}"' in after
    # Synced again (frozen now, the lock names the wheelhouse): nothing to do, still no network.
    result = offline("sync", "--offline", "--frozen", "--index-url", index, cwd=project)
    assert result.code == 0, result

    # The wheelhouse's own lock installs into the project's environment in pip mode.
    project = _offline_copy(root, tmp_path / "pip-sync")
    venv = _venv(project / ".venv")
    result = offline("pip", "sync", "--offline", house / "pylock.toml", virtual_env=venv, cwd=project)
    assert result.code == 0, result
    assert _site_packages(venv) == {"alpha", "beta"}


def test_real_pip_installs_from_the_wheelhouse_with_no_index(
    tmp_path: Path, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    _, house = _wheelhouse(tmp_path, static_index, run_bale)
    for how in (["--find-links", str(house / "files")], ["--index-url", (house / "simple").as_uri()]):
        venv = _venv(tmp_path / f"venv-{how[0].strip('-')}")
        pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q"]
        extra = ["--no-index"] if how[0] == "--find-links" else []
        done = subprocess.run([*pip, *extra, *how, "alpha"], capture_output=True, text=True)
        assert done.returncode == 0, (how, done.stderr)
        assert _site_packages(venv) == {"alpha", "beta"}
        (site,) = venv.glob("lib/python*/site-packages")
        assert (site / "beta-3.0.dist-info").is_dir()
