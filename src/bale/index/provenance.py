"""Fetch the PEP 740 provenance objects an index links its files to, in parallel, through the cache.

Provenance is fetched only for the files a lock records (never for the candidates the resolver looked
at), once per file, and kept after it verified in ``provenance-v1/<name>/<sha256 of the file>.json``
with the identities it proved: a file's bytes never change under its digest, and PyPI's attestations
are immutable once uploaded, so a warm ``bale lock`` neither fetches nor imports pypi-attestations.
A provenance that did not verify is never cached: the next run fetches it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bale.errors import BaleError

if TYPE_CHECKING:
    from pathlib import Path

    from bale.cache.cache import Cache
    from bale.http.client import HttpClient
    from bale.model.dists import IndexFile

__all__ = ["cached_identities", "fetch_provenance", "store_identities"]

_BUCKET = "provenance-v1"
# A provenance object holds a few attestations of ~8 KiB each; PyPI caps them far below this.
_MAX_BYTES = 4 * 1024 * 1024


def _entry(cache: Cache, file: IndexFile) -> Path:
    return cache.package_dir(_BUCKET, file.name) / f"{file.hashes['sha256']}.json"


def cached_identities(cache: Cache, file: IndexFile) -> tuple[dict[str, Any], ...] | None:
    """The identities a previous run verified for ``file`` (by its sha256), or None. An entry that does
    not parse or names another file is ignored (and replaced once the file verifies again)."""
    try:
        data = json.loads(_entry(cache, file).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("filename") != file.filename:
        return None
    identities = data.get("identities")
    if not isinstance(identities, list) or not identities or not all(isinstance(i, dict) for i in identities):
        return None
    return tuple(identities)


def store_identities(
    cache: Cache, file: IndexFile, body: bytes, identities: Sequence[dict[str, Any]]
) -> None:
    """Keep ``file``'s verified provenance ``body`` and its ``identities`` (best effort: a cache that
    cannot be written only costs the next run a fetch)."""
    from bale.fs.atomic import write_atomic

    entry = {
        "filename": file.filename,
        "url": file.provenance,
        "identities": list(identities),
        "provenance": body.decode("utf-8", errors="replace"),
    }
    path = _entry(cache, file)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(entry, sort_keys=True))
    except OSError:
        pass


def fetch_provenance(http: HttpClient, files: Sequence[IndexFile]) -> dict[str, bytes]:
    """The provenance object of each of ``files`` (which all have a ``provenance`` URL), by file name,
    fetched on the shared executor. Raises ``BaleError`` naming the file when its index does not serve
    the provenance it advertises (a missing object is no less suspect than a bad one)."""
    from bale.http.pool import shared_executor

    def fetch(file: IndexFile) -> bytes:
        assert file.provenance is not None
        response = http.get(file.provenance, {"Accept": "application/json"}, missing_ok=True)
        if response.status != 200:
            raise BaleError(
                f"Cannot verify {file.filename}: its index advertises provenance at {file.provenance}, "
                f"which answered HTTP {response.status}",
                hint="the index may be misconfigured; try again later, or ask its maintainers",
            )
        if len(response.body) > _MAX_BYTES:
            raise BaleError(
                f"Cannot verify {file.filename}: the provenance at {file.provenance} is larger than "
                f"{_MAX_BYTES // (1024 * 1024)} MiB"
            )
        return response.body

    if len(files) == 1:
        return {files[0].filename: fetch(files[0])}  # no thread hop for the common single file
    futures = {file.filename: shared_executor().submit(fetch, file) for file in files}
    return {filename: future.result() for filename, future in futures.items()}
