"""``bale run --isolated``: the command in a fresh environment synced from the project's lock, then removed.

As uv's: the project's own environment is neither read nor written (it need not exist), the lock is
used as ``bale sync`` uses it (relocked when stale, unless ``--locked`` / ``--frozen``), the project is
installed editable as usual, and ``--with`` packages go into the same fresh environment.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cli.printer import Printer
from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.project.model import Project

_ENVIRONMENT_VARIABLE = "BALE_PROJECT_ENVIRONMENT"


@contextlib.contextmanager
def _environment_at(path: Path) -> Iterator[None]:
    """The project's environment is ``path`` while the sync runs (``ops.project.environment_path``
    reads this variable); restored after, so the command run does not inherit it."""
    before = os.environ.get(_ENVIRONMENT_VARIABLE)
    os.environ[_ENVIRONMENT_VARIABLE] = str(path)  # absolute: wins over the project root
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_ENVIRONMENT_VARIABLE, None)
        else:
            os.environ[_ENVIRONMENT_VARIABLE] = before


def run_isolated(args: argparse.Namespace, printer: Printer, project: Project, command: list[str]) -> int:
    """Sync a temporary environment (in the cache, so installs hardlink) and run ``command`` in it as a
    child process, whose exit code comes back; the environment is removed when it ends."""
    import signal
    import subprocess
    import sys

    from bale.cli.commands import _context, build_settings, index_settings
    from bale.cli.project import _sync_settings
    from bale.ops.project import run_environment, sync_project
    from bale.python.venv import PythonEnvironment

    if getattr(args, "no_sync", False):
        raise BaleError("--isolated builds a fresh environment from the lock: --no-sync cannot apply")
    ctx = _context(args, printer)
    try:
        with ctx.cache.temp_dir() as folder:
            path = folder / "venv"
            with _environment_at(path):
                sync_project(ctx, project, _sync_settings(args))
            extras = list(getattr(args, "with_", ()) or ())
            files = tuple(Path(p) for p in getattr(args, "with_requirements", ()) or ())
            if extras or files:
                from bale.ops.install import install
                from bale.ops.settings import InstallSettings

                index, explicit = index_settings(args)
                install(
                    ctx,
                    InstallSettings(
                        packages=tuple(extras),
                        requirement_files=files,
                        python=str(path),
                        index=index,
                        explicit_index=explicit,
                        build=build_settings(args),
                    ),
                )
            ctx.reporter.finish()
            env = PythonEnvironment.from_root(path, ctx.cache.bucket("interpreters-v1"))
            variables = run_environment(env)
            sys.stdout.flush()
            sys.stderr.flush()
            # A child, not exec: the environment is removed once it ends. Ctrl-C reaches the child
            # (the same process group); bale waits for it rather than dying first.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                return subprocess.call(command, env=variables)
            except FileNotFoundError as err:
                raise BaleError(f"Cannot run {command[0]!r}: no such command in {path} or on PATH") from err
            except OSError as err:
                raise BaleError(f"Cannot run {command[0]!r}: {err.strerror or err}") from err
            finally:
                signal.signal(signal.SIGINT, previous)
    finally:
        ctx.reporter.finish()
        ctx.close()
