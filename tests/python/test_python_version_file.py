"""``.python-version`` in a project: sync, run, lock and add make ``.venv`` with the pinned interpreter,
within ``requires-python``; ``--python`` beats the pin; ``bale init`` writes both, as uv does."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.build.helpers import in_tree_files, write_tree
from tests.support.cli import BaleRunner, scrub
from tests.support.pythons import TwoPythons, venv_version


@pytest.fixture
def pythons(tmp_path: Path) -> TwoPythons:
    return TwoPythons(tmp_path)


def _project(root: Path, requires_python: str = ">=3.8", extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "demo"
            version = "0.1.0"
            requires-python = "{requires_python}"
            dependencies = []
            """
        )
        + extra
    )
    return root


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


PRINT_VERSION = "import sys; print('%d.%d' % sys.version_info[:2])"


def test_sync_and_run_use_the_pinned_interpreter_and_follow_a_changed_pin(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    root = _project(tmp_path / "demo")
    (root / ".python-version").write_text(f"{pythons.old}\n")

    synced = run_bale("sync", "--offline", cwd=root, env=pythons.env)
    assert synced.code == 0, synced
    assert venv_version(root / ".venv") == pythons.old  # not python3 (the newest), nor the range's newest
    ran = run_bale("run", "--offline", "python", "-c", PRINT_VERSION, cwd=root, env=pythons.env)
    assert ran.code == 0, ran
    assert _last_line(ran.stdout) == pythons.old

    # A new pin replaces the environment on the next sync (the no-op sync keys on the file too).
    (root / ".python-version").write_text(f"{pythons.new}\n")
    resynced = run_bale("sync", "--offline", cwd=root, env=pythons.env)
    assert resynced.code == 0, resynced
    assert venv_version(root / ".venv") == pythons.new
    assert scrub(resynced.stderr, {root: "[ROOT]", pythons.bin: "[BIN]"}).splitlines()[0] == (
        f"warning: Replacing the virtual environment at [ROOT]/.venv: it has Python "
        f"{_full_version(pythons.old_path)}, and the project asks for {_full_version(pythons.new_path)} "
        "([BIN]/python3)"  # python3 comes first on PATH: it is the newest here
    )
    again = run_bale("sync", "--offline", cwd=root, env=pythons.env)
    assert again.code == 0 and "Replacing" not in again.stderr, again


def _full_version(python: Path) -> str:
    """``3.12.1``: what bale's messages call the interpreter."""
    done = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True
    )
    return done.stdout.strip()


def test_a_pin_outside_requires_python_is_an_error_naming_both(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    root = _project(tmp_path / "demo", requires_python=f">={pythons.new}")
    (root / ".python-version").write_text(f"{pythons.old}\n")
    for command in (("sync", "--offline"), ("run", "--offline", "python", "-c", "print(1)")):
        result = run_bale(*command, cwd=root, env=pythons.env)
        assert result.code == 1, result
        assert scrub(result.stderr, {root: "[ROOT]"}) == (
            f"error: The Python request from `.python-version` resolved to Python "
            f"{_full_version(pythons.old_path)}, which is incompatible with the project's Python "
            f"requirement: `>={pythons.new}`\n"
            f"  [ROOT]/.python-version asks for Python {pythons.old}\n"
            f"  [ROOT]/pyproject.toml: requires-python = >={pythons.new}\n"
            f"hint: change [ROOT]/.python-version to a version within `>={pythons.new}` "
            "(or widen requires-python)\n"
        )
        assert not (root / ".venv").exists()


def test_the_python_option_beats_the_pin(run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path) -> None:
    root = _project(tmp_path / "demo")
    (root / ".python-version").write_text(f"{pythons.old}\n")
    result = run_bale("sync", "--offline", "--python", pythons.new, cwd=root, env=pythons.env)
    assert result.code == 0, result
    assert venv_version(root / ".venv") == pythons.new
    # BALE_PYTHON is --python too, and the no-op sync notices it.
    back = run_bale("sync", "--offline", cwd=root, env=pythons.env)
    assert back.code == 0 and venv_version(root / ".venv") == pythons.old, back
    from_env = run_bale("sync", "--offline", cwd=root, env=dict(pythons.env, BALE_PYTHON=pythons.new))
    assert from_env.code == 0 and venv_version(root / ".venv") == pythons.new, from_env
    # ... and is checked against requires-python as well, in uv's words.
    strict = _project(tmp_path / "strict", requires_python=f">={pythons.new}")
    refused = run_bale("sync", "--offline", "--python", f"python{pythons.old}", cwd=strict, env=pythons.env)
    assert refused.code == 1, refused
    assert refused.stderr.splitlines()[0] == (
        f"error: The requested interpreter resolved to Python {_full_version(pythons.old_path)}, which is "
        f"incompatible with the project's Python requirement: `>={pythons.new}`"
    )
    assert not (strict / ".venv").exists()


def test_python_versions_file_gives_its_first_line_and_python_version_wins_beside_it(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    root = _project(tmp_path / "demo")
    (root / ".python-versions").write_text(f"# tested on\n{pythons.old}\n{pythons.new}\n")
    result = run_bale("sync", "--offline", cwd=root, env=pythons.env)
    assert result.code == 0, result
    assert venv_version(root / ".venv") == pythons.old

    other = _project(tmp_path / "other")
    (other / ".python-versions").write_text(f"{pythons.old}\n")
    (other / ".python-version").write_text(f"{pythons.new}\n")
    result = run_bale("sync", "--offline", cwd=other, env=pythons.env)
    assert result.code == 0, result
    assert venv_version(other / ".venv") == pythons.new


def test_a_pin_above_the_project_is_not_the_projects(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    (tmp_path / ".python-version").write_text(f"{pythons.old}\n")
    root = _project(tmp_path / "demo")
    result = run_bale("sync", "--offline", cwd=root, env=pythons.env)
    assert result.code == 0, result
    assert venv_version(root / ".venv") == pythons.new  # requires-python's newest, as uv


def _recording_tree(folder: Path, name: str, record: Path) -> Path:
    """A source tree only its in-tree backend can describe (no [project] table), which appends the
    building interpreter's major.minor to ``record`` whenever the backend is imported."""
    files = in_tree_files(name, "1.0")
    files["bale_test_backend.py"] = (
        f"import sys as _sys\nopen({str(record)!r}, 'a').write('%d.%d\\n' % _sys.version_info[:2])\n"
        + files["bale_test_backend.py"]
    )
    return write_tree(folder, files)


def test_add_and_lock_build_with_the_pinned_interpreter(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    record = tmp_path / "built-with.txt"
    _recording_tree(tmp_path / "first", "first", record)
    root = _project(tmp_path / "demo")
    (root / ".python-version").write_text(f"{pythons.old}\n")

    added = run_bale("add", str(tmp_path / "first"), "--no-index", cwd=root, env=pythons.env)
    assert added.code == 0, added
    assert venv_version(root / ".venv") == pythons.old
    assert set(record.read_text().split()) == {pythons.old}

    # Without a pin, the lock builds with an interpreter within requires-python (python3, first on
    # PATH, is not).
    record.unlink()
    (root / ".python-version").unlink()
    _recording_tree(tmp_path / "second", "second", record)
    text = (root / "pyproject.toml").read_text()
    text = text.replace('"first",', '"first", "second",').replace(">=3.8", f">=3.8,<{pythons.new}")
    text = text.replace(
        'first = { path = "../first" }', 'first = { path = "../first" }\nsecond = { path = "../second" }'
    )
    (root / "pyproject.toml").write_text(text)
    assert 'second = { path = "../second" }' in (root / "pyproject.toml").read_text()
    locked = run_bale("lock", "--no-index", cwd=root, env=pythons.env)
    assert locked.code == 0, locked
    assert set(record.read_text().split()) == {pythons.old}


def test_init_writes_requires_python_and_the_pin(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    def requires(root: Path) -> str:
        line = next(x for x in (root / "pyproject.toml").read_text().splitlines() if "requires-python" in x)
        return line

    # No --python: the first interpreter found (python3 on PATH, the newest here).
    assert run_bale("init", "plain", env=pythons.env).code == 0
    assert requires(tmp_path / "plain") == f'requires-python = ">={pythons.new}"'
    assert (tmp_path / "plain" / ".python-version").read_text() == f"{pythons.new}\n"
    synced = run_bale("sync", "--offline", cwd=tmp_path / "plain", env=pythons.env)
    assert synced.code == 0, synced
    assert venv_version(tmp_path / "plain" / ".venv") == pythons.new

    # --python chooses; a plain version needs no interpreter at all.
    assert run_bale("init", "chosen", "--python", "3.12", env=pythons.env).code == 0
    assert requires(tmp_path / "chosen") == 'requires-python = ">=3.12"'
    assert (tmp_path / "chosen" / ".python-version").read_text() == "3.12\n"

    # A range is the requirement, pinned to the newest interpreter in it; a name finds one.
    ranged = run_bale("init", "ranged", "--python", f">={pythons.old}", env=pythons.env)
    assert ranged.code == 0, ranged
    assert requires(tmp_path / "ranged") == f'requires-python = ">={pythons.old}"'
    assert (tmp_path / "ranged" / ".python-version").read_text() == f"{pythons.new}\n"
    named = run_bale("init", "named", "--python", str(pythons.bin / f"python{pythons.old}"), env=pythons.env)
    assert named.code == 0, named
    assert requires(tmp_path / "named") == f'requires-python = ">={pythons.old}"'
    assert (tmp_path / "named" / ".python-version").read_text() == f"{pythons.old}\n"

    # An existing pin is kept and decides requires-python.
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / ".python-version").write_text(f"# ours\n{pythons.old}\n")
    assert run_bale("init", "kept", env=pythons.env).code == 0
    assert requires(kept) == f'requires-python = ">={pythons.old}"'
    assert (kept / ".python-version").read_text() == f"# ours\n{pythons.old}\n"

    # Nothing matches: one paragraph, and no project half made.
    missing = run_bale("init", "missing", "--python", "pypy3.10", env=pythons.env)
    assert missing.code == 1, missing
    assert missing.stderr.startswith("error: No interpreter found for PyPy 3.10 in PATH\n"), missing
    assert not (tmp_path / "missing").exists()


def test_the_python_option_beats_the_pin_for_builds_too(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    record = tmp_path / "built-with.txt"
    _recording_tree(tmp_path / "tree", "tree", record)
    root = _project(tmp_path / "demo")
    (root / ".python-version").write_text(f"{pythons.old}\n")
    added = run_bale(
        "add", str(tmp_path / "tree"), "--no-index", "--python", pythons.new, cwd=root, env=pythons.env
    )
    assert added.code == 0, added
    assert set(record.read_text().split()) == {pythons.new}
    assert venv_version(root / ".venv") == pythons.new


def test_version_file_lookup_prefers_python_version_and_stops_at_the_given_root(tmp_path: Path) -> None:
    from bale.python.discover import (
        PythonRequest,
        find_python_version_file,
        read_python_version_file,
        resolve_request,
    )

    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (tmp_path / ".python-version").write_text("3.10\n")
    assert find_python_version_file(project / "src") == tmp_path / ".python-version"
    assert find_python_version_file(project / "src", stop=project) is None
    (project / ".python-versions").write_text("\n# matrix\n3.12\n3.11\n")
    found = find_python_version_file(project / "src", stop=project)
    assert found == project / ".python-versions"
    assert read_python_version_file(found) == PythonRequest.parse("3.12")
    (project / ".python-version").write_text("3.11\n")
    assert find_python_version_file(project, stop=project) == project / ".python-version"

    # A bare name is a path when it names something here (a venv given without ./), else a command.
    (project / "myenv").mkdir()
    assert resolve_request(PythonRequest.parse("myenv"), project) == PythonRequest(
        "path", "myenv", path=project / "myenv"
    )
    assert resolve_request(PythonRequest.parse("myenv"), tmp_path).kind == "name"
    assert resolve_request(PythonRequest.parse("3.12"), project).kind == "version"
