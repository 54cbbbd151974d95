"""A warm `bx`: no packaging, no receipt code, no requirement parsing before the tool runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bale.ops import tool as ops_tool
from bale.tool import receipt
from tests.support.cli import bale_env


def test_the_receipt_name_is_spelled_the_same_twice() -> None:
    assert ops_tool.RECEIPT_NAME == receipt.RECEIPT_NAME


def test_a_warm_tool_run_imports_nothing_it_does_not_need(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(
        [make_pkg("warm-tool", "1.0", entry_points={"console_scripts": {"wt": "warm_tool:main"}})]
    )
    args = ("tool", "run", "--index-url", server.url, "--from", "warm-tool", "wt")
    first = run_bale(*args)
    assert first.code == 0 and first.stdout.strip() == "warm-tool 1.0", first
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bale", *args],
        env=bale_env(run_bale.home),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "warm-tool 1.0"
    for heavy in ("packaging.utils", "packaging.requirements", "bale.tool.receipt", "configparser"):
        assert f" {heavy}\n" not in done.stderr, heavy
    # A request that is not a requirement is still refused, before anything is built.
    bad = run_bale("tool", "run", "--index-url", server.url, "--from", "warm tool!", "wt")
    assert bad.code == 1 and "is not a package requirement" in bad.stderr, bad
