"""`bale export --wheelhouse DIR --build`: sdist-only packages built once here, installed with no backend."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.build.helpers import tar_sdist
from tests.support.builders import Pkg, make_sdist, make_wheel, sha256_of
from tests.support.cli import BaleRunner
from tests.support.servers import StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]
WHEELHOUSE = Path(__file__).resolve().parents[2] / ".wheelhouse"
PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["app"]
"""
FLIT_PYPROJECT = """
    [build-system]
    requires = ["flit_core>=3.4,<5"]
    build-backend = "flit_core.buildapi"

    [project]
    name = "flitdemo"
    version = "0.3"
    description = "A flit-built test package"
    requires-python = ">=3.8"
"""
FLIT_PKG_INFO = """
    Metadata-Version: 2.1
    Name: flitdemo
    Version: 0.3
    Summary: A flit-built test package
    Requires-Python: >=3.8
"""


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def _site_packages(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python*/site-packages")
    return {p.name.split("-")[0] for p in site.glob("*.dist-info")}


def _universe(folder: Path) -> list[Path]:
    """app (a wheel) needs setupdemo (a setuptools sdist) and flitdemo (a flit sdist)."""
    flit = {
        "pyproject.toml": FLIT_PYPROJECT,
        "PKG-INFO": FLIT_PKG_INFO,
        "flitdemo/__init__.py": '"""Flit demo."""\n\nANSWER = 42\n',
    }
    return [
        make_wheel(Pkg("app", "1.0", requires_dist=["setupdemo", "flitdemo"]), folder),
        make_sdist(Pkg("setupdemo", "1.2"), folder),
        tar_sdist(flit, folder, "flitdemo-0.3"),
    ]


@pytest.fixture
def backends() -> Path:
    present = {p.name.split("-", 1)[0] for p in WHEELHOUSE.glob("*.whl")}
    if not {"setuptools", "flit_core"} <= present:
        pytest.skip(f"needs the real setuptools and flit_core wheels in {WHEELHOUSE} (README: Run the tests)")
    return WHEELHOUSE


def test_build_puts_wheels_for_this_machine_beside_the_sdists(
    tmp_path: Path, static_index: StartIndex, run_bale: BaleRunner, backends: Path
) -> None:
    server = static_index(_universe(tmp_path / "packages"))
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    links = ("--find-links", str(backends))  # the build backends come from here
    result = run_bale("lock", "-i", server.url, *links, cwd=root)
    assert result.code == 0, result
    house = tmp_path / "house"
    result = run_bale(
        "export", "--frozen", "--wheelhouse", house, "--build", "-i", server.url, *links, cwd=root
    )
    assert result.code == 0, result
    assert "Wrote a wheelhouse of 3 wheels, 2 sdists (2 wheels built here)" in result.stderr
    built = ["flitdemo-0.3-py3-none-any.whl", "setupdemo-1.2-py3-none-any.whl"]
    files = sorted(p.name for p in (house / "files").iterdir())
    assert files == sorted(
        ["app-1.0-py3-none-any.whl", "flitdemo-0.3.tar.gz", "setupdemo-1.2.tar.gz", *built]
    )
    for name in built:
        digest = sha256_of(house / "files" / name)
        lock = (house / "pylock.toml").read_text()
        assert f'path = "files/{name}"' in lock and digest in lock
        project = name.split("-")[0]
        page = (house / "simple" / project / "index.html").read_text()
        assert f'href="../../files/{name}#sha256={digest}"' in page
        assert f"{name.split('-')[0]}-{name.split('-')[1]}.tar.gz#sha256=" in page  # the sdist stays

    # Exported again: the wheels built the first time come from the cache, not from a second build.
    result = run_bale(
        "export", "--frozen", "--wheelhouse", house, "--build", "-i", server.url, *links, cwd=root
    )
    assert result.code == 0, result
    assert "Building" not in result.stderr

    server.stop()  # the network is cut, and the offline machine has no build backend
    fresh = BaleRunner(tmp_path / "offline-home", cwd=tmp_path)
    venv = _venv(tmp_path / "venv-bale")
    result = fresh("pip", "install", "--offline", "-r", house / "pylock.toml", virtual_env=venv)
    assert result.code == 0, result
    assert "Building" not in result.stderr
    assert _site_packages(venv) == {"app", "setupdemo", "flitdemo"}
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import flitdemo, setupdemo; print(flitdemo.ANSWER)"],
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "42", done.stderr

    # pip, with no index and no way to fetch setuptools or flit_core: only the built wheels install.
    venv = _venv(tmp_path / "venv-pip")
    pip = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(venv / "bin" / "python"),
        "install",
        "-q",
        "--no-index",
    ]
    done = subprocess.run([*pip, "--find-links", str(house / "files"), "app"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _site_packages(venv) == {"app", "setupdemo", "flitdemo"}


def test_a_build_that_fails_names_the_package_and_writes_nothing(
    tmp_path: Path, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    sdist = make_sdist(Pkg("setupdemo", "1.2"), tmp_path)  # PKG-INFO 2.2: locked with no build
    server = static_index([make_wheel(Pkg("app", "1.0", requires_dist=["setupdemo"]), tmp_path), sdist])
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    house = tmp_path / "house"
    # Without --find-links nothing serves setuptools: the build cannot even start.
    result = run_bale("export", "--frozen", "--wheelhouse", house, "--build", "-i", server.url, cwd=root)
    assert result.code == 1, result
    assert "Cannot build setupdemo==1.2 for the wheelhouse" in result.stderr
    assert "setuptools" in result.stderr and "Traceback" not in result.stderr
    assert not house.exists() and not list(tmp_path.glob(".house.*"))
