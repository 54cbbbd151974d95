"""Helpers of the import tests: a small package universe on 127.0.0.1, and what a project locked."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.support.cli import Result, scrub

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def universe(make_pkg: Any) -> list[Path]:
    """requests 2.31/2.32 (needs idna>=2.5,<4), idna 2.9/3.7, pytest 7.4/8.2, rich 13.0/13.7, sphinx."""
    return [
        make_pkg("requests", "2.31.0", requires_dist=["idna>=2.5,<4"], provides_extra=["socks"]),
        make_pkg("requests", "2.32.3", requires_dist=["idna>=2.5,<4"], provides_extra=["socks"]),
        make_pkg("idna", "2.9"),
        make_pkg("idna", "3.7"),
        make_pkg("pytest", "7.4.0"),
        make_pkg("pytest", "8.2.0"),
        make_pkg("rich", "13.0.0"),
        make_pkg("rich", "13.7.1"),
        make_pkg("sphinx", "7.2.6"),
        make_pkg("sphinx", "7.3.0"),
    ]


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


def locked_versions(root: Path) -> dict[str, str]:
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in data["packages"] if "version" in p}


def pyproject(root: Path) -> dict[str, Any]:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))


def installed(root: Path) -> list[str]:
    site = next((root / ".venv" / "lib").glob("python3*/site-packages"))
    return sorted(p.name.removesuffix(".dist-info") for p in site.glob("*.dist-info"))


def err(result: Result, tmp_path: Path, url: str = "") -> str:
    text = scrub(result.stderr, {tmp_path: "[TMP]"})
    return text.replace(url, "[INDEX]") if url else text
