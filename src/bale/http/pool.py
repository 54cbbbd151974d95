"""The shared worker pool and a once-map that runs one computation per key, however many threads ask."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def pool_size() -> int:
    """Worker count: network-bound work overlaps well up to ~16 connections per host."""
    return min(16, 4 * (os.cpu_count() or 1))


def shared_executor() -> ThreadPoolExecutor:
    """The process-wide bounded executor for fetches and hashing, created on first use."""
    global _executor
    # Imported here: concurrent.futures pulls in logging (~8 ms), and many commands never fan out.
    from concurrent.futures import ThreadPoolExecutor

    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=pool_size(), thread_name_prefix="bale-io")
        return _executor


def shutdown_shared() -> None:
    """Ctrl-C: drop the shared executor's queued work (``cancel_futures``) without waiting for the
    running tasks, so that a prefetch queue of hundreds of pages does not hold the process."""
    with _executor_lock:
        executor = _executor
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)


class _Slot(Generic[V]):
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: V | None = None
        self.error: BaseException | None = None


class OnceMap(Generic[K, V]):
    """Memoizes ``compute()`` per key; concurrent callers of one key wait for the first one's result.

    The computation runs in the thread of the first caller. Its exception is remembered too and
    re-raised to every caller of that key, so a failing fetch is not repeated by each waiter.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[K, _Slot[V]] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            slot = self._slots.get(key)
            owner = slot is None
            if slot is None:
                slot = self._slots[key] = _Slot()
        if owner:
            try:
                slot.value = compute()
            except BaseException as err:
                slot.error = err
                raise
            finally:
                slot.done.set()
            return slot.value
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        return slot.value  # type: ignore[return-value]

    def peek(self, key: K) -> V | None:
        """The finished value for ``key``, or None when absent, running or failed."""
        with self._lock:
            slot = self._slots.get(key)
        if slot is None or not slot.done.is_set() or slot.error is not None:
            return None
        return slot.value

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._slots
