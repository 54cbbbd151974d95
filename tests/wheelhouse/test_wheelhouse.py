"""`bale export --wheelhouse`: a lock's files for chosen platforms, installed with the network cut."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.cli import BaleRunner
from tests.support.fixtures import PkgFactory
from tests.support.servers import StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]
PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
TAGS = {
    "linux": f"{PY}-{PY}-manylinux_2_17_x86_64",
    "win": f"{PY}-{PY}-win_amd64",
    "mac": f"{PY}-{PY}-macosx_11_0_arm64",
}
PYPROJECT = f"""\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={PYTHON}"
dependencies = ["fast"]
"""


def _universe(make_pkg: PkgFactory, *, sdist: bool = False) -> list[Path]:
    requires = ["pure", "winonly ; sys_platform == 'win32'"]
    files = [make_pkg("fast", "1.0", tags=tags, requires_dist=requires) for tags in TAGS.values()]
    files += [make_pkg("pure", "2.0"), make_pkg("winonly", "1.0")]
    if sdist:
        files.append(make_pkg("fast", "1.0", sdist=True, requires_dist=requires))
    return files


def _locked_project(tmp_path: Path, run_bale: BaleRunner, url: str) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    result = run_bale("lock", "-i", url, cwd=root)
    assert result.code == 0, result
    return root


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "files").iterdir())


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def _site_packages(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python*/site-packages")
    return {p.name.split("-")[0] for p in site.glob("*.dist-info")}


def test_two_platforms_install_offline_with_bale_and_pip(
    tmp_path: Path, make_pkg: PkgFactory, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    server = static_index(_universe(make_pkg))
    root = _locked_project(tmp_path, run_bale, server.url)
    house = tmp_path / "house"
    result = run_bale(
        "export", "--frozen", "--wheelhouse", house, "--platform", "linux_x86_64", "--platform", "win_amd64",
        cwd=root,
    )  # fmt: skip
    assert result.code == 0, result
    assert "Wrote a wheelhouse of 4 wheels, 0 sdists" in result.stderr
    assert _files(house) == [
        f"fast-1.0-{TAGS['linux']}.whl",
        f"fast-1.0-{TAGS['win']}.whl",
        "pure-2.0-py3-none-any.whl",
        "winonly-1.0-py3-none-any.whl",
    ]
    page = (house / "simple" / "fast" / "index.html").read_text()
    assert f'href="../../files/fast-1.0-{TAGS["win"]}.whl#sha256=' in page
    assert "macosx" not in page
    assert 'href="fast/"' in (house / "simple" / "index.html").read_text()
    lock = (house / "pylock.toml").read_text()
    assert f'path = "files/fast-1.0-{TAGS["linux"]}.whl"' in lock
    assert "127.0.0.1" not in lock and "macosx" not in lock
    assert not list(tmp_path.glob(".house.*"))  # the temp dir was renamed into place

    server.stop()  # the network is cut: nothing below may reach the index
    fresh = BaleRunner(tmp_path / "offline-home", cwd=tmp_path)
    venv = _venv(tmp_path / "venv-lock")
    result = fresh("pip", "install", "--offline", "-r", house / "pylock.toml", virtual_env=venv)
    assert result.code == 0, result
    assert _site_packages(venv) == {"fast", "pure"}

    venv = _venv(tmp_path / "venv-pages")
    index = (house / "simple").as_uri()
    result = fresh("pip", "install", "--offline", "--index-url", index, "fast", virtual_env=venv)
    assert result.code == 0, result
    assert _site_packages(venv) == {"fast", "pure"}

    venv = _venv(tmp_path / "venv-pip")
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q"]
    done = subprocess.run(
        [*pip, "--no-index", "--find-links", str(house / "files"), "fast"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert _site_packages(venv) == {"fast", "pure"}


def test_no_platform_takes_every_file_and_sdists(
    tmp_path: Path, make_pkg: PkgFactory, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    server = static_index(_universe(make_pkg, sdist=True))
    root = _locked_project(tmp_path, run_bale, server.url)
    house = tmp_path / "house"
    result = run_bale("export", "--frozen", "--wheelhouse", house, cwd=root)
    assert result.code == 0, result
    assert _files(house) == sorted(
        [
            *(f"fast-1.0-{tags}.whl" for tags in TAGS.values()),
            *("fast-1.0.tar.gz", "pure-2.0-py3-none-any.whl", "winonly-1.0-py3-none-any.whl"),
        ]
    )
    # Exported again into the same folder: the old wheelhouse is replaced, not mixed with the new one.
    result = run_bale("export", "--frozen", "--wheelhouse", house, "--platform", "macos_arm64", cwd=root)
    assert result.code == 0, result
    # Without --python every version the lock admits counts: the newer ones have no wheel, so the sdist.
    assert _files(house) == [f"fast-1.0-{TAGS['mac']}.whl", "fast-1.0.tar.gz", "pure-2.0-py3-none-any.whl"]
    result = run_bale(
        "export", "--frozen", "--wheelhouse", house, "--platform", "macos_arm64", "--python", PYTHON, cwd=root
    )
    assert result.code == 0, result
    assert _files(house) == [f"fast-1.0-{TAGS['mac']}.whl", "pure-2.0-py3-none-any.whl"]


def test_a_platform_the_lock_has_no_file_for_is_named(
    tmp_path: Path, make_pkg: PkgFactory, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    server = static_index(_universe(make_pkg))
    root = _locked_project(tmp_path, run_bale, server.url)
    house = tmp_path / "house"
    result = run_bale(
        "export",
        "--frozen",
        "--wheelhouse",
        house,
        "--platform",
        "linux_aarch64",
        "--python",
        PYTHON,
        cwd=root,
    )
    assert result.code == 1, result
    assert f"Cannot make the wheelhouse for linux_aarch64, Python {PYTHON}" in result.stderr
    assert "fast 1.0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not house.exists()


def test_a_file_with_another_hash_is_refused_and_nothing_is_written(
    tmp_path: Path, make_pkg: PkgFactory, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    server = static_index(_universe(make_pkg))
    root = _locked_project(tmp_path, run_bale, server.url)
    server.garbage("pure-2.0")
    house = tmp_path / "house"
    result = run_bale("export", "--frozen", "--wheelhouse", house, "--platform", "win_amd64", cwd=root)
    assert result.code == 1, result
    assert "pure" in result.stderr and "Traceback" not in result.stderr
    assert not house.exists()
    assert not list(tmp_path.glob(".house.*"))


def test_a_folder_that_is_no_wheelhouse_is_left_alone(
    tmp_path: Path, make_pkg: PkgFactory, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    server = static_index(_universe(make_pkg))
    root = _locked_project(tmp_path, run_bale, server.url)
    house = tmp_path / "house"
    house.mkdir()
    (house / "notes.txt").write_text("mine")
    result = run_bale("export", "--frozen", "--wheelhouse", house, cwd=root)
    assert result.code == 1, result
    assert "not empty and holds no wheelhouse" in result.stderr
    assert [p.name for p in house.iterdir()] == ["notes.txt"]


def test_offline_sync_with_an_empty_cache_fails_fast_naming_the_package(
    tmp_path: Path, make_pkg: PkgFactory, static_index: StartIndex, run_bale: BaleRunner
) -> None:
    server = static_index(_universe(make_pkg))
    root = _locked_project(tmp_path, run_bale, server.url)
    server.stop()
    fresh = BaleRunner(tmp_path / "empty-home", cwd=root)
    start = time.monotonic()
    result = fresh("sync", "--offline", "--frozen")
    assert result.code == 1, result
    assert time.monotonic() - start < 20
    assert "fast" in result.stderr and "offline" in result.stderr
    assert "Traceback" not in result.stderr
    result = fresh("sync", "--frozen", env={"BALE_OFFLINE": "1"})
    assert result.code == 1, result
    assert "offline" in result.stderr
