"""Fixtures for installer tests: unpacked wheel trees, throw-away schemes and real venvs."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bale.dist.wheel import validate_and_unpack
from bale.model.scheme import InstallScheme
from tests.support.builders import Pkg, make_wheel


def unpack(pkg: Pkg, root: Path) -> Path:
    """Build ``pkg`` as a wheel and unpack it the way the cache does; returns the tree."""
    wheel = make_wheel(pkg, root / "wheels")
    tree = root / "cache" / pkg.wheel_filename
    validate_and_unpack(wheel, tree)
    return tree


@pytest.fixture
def tree_of(tmp_path: Path) -> Callable[[Pkg], Path]:
    return lambda pkg: unpack(pkg, tmp_path)


def fake_scheme(root: Path) -> InstallScheme:
    """A venv-shaped scheme under ``root`` with platlib apart from purelib, so mix-ups show."""
    return InstallScheme(
        purelib=root / "lib" / "python3.11" / "site-packages",
        platlib=root / "lib64" / "python3.11" / "site-packages",
        scripts=root / "bin",
        data=root,
        headers=root / "include" / "site" / "python3.11",
        python=root / "bin" / "python",
    )


@pytest.fixture
def scheme(tmp_path: Path) -> InstallScheme:
    root = tmp_path / "env"
    result = fake_scheme(root)
    result.purelib.mkdir(parents=True)
    result.scripts.mkdir(parents=True)
    return result


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root`` -> (sha256, mode): detects any write, chmod or new file."""
    state = {}
    for directory, _, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
            state[os.path.relpath(path, root)] = (digest, os.stat(path).st_mode)
    return state


def listing(root: Path) -> set[str]:
    """Relative paths of every file and folder under ``root``."""
    found = set()
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


@dataclass
class Venv:
    """A real virtual environment with a pip importable in it."""

    root: Path
    python: Path
    scheme: InstallScheme

    def env(self) -> dict[str, str]:
        # The machine's pip config adds indexes and find-links: tests must see none of it.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
        env.update(
            PIP_CONFIG_FILE=os.devnull,
            PIP_NO_INDEX="1",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            PIP_NO_INPUT="1",
            PIP_NO_CACHE_DIR="1",
        )
        return env

    def run(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [os.fspath(a) for a in args], capture_output=True, text=True, env=self.env(), check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def pip(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(self.python, "-m", "pip", *args, check=check)


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    """A venv made without pip (~30 ms instead of ~3 s), given this interpreter's pip through a .pth."""
    spec = importlib.util.find_spec("pip")
    if spec is None or spec.origin is None:
        pytest.skip("pip is not installed in the interpreter running the tests")
    root = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root], check=True)
    python = root / "bin" / "python"
    query = (
        "import json, sysconfig;"
        "print(json.dumps(dict(sysconfig.get_paths(), short=sysconfig.get_python_version())))"
    )
    paths = json.loads(subprocess.run([python, "-c", query], capture_output=True, check=True).stdout)
    scheme = InstallScheme(
        purelib=Path(paths["purelib"]),
        platlib=Path(paths["platlib"]),
        scripts=Path(paths["scripts"]),
        data=Path(paths["data"]),
        headers=Path(paths["data"], "include", "site", f"python{paths['short']}"),
        python=python,
    )
    # Only pip itself goes on the venv's path: its own folder, not the whole site-packages around it.
    pip_home = tmp_path / "pip-home"
    pip_home.mkdir()
    (pip_home / "pip").symlink_to(Path(spec.origin).parent, target_is_directory=True)
    (scheme.purelib / "_test_pip.pth").write_text(f"{pip_home}\n")
    return Venv(root, python, scheme)
