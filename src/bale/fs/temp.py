"""Temp directories created inside a chosen parent, so finishing them is a same-filesystem rename."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from bale.cancel import track, untrack
from bale.errors import BaleError

TEMP_PREFIX = ".tmp-"


def make_temp_dir(parent: Path, *, prefix: str = TEMP_PREFIX) -> Path:
    """Create a fresh, empty directory inside ``parent`` (created if missing) and return it.

    Unlike ``tempfile.mkdtemp`` (mode 0o700) the directory gets the umask's usual mode: it becomes a
    cache entry by rename, and a cache shared between users must stay readable.
    """
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        # The pid in the name tells a human which process left a temp dir behind.
        path = parent / f"{prefix}{os.getpid()}-{os.urandom(6).hex()}"
        try:
            os.mkdir(path, 0o777)
        except FileExistsError:
            continue
        track(str(path))  # removed by bale.cancel if Ctrl-C ends the process first
        return path


@contextmanager
def temp_dir(parent: Path, *, prefix: str = TEMP_PREFIX) -> Iterator[Path]:
    """A temp directory inside ``parent``, removed on exit unless it was renamed away meanwhile."""
    path = make_temp_dir(parent, prefix=prefix)
    try:
        yield path
    finally:
        remove_tree(path)


def remove_tree(path: Path) -> None:
    """Delete ``path`` (a directory tree, a file or a symlink) if it exists; what is gone is fine."""
    untrack(str(path))
    try:
        is_dir = stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return
    if not is_dir:
        with suppress(FileNotFoundError):
            os.unlink(path)
        return
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    except OSError:
        # Read-only files (Windows) or a concurrent remover: best effort, a later prune retries.
        shutil.rmtree(path, ignore_errors=True)


def check_replaceable(dest: Path, action: str, thing: str, *, ours: bool, mine: str) -> None:
    """Refuse ``dest`` for a folder that ``replace_dir`` will put there, unless it is missing, empty or
    (``ours``) one bale wrote before: a file, or a folder of someone else's, is never replaced.
    The error says "Cannot ``action`` to ...", "holds no ``thing``", "bale replaces only ``mine``"."""
    if dest.is_file():
        raise BaleError(f"Cannot {action} to {dest}: it is a file")
    if dest.is_dir() and any(dest.iterdir()) and not ours:
        raise BaleError(
            f"Cannot {action} to {dest}: the folder is not empty and holds no {thing}",
            hint=f"choose a new folder (bale replaces only {mine} it wrote)",
        )


def replace_dir(temp: Path, dest: Path) -> None:
    """Rename the finished folder ``temp`` to ``dest``; an older ``dest`` is moved aside first (and put
    back if the rename fails), then deleted: ``dest`` is the old folder or the new one, never a mix."""
    if not dest.exists():
        os.rename(temp, dest)
        return
    aside = make_temp_dir(dest.parent, prefix=f".{dest.name}.old-")
    os.rename(dest, aside / "old")
    try:
        os.rename(temp, dest)
    except OSError:
        os.rename(aside / "old", dest)
        raise
    finally:
        remove_tree(aside)
