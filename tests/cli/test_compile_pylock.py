"""``bale pip compile --format pylock.toml`` (and ``-o pylock.toml``) writes a PEP 751 lock that bale and uv
install; a lock file is refused as an input to compile, as uv refuses it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from packaging.pylock import Pylock
from tests.cli.conftest import Venv, make_stdlib_venv
from tests.lock.helpers import tomllib

UV = shutil.which("uv", path=os.path.dirname(sys.executable))
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
UPLOADED = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("app", "1.0", requires_dist=["lib", "winonly; sys_platform == 'win32'"]),
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0"),
        make_pkg("lib", "2.0", tags="py3-none-win_amd64"),
        make_pkg("lib", "2.0", sdist=True),
        make_pkg("winonly", "1.0"),
    ]


def _load(text: str) -> dict[str, Any]:
    data = tomllib.loads(text)
    Pylock.from_dict(data).validate()  # raises on anything PEP 751 does not allow
    return data


def _files(package: dict[str, Any]) -> list[str]:
    names = [wheel["name"] for wheel in package.get("wheels", [])]
    return names + ([package["sdist"]["name"]] if "sdist" in package else [])


def test_compile_writes_a_pylock_for_the_target(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    files = _universe(make_pkg)
    server = static_index(files, upload_times={f.name: UPLOADED for f in files})
    (tmp_path / "requirements.in").write_text("app\n")
    result = run_bale("pip", "compile", "requirements.in", "-o", "pylock.toml", "-i", server.url)
    assert result.code == 0, result
    assert result.stdout == ""  # written to the file only, as for requirements.txt
    text = (tmp_path / "pylock.toml").read_text()
    assert text.startswith(
        "# This file was written by bale via the following command:\n"
        f"#    bale pip compile requirements.in -o pylock.toml -i {server.url}\n"
        'lock-version = "1.0"\n'
    )
    data = _load(text)
    assert data["created-by"] == "bale"
    assert data["requires-python"] == f">={PYTHON}"
    packages = {p["name"]: p for p in data["packages"]}
    # winonly is not needed on this platform; no package carries a marker in a lock for one target.
    assert sorted(packages) == ["app", "lib"]
    assert [p["version"] for p in data["packages"]] == ["1.0", "2.0"]
    assert not any("marker" in p for p in data["packages"])
    # Only the files this environment can install: the Windows wheel is left out, the sdist kept.
    assert _files(packages["lib"]) == ["lib-2.0-py3-none-any.whl", "lib-2.0.tar.gz"]
    for entry in [*packages["lib"]["wheels"], packages["lib"]["sdist"]]:
        name = entry["name"]
        assert entry["url"] == f"{server.url.rsplit('/simple', 1)[0]}/files/{name}"
        local = server.root / "files" / name
        assert entry["size"] == local.stat().st_size
        assert entry["upload-time"] == UPLOADED
        import hashlib

        assert entry["hashes"] == {"sha256": hashlib.sha256(local.read_bytes()).hexdigest()}
    assert packages["app"]["dependencies"] == [{"name": "lib"}]


def test_universal_compile_writes_the_packages_bale_lock_writes(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    args = ("pip", "compile", "requirements.in", "--universal", "--python-version", PYTHON)
    compiled = run_bale(*args, "--format", "pylock.toml", "--no-header", "-i", server.url)
    assert compiled.code == 0, compiled
    data = _load(compiled.stdout)
    packages = {p["name"]: p for p in data["packages"]}
    assert packages["winonly"]["marker"] == "sys_platform == 'win32'"
    assert _files(packages["lib"]) == [
        "lib-2.0-py3-none-any.whl",
        "lib-2.0-py3-none-win_amd64.whl",
        "lib-2.0.tar.gz",
    ]
    # The same entries as the project lock of the same requirements: one writer for both.
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">={PYTHON}"\ndependencies = ["app"]\n'
    )
    assert run_bale("lock", "-i", server.url, cwd=project).code == 0
    locked = _load((project / "pylock.toml").read_text())
    assert data["packages"] == locked["packages"]
    assert data["requires-python"] == locked["requires-python"]
    # Deterministic: a second run from scratch gives the same bytes.
    again = run_bale(
        *args, "--format", "pylock.toml", "--no-header", "-i", server.url, env={"BALE_NO_MEMO": "1"}
    )
    assert again.stdout == compiled.stdout


def test_a_find_links_folder_is_hashed_into_the_lock(
    make_pkg, find_links_dir, run_bale, tmp_path: Path
) -> None:
    links = find_links_dir(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    result = run_bale(
        "pip", "compile", "requirements.in", "--no-index", "-f", links, "-o", "pylock.linux.toml"
    )
    assert result.code == 0, result
    packages = {p["name"]: p for p in _load((tmp_path / "pylock.linux.toml").read_text())["packages"]}
    import hashlib

    wheel = packages["app"]["wheels"][0]
    assert wheel["url"] == (links / "app-1.0-py3-none-any.whl").as_uri()
    assert wheel["hashes"]["sha256"] == hashlib.sha256((links / wheel["name"]).read_bytes()).hexdigest()
    # The same code writes `bale lock`'s entries: a project locks from a find-links folder too.
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">={PYTHON}"\ndependencies = ["app"]\n'
    )
    locked = run_bale("lock", "--no-index", "-f", links, cwd=project)
    assert locked.code == 0, locked
    lock = {p["name"]: p for p in _load((project / "pylock.toml").read_text())["packages"]}
    assert lock["app"]["wheels"] == [wheel]


def test_the_format_decides_the_output_of_a_repeated_run(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    """Replay and the memo key on the format: the same resolution asked for as a lock gives a lock."""
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    plain = run_bale("pip", "compile", "requirements.in", "--no-header", "--no-annotate", "-i", server.url)
    assert plain.code == 0, plain
    assert plain.stdout == "app==1.0\nlib==2.0\n"
    as_lock = run_bale("pip", "compile", "requirements.in", "--format", "pylock.toml", "-i", server.url)
    assert as_lock.code == 0, as_lock
    assert [p["name"] for p in _load(as_lock.stdout)["packages"]] == ["app", "lib"]
    # -o pylock.toml then -o requirements.txt from the same inputs: each file in its own format.
    assert run_bale("pip", "compile", "requirements.in", "-o", "pylock.toml", "-i", server.url).code == 0
    assert run_bale("pip", "compile", "requirements.in", "-o", "out.txt", "-i", server.url).code == 0
    _load((tmp_path / "pylock.toml").read_text())
    assert "lib==2.0" in (tmp_path / "out.txt").read_text().splitlines()
    forced = run_bale(
        "pip",
        "compile",
        "requirements.in",
        "-o",
        "pylock.toml",
        "--format",
        "requirements.txt",
        "-i",
        server.url,
    )
    assert forced.code == 0, forced
    assert "lib==2.0" in (tmp_path / "pylock.toml").read_text().splitlines()


def test_versions_in_an_existing_pylock_are_kept_unless_upgrading(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    (tmp_path / "requirements.in").write_text("lib\n")
    old = static_index([make_pkg("lib", "1.0")])
    assert run_bale("pip", "compile", "requirements.in", "-o", "pylock.toml", "-i", old.url).code == 0
    new = static_index([make_pkg("lib", "1.0"), make_pkg("lib", "2.0")])
    kept = run_bale("pip", "compile", "requirements.in", "-o", "pylock.toml", "-i", new.url)
    assert kept.code == 0, kept
    assert [p["version"] for p in _load((tmp_path / "pylock.toml").read_text())["packages"]] == ["1.0"]
    upgraded = run_bale("pip", "compile", "requirements.in", "-o", "pylock.toml", "-U", "-i", new.url)
    assert upgraded.code == 0, upgraded
    assert [p["version"] for p in _load((tmp_path / "pylock.toml").read_text())["packages"]] == ["2.0"]


def test_a_local_wheel_is_locked_by_relative_path_and_hash(
    make_pkg, static_index, bale, venv: Venv, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    local = make_pkg("local", "3.0", requires_dist=["lib<2"], dest=tmp_path / "wheels")
    (tmp_path / "requirements.in").write_text("./wheels/local-3.0-py3-none-any.whl\n")
    out = tmp_path / "locks"
    out.mkdir()
    result = bale(
        "pip", "compile", "requirements.in", "-o", "locks/pylock.toml", "-i", server.url, cwd=tmp_path
    )
    assert result.code == 0, result
    packages = {p["name"]: p for p in _load((out / "pylock.toml").read_text())["packages"]}
    import hashlib

    assert packages["local"]["version"] == "3.0"
    assert packages["local"]["archive"]["path"] == "../wheels/local-3.0-py3-none-any.whl"
    assert packages["local"]["archive"]["hashes"] == {
        "sha256": hashlib.sha256(local.read_bytes()).hexdigest()
    }
    synced = bale("pip", "sync", out / "pylock.toml", cwd=tmp_path / "wheels")
    assert synced.code == 0, synced
    assert venv.dist_infos() == ["lib-1.0.dist-info", "local-3.0.dist-info"]


def test_a_compiled_pylock_installs_with_bale_and_with_uv(
    make_pkg, static_index, bale, run_bale, venv: Venv, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    universal = ("--universal", "--python-version", PYTHON)
    for name, extra in (("pylock.toml", ()), ("pylock.universal.toml", universal)):
        result = run_bale("pip", "compile", "requirements.in", "-o", name, *extra, "-i", server.url)
        assert result.code == 0, result
        lock = tmp_path / name
        # Another package first: sync removes what the lock does not list.
        assert bale("pip", "install", "--no-deps", "lib==1.0", "-i", server.url).code == 0
        synced = bale("pip", "sync", lock)
        assert synced.code == 0, synced
        assert venv.dist_infos() == ["app-1.0.dist-info", "lib-2.0.dist-info"]
        if UV is None:
            continue
        other = make_stdlib_venv(tmp_path / f"uv-venv-{name}")
        env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1"}
        env.pop("VIRTUAL_ENV", None)
        done = subprocess.run(
            [UV, "pip", "sync", str(lock), "--python", str(other.python)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert other.dist_infos() == venv.dist_infos()
    if UV is None:
        pytest.skip("uv is not installed: only bale installed the locks")


def test_a_lock_file_is_not_an_input_to_compile(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    assert run_bale("pip", "compile", "requirements.in", "-o", "pylock.toml", "-i", server.url).code == 0
    result = run_bale("pip", "compile", "pylock.toml", "-o", "requirements.txt", "-i", server.url)
    assert result.code == 1, result
    assert result.stdout == ""
    assert result.stderr == (
        "error: pylock.toml is a lock file, not an input `bale pip compile` can resolve\n"
        "hint: install it with `bale pip sync pylock.toml`; for a project's requirements from its lock "
        "file, use `bale export`\n"
    )
    assert not (tmp_path / "requirements.txt").exists()


def test_binary_options_choose_the_files_a_lock_lists(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("lib\n")
    universal = ("--universal", "--python-version", PYTHON)
    only = run_bale(
        "pip",
        "compile",
        "requirements.in",
        *universal,
        "--format",
        "pylock.toml",
        "--only-binary",
        "lib",
        "-i",
        server.url,
    )
    assert only.code == 0, only
    assert _files(_load(only.stdout)["packages"][0]) == [
        "lib-2.0-py3-none-any.whl",
        "lib-2.0-py3-none-win_amd64.whl",
    ]
    none = run_bale(
        "pip",
        "compile",
        "requirements.in",
        "--format",
        "pylock.toml",
        "--no-binary",
        ":all:",
        "-i",
        server.url,
    )
    assert none.code == 0, none
    assert _files(_load(none.stdout)["packages"][0]) == ["lib-2.0.tar.gz"]
