"""``--python`` takes the same requests on every command (venv, sync, run, pip): a version, a name like
``python3.11``, ``cpython3.12``, a range, a path, a venv folder with or without ``./``, an executable on
PATH; a request that matches nothing lists what was found; an unreadable place on the search path is
skipped, never a crash."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from tests.support.cli import BaleRunner, Result, scrub, src_dir
from tests.support.pythons import TwoPythons, venv_version


@pytest.fixture
def pythons(tmp_path: Path) -> TwoPythons:
    found = TwoPythons(tmp_path)
    # An executable whose name tells nothing: found by name on PATH only.
    (found.bin / "snake").symlink_to(found.old_path)
    return found


def _forms(pythons: TwoPythons) -> list[str]:
    old = pythons.old
    upper = f"3.{int(old.split('.')[1]) + 1}"
    return [
        old,
        f"python{old}",
        f"cpython{old}",
        f"cp{old.replace('.', '')}",
        f">={old},<{upper}",
        str(pythons.old_path),
        "oldenv",  # a venv folder named without ./
        "./oldenv",
        "oldenv/bin/python",
        "snake",  # an executable on PATH
    ]


def _old_venv(run_bale: BaleRunner, pythons: TwoPythons, where: Path) -> None:
    made = run_bale("venv", "oldenv", "--python", str(pythons.old_path), cwd=where, env=pythons.env)
    assert made.code == 0, made


def test_venv_and_sync_accept_every_form(run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path) -> None:
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = []\n'
    )
    _old_venv(run_bale, pythons, project)
    for form in _forms(pythons):
        made = run_bale("venv", "made", "--clear", "--python", form, cwd=project, env=pythons.env)
        assert made.code == 0, made
        assert venv_version(project / "made") == pythons.old, (form, made)
        synced = run_bale("sync", "--offline", "--python", form, cwd=project, env=pythons.env)
        assert synced.code == 0, synced
        assert venv_version(project / ".venv") == pythons.old, (form, synced)
        # The newest by default: each form had to move the project off it.
        reset = run_bale("sync", "--offline", "--python", pythons.new, cwd=project, env=pythons.env)
        assert reset.code == 0 and venv_version(project / ".venv") == pythons.new, reset


def test_run_and_pip_commands_take_a_venv_folder_by_name(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path, make_pkg, find_links_dir
) -> None:
    links = find_links_dir([make_pkg("tiny", "1.0")])
    _old_venv(run_bale, pythons, tmp_path)
    installed = run_bale(
        "pip", "install", "tiny", "--no-index", "-f", links, "--python", "oldenv", env=pythons.env
    )
    assert installed.code == 0, installed
    listed = run_bale("pip", "list", "--python", "oldenv", "--format", "freeze", env=pythons.env)
    assert listed.code == 0, listed
    assert listed.stdout == "tiny==1.0\n"
    shown = run_bale("pip", "show", "tiny", "--python", "./oldenv", env=pythons.env)
    assert shown.code == 0 and "Version: 1.0" in shown.stdout, shown

    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = []\n'
    )
    ran = run_bale(
        "run",
        "--offline",
        "--python",
        f"python{pythons.old}",
        "python",
        "-c",
        "import sys; print('%d.%d' % sys.version_info[:2])",
        cwd=project,
        env=pythons.env,
    )
    assert ran.code == 0, ran
    assert ran.stdout.strip() == pythons.old


def _labels(pythons: TwoPythons) -> dict[str | Path, str]:
    return {pythons.bin: "[BIN]", pythons.old_path: "[OLD]", pythons.new_path: "[NEW]"}


def test_a_request_that_matches_nothing_lists_what_was_found(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    # "snake" is not listed: only names that look like Pythons are candidates of a search.
    found = f"  found {pythons.new} at [BIN]/python3\n  found {pythons.old} at [BIN]/python{pythons.old}\n"
    missing = run_bale("venv", "x", "--python", "3.99", env=pythons.env)
    assert missing.code == 1, missing
    assert scrub(missing.stderr, _labels(pythons)) == (
        "error: No interpreter found for Python 3.99 in PATH\n"
        + found
        + "hint: install Python 3.99 (for example with `pyenv install 3.99`), or pass the path of an "
        "interpreter with --python\n"
    )
    unknown = run_bale("venv", "x", "--python", "nosuchpython", env=pythons.env)
    assert unknown.code == 1, unknown
    assert scrub(unknown.stderr, _labels(pythons)) == (
        "error: No executable named 'nosuchpython' on PATH, nor a file or folder of that name here\n"
        + found
        + "hint: pass a Python version (3.12), a range (>=3.11), or the path of an interpreter or venv\n"
    )
    assert not (tmp_path / "x").exists()


# -- places that cannot be read --------------------------------------------------------------------------
# Modes do not deny root, so a sitecustomize on PYTHONPATH makes the bale process's own listing and
# stat calls fail under one folder with EACCES, as the kernel reports an unreadable directory.

_UNREADABLE = """
import errno, os

_UNDER = os.environ.get("BALE_TEST_UNREADABLE", "")


def _inside(path, strict):
    try:
        text = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return bool(_UNDER) and (text.startswith(_UNDER + os.sep) or (not strict and text == _UNDER))


def _deny(path):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))


_scandir, _listdir, _stat = os.scandir, os.listdir, os.stat


def scandir(path="."):
    if _inside(path, strict=False):
        _deny(path)
    return _scandir(path)


def listdir(path="."):
    if _inside(path, strict=False):
        _deny(path)
    return _listdir(path)


def stat(path, *args, **kwargs):
    if not isinstance(path, int) and _inside(path, strict=True):
        _deny(path)
    return _stat(path, *args, **kwargs)


os.scandir, os.listdir, os.stat = scandir, listdir, stat
"""


def _unreadable(tmp_path: Path, folder: Path) -> dict[str, str]:
    inject = tmp_path / "inject"
    inject.mkdir(exist_ok=True)
    (inject / "sitecustomize.py").write_text(textwrap.dedent(_UNREADABLE))
    return {
        "PYTHONPATH": os.pathsep.join([str(inject), str(src_dir())]),
        "BALE_TEST_UNREADABLE": str(folder),
    }


def _ok(result: Result) -> None:
    assert result.code == 0, result
    assert "Traceback" not in result.stderr and "bug in bale" not in result.stderr, result


def test_an_unreadable_folder_on_path_or_a_file_in_its_place_is_skipped(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    locked = tmp_path / "locked-bin"
    locked.mkdir()
    (locked / "python3.99").symlink_to(pythons.new_path)  # never seen: the folder cannot be listed
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    env = dict(pythons.env, **_unreadable(tmp_path, locked))
    env["PATH"] = os.pathsep.join([str(locked), str(a_file), pythons.env["PATH"]])

    listed = run_bale("python", "list", env=env)
    _ok(listed)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        f"cpython-{_full(pythons.new_path)}",
        f"cpython-{_full(pythons.old_path)}",
    ]
    made = run_bale("venv", "made", "--python", pythons.old, env=env)
    _ok(made)
    assert venv_version(tmp_path / "made") == pythons.old
    missing = run_bale("venv", "other", "--python", "3.99", env=env)
    assert missing.code == 1, missing
    assert missing.stderr.startswith("error: No interpreter found for Python 3.99 in PATH\n"), missing

    # In a project, -v says what was skipped; without it, nothing does.
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = []\n'
    )
    quiet = run_bale("sync", "--offline", cwd=project, env=env)
    _ok(quiet)
    assert "Skipped" not in quiet.stderr, quiet
    shutil.rmtree(project / ".venv")
    verbose = run_bale("sync", "--offline", "-v", cwd=project, env=env)
    _ok(verbose)
    assert f"Skipped {locked} while looking for Python interpreters: permission denied" in verbose.stderr


def test_an_unreadable_pyenv_root_is_skipped(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    pyenv = tmp_path / "pyenv"
    (pyenv / "versions" / "3.99.0" / "bin").mkdir(parents=True)
    env = dict(pythons.env, **_unreadable(tmp_path, pyenv), PYENV_ROOT=str(pyenv))
    listed = run_bale("python", "list", env=env)
    _ok(listed)
    assert len(listed.stdout.splitlines()) == 2, listed
    found = run_bale("python", "find", pythons.old, env=env)
    _ok(found)
    assert found.stdout == f"{pythons.bin / ('python' + pythons.old)}\n"


def _full(python: Path) -> str:
    done = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True
    )
    return done.stdout.strip()
