"""The pip interface reads pylock.toml and pyproject.toml where it reads requirements files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.conftest import Venv

PYPROJECT = f"""\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={sys.version_info.major}.{sys.version_info.minor}"
dependencies = ["app"]
"""


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("app", "1.0", requires_dist=["lib"]),
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0"),
        make_pkg("stray", "1.0"),
    ]


def test_pip_sync_installs_exactly_a_bale_lock(
    make_pkg, static_index, run_bale, bale, venv: Venv, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    assert run_bale("lock", "-i", server.url, cwd=project).code == 0
    assert bale("pip", "install", "--no-deps", "stray", "-i", server.url).code == 0
    synced = bale("pip", "sync", project / "pylock.toml")
    assert synced.code == 0, synced
    assert venv.dist_infos() == ["app-1.0.dist-info", "lib-2.0.dist-info"]
    # A lock is the whole answer: other requirements cannot join it.
    mixed = bale("pip", "install", "-r", project / "pylock.toml", "stray")
    assert mixed.code == 1, mixed
    assert "is a lock file: it installs exactly what it locks and cannot be combined" in mixed.stderr
    assert venv.dist_infos() == ["app-1.0.dist-info", "lib-2.0.dist-info"]


def test_a_tampered_hash_in_a_pylock_installs_nothing(
    make_pkg, static_index, run_bale, bale, venv: Venv, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    assert run_bale("lock", "-i", server.url, cwd=project).code == 0
    lock = project / "pylock.toml"
    text = lock.read_text()
    digest = text.split('sha256 = "')[1][:64]
    lock.write_text(text.replace(digest, "0" * 64))
    result = bale("pip", "install", "-r", lock)
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    assert venv.dist_infos() == []


def test_pip_install_reads_a_pyproject(make_pkg, static_index, bale, venv: Venv, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    result = bale("pip", "install", "-r", project / "pyproject.toml", "-i", server.url)
    assert result.code == 0, result
    assert venv.dist_infos() == ["app-1.0.dist-info", "lib-2.0.dist-info"]


@pytest.mark.skipif(
    shutil.which("uv", path=os.path.dirname(sys.executable)) is None, reason="uv is not installed"
)
def test_a_pylock_written_by_uv_installs_with_bale(
    make_pkg, find_links_dir, bale, venv: Venv, tmp_path: Path
) -> None:
    links = find_links_dir(_universe(make_pkg))
    (tmp_path / "in.txt").write_text("app\n")
    uv = shutil.which("uv", path=os.path.dirname(sys.executable))
    assert uv is not None
    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1"}
    done = subprocess.run(
        [
            uv,
            "pip",
            "compile",
            "in.txt",
            "--no-index",
            "--find-links",
            str(links),
            "--offline",
            "-o",
            "pylock.toml",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = bale("pip", "sync", tmp_path / "pylock.toml")
    assert result.code == 0, result
    assert venv.dist_infos() == ["app-1.0.dist-info", "lib-2.0.dist-info"]
