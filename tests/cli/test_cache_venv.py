"""`bale venv`, `bale python`, `bale cache` and the top-level CLI behaviour."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli import scrub


def test_version_and_help(run_bale) -> None:
    version = run_bale("--version")
    assert version.code == 0 and version.stdout.startswith("bale ")
    helped = run_bale("--help")
    assert helped.code == 0 and "venv" in helped.stdout and "pip" in helped.stdout
    wrong = run_bale("pip", "instal")
    assert wrong.code == 2 and "unrecognized subcommand 'instal'" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_venv_creates_a_working_environment(run_bale, tmp_path: Path) -> None:
    result = run_bale("venv", "env", "--python", sys.executable, "--prompt", "demo", cwd=tmp_path)
    assert result.code == 0, result
    python = tmp_path / "env" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", "import sys; print(sys.prefix != sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "True"
    assert "prompt = demo" in (tmp_path / "env" / "pyvenv.cfg").read_text()
    activate = subprocess.run(
        ["bash", "-c", f"source {tmp_path / 'env/bin/activate'} && echo $VIRTUAL_ENV"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert activate.stdout.strip() == str(tmp_path / "env")


def test_venv_refuses_a_non_venv_directory(run_bale, tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    (target / "keep.txt").write_text("precious")
    result = run_bale("venv", "data", "--python", sys.executable, cwd=tmp_path)
    assert result.code == 1
    assert "data" in result.stderr and "not a virtual environment" in result.stderr
    assert (target / "keep.txt").read_text() == "precious"


def test_venv_clear_replaces(run_bale, tmp_path: Path) -> None:
    assert run_bale("venv", "env", "--python", sys.executable, cwd=tmp_path).code == 0
    (tmp_path / "env" / "marker").write_text("old")
    assert run_bale("venv", "env", "--python", sys.executable, "--clear", cwd=tmp_path).code == 0
    assert not (tmp_path / "env" / "marker").exists()


def test_python_not_found_is_clear(run_bale, tmp_path: Path) -> None:
    result = run_bale("venv", "--python", "3.99", cwd=tmp_path)
    assert result.code == 1
    assert "3.99" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_python_find_and_list(run_bale, tmp_path: Path) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    env = {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    found = run_bale("python", "find", version, env=env)
    assert found.code == 0, found
    reported = subprocess.run(
        [found.stdout.strip(), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert reported == str(tuple(sys.version_info[:2]))
    listed = run_bale("python", "list", env=env)
    assert listed.code == 0 and f"cpython-{version}" in listed.stdout
    (tmp_path / ".python-version").write_text(f"{version}\n")
    pinned = run_bale("python", "find", cwd=tmp_path, env=env)
    assert pinned.code == 0 and pinned.stdout.strip() == found.stdout.strip()


def test_cache_commands(make_pkg, run_bale, tmp_path: Path) -> None:
    from tests.cli.conftest import make_stdlib_venv

    venv = make_stdlib_venv(tmp_path / "venv")
    cache = run_bale.cache_dir
    shown = run_bale("cache", "dir")
    assert shown.stdout.strip() == str(cache)
    wheel_a, wheel_b = make_pkg("one", "1.0"), make_pkg("two", "1.0")
    assert run_bale("pip", "install", "--no-deps", wheel_a, wheel_b, "--python", venv.root).code == 0
    size = int(run_bale("cache", "size").stdout)
    assert size > 0
    cleaned = run_bale("cache", "clean", "one")
    assert cleaned.code == 0 and "Removed 1 entry for one" in cleaned.stderr
    remaining = [p.name for p in (cache / "archive-v2").iterdir() if not p.name.startswith(".")]
    assert len(remaining) == 1
    assert run_bale("cache", "prune").code == 0
    everything = run_bale("cache", "clean")
    assert everything.code == 0
    assert int(run_bale("cache", "size").stdout) < size
    assert scrub(everything.stderr, {cache: "[CACHE]"}).startswith("Cleaned [CACHE]: removed ")


def test_options_before_the_command_and_odd_values_still_parse(run_bale, tmp_path: Path) -> None:
    # Only the chosen command's options are defined at first; an option value that looks like a command
    # ("pip") must still work through the full parser.
    cache = tmp_path / "pip"
    result = run_bale("--cache-dir", cache, "cache", "dir")
    assert result.code == 0, result
    assert result.stdout.strip() == str(cache)
    helped = run_bale("pip", "install", "--help")
    assert helped.code == 0 and "--require-hashes" in helped.stdout
