"""Small helpers for the sources tests: projects written from TOML, local source trees, lock reading."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from packaging.pylock import Pylock

from tests.build.helpers import in_tree_files, write_tree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYTHON = f">={sys.version_info.major}.{sys.version_info.minor}"


def write_project(folder: Path, pyproject: str) -> Path:
    """``folder/pyproject.toml`` from dedented text; ``{python}`` becomes this interpreter's lower bound."""
    folder.mkdir(parents=True, exist_ok=True)
    text = textwrap.dedent(pyproject).lstrip("\n").replace("{python}", PYTHON)
    (folder / "pyproject.toml").write_text(text, encoding="utf-8")
    return folder


def local_package(
    folder: Path, name: str, version: str = "1.0", *, requires: tuple[str, ...] = (), extra: str = ""
) -> Path:
    """A source tree built by the tests' in-tree backend (``import NAME`` gives ``VALUE = 'tree'``).

    ``extra`` is appended to its pyproject.toml (``[tool.bale.sources]``, say); the ``[project]`` table
    repeats what the backend reports, so that bale reads the same dependencies from either.
    """
    files = in_tree_files(name, version, requires=requires)
    deps = ", ".join(f'"{r}"' for r in requires)
    files["pyproject.toml"] += f"""
        [project]
        name = "{name}"
        version = "{version}"
        requires-python = "{PYTHON}"
        dependencies = [{deps}]
    """
    files[f"{name.replace('-', '_')}/__init__.py"] = "VALUE = 'tree'\n"
    write_tree(folder, files)
    if extra:
        with (folder / "pyproject.toml").open("a", encoding="utf-8") as handle:
            handle.write(textwrap.dedent(extra))
    return folder


def read_lock(root: Path) -> dict[str, Any]:
    """``root/pylock.toml`` parsed, after checking that packaging accepts it as a valid PEP 751 lock."""
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    Pylock.from_dict(data).validate()
    return data


def locked(root: Path) -> dict[str, dict[str, Any]]:
    """The lock's packages by name (each name once in these tests)."""
    return {package["name"]: package for package in read_lock(root)["packages"]}


def site_packages(root: Path) -> Path:
    return next((root / ".venv" / "lib").glob("python3*/site-packages"))


def dist_infos(root: Path) -> list[str]:
    """The ``name-version`` of every distribution in ``root/.venv``."""
    return sorted(p.name.removesuffix(".dist-info") for p in site_packages(root).glob("*.dist-info"))


def direct_url(root: Path, dist: str) -> dict[str, Any]:
    """The PEP 610 ``direct_url.json`` of an installed ``name-version``."""
    return json.loads((site_packages(root) / f"{dist}.dist-info" / "direct_url.json").read_text())
