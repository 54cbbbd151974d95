"""Compile installed modules to bytecode with the environment's own interpreter."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bale.errors import BaleError

# Runs in the target interpreter (any Python 3.8+): paths arrive NUL-separated on stdin as file-system
# bytes; the paths that fail to compile go back the same way on stdout.
_SCRIPT = """\
import os, py_compile, sys
failed = []
for raw in sys.stdin.buffer.read().split(b"\\0"):
    if not raw:
        continue
    path = os.fsdecode(raw)
    try:
        py_compile.compile(path, doraise=True, quiet=1)
    except (py_compile.PyCompileError, OSError, ValueError):
        failed.append(raw)
sys.stdout.buffer.write(b"\\0".join(failed))
"""


def compile_bytecode(paths: Sequence[Path], python: Path) -> list[Path]:
    """Write ``__pycache__`` files for ``paths`` using ``python`` (one subprocess for all of them).

    Returns the sources that could not be compiled (syntax errors in files a package ships but
    never imports are common and, as with pip, not fatal). Raises BaleError when the interpreter
    itself fails.
    """
    if not paths:
        return []
    payload = b"\0".join(os.fsencode(path) for path in paths)
    try:
        result = subprocess.run(
            [os.fspath(python), "-I", "-c", _SCRIPT],
            input=payload,
            capture_output=True,
            check=False,
        )
    except OSError as err:
        raise BaleError(
            f"cannot run {python} to compile bytecode",
            context=[err.strerror or str(err)],
        ) from err
    if result.returncode != 0:
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise BaleError(
            f"compiling bytecode with {python} failed (exit status {result.returncode})",
            context=tail,
            hint="retry without bytecode compilation, or check the interpreter",
        )
    return [Path(os.fsdecode(raw)) for raw in result.stdout.split(b"\0") if raw]
