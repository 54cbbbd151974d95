"""``bale python pin``: writes the project's ``.python-version`` after checking it against the
interpreters found and ``requires-python``; ``bale venv`` in a project honours the pin the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.python.test_python_version_file import _project
from tests.support.cli import BaleRunner, scrub
from tests.support.pythons import TwoPythons, venv_version


@pytest.fixture
def pythons(tmp_path: Path) -> TwoPythons:
    return TwoPythons(tmp_path)


def test_pin_writes_prints_and_updates_the_projects_file(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    root = _project(tmp_path / "demo")
    (root / "src").mkdir()
    none = run_bale("python", "pin", cwd=root, env=pythons.env)
    assert none.code == 1 and none.stderr.startswith("error: No Python is pinned: no .python-version in"), (
        none
    )

    pinned = run_bale("python", "pin", pythons.old, cwd=root / "src", env=pythons.env)  # from a subfolder
    assert pinned.code == 0, pinned
    assert (root / ".python-version").read_text() == f"{pythons.old}\n"
    assert not (root / "src" / ".python-version").exists()
    assert (
        scrub(pinned.stderr, {root: "[ROOT]"}).splitlines()[0]
        == f"Pinned `[ROOT]/.python-version` to `{pythons.old}`"
    )
    shown = run_bale("python", "pin", cwd=root / "src", env=pythons.env)
    assert (shown.code, shown.stdout) == (0, f"{pythons.old}\n"), shown

    updated = run_bale("python", "pin", pythons.new, cwd=root, env=pythons.env)
    assert updated.code == 0, updated
    assert (
        updated.stderr.splitlines()[0] == f"Updated `.python-version` from `{pythons.old}` -> `{pythons.new}`"
    )
    assert run_bale("sync", "--offline", cwd=root, env=pythons.env).code == 0
    assert venv_version(root / ".venv") == pythons.new


def test_pin_refuses_what_requires_python_or_the_machine_does_not_allow(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    root = _project(tmp_path / "demo", requires_python=f">={pythons.new}")
    (root / ".python-version").write_text(f"{pythons.new}\n")
    refused = run_bale("python", "pin", pythons.old, cwd=root, env=pythons.env)
    assert refused.code == 1, refused
    assert scrub(refused.stderr, {root: "[ROOT]"}) == (
        f"error: The requested Python {pythons.old} is incompatible with the project's requires-python "
        f"`>={pythons.new}`; [ROOT]/.python-version was not written\n"
        f"  [ROOT]/pyproject.toml: requires-python = >={pythons.new}\n"
        f"hint: pin a Python within `>={pythons.new}`, or widen requires-python\n"
    )
    assert (root / ".python-version").read_text() == f"{pythons.new}\n"

    absent = run_bale("python", "pin", "3.99", cwd=root, env=pythons.env)
    assert absent.code == 1, absent
    assert absent.stderr.startswith(
        f"error: No interpreter found for Python 3.99 (requested by {root / '.python-version'}, "
        "not written) in PATH"
    ), absent
    assert (root / ".python-version").read_text() == f"{pythons.new}\n"


def test_venv_in_a_project_honours_the_pin_within_requires_python(
    run_bale: BaleRunner, pythons: TwoPythons, tmp_path: Path
) -> None:
    root = _project(tmp_path / "demo")
    (root / ".python-version").write_text(f"{pythons.old}\n")
    made = run_bale("venv", cwd=root, env=pythons.env)
    assert made.code == 0, made
    assert venv_version(root / ".venv") == pythons.old
    found = run_bale("python", "find", cwd=root, env=pythons.env)
    assert found.stdout == f"{pythons.bin / ('python' + pythons.old)}\n", found

    strict = _project(tmp_path / "strict", requires_python=f">={pythons.new}")
    (strict / ".python-version").write_text(f"{pythons.old}\n")
    refused = run_bale("venv", cwd=strict, env=pythons.env)
    assert refused.code == 1, refused
    lines = scrub(refused.stderr, {strict: "[ROOT]"}).splitlines()
    assert lines[0].startswith("error: The Python request from `.python-version` resolved to Python "), lines
    assert lines[1:3] == [
        f"  [ROOT]/.python-version asks for Python {pythons.old}",
        f"  [ROOT]/pyproject.toml: requires-python = >={pythons.new}",
    ]
    assert not (strict / ".venv").exists()
