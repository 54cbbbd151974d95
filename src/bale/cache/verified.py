"""Cache files that prove they are whole: size and sha256 recorded at write, checked on every read.

A sealed file starts with one line ``bale-sealed-v1 <size> <sha256>`` followed by the payload. A torn
write, a truncation or flipped bytes fail the check, and the reader refetches instead of trusting the
file. Checking costs one sha256 pass over bytes the reader loads anyway: ~13 µs for a 20 KB index
page, ~0.7 ms per MiB (measured with OpenSSL's sha256 on x86-64).
"""

from __future__ import annotations

import hashlib
import os

# Imported by the page cache and the metadata fetcher on warm runs: no typing import at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

MAGIC = b"bale-sealed-v1 "
_CHUNK = 1 << 20


class Damaged(Exception):
    """A sealed cache file whose bytes are not the ones written (``reason`` says how)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def seal(payload: bytes) -> bytes:
    """``payload`` preceded by the line that lets ``unseal`` check it."""
    digest = hashlib.sha256(payload).hexdigest()
    return MAGIC + f"{len(payload)} {digest}\n".encode("ascii") + payload


def is_sealed(raw: bytes) -> bool:
    """Whether ``raw`` was written by ``seal`` (of this format version), damaged or not."""
    return raw.startswith(MAGIC)


def unseal(raw: bytes, path: str = "") -> bytes:
    """The payload of a sealed file's bytes; ``Damaged`` when it is not exactly what was sealed."""
    if not raw.startswith(MAGIC):
        raise Damaged(path, "not a sealed cache file")
    head, sep, payload = raw.partition(b"\n")
    if not sep:
        raise Damaged(path, "truncated inside its header")
    try:
        size_text, digest = head[len(MAGIC) :].decode("ascii").split(" ")
        size = int(size_text)
    except ValueError:
        raise Damaged(path, "unreadable header") from None
    if len(payload) != size:
        raise Damaged(path, f"holds {len(payload)} bytes where {size} were written")
    if hashlib.sha256(payload).hexdigest() != digest:
        raise Damaged(path, "its bytes changed since they were written (sha256 mismatch)")
    return payload


def sealed_size_matches(raw: bytes) -> bool:
    """A cheap check (no hashing) for readers that verify the payload's digest themselves."""
    head, sep, payload = raw.partition(b"\n")
    if not sep or not head.startswith(MAGIC):
        return False
    size_text, _, _ = head[len(MAGIC) :].partition(b" ")
    return size_text.isdigit() and int(size_text) == len(payload)


def read_sealed(path: Path | str, *, on_damaged: Callable[[str], None] | None = None) -> bytes | None:
    """The payload of the sealed file at ``path``; None when it is missing or must be fetched again.

    A damaged file is removed (so the refetch replaces it) and ``on_damaged`` gets a sentence naming it;
    a file of another format (an older bale's, not sealed) is ignored silently: it is not damage.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    try:
        return unseal(raw, os.fspath(path))
    except Damaged as err:
        discard_damaged(path)
        if on_damaged is not None and is_sealed(raw):
            on_damaged(damaged_message(os.fspath(path), err.reason))
        return None


def write_sealed(path: Path | str, payload: bytes) -> None:
    """Replace ``path`` with the sealed ``payload`` in one rename (readers see old or new, whole)."""
    from bale.fs.atomic import write_atomic

    write_atomic(path, seal(payload))


def discard_damaged(path: Path | str) -> None:
    """Remove a damaged cache file; a concurrent remover or a read-only cache is fine."""
    try:  # noqa: SIM105 (contextlib is an import this module avoids)
        os.unlink(path)
    except OSError:
        pass


def damaged_message(path: str, reason: str) -> str:
    """The warning a reader gives for a damaged entry before fetching it again."""
    return f"The cache entry {path} is damaged ({reason}); fetching it again"


def file_matches(path: Path | str, sha256: str, size: int | None = None) -> bool:
    """Whether the file at ``path`` has this sha256 (and size): for entries named by their digest.

    Costs one read of the file (~0.7 ms per MiB); used on the paths that read the file anyway.
    """
    try:
        if size is not None and os.stat(path).st_size != size:
            return False
        hasher = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
    except OSError:
        return False
    return hasher.hexdigest() == sha256
