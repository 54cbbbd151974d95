"""A project with no dependencies (its sync needs no index) and tasks, for the housekeeping tests."""

from __future__ import annotations

import sys
from pathlib import Path

MAJOR, MINOR = sys.version_info[:2]


def make_project(tmp_path: Path, tail: str = "", *, version: str = 'version = "1.2.3"') -> Path:
    """``demo`` at tmp_path/demo: a virtual project with ``tail`` appended to its pyproject.toml."""
    root = tmp_path / "demo"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\n{version}\nrequires-python = ">={MAJOR}.{MINOR}"\n'
        f"dependencies = []\n{tail}"
    )
    return root
