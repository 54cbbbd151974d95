"""Writes that readers never see half-done: temp name in the same directory, then rename."""

from __future__ import annotations

import os

# These writes are on the path of a replayed command (cli.replay), where every import shows.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


def write_atomic(path: Path | str, data: bytes | str, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``data`` (str is written as UTF-8) in one rename.

    The temp file lives next to ``path`` so the rename stays on one filesystem; on any error it is
    removed and ``path`` keeps its old content. ``fsync`` flushes the bytes to disk before the rename,
    for files whose loss after a power cut matters more than ~5 ms (pylock.toml, not cache entries).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target = os.fspath(path)
    try:
        mode = os.stat(target).st_mode  # through a symlink
    except OSError:
        mode = None
    if mode is not None and mode & 0o170000 != 0o100000:
        # A device or a pipe (``-o /dev/null``, ``-o /dev/stdout``, a FIFO): there is no file to
        # replace, and a rename would put a regular file where the device was.
        with open(target, "wb") as stream:
            stream.write(payload)
        return
    if mode is not None and os.path.islink(target):
        target = os.path.realpath(target)  # replace the file the link names, not the link
    directory, name = os.path.split(target)
    # A random suffix keeps concurrent writers (processes and threads) on distinct temp names.
    tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:  # noqa: SIM105 (contextlib is an import this module avoids)
            os.unlink(tmp)
        except OSError:
            pass
        raise


def replace_dir(tmp: Path, final: Path) -> bool:
    """Rename the finished directory ``tmp`` to ``final``; True if ours was placed.

    When ``final`` already exists another process finished the same entry first: its tree is as good
    as ours (entries are content-addressed), so ``tmp`` is deleted and ``final`` kept (returns False).
    """
    try:
        os.rename(tmp, final)
        return True
    except FileNotFoundError:
        # The bucket itself vanished (a concurrent `cache clean`): recreate it and try once more.
        if not os.path.isdir(tmp):
            raise
        os.makedirs(final.parent, exist_ok=True)
        try:
            os.rename(tmp, final)
            return True
        except OSError:
            if not os.path.isdir(final):
                raise
    except OSError:
        # POSIX says ENOTEMPTY or EEXIST, Windows says FileExistsError or PermissionError (a reader has
        # the directory open); all mean "someone else won" when final now exists.
        if not os.path.isdir(final):
            raise
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return False
