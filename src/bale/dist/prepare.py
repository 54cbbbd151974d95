"""Wheels in the cache: downloaded files by sha256 and their unpacked trees, created race-free."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

from bale.cache.cache import Cache, is_sha256
from bale.errors import HashMismatchError
from bale.fs.atomic import replace_dir

_CHUNK = 1 << 20
# Unpacking is mostly Python work under the GIL (a loop per member, with short waits in zlib and
# write()): the 16 download threads unpacking at once spent their time handing the GIL to each other
# (600,000 futex calls for jupyter's 97 wheels, 3.6 s of system time on 2 cores). One unpack per core
# at a time; the other threads keep downloading.
_UNPACKING = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def file_digests(path: Path, algorithms: Sequence[str] = ()) -> dict[str, str]:
    """Hex digests of the file at ``path``: sha256 always, plus ``algorithms``; one pass in 1 MiB chunks."""
    hashers = {name: hashlib.new(name) for name in dict.fromkeys(("sha256", *algorithms))}
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file at ``path``."""
    return file_digests(path)["sha256"]


def _checked(sha256: str) -> str:
    # The digest becomes a path component: anything but 64 hex digits could point outside the bucket.
    if not is_sha256(sha256):
        raise ValueError(f"not a lower-case hex sha256 digest: {sha256!r}")
    return sha256


def archive_for(cache: Cache, sha256: str) -> Path | None:
    """The unpacked tree of the wheel with this sha256 if the cache has it whole (one stat)."""
    return cache.archive_entry(_checked(sha256))


def unpacked_wheel(cache: Cache, wheel_path: Path, sha256: str | None = None, *, name_hint: str = "") -> Path:
    """``archive-v1/<sha256>``: the wheel's members exactly, validated, ready to link from.

    ``sha256`` is the wheel file's digest as the caller already verified it (computed here when None).
    Warm path: one stat. Cold path: validate and unpack into a temp dir inside the cache, then rename;
    when another process renamed the same tree first, its tree is used and ours deleted.
    """
    digest = _checked(sha256) if sha256 is not None else file_sha256(wheel_path)
    final = cache.archive_entry(digest)
    if final is not None:
        return final
    # Imported here: zipfile, csv and the validator cost ~4 ms that warm runs never need.
    from bale.dist.wheel import validate_and_unpack

    cache.bucket("archive")
    with _UNPACKING, cache.temp_dir() as tmp:
        validate_and_unpack(wheel_path, tmp, name_hint=name_hint or wheel_path.name)
        return cache.place_archive(tmp, digest)


def cached_wheel_file(cache: Cache, sha256: str, filename: str) -> Path | None:
    """``wheels-v1/<sha256>/<filename>`` when the cache holds that downloaded wheel intact, else None."""
    return cache.wheel_file(_checked(sha256), _plain(filename))


def store_wheel_file(
    cache: Cache, src: Path, sha256: str, filename: str, *, move: bool = False, verified: bool = False
) -> Path:
    """Put the wheel file ``src`` into the cache as ``wheels-v1/<sha256>/<filename>`` and return it.

    ``move`` renames ``src`` instead of copying it (it must then be on the cache's filesystem or the
    rename falls back to a copy). Unless ``verified``, the bytes are hashed and a mismatch raises
    ``HashMismatchError`` before anything enters the cache. An entry already present is kept.
    """
    digest = _checked(sha256)
    name = _plain(filename)
    final = cache.bucket("wheels") / digest
    existing = final / name
    if os.path.isfile(existing):
        return existing
    if not verified:
        actual = file_sha256(src)
        if actual != digest:
            raise HashMismatchError(
                f"{filename} does not have the expected sha256",
                context=[f"file: {src}", f"expected: {digest}", f"actual:   {actual}"],
            )
    with cache.temp_dir() as tmp:
        _put(src, tmp / name, move=move)
        if replace_dir(tmp, final) or os.path.isfile(existing):
            return existing
    # The digest is the identity: another process stored these bytes under another file name (say
    # an unnormalised one). Add ours beside it so both names resolve.
    # When ``move`` already consumed ``src``, the other name's file has the same bytes.
    source = src if os.path.exists(src) else final / min(os.listdir(final))
    with cache.temp_dir() as tmp:
        _put(source, tmp / name, move=move and source == src)
        os.replace(tmp / name, existing)
    return existing


def _put(src: Path, target: Path, *, move: bool) -> None:
    if move:
        try:
            os.replace(src, target)
            return
        except OSError:
            pass  # another filesystem: copy instead
    shutil.copyfile(src, target)


def _plain(filename: str) -> str:
    if not filename or "/" in filename or "\\" in filename or filename in (".", ".."):
        raise ValueError(f"not a plain file name: {filename!r}")
    return filename
