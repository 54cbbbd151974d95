"""`--offline` with a cold cache: each path fails at once with an error naming the package, never a hang."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.builders import Pkg, make_wheel
from tests.support.cli import BaleRunner
from tests.support.servers import StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]


@pytest.mark.parametrize(
    ("words", "rest", "name"),
    [
        (("lock",), (), "alpha"),
        (("sync",), (), "alpha"),
        (("pip", "install"), ("alpha",), "alpha"),
        (("pip", "compile"), ("pyproject.toml",), "alpha"),
        (("tool", "run"), ("alphatool",), "alphatool"),
        (("run",), ("--with", "alphaextra", "python", "-c", "pass"), "alpha"),  # the project locks first
    ],
)
def test_offline_names_what_the_cache_lacks(
    tmp_path: Path, static_index: StartIndex, words: tuple[str, ...], rest: tuple[str, ...], name: str
) -> None:
    server = static_index([make_wheel(Pkg("alpha", "1.0"), tmp_path / "packages")])
    url = server.url
    server.stop()  # a real address that no longer answers: only --offline keeps this from waiting
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\ndependencies = ["alpha"]\n'
    )
    bale = BaleRunner(tmp_path / "cold-home", cwd=root)
    venv = root / ".venv" if words[0] == "pip" else None
    if venv is not None:
        assert bale("venv", venv).code == 0
    start = time.monotonic()
    result = bale(*words, "--offline", "-i", url, *rest, virtual_env=venv, timeout=60)
    assert time.monotonic() - start < 20, result
    assert result.code == 1, result
    assert f"{name} which is not available offline" in result.stderr, result
    assert f"Cannot fetch {url}/{name}/ while offline" in result.stderr
    assert "Traceback" not in result.stderr
