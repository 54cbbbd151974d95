"""Launchers and shebangs: generated scripts must actually run, whatever the interpreter path looks like."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.install.scripts import launcher, parse_entry_points, rewrite_python_shebang, shebang

MODULE = (
    "import sys\ndef main():\n    print('args', sys.argv[1:])\n    return 3\nclass Tool:\n    run = main\n"
)


def test_parse_entry_points_keeps_case_and_ignores_comments() -> None:
    text = (
        "# comment\n[console_scripts]\nMyTool = pkg.cli:main [extra]\n; other comment\n\n"
        "[gui_scripts]\nwin=pkg:gui\n[other.group]\nx = y:z\n"
    )
    assert parse_entry_points(text) == {
        "console_scripts": {"MyTool": "pkg.cli:main [extra]"},
        "gui_scripts": {"win": "pkg:gui"},
        "other.group": {"x": "y:z"},
    }


def make_runnable(directory: Path, python: str) -> Path:
    """A launcher for ``mod:Tool.run`` next to ``mod.py`` (a script's folder is on its sys.path)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mod.py").write_text(MODULE)
    script = directory / "tool"
    script.write_bytes(launcher(python, "mod:Tool.run [extra]", name="tool", dist="demo 1.0"))
    script.chmod(0o755)
    return script


def link_python(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "python"
    target.symlink_to(os.path.realpath(sys.executable))
    return os.fspath(target)


@pytest.mark.parametrize(
    "folder",
    ["plain", "with space/bin", "long/" + "/".join(["a" * 50] * 3)],
    ids=["plain", "space", "long"],
)
def test_launcher_runs_and_passes_exit_status(tmp_path: Path, folder: str) -> None:
    directory = tmp_path / folder
    python = link_python(directory)
    script = make_runnable(directory, python)
    first = script.read_bytes().split(b"\n", 1)[0]
    plain = " " not in python and len(f"#!{python}") <= 127
    assert first == (f"#!{python}".encode() if plain else b"#!/bin/sh")
    result = subprocess.run([script, "a b", "c"], capture_output=True, text=True)
    assert result.stdout == "args ['a b', 'c']\n", result.stderr
    assert result.returncode == 3


def test_sh_trick_survives_quotes_in_the_path(tmp_path: Path) -> None:
    directory = tmp_path / "it's here"
    script = make_runnable(directory, link_python(directory))
    result = subprocess.run([script], capture_output=True, text=True)
    assert result.returncode == 3, result.stderr


@pytest.mark.parametrize("value", ["mod", "mod:", "mod:main()", "os; import x:y", "a-b:c", ":main"])
def test_invalid_entry_points_are_refused(value: str) -> None:
    with pytest.raises(BaleError, match="invalid entry point"):
        launcher("/usr/bin/python", value, name="tool", dist="demo 1.0")


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "a\\b"])
def test_script_names_that_escape_are_refused(name: str) -> None:
    with pytest.raises(BaleError, match="unusable name"):
        launcher("/usr/bin/python", "mod:main", name=name, dist="demo 1.0")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"#!python\nprint(1)\n", b"#!/env/bin/python\nprint(1)\n"),
        (b"#!pythonw\r\nprint(1)\r\n", b"#!/env/bin/python\nprint(1)\r\n"),
        (b"#!python3 -u -O\nx\n", b"#!/env/bin/python -u -O\nx\n"),
        (b"#!python", b"#!/env/bin/python\n"),
        (b"#!/usr/bin/env python\n", None),
        (b"#! python\n", None),
        (b"\x7fELF", None),
    ],
)
def test_rewrite_python_shebang(source: bytes, expected: bytes | None) -> None:
    assert rewrite_python_shebang(source, "/env/bin/python") == expected


def test_shebang_with_arguments_through_sh(tmp_path: Path) -> None:
    directory = tmp_path / "a b"
    python = link_python(directory)
    script = directory / "tool"
    source = b"#!python -S\nimport sys\nprint('site' in sys.modules)\n"
    rewritten = rewrite_python_shebang(source, python)
    assert rewritten is not None
    assert rewritten.startswith(shebang(python, "-S"))
    script.write_bytes(rewritten)
    script.chmod(0o755)
    result = subprocess.run([script], capture_output=True, text=True)
    assert result.stdout == "False\n", result.stderr
