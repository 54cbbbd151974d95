"""Advisory file locks shared between bale processes (flock on POSIX, msvcrt on Windows)."""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from bale.errors import BaleError

# Waits shorter than this are normal contention (another process renaming an entry) and stay silent.
WAIT_NOTICE_AFTER = 1.0
_POLL_MIN = 0.002
_POLL_MAX = 0.05

# flock fails this way where the filesystem has no locks of its own (NFS without lockd: ENOLCK; some
# FUSE and SMB mounts: EOPNOTSUPP/ENOSYS/EINVAL). POSIX record locks (lockf) sometimes work there;
# when they do not either, the lock is skipped with a warning rather than making the cache unusable.
_NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL})
# msvcrt.locking is exclusive only: a shared lock taken exclusively would make every run using the
# cache wait for every other one, so on Windows shared locks are not taken (only exclusive ones).
_SHARED_LOCKS = sys.platform != "win32"

if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI only
    import msvcrt

    def _flock(fd: int, shared: bool) -> bool:
        # msvcrt has no shared mode; FileLock skips shared locks there (see ``_SHARED_LOCKS``).
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _lockf(fd: int, shared: bool) -> bool:
        return _flock(fd, shared)

    def _unlock(fd: int, record: bool) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _flock(fd: int, shared: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _lockf(fd: int, shared: bool) -> bool:
        try:
            fcntl.lockf(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise
        return True

    def _unlock(fd: int, record: bool) -> None:
        if record:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """A lock on ``path``, exclusive or ``shared``, held for the duration of a ``with`` block.

    Locks are per open file, so two ``FileLock`` objects on one path exclude each other even inside one
    process (threads included); shared locks exclude only exclusive ones. ``timeout`` None waits
    forever; after ``WAIT_NOTICE_AFTER`` seconds of waiting ``on_wait`` is called once with a sentence
    naming ``label`` (or ``wait_message`` when given). On timeout a ``BaleError`` names what is locked.
    The lock file is left in place: deleting it would race with a process opening it.

    Where the filesystem refuses ``flock`` (NFS without lock support), POSIX record locks are tried
    (per process, not per open file: threads of one process no longer exclude each other); where those
    fail too, the block runs unlocked and ``on_unsupported`` is told once why.
    """

    def __init__(
        self,
        path: Path,
        *,
        timeout: float | None = None,
        label: str | None = None,
        on_wait: Callable[[str], None] | None = None,
        shared: bool = False,
        wait_message: str | None = None,
        on_unsupported: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.label = label or str(path)
        self.on_wait = on_wait
        self.shared = shared
        self.wait_message = wait_message
        self.on_unsupported = on_unsupported
        self._fd: int | None = None
        self._record = False  # locked with lockf (the fallback), so unlocked with it too
        self._skipped = False  # a shared lock where the platform has none: nothing to unlock

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"FileLock on {self.path} is not re-entrant")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except FileNotFoundError:  # the directory first; an existing one costs no mkdir (~30 µs)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            self._wait(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _try(self, fd: int) -> bool:
        if self.shared and not _SHARED_LOCKS:
            self._skipped = True
            return True
        if not self._record:
            try:
                return _flock(fd, self.shared)
            except OSError as err:
                if err.errno not in _NO_LOCKS:
                    raise
                self._record = True
        try:
            return _lockf(fd, self.shared)
        except OSError as err:
            if err.errno not in _NO_LOCKS:
                raise
            _unsupported(self.path, err, self.on_unsupported)
            return True  # no lock to be had on this filesystem: go ahead unlocked

    def _wait(self, fd: int) -> None:
        if self._try(fd):
            return
        start = time.monotonic()
        notified = False
        delay = _POLL_MIN
        while True:
            # Polling rather than a blocking call keeps the timeout and the notice portable; the
            # delay grows to 50 ms so a long wait costs nothing noticeable.
            waited = time.monotonic() - start
            if self.timeout is not None and waited >= self.timeout:
                raise BaleError(
                    f"Timed out after {self.timeout:g} s waiting for another bale process to release "
                    f"{self.label}",
                    context=[f"lock file: {self.path}"],
                    hint="Wait for the other bale command to finish, or raise the timeout.",
                )
            if not notified and waited >= WAIT_NOTICE_AFTER:
                notified = True
                if self.on_wait is not None:
                    self.on_wait(
                        self.wait_message or f"Waiting for another bale process to release {self.label}..."
                    )
            sleep = delay
            if self.timeout is not None:
                sleep = min(sleep, max(self.timeout - waited, 0.0))
            time.sleep(sleep)
            delay = min(delay * 2, _POLL_MAX)
            if self._try(fd):
                return

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if not self._skipped:
                _unlock(fd, self._record)
        except OSError as err:
            if err.errno not in _NO_LOCKS:
                raise
        finally:
            os.close(fd)

    @property
    def locked(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


_warned_unsupported: set[str] = set()


def _unsupported(path: Path, err: OSError, report: Callable[[str], None] | None) -> None:
    """Say once per directory that its filesystem has no file locks (a run takes dozens of locks)."""
    directory = str(path.parent)
    if report is None or directory in _warned_unsupported:
        return
    _warned_unsupported.add(directory)
    report(
        f"The filesystem holding {directory} does not support file locks ({err.strerror or err}); "
        "continuing without locking, so do not run several bale commands on it at once"
    )
