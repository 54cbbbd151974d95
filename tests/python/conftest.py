"""Real interpreters of this machine for the python/ tests (a test skips when its version is missing)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

_PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"


def find_real_python(minor: str) -> Path | None:
    """A real (not shim, not venv) CPython ``minor`` ("3.12") of this machine, or None."""
    for directory in sorted(_PYENV_VERSIONS.glob(f"{minor}.*"), reverse=True):
        executable = directory / "bin" / "python3"
        if directory.name.replace(".", "").isdigit() and executable.is_file():
            return executable
    system = Path(f"/usr/bin/python{minor}")
    return system if system.is_file() else None


@pytest.fixture
def real_python() -> Callable[[str], Path]:
    """``real_python("3.12")`` -> the interpreter's path, or skips the test."""

    def find(minor: str) -> Path:
        found = find_real_python(minor)
        if found is None:
            pytest.skip(f"no Python {minor} on this machine")
        return found

    return find


@pytest.fixture(scope="session")
def probe_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreters-v1 bucket shared by one worker's tests: each interpreter is probed once (~35 ms)."""
    return tmp_path_factory.mktemp("cache") / "interpreters-v1"
