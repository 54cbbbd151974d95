"""OSErrors and other machine states that reach the top, as one-paragraph user errors (never "a bug")."""

from __future__ import annotations

import errno as codes
import os

from bale.errors import BaleError


def from_os_error(err: OSError, *, cache_root: str | None = None) -> BaleError:
    """The user error for an ``OSError`` that reached the top: what failed, on which path, what to do.

    A full disk, a permission denied or a filesystem without locks is the machine's state, never a
    bug in bale: the CLI renders this instead of its internal-error message. ``cache_root`` lets the
    hint say when the path is inside bale's cache (where cleaning or moving the cache helps).
    """
    path = _path_text(err.filename)
    other = _path_text(getattr(err, "filename2", None))
    reason = err.strerror or _reason_of(err)
    where = f"{path} -> {other}" if path and other else path
    message = f"{reason}: {where}" if where else reason
    number = err.errno
    in_cache = bool(path and cache_root and _is_inside(os.path.abspath(path), os.path.abspath(cache_root)))
    target = path or "the file"
    if number == codes.ENOSPC or number == getattr(codes, "EDQUOT", None):
        disk = (
            f"the disk holding {path}"
            if path
            else "the disk bale was writing to (output, cache or environment)"
        )
        hint = (
            f"Free some space on {disk}"
            + (" (`bale cache prune` or `bale cache clean` frees the cache)" if in_cache else "")
            + ", then run the command again."
        )
    elif isinstance(err, PermissionError) or number in (codes.EACCES, codes.EPERM):
        hint = f"bale may not use {target}: check its owner and permissions, or " + (
            "point BALE_CACHE_DIR (or --cache-dir) at a directory you own."
            if in_cache
            else "use a location (a virtual environment) of your own."
        )
    elif number == codes.EROFS:
        hint = f"{target} is on a read-only filesystem: use a writable location instead."
    elif number == codes.ENOLCK or number in (codes.EOPNOTSUPP, codes.ENOTSUP):
        hint = (
            f"The filesystem holding {target} does not support this (file locks on NFS need lockd); "
            "put the cache on a local disk with BALE_CACHE_DIR."
        )
    elif number in (codes.EMFILE, codes.ENFILE):
        hint = "Too many files are open: raise the limit (`ulimit -n`) and run the command again."
    elif isinstance(err, FileNotFoundError):
        hint = f"Check that {target} exists; another process may have removed it meanwhile."
    elif isinstance(err, (FileExistsError, IsADirectoryError, NotADirectoryError)):
        hint = f"Something else is in the way at {target}: move it aside and run the command again."
    elif isinstance(err, (ConnectionError, TimeoutError)):
        hint = "Check the network connection (and any proxy), or run with --offline to use the cache."
    elif isinstance(err, (ChildProcessError, ProcessLookupError)):
        hint = "A process bale started ended unexpectedly; run the command again (with -v to see more)."
    elif isinstance(err, (BlockingIOError, InterruptedError)):
        hint = "The operation was interrupted; run the command again."
    else:
        hint = f"The operating system refused an operation on {target}; check the path and run again."
    context = [f"{type(err).__name__} [{codes.errorcode.get(number, number)}]"] if number else []
    return BaleError(message, context=context, hint=hint)


def _path_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return os.fsdecode(value)
    if isinstance(value, int):
        return f"file descriptor {value}"
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def _reason_of(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "Permission denied"
    if isinstance(err, FileNotFoundError):
        return "No such file or directory"
    if isinstance(err, (ConnectionError, TimeoutError)):
        return "Connection failed" if isinstance(err, ConnectionError) else "Timed out"
    text = str(err.args[0]) if err.args else ""
    return text or "Operating system error"


def _is_inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/\\") + ("/" if "/" in root else "\\"))


def user_error(exc: BaseException, *, cache_root: str | None = None) -> BaleError | None:
    """The user error an unexpected exception stands for, or None when it is a bug in bale.

    Every ``OSError`` is the machine's state (see ``from_os_error``); a ``ValueError`` about an
    embedded NUL is a path no filesystem accepts, from a file or option the user wrote.
    """
    if isinstance(exc, OSError):
        if cache_root is None:
            from bale.cache import default_root

            cache_root = default_root()
        return from_os_error(exc, cache_root=str(cache_root))
    if isinstance(exc, ValueError) and "embedded null" in str(exc):
        return BaleError(
            "A path contains a NUL byte, which no filesystem accepts",
            context=[str(exc)],
            hint="Check the paths given on the command line and in the requirement, lock and "
            "pyproject.toml files for a stray \\0 (often a file saved as UTF-16).",
        )
    return None
