"""A remote cache shared by machines: the storage seam, and the store a URL names.

The remote cache keeps what is slow to make (wheels built from sdists, sdists' metadata, optionally
downloaded wheels) in an object store (``s3://bucket/prefix``) or a shared folder (``file:///dir``).
Nothing here is imported unless a remote cache is configured: ``bale --version`` and a no-op sync
never pay for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from bale.errors import BaleError
from bale.model.record import record

__all__ = ["ObjectInfo", "RemoteStore", "StoreUnavailable", "open_store"]


class StoreUnavailable(Exception):
    """The store did not answer (unreachable, timed out, refused our credentials): the caller warns
    once and carries on with local work."""


@record(frozen=True, slots=True)
class ObjectInfo:
    """One stored object: its key (relative to the store's prefix), size and modification time."""

    key: str
    size: int
    modified: float  # seconds since the epoch


class RemoteStore(Protocol):
    """Objects by key, ``/``-separated and relative to the store's root or prefix.

    Every call is one round trip (a file store: a few system calls). A put is atomic: readers see
    the whole object or none. Failures other than a missing object raise ``StoreUnavailable``.
    """

    url: str

    def get(self, key: str) -> bytes | None:
        """The object's bytes, None when there is no such object."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing what was there, in one atomic step."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """The object's size and time, None when there is none (no bytes transferred)."""
        ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (one request per 1,000 objects on S3)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object (no error when it is already gone)."""
        ...


def open_store(url: str, *, connect_timeout: float = 3.0, read_timeout: float = 30.0) -> RemoteStore:
    """The store ``url`` names: ``file:///dir`` or ``s3://bucket[/prefix]``; a BaleError otherwise."""
    scheme = url.partition("://")[0].lower()
    if scheme == "file":
        from bale.cache.remote.files import FileStore

        return FileStore.from_url(url)
    if scheme == "s3":
        from bale.cache.remote.s3 import S3ObjectStore

        return S3ObjectStore.from_url(url, connect_timeout=connect_timeout, read_timeout=read_timeout)
    raise BaleError(
        f"Unsupported remote cache {url!r}",
        hint="Give an s3://bucket/prefix URL (AWS S3, MinIO, Ceph, R2...) or file:///shared/dir.",
    )
