"""Ctrl-C: the process-wide flag long loops check, and what must be undone before bale dies by SIGINT."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

_cancelled = threading.Event()
_lock = threading.Lock()
_temps: set[str] = set()
_pools: set[ThreadPoolExecutor] = set()


class Cancelled(Exception):
    """Raised in a worker thread whose work was cancelled by Ctrl-C (its ``finally`` blocks clean up)."""

    def __init__(self) -> None:
        super().__init__("cancelled")


def is_cancelled() -> bool:
    return _cancelled.is_set()


def check() -> None:
    """Raise Cancelled once Ctrl-C was pressed: called between chunks of a download (each 256 KB)."""
    if _cancelled.is_set():
        raise Cancelled


def track(path: str) -> None:
    """Note a temp file or directory this process is writing, so ``cancel`` can remove it."""
    with _lock:
        _temps.add(path)


def untrack(path: str) -> None:
    with _lock:
        _temps.discard(path)


@contextmanager
def worker_pool(max_workers: int, prefix: str) -> Iterator[ThreadPoolExecutor]:
    """A thread pool that waits for its work on a normal exit, but on Ctrl-C drops the queued work
    (``cancel_futures``) and returns at once: waiting for a slow download would take seconds."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=prefix)
    with _lock:
        _pools.add(pool)
    try:
        yield pool
    except BaseException as err:
        interrupted = isinstance(err, KeyboardInterrupt) or _cancelled.is_set()
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        with _lock:
            _pools.discard(pool)


def cancel(grace: float = 0.1) -> None:
    """Stop the work in flight: set the flag, cancel every queued task, give running ones ``grace``
    seconds to notice, then remove the temp files and directories still registered.

    Called once by the CLI on Ctrl-C, just before the process ends itself by SIGINT: threads blocked
    in a socket read do not get to run their ``finally`` blocks, so their temp files are removed here.
    """
    import time

    from bale.http.pool import shutdown_shared

    _cancelled.set()
    with _lock:
        pools = list(_pools)
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)
    shutdown_shared()
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with _lock:
            if not _temps:
                break
        time.sleep(0.01)
    from pathlib import Path

    from bale.fs.temp import remove_tree

    for _ in range(2):  # a worker still unpacking may add a file while the first pass runs
        with _lock:
            left = list(_temps)
        for path in left:
            remove_tree(Path(path))
