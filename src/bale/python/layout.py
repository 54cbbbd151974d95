"""Where a virtual environment or an installation prefix keeps its interpreter, per platform."""

from __future__ import annotations

import os
from pathlib import Path

WINDOWS = os.name == "nt"
SCRIPTS_DIR = "Scripts" if WINDOWS else "bin"
PYTHON_NAME = "python.exe" if WINDOWS else "python"
# Checked in this order; a Windows installation prefix keeps python.exe at its top.
PREFIX_EXECUTABLES = ("Scripts/python.exe", "python.exe") if WINDOWS else ("bin/python3", "bin/python")


def executable_in(directory: Path) -> Path | None:
    """The interpreter of a venv or installation prefix ``directory``, if it has one."""
    for name in PREFIX_EXECUTABLES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None
