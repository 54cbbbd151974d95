"""The one timer the bench scripts share: the wall time of one command, which must succeed."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def timed(argv: list[str], env: dict[str, str], cwd: Path, *, refuse_warnings: bool = False) -> float:
    """Seconds ``argv`` took, run in ``cwd`` with ``env`` and no input; a failure (or, with
    ``refuse_warnings``, a warning on stderr) stops the bench with the command's output."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    if refuse_warnings and "warning" in done.stderr.lower():
        raise SystemExit(f"{' '.join(argv)} warned:\n{done.stderr}")
    return took
