"""Requires-Python of dependencies: only the lower bound counts, as in uv."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.cli.conftest import Venv

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
NEXT = f"{sys.version_info.major}.{sys.version_info.minor + 1}"


def test_upper_bounds_of_requires_python_are_ignored(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index(
        [
            make_pkg("capped", "1.0"),
            # Both newer releases cap Python below the running one; only their lower bounds count.
            make_pkg("capped", "2.0", requires_python=f">=3.8,<{HERE}"),
            make_pkg("capped", "3.0", requires_python="<=3.8"),
            make_pkg("capped", "4.0", requires_python=f">={NEXT}"),  # a real lower bound: skipped
        ]
    )
    result = bale("pip", "install", "--no-deps", "capped", "-i", server.url)
    assert result.code == 0, result
    assert venv.imports("capped") == "3.0"


def test_a_lower_bound_still_blocks_and_says_so(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index([make_pkg("future", "1.0", requires_python=f">={NEXT}")])
    result = bale("pip", "install", "--no-deps", "future", "-i", server.url)
    assert result.code == 1, result
    assert f"requires Python>={NEXT}" in result.stderr or f"requires Python >={NEXT}" in result.stderr, result
    assert venv.dist_infos() == []


def test_compile_for_the_resolver_path(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(
        [
            make_pkg("app", "1.0", requires_dist=["lib"]),
            make_pkg("lib", "1.0"),
            make_pkg("lib", "2.0", requires_python=f">=3.8,<{HERE}"),
        ]
    )
    (tmp_path / "in.txt").write_text("app\n")
    result = run_bale("pip", "compile", "in.txt", "--no-header", "--no-annotate", "-i", server.url)
    assert result.stdout == "app==1.0\nlib==2.0\n", result
