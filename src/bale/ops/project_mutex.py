"""One bale at a time changes a project's pyproject.toml and pylock.toml: a file lock in ``.bale/``.

Two ``bale add`` run together would otherwise both read the old pyproject.toml and the second write would
drop the first one's dependency (a lost update); two ``bale lock`` would race on the lock file. The lock
is held from reading pyproject.toml to writing the lock (and, for ``add``, syncing), and is re-entrant
within a process: ``add`` holds it and calls ``lock_project``, which takes it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bale.errors import BaleError
from bale.fs.lock import FileLock

__all__ = ["STATE_DIR", "project_lock"]

STATE_DIR = ".bale"
# A .gitignore of "*" keeps the folder out of `git status` without the user listing it (as .venv
# and .pytest_cache do).
_GITIGNORE = "# Created by bale: its per-project state, not to commit.\n*\n"

_held: dict[Path, tuple[FileLock, int]] = {}
_guard = threading.Lock()


@contextmanager
def project_lock(root: Path, *, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of the project at ``root`` (``root/.bale/lock``) for the ``with`` block.

    Waits for another process that holds it (``on_wait`` is told once after a second); a thread of
    this process that already holds it goes on. Costs one ``open`` and one ``flock`` (~50 µs).
    """
    key = root.resolve()
    with _guard:
        held = _held.get(key)
        if held is not None:
            _held[key] = (held[0], held[1] + 1)
    if held is None:
        lock = FileLock(_lock_file(key), label=f"the project {key}", on_wait=on_wait)
        lock.acquire()
        with _guard:
            _held[key] = (lock, 1)
    try:
        yield
    finally:
        with _guard:
            lock, depth = _held[key]
            if depth > 1:
                _held[key] = (lock, depth - 1)
            else:
                del _held[key]
                lock.release()


def _lock_file(root: Path) -> Path:
    folder = root / STATE_DIR
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text(_GITIGNORE, encoding="utf-8")
    except OSError as err:
        raise BaleError(
            f"Cannot create {folder}: {err.strerror or err}",
            context=["bale keeps the lock that stops two commands from editing the project at once there"],
            hint="check the permissions of the project's folder",
        ) from err
    return folder / "lock"
