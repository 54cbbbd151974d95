"""Advisory file locks shared between bale processes (flock on POSIX, msvcrt on Windows)."""

from __future__ import annotations

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

if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """An exclusive lock on ``path``, held for the duration of a ``with`` block.

    Locks are per open file, so two ``FileLock`` objects on one path exclude each other even inside one
    process (threads included). ``timeout`` None waits forever; after ``WAIT_NOTICE_AFTER`` seconds of
    waiting ``on_wait`` is called once with a sentence naming ``label``. On timeout a ``BaleError`` names
    what is locked. The lock file is left in place: deleting it would race with a process opening it.
    """

    def __init__(
        self,
        path: Path,
        *,
        timeout: float | None = None,
        label: str | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.label = label or str(path)
        self.on_wait = on_wait
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"FileLock on {self.path} is not re-entrant")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            self._wait(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _wait(self, fd: int) -> None:
        if _try_lock(fd):
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
                    self.on_wait(f"Waiting for another bale process to release {self.label}...")
            sleep = delay
            if self.timeout is not None:
                sleep = min(sleep, max(self.timeout - waited, 0.0))
            time.sleep(sleep)
            delay = min(delay * 2, _POLL_MAX)
            if _try_lock(fd):
                return

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
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
