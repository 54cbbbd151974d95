"""The live progress line appears only on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import make_stdlib_venv


def test_progress_only_on_a_terminal(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(
        [make_pkg("big", "1.0", files={"big/__init__.py": "x = 1\n", "big/blob.bin": os.urandom(600_000)})]
    )
    venv = make_stdlib_venv(tmp_path / "venv")
    args = ["pip", "install", "--no-deps", "big", "-i", server.url, "--python", str(venv.root)]
    piped = run_bale(*args)
    assert piped.code == 0, piped
    assert "Downloading" not in piped.stderr and "\x1b" not in piped.stderr
    other = make_stdlib_venv(tmp_path / "venv2")
    env = run_bale.env({"BALE_CACHE_DIR": str(tmp_path / "cold-cache"), "NO_COLOR": None, "CI": None})
    controller, terminal = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "bale", *args[:-1], str(other.root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=terminal,
        timeout=60,
        check=False,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert done.returncode == 0, shown
    assert "Downloading 1" in shown and "big==1.0" in shown
    assert "\x1b[2K" in shown  # the line is redrawn in place and cleared at the end
