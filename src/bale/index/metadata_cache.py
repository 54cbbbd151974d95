"""Where the metadata fetcher keeps each file's METADATA on disk, readable without an HTTP client."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bale.model.dists import IndexFile


def metadata_path(cache_dir: Path, file: IndexFile) -> Path:
    """``<cache_dir>/<2 hex>/<sha256 of URL and file hash>.metadata``: a file whose hash changes is
    another entry."""
    key = hashlib.sha256(f"{file.url}\0{file.hashes.get('sha256', '')}".encode()).hexdigest()
    return cache_dir / key[:2] / f"{key}.metadata"


def cached_metadata(cache_dir: Path, file: IndexFile) -> bytes | None:
    """The METADATA a fetcher keeping ``cache_dir`` wrote for ``file`` (what an earlier resolution
    read); None when there is none, or it is damaged. One open (~20 µs); importing this module costs
    nothing a warm install does not already pay (no HTTP client)."""
    if file.url[:5].lower() == "file:":
        return None  # local files are read in place, never cached
    from bale.cache.verified import read_sealed

    return read_sealed(metadata_path(cache_dir, file))
