"""An RFC 9111-style on-disk cache of fetched pages: freshness from max-age, revalidation by validators."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from bale.model.record import record

# Headers worth keeping: the body's type, its validators and its freshness.
_KEPT_HEADERS = ("content-type", "etag", "last-modified", "cache-control", "expires", "date", "age")


@record(frozen=True, slots=True)
class CachedPage:
    """A stored response: final URL, kept headers, body and when it was stored (epoch seconds)."""

    url: str
    headers: Mapping[str, str]
    body: bytes
    stored_at: float

    def is_fresh(self, now: float) -> bool:
        """True while the response's max-age (or Expires) has not run out; no-cache means never."""
        until = self.fresh_until()
        return until is not None and now < until

    def fresh_until(self) -> float | None:
        """When (epoch seconds) the response stops being fresh; None when it never is."""
        lifetime = freshness_lifetime(self.headers)
        if lifetime is None:
            return None
        return self.stored_at + lifetime - _int_or_zero(self.headers.get("age"))

    def validators(self) -> dict[str, str]:
        """Conditional request headers that let the server answer 304 Not Modified."""
        out: dict[str, str] = {}
        if etag := self.headers.get("etag"):
            out["If-None-Match"] = etag
        if modified := self.headers.get("last-modified"):
            out["If-Modified-Since"] = modified
        return out


def _directives(headers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            out[name.lower()] = value.strip().strip('"')
    return out


def _int_or_zero(text: str | None) -> int:
    try:
        return max(0, int(text)) if text else 0
    except ValueError:
        return 0


def freshness_lifetime(headers: Mapping[str, str]) -> float | None:
    """Seconds a response stays fresh, or None when it must be revalidated before every use."""
    directives = _directives(headers)
    if "no-cache" in directives or "no-store" in directives:
        return None
    if "max-age" in directives:
        try:
            return float(int(directives["max-age"]))
        except ValueError:
            return None
    expires, date = headers.get("expires"), headers.get("date")
    if expires and date:
        from email.utils import parsedate_to_datetime

        try:
            return (parsedate_to_datetime(expires) - parsedate_to_datetime(date)).total_seconds()
        except (TypeError, ValueError):
            return None
    return None


def is_storable(headers: Mapping[str, str]) -> bool:
    return "no-store" not in _directives(headers)


class PageFile(NamedTuple):
    """A page cache file as found (see ``PageCache.vouch``): its identity and when it goes stale."""

    path: str
    mtime_ns: int
    size: int
    inode: int
    fresh_until: float


class PageCache:
    """Pages under ``root``, one file per (URL, Accept) pair, named by the pair's sha256.

    Each file is one JSON line (url, headers, stored_at) followed by the body, sealed with its size and
    sha256 (``bale.cache.verified``: a damaged file is refetched, with ``on_damaged`` told); written to
    a temp file and renamed, so concurrent readers see an old entry or a new one, never half of one.
    """

    def __init__(self, root: Path, on_damaged: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.on_damaged = on_damaged

    def _path(self, url: str, accept: str) -> Path:
        digest = hashlib.sha256(f"{url}\0{accept}".encode()).hexdigest()
        return self.root / digest[:2] / digest

    def load(self, url: str, accept: str) -> CachedPage | None:
        from bale.cache.verified import read_sealed

        raw = read_sealed(self._path(url, accept), on_damaged=self.on_damaged)
        return None if raw is None else _parse(raw)

    def vouch(self, url: str, accept: str, digest: str, now: float) -> PageFile | None:
        """The file holding the fresh page for (url, accept) if its body's sha256 is ``digest``.

        Entries are replaced by rename, never rewritten in place, so the file's identity (inode,
        mtime, size) read here stands for this very content for as long as it stays the same.
        """
        path = self._path(url, accept)
        try:
            with open(path, "rb") as fh:
                status = os.fstat(fh.fileno())
                raw = fh.read()
        except OSError:
            return None
        from bale.cache.verified import sealed_size_matches

        # The body's digest is compared below, so the seal's size is all that needs checking here.
        page = _parse(raw.partition(b"\n")[2]) if sealed_size_matches(raw) else None
        if page is None or hashlib.sha256(page.body).hexdigest() != digest:
            return None
        until = page.fresh_until()
        if until is None or until <= now:
            return None
        return PageFile(str(path), status.st_mtime_ns, status.st_size, status.st_ino, until)

    def store(self, url: str, accept: str, page: CachedPage) -> None:
        import json
        import tempfile

        path = self._path(url, accept)
        headers = {k: v for k, v in page.headers.items() if k in _KEPT_HEADERS}
        head = json.dumps({"url": page.url, "headers": headers, "stored_at": page.stored_at})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                from bale.cache.verified import seal

                with os.fdopen(fd, "wb") as fh:
                    fh.write(seal(head.encode() + b"\n" + page.body))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            # A read-only or full cache only costs a refetch next time; it must not fail the command.
            return


def _parse(raw: bytes) -> CachedPage | None:
    import json

    head, sep, body = raw.partition(b"\n")
    if not sep:
        return None
    try:
        meta = json.loads(head)
        return CachedPage(str(meta["url"]), dict(meta["headers"]), body, float(meta["stored_at"]))
    except (ValueError, KeyError, TypeError):
        return None  # an entry from another format version or a torn disk: refetch


def keep_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The subset of (lower-cased) response headers the cache stores."""
    return {k: v for k, v in headers.items() if k in _KEPT_HEADERS}
