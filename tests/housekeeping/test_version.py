"""`bale version`: the project's version, shown, set and bumped; `bale self version`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from bale import __version__
from bale.errors import BaleError
from bale.project.version_bump import bump_version
from tests.housekeeping.helpers import make_project


@pytest.mark.parametrize(
    ("old", "bumps", "new"),
    [
        ("1.2.3", ["major"], "2.0.0"),
        ("1.2.3", ["minor"], "1.3.0"),
        ("1.2.3", ["patch"], "1.2.4"),
        ("1.2", ["patch"], "1.2.1"),
        ("1.2.3rc2", ["stable"], "1.2.3"),
        ("1.2.3b4.post5.dev6", ["stable"], "1.2.3"),
        ("1.2.3a4", ["alpha"], "1.2.3a5"),
        ("1.2.3a4", ["beta"], "1.2.3b1"),
        ("1.2.3", ["beta", "minor"], "1.3.0b1"),  # applied in uv's order, not as given
        ("1.2.3", ["post"], "1.2.3.post1"),
        ("1.2.3.post1", ["post"], "1.2.3.post2"),
        ("1.2.3", ["patch", "dev"], "1.2.4.dev1"),
        ("1!1.0+local", ["minor"], "1!1.1+local"),
    ],
)
def test_bumps(old: str, bumps: list[str], new: str) -> None:
    assert str(bump_version(Version(old), bumps)) == new


@pytest.mark.parametrize(("old", "bumps"), [("1.2.3", ["alpha"]), ("1.2.3rc1", ["beta"]), ("1.2.3", ["dev"])])
def test_a_bump_that_goes_backwards_is_refused(old: str, bumps: list[str]) -> None:
    with pytest.raises(BaleError):
        bump_version(Version(old), bumps)


def test_show_bump_and_set_keep_the_rest_of_pyproject_byte_for_byte(run_bale, tmp_path: Path) -> None:
    root = make_project(
        tmp_path, "\n[tool.other]\nkeep = 'this'  # and this\n", version="version = '1.2.3'  # ours"
    )
    pyproject = root / "pyproject.toml"
    original = pyproject.read_text().replace("\n", "\r\n")
    pyproject.write_bytes(original.encode())

    shown = run_bale("version", cwd=root)
    assert (shown.code, shown.stdout) == (0, "demo 1.2.3\n"), shown
    assert run_bale("version", "--short", cwd=root).stdout == "1.2.3\n"

    dry = run_bale("version", "--bump", "minor", "--dry-run", cwd=root)
    assert (dry.code, dry.stdout) == (0, "demo 1.2.3 => 1.3.0\n"), dry
    assert pyproject.read_bytes() == original.encode()

    bumped = run_bale("version", "--bump", "patch", "--bump", "beta", cwd=root)
    assert (bumped.code, bumped.stdout) == (0, "demo 1.2.3 => 1.2.4b1\n"), bumped
    assert pyproject.read_bytes() == original.replace("'1.2.3'", "'1.2.4b1'").encode()

    as_json = run_bale("version", "--output-format", "json", cwd=root)
    assert json.loads(as_json.stdout) == {"package_name": "demo", "version": "1.2.4b1", "commit_info": None}

    set_ = run_bale("version", "2.0.0", "--short", cwd=root)
    assert (set_.code, set_.stdout) == (0, "2.0.0\n"), set_
    assert pyproject.read_bytes() == original.replace("'1.2.3'", "'2.0.0'").encode()


def test_errors(run_bale, tmp_path: Path) -> None:
    root = make_project(tmp_path, version='dynamic = ["version"]')
    dynamic = run_bale("version", cwd=root)
    assert dynamic.code == 1
    assert dynamic.stderr.startswith(
        f"error: The version of demo is dynamic in {root / 'pyproject.toml'}: its build backend sets it"
    ), dynamic
    other = make_project(tmp_path / "other")
    backwards = run_bale("version", "--bump", "alpha", cwd=other)
    assert backwards.code == 1
    assert "error: Bumping 1.2.3 with --bump alpha gives 1.2.3a1, which is not newer" in backwards.stderr
    invalid = run_bale("version", "one.two", cwd=other)
    assert invalid.code == 1
    assert invalid.stderr == "error: 'one.two' is not a valid version (PEP 440)\n"


def test_self_version(run_bale, tmp_path: Path) -> None:
    assert run_bale("self", "version").stdout == f"bale {__version__}\n"
    assert run_bale("self", "version", "--short").stdout == f"{__version__}\n"
    data = json.loads(run_bale("self", "version", "--output-format", "json").stdout)
    assert data == {"package_name": "bale", "version": __version__, "commit_info": None}
