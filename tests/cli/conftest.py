"""Fixtures for CLI tests: a fresh virtual environment and helpers to ask it questions."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.cli import BaleRunner, Result


class Venv:
    """A real venv made by the stdlib (so bale's own venv code is not what we test here)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.python = root / "bin" / "python"

    def run(self, *code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.python), *code], capture_output=True, text=True, check=False)

    def imports(self, module: str) -> str:
        """The module's ``__version__`` as the venv's interpreter sees it; fails the test if it cannot."""
        done = self.run("-c", f"import {module}; print({module}.__version__)")
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def site_packages(self) -> Path:
        return next((self.root / "lib").glob("python3*/site-packages"))

    def dist_infos(self) -> list[str]:
        return sorted(p.name for p in self.site_packages().glob("*.dist-info"))


def make_stdlib_venv(path: Path, *, with_pip: bool = False) -> Venv:
    args = [sys.executable, "-m", "venv", str(path)]
    if not with_pip:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, capture_output=True)
    return Venv(path)


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    return make_stdlib_venv(tmp_path / "venv")


@pytest.fixture
def bale(run_bale: BaleRunner, venv: Venv) -> Callable[..., Result]:
    """``bale(*args)`` runs the CLI with VIRTUAL_ENV pointing at the test's venv."""

    def call(*args: str | Path, **kwargs: object) -> Result:
        kwargs.setdefault("virtual_env", venv.root)
        return run_bale(*args, **kwargs)  # type: ignore[arg-type]

    return call
