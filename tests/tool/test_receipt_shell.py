"""The receipt round-trips; `bale tool update-shell` writes the PATH line once; `bx` is `bale tool run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.model.names import normalize
from bale.tool.receipt import Entrypoint, Receipt, parse_receipt, render_receipt
from tests.support.cli import bale_env


def test_receipt_round_trips() -> None:
    receipt = Receipt(
        normalize("Black"),
        'black[d]>=24; python_version >= "3.8"',
        with_=("click==8.1",),
        python="3.12",
        index_url="http://127.0.0.1/simple",
        find_links=("/wheels",),
        entrypoints=(Entrypoint("black", "/bin/black"), Entrypoint("blackd", "/bin/blackd")),
    )
    text = render_receipt(receipt)
    assert parse_receipt(text, source="x") == receipt
    assert render_receipt(parse_receipt(text, source="x")) == text


def test_broken_receipt_is_named() -> None:
    with pytest.raises(BaleError, match=r"The tool receipt /t/bale-tool\.toml is not valid TOML"):
        parse_receipt("[tool", source="/t/bale-tool.toml")


def test_update_shell_adds_the_line_once(run_bale, tmp_path: Path) -> None:
    env = {"SHELL": "/bin/bash", "BALE_TOOL_BIN_DIR": str(tmp_path / "bin"), "PATH": os.environ["PATH"]}
    first = run_bale("tool", "update-shell", env=env)
    assert first.code == 0, first
    rc = tmp_path / "bale-home" / "home" / ".bashrc"
    assert f'export PATH="{tmp_path / "bin"}:$PATH"' in rc.read_text()
    second = run_bale("tool", "update-shell", env=env)
    assert "already adds" in second.stderr
    assert rc.read_text().count("export PATH") == 1


def test_bx_is_tool_run(make_pkg, static_index, tmp_path: Path) -> None:
    server = static_index([make_pkg("bxme", "1.0", entry_points={"console_scripts": {"bxme": "bxme:main"}})])
    env = bale_env(tmp_path / "home", extra={"PATH": os.environ["PATH"]})
    done = subprocess.run(
        [sys.executable, "-c", "from bale.cli.bx import bx; bx()", "--index-url", server.url, "bxme"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "bxme 1.0"
