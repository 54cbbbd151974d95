"""A PATH of its own holding two real interpreters of this machine, for CLI tests of interpreter choice."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.python.conftest import find_real_python

_MINORS = [f"3.{minor}" for minor in range(20, 7, -1)]


class TwoPythons:
    """``bin/`` with ``python3`` -> the newest interpreter found, and ``python3.X`` for it and for
    an older one; ``env`` makes bale search only there (no pyenv, no uv-managed Pythons)."""

    def __init__(self, root: Path) -> None:
        found = [(minor, path) for minor in _MINORS if (path := find_real_python(minor)) is not None]
        if len(found) < 2:
            pytest.skip("needs two Python minor versions on this machine")
        (self.new, self.new_path), (self.old, self.old_path) = found[0], found[1]
        self.bin = root / "pythons-bin"
        self.bin.mkdir()
        (self.bin / "python3").symlink_to(self.new_path)
        for minor, path in found[:2]:
            (self.bin / f"python{minor}").symlink_to(path)
        self.env = {"PATH": os.fspath(self.bin), "PYENV_ROOT": os.fspath(root / "no-pyenv")}


def venv_version(venv: Path) -> str:
    """The major.minor a venv's pyvenv.cfg records (``version = 3.12.1`` -> ``3.12``)."""
    text = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    match = re.search(r"^version = (\d+\.\d+)", text, re.M)
    assert match is not None, text
    return match.group(1)
