"""Interoperability: uv installs from a pylock.toml bale wrote (and from its requirements export).

Skipped when no ``uv`` binary is found (the dev environment has one; it is not a test dependency of
the project yet).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.pylock import PackageWheel

from bale.lock.export import to_requirements_txt
from bale.lock.pylock import DependencyRef, LockedPackage, LockInput, read_pylock, write_pylock
from tests.support.builders import Pkg, make_wheel, sha256_of
from tests.support.servers import StaticIndexServer


def find_uv() -> str | None:
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    return str(beside) if beside.exists() else shutil.which("uv")


UV = find_uv()
pytestmark = pytest.mark.skipif(UV is None, reason="uv is not installed")


def uv(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("UV_", "PIP_"))}
    env.update(UV_CACHE_DIR=str(tmp_path / "uv-cache"), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never")
    assert UV is not None
    result = subprocess.run([UV, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def installed(tmp_path: Path, venv: Path) -> list[str]:
    return uv(tmp_path, "pip", "freeze", "--python", str(venv / "bin" / "python")).stdout.split()


@pytest.fixture
def served(
    tmp_path: Path, static_index: Callable[..., StaticIndexServer]
) -> tuple[StaticIndexServer, dict[str, Path]]:
    built = {
        "alpha": make_wheel(Pkg("alpha", "1.0", requires_dist=["beta"]), tmp_path / "wheels"),
        "beta": make_wheel(Pkg("beta", "2.0"), tmp_path / "wheels"),
        "gamma": make_wheel(Pkg("gamma", "3.0"), tmp_path / "wheels"),
        "delta": make_wheel(Pkg("delta", "4.0"), tmp_path / "wheels"),
        "never": make_wheel(Pkg("never", "5.0"), tmp_path / "wheels"),
    }
    return static_index(list(built.values())), built


def lock_text(server: StaticIndexServer, wheels: dict[str, Path]) -> str:
    def entry(
        name: str, marker: str | None = None, dependencies: tuple[DependencyRef, ...] = ()
    ) -> LockedPackage:
        path = wheels[name]
        file = PackageWheel(
            name=path.name,
            url=server.file_url(path.name),
            size=path.stat().st_size,
            hashes={"sha256": sha256_of(path)},
        )
        version = path.name.split("-")[1]
        return LockedPackage(
            name, version, marker=marker, index=server.url, wheels=(file,), dependencies=dependencies
        )

    return write_pylock(
        LockInput(
            (
                entry("alpha", dependencies=(DependencyRef("beta"),)),
                entry("beta"),
                entry("gamma", "'dev' in dependency_groups"),
                entry("delta", "'fast' in extras"),
                entry("never", "sys_platform == 'no-such-platform'"),
            ),
            requires_python=">=3.8",
            extras=("fast",),
            dependency_groups=("dev",),
        )
    )


@pytest.mark.skipif(os.name == "nt", reason="venv layout differs on Windows")
def test_uv_installs_from_a_bale_lock(
    tmp_path: Path, served: tuple[StaticIndexServer, dict[str, Path]]
) -> None:
    server, wheels = served
    lock = tmp_path / "pylock.toml"
    lock.write_text(lock_text(server, wheels), encoding="utf-8")
    venv = tmp_path / "venv"
    uv(tmp_path, "venv", "-q", "--python", sys.executable, str(venv))
    python = str(venv / "bin" / "python")

    uv(tmp_path, "pip", "install", "-r", str(lock), "--python", python)
    assert installed(tmp_path, venv) == ["alpha==1.0", "beta==2.0"]

    uv(tmp_path, "pip", "install", "-r", str(lock), "--group", "dev", "--python", python)
    assert installed(tmp_path, venv) == ["alpha==1.0", "beta==2.0", "gamma==3.0"]

    uv(tmp_path, "pip", "install", "-r", str(lock), "--extra", "fast", "--python", python)
    assert installed(tmp_path, venv) == ["alpha==1.0", "beta==2.0", "delta==4.0", "gamma==3.0"]

    uv(tmp_path, "pip", "sync", str(lock), "--python", python)
    assert installed(tmp_path, venv) == ["alpha==1.0", "beta==2.0"]


@pytest.mark.skipif(os.name == "nt", reason="venv layout differs on Windows")
def test_uv_installs_the_requirements_export_with_hashes(
    tmp_path: Path, served: tuple[StaticIndexServer, dict[str, Path]]
) -> None:
    server, wheels = served
    lock = read_pylock(lock_text(server, wheels), source="pylock.toml")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(to_requirements_txt(lock, hashes=True, extras=["fast"]), encoding="utf-8")
    venv = tmp_path / "venv"
    uv(tmp_path, "venv", "-q", "--python", sys.executable, str(venv))
    python = str(venv / "bin" / "python")
    uv(
        tmp_path,
        "pip",
        "install",
        "--require-hashes",
        "--index-url",
        server.url,
        "-r",
        str(requirements),
        "--python",
        python,
    )
    assert installed(tmp_path, venv) == ["alpha==1.0", "beta==2.0", "delta==4.0"]
