"""The small project the `bale run` tests share: it depends on lib<2 and requires this Python."""

from __future__ import annotations

import sys
from pathlib import Path


def demo_project(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    major, minor = sys.version_info[:2]
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">={major}.{minor}"\n'
        'dependencies = ["lib<2"]\n'
    )
    return root
