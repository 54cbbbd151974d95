"""The one HTTP client: pooled connections, retries with backoff, TLS, credentials, page cache, downloads."""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import unquote, urljoin, urlsplit

from bale import __version__
from bale.cancel import check as check_cancelled
from bale.errors import BaleError, HashMismatchError, OfflineError
from bale.http.auth import CredentialStore, host_key, redact_url
from bale.http.cache import CachedPage, PageCache, PageFile, is_storable, keep_headers
from bale.model.record import record
from bale.report import NULL_REPORTER, Reporter

if TYPE_CHECKING:
    import ssl

    import urllib3

USER_AGENT = f"bale/{__version__}"
CHUNK_SIZE = 256 * 1024
MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# A server asking for a long Retry-After would stall a resolution; past this we retry sooner anyway.
_MAX_RETRY_AFTER = 10.0

_NETWORK_HINT = "Check the URL and the network, or run with --offline to use what the cache holds."
_TLS_HINT = (
    "If the index uses its own certificate authority, set SSL_CERT_FILE to a bundle that includes it "
    "(--native-tls uses the system's trust store)."
)

_AUTH_HINT = (
    "Give credentials in the index URL (https://USER:PASSWORD@host/simple), "
    "for a [[tool.bale.index]] named NAME in BALE_INDEX_<NAME>_USERNAME and BALE_INDEX_<NAME>_PASSWORD, "
    "in a netrc file (NETRC or ~/.netrc), or in the keyring."
)


@record(frozen=True, slots=True)
class Response:
    """A whole response; ``headers`` have lower-case names, ``url`` is the final one without credentials."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@record(frozen=True, slots=True)
class ByteRange:
    """Bytes ``start .. start + len(data)`` of a resource of ``total`` bytes (None when unknown)."""

    data: bytes
    start: int
    total: int | None


@record(frozen=True, slots=True)
class Downloaded:
    """What ``download_if_changed`` put at its ``dest``: the bytes' sha256 and size, and the response's
    validators for the next conditional request (``""`` when the server sent none)."""

    sha256: str
    size: int
    etag: str = ""
    last_modified: str = ""


class HttpStatusError(BaleError):
    """A server answered with an error status (after retries, for 5xx and 429)."""

    def __init__(self, url: str, status: int, *, retries: int = 0, hint: str | None = None) -> None:
        from http import HTTPStatus

        try:
            phrase = f" {HTTPStatus(status).phrase}"
        except ValueError:
            phrase = ""
        tail = f" ({retries} retries)" if retries else ""
        super().__init__(f"Could not fetch {redact_url(url)}: HTTP {status}{phrase}{tail}", hint=hint)
        self.url = redact_url(url)
        self.status = status


class _Truncated(Exception):
    def __init__(self, received: int, expected: int) -> None:
        super().__init__(f"response truncated: received {received} of {expected} bytes")


def is_file_url(url: str) -> bool:
    return url[:5].lower() == "file:"


def file_url_to_path(url: str) -> Path:
    """The local path of a ``file://`` URL (``file:///x``, ``file://localhost/x``)."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise BaleError(f"Cannot read {url}: file URLs on other hosts are not supported")
    if os.name == "nt":
        from nturl2path import url2pathname

        return Path(url2pathname(parts.path))
    return Path(unquote(parts.path))


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _discard(resp: urllib3.BaseHTTPResponse) -> None:
    """Drop a response without reading its body: close the socket so an unread body is never reused."""
    resp.close()
    resp.release_conn()


def _transient_errors() -> tuple[type[BaseException], ...]:
    from urllib3 import exceptions as e

    return (e.TimeoutError, e.ProtocolError, e.SSLError, e.ProxyError, _Truncated)


class HttpClient:
    """Thread-safe client for index pages, byte ranges and downloads; ``file://`` URLs are read locally.

    Connection errors, timeouts, 5xx and 429 are retried ``retries`` times with exponential backoff
    (``backoff``, 2x, 4x... plus jitter); other statuses are not. Every failure is a BaleError naming
    the URL with credentials redacted. With ``offline`` any network access raises OfflineError, but
    ``file://`` URLs and cached pages (stale or not) are still served.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.2,
        offline: bool = False,
        native_tls: bool = True,
        cert: Path | None = None,
        pool_maxsize: int = 16,
        cache_dir: Path | None = None,
        reporter: Reporter = NULL_REPORTER,
        credentials: CredentialStore | None = None,
    ) -> None:
        env_timeout = os.environ.get("BALE_HTTP_TIMEOUT")
        if env_timeout:
            try:
                read_timeout = float(env_timeout)
            except ValueError:
                raise BaleError(
                    f"BALE_HTTP_TIMEOUT must be a number of seconds, not {env_timeout!r}"
                ) from None
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff = backoff
        self.offline = offline
        self.native_tls = native_tls
        self.cert = cert
        self.pool_maxsize = pool_maxsize
        self.reporter = reporter
        self.auth = credentials if credentials is not None else CredentialStore()
        self._page_cache = PageCache(cache_dir, reporter.warn) if cache_dir is not None else None
        self.pages_seen: dict[tuple[str, str], str] = {}  # (url, accept) -> sha256 of the page
        self.pages_complete = True
        self._lock = threading.Lock()
        self._pools: dict[tuple[str | None, bool], urllib3.PoolManager] = {}
        self._proxies: dict[str, str] | None = None

    # --- public API -------------------------------------------------------------------------------

    def has_fresh_page(self, url: str, headers: Mapping[str, str]) -> bool:
        """Whether ``get(url, headers, cache=True)`` would be answered from the page cache alone."""
        if is_file_url(url):
            return True
        if self._page_cache is None:
            return False
        entry = self._page_cache.load(self.auth.learn(url), _header(dict(headers), "accept"))
        return entry is not None and (self.offline or entry.is_fresh(time.time()))

    def fresh_page_digest(self, url: str, accept: str) -> str | None:
        """The sha256 of the page ``get(url, cache=True)`` would answer from the page cache alone, or None
        when it would need the network (see ``pages_seen``)."""
        if self._page_cache is None:
            return None
        entry = self._page_cache.load(self.auth.learn(url), accept)
        if entry is None or not (self.offline or entry.is_fresh(time.time())):
            return None
        return hashlib.sha256(entry.body).hexdigest()

    def page_files(self) -> list[PageFile] | None:
        """The page cache files behind ``pages_seen``, each still fresh and holding the content this
        run read; None when the run read something else or a page has changed or gone stale since."""
        if self._page_cache is None or not self.pages_complete:
            return None
        now = time.time()
        found: list[PageFile] = []
        # a copy: prefetch threads may still be noting pages (not this answer's) while we vouch
        for (url, accept), digest in self.pages_seen.copy().items():
            page = self._page_cache.vouch(self.auth.learn(url), accept, digest, now)
            if page is None:
                return None
            found.append(page)
        return found

    def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        cache: bool = False,
        missing_ok: bool = False,
    ) -> Response:
        """Fetch ``url``; ``cache`` uses the page cache, ``missing_ok`` returns 404/410 instead of raising.

        Pages read with ``cache`` are noted in ``pages_seen`` (their digests), so that a result computed
        from them can later be reused while ``fresh_page_digest`` still gives the same digests; a missing
        page or a local file read clears ``pages_complete``: such a result cannot be checked that way.
        """
        response = self._get(url, headers, cache=cache, missing_ok=missing_ok)
        if is_file_url(url) or (cache and response.status != 200):
            self.pages_complete = False
        elif cache:
            accept = _header(dict(headers or {}), "accept")
            # Kept without credentials: the resolution memo writes these URLs into the cache.
            clean = self.auth.learn(url)
            self.pages_seen[(clean, accept)] = hashlib.sha256(response.body).hexdigest()
        return response

    def _get(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        *,
        cache: bool,
        missing_ok: bool,
    ) -> Response:
        url = self.auth.learn(url)
        if is_file_url(url):
            return self._get_file(url, missing_ok)
        request_headers = {"Accept-Encoding": "gzip, deflate"}
        request_headers.update(headers or {})
        accept = _header(request_headers, "accept")
        entry: CachedPage | None = None
        if cache and self._page_cache is not None:
            entry = self._page_cache.load(url, accept)
            if entry is not None and (self.offline or entry.is_fresh(time.time())):
                self.reporter.debug(f"cache hit: {redact_url(url)}")
                return Response(200, entry.headers, entry.body, entry.url, from_cache=True)
            if entry is not None:
                request_headers.update(entry.validators())
        resp, final = self._request(url, request_headers, preload=True)
        status = resp.status
        got = _lower_headers(resp.headers)
        body = resp.data
        resp.release_conn()
        if status == 304 and entry is not None and self._page_cache is not None:
            self.reporter.debug(f"revalidated: {redact_url(url)}")
            merged = {**entry.headers, **keep_headers(got)}
            self._page_cache.store(url, accept, CachedPage(entry.url, merged, entry.body, time.time()))
            return Response(200, merged, entry.body, entry.url, from_cache=True)
        if status in (404, 410) and missing_ok:
            return Response(status, got, body, final)
        if not 200 <= status < 300:
            raise HttpStatusError(final, status)
        if cache and self._page_cache is not None and status == 200 and is_storable(got):
            self._page_cache.store(url, accept, CachedPage(final, keep_headers(got), body, time.time()))
        return Response(status, got, body, final)

    def get_range(self, url: str, start: int, length: int) -> ByteRange | None:
        """Bytes ``start .. start + length`` of ``url``; None when the server does not serve ranges."""
        return self._range(url, f"bytes={start}-{start + length - 1}", start, length)

    def get_suffix(self, url: str, length: int) -> ByteRange | None:
        """The last ``length`` bytes of ``url`` (all of it when shorter); None without range support."""
        return self._range(url, f"bytes=-{length}", None, length)

    def download(
        self,
        url: str,
        dest: Path,
        *,
        expected: Mapping[str, str] | None = None,
        label: str | None = None,
        reporter: Reporter | None = None,
    ) -> dict[str, str]:
        """Stream ``url`` into ``dest`` (via a temp file beside it), checking size and hashes on the way.

        Returns the digests computed: sha256 plus every algorithm ``expected`` names. On a size or hash
        mismatch nothing is left at ``dest``; a mismatch raises HashMismatchError.
        """
        url = self.auth.learn(url)
        reporter = reporter if reporter is not None else self.reporter
        label = label or url.rsplit("/", 1)[-1]
        key = redact_url(url)
        if is_file_url(url):
            path = file_url_to_path(url)
            try:
                src = path.open("rb")
            except OSError as err:
                raise BaleError(f"Could not read {url}: {err.strerror or err}") from err
            with src:
                return self._write_verified(
                    url, src, dest, expected, reporter, key, label, path.stat().st_size
                )
        streamed = self._stream(url, dest, {}, expected, reporter, key, label)
        assert streamed is not None  # only conditional headers can bring a 304
        return streamed[0]

    def download_if_changed(
        self,
        url: str,
        dest: Path,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        label: str | None = None,
        reporter: Reporter | None = None,
    ) -> Downloaded | None:
        """``download`` with If-None-Match ``etag`` / If-Modified-Since ``last_modified`` (validators of
        an earlier ``Downloaded``): None when the server answers 304 Not Modified, ``dest`` untouched.
        A ``file://`` URL has no validators: it is always copied."""
        url = self.auth.learn(url)
        reporter = reporter if reporter is not None else self.reporter
        label = label or url.rsplit("/", 1)[-1]
        if is_file_url(url):
            digests = self.download(url, dest, label=label, reporter=reporter)
            return Downloaded(digests["sha256"], dest.stat().st_size)
        conditions: dict[str, str] = {}
        if etag:
            conditions["If-None-Match"] = etag
        if last_modified:
            conditions["If-Modified-Since"] = last_modified
        streamed = self._stream(url, dest, conditions, None, reporter, redact_url(url), label)
        if streamed is None:
            return None
        digests, headers = streamed
        return Downloaded(
            digests["sha256"],
            dest.stat().st_size,
            headers.get("etag", ""),
            headers.get("last-modified", ""),
        )

    def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> Response:
        """POST ``body`` to a query API (OSV's ``/v1/querybatch``) and return the whole response.

        Redirects, credentials, retries and errors are those of ``get`` (a 4xx or 5xx raises
        HttpStatusError); nothing is cached. A retry sends ``body`` again, so only for requests
        that change nothing on the server. 307 and 308 redirects keep the method and body; 301,
        302 and 303 turn it into a GET, as browsers, urllib3 and requests do.
        """
        url = self.auth.learn(url)
        if is_file_url(url):
            raise BaleError(f"Cannot send a query to {url}: it is not an HTTP URL")
        request_headers = {"Accept-Encoding": "gzip, deflate", **(headers or {})}
        resp, final = self._request(url, request_headers, preload=True, method="POST", body=body)
        status = resp.status
        got = _lower_headers(resp.headers)
        data = resp.data
        resp.release_conn()
        if not 200 <= status < 300:
            raise HttpStatusError(final, status)
        return Response(status, got, data, final)

    def _stream(
        self,
        url: str,
        dest: Path,
        conditions: Mapping[str, str],
        expected: Mapping[str, str] | None,
        reporter: Reporter,
        key: str,
        label: str,
    ) -> tuple[dict[str, str], dict[str, str]] | None:
        """Stream ``url`` into ``dest``, retrying transient failures: the digests and the response's
        (lower-case) headers, or None for a 304 answer to ``conditions``."""
        attempt = 0
        while True:
            headers = {"Accept-Encoding": "identity", **conditions}
            resp, final = self._request(url, headers, preload=False)
            try:
                if resp.status == 304 and conditions:
                    return None
                if resp.status != 200:
                    raise HttpStatusError(final, resp.status)
                if resp.headers.get("content-encoding", "identity").lower() == "identity":
                    total = _int_or_none(resp.headers.get("content-length"))
                else:
                    total = None
                digests = self._write_verified(url, resp, dest, expected, reporter, key, label, total)
                return digests, _lower_headers(resp.headers)
            except _transient_errors() as err:
                if attempt < self.retries:
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                tail = f" ({attempt} retries)" if attempt else ""
                raise BaleError(f"Could not download {redact_url(url)}: {self._describe(err)}{tail}") from err
            finally:
                _discard(resp)

    def close(self) -> None:
        """Close pooled connections (the client stays usable; pools reopen on demand)."""
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.clear()

    # --- local files ------------------------------------------------------------------------------

    def _get_file(self, url: str, missing_ok: bool) -> Response:
        path = file_url_to_path(url)
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            if missing_ok:
                return Response(404, {}, b"", url)
            raise BaleError(f"Could not read {url}: no such file") from None
        except OSError as err:
            raise BaleError(f"Could not read {url}: {err.strerror or err}") from err
        suffix = path.suffix.lower()
        kind = {".json": "application/json", ".html": "text/html", ".htm": "text/html"}.get(suffix, "")
        return Response(200, {"content-type": kind, "content-length": str(len(body))}, body, url)

    def _range(self, url: str, spec: str, start: int | None, length: int) -> ByteRange | None:
        url = self.auth.learn(url)
        if is_file_url(url):
            path = file_url_to_path(url)
            try:
                with path.open("rb") as fh:
                    total = os.fstat(fh.fileno()).st_size
                    begin = max(0, total - length) if start is None else start
                    fh.seek(begin)
                    return ByteRange(fh.read(length), begin, total)
            except OSError as err:
                raise BaleError(f"Could not read {url}: {err.strerror or err}") from err
        resp, final = self._request(url, {"Range": spec, "Accept-Encoding": "identity"}, preload=False)
        try:
            if resp.status in (200, 416):
                # 200 means the server ignores Range: the caller falls back rather than get the whole file.
                return None
            if resp.status != 206:
                raise HttpStatusError(final, resp.status)
            try:
                data = resp.read()
            except _transient_errors() as err:
                raise BaleError(f"Could not fetch {redact_url(url)}: {self._describe(err)}") from err
            return _parse_content_range(resp.headers.get("content-range", ""), data, start)
        finally:
            _discard(resp)

    def _write_verified(
        self,
        url: str,
        src: BinaryIO | urllib3.BaseHTTPResponse,
        dest: Path,
        expected: Mapping[str, str] | None,
        reporter: Reporter,
        key: str,
        label: str,
        total: int | None,
    ) -> dict[str, str]:
        import hashlib

        hashers = {"sha256": hashlib.sha256()}
        for algo in expected or {}:
            name = algo.lower()
            if name not in hashers:
                try:
                    hashers[name] = hashlib.new(name)
                except ValueError:
                    continue  # an algorithm this Python lacks cannot vouch either way
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _temp_beside(dest) as (tmp, out):
            received = 0
            reporter.download_start(key, label, total)
            try:
                while chunk := src.read(CHUNK_SIZE):
                    check_cancelled()
                    out.write(chunk)
                    for hasher in hashers.values():
                        hasher.update(chunk)
                    received += len(chunk)
                    reporter.download_progress(key, len(chunk))
            finally:
                reporter.download_done(key)
            out.close()
            if total is not None and received != total:
                raise _Truncated(received, total)
            actual = {algo: h.hexdigest() for algo, h in hashers.items()}
            _verify(url, expected, actual)
            os.replace(tmp, dest)
        return actual

    # --- the network ------------------------------------------------------------------------------

    def _request(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        preload: bool,
        method: str = "GET",
        body: bytes | None = None,
    ) -> tuple[urllib3.BaseHTTPResponse, str]:
        """Send a request (a GET unless ``method``), following redirects and retrying transient
        failures; 4xx other than 401/403 return."""
        if self.offline:
            raise OfflineError(
                f"Cannot fetch {redact_url(url)} while offline",
                hint="Run without --offline to allow network access.",
            )
        attempt = 0
        while True:
            try:
                resp, final = self._send(url, headers, preload=preload, method=method, body=body)
            except _transient_errors() as err:
                if attempt < self.retries and not _is_certificate_error(err):
                    self.reporter.debug(f"retrying {redact_url(url)}: {self._describe(err)}")
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                raise self._network_error(url, err, attempt) from err
            if resp.status == 429 or resp.status >= 500:
                retry_after = resp.headers.get("retry-after")
                _discard(resp)
                if attempt < self.retries:
                    self.reporter.debug(f"retrying {redact_url(url)}: HTTP {resp.status}")
                    self._sleep(attempt, retry_after)
                    attempt += 1
                    continue
                raise HttpStatusError(final, resp.status, retries=attempt)
            return resp, final

    def _send(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        preload: bool,
        method: str = "GET",
        body: bytes | None = None,
    ) -> tuple[urllib3.BaseHTTPResponse, str]:
        origin = host_key(url)
        for _ in range(MAX_REDIRECTS + 1):
            if host_key(url) != origin:
                # Credentials are chosen per host below: a caller's own header stays with its host too.
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            creds = self.auth.lookup(url)
            resp = self._send_once(url, headers, preload, creds.header() if creds else None, method, body)
            if resp.status == 401 and creds is None:
                keyring_creds = self.auth.lookup_keyring(url)
                if keyring_creds is not None:
                    _discard(resp)
                    creds = keyring_creds
                    resp = self._send_once(url, headers, preload, creds.header(), method, body)
            proxy = self._proxy_for(url) if resp.status in (403, 407) else None
            if proxy is not None and (resp.status == 407 or url[:5].lower() == "http:"):
                # A plain-http request goes to the proxy itself: its refusal comes back as a response.
                _discard(resp)
                raise _proxy_refused(url, proxy, _status_text(resp.status), resp.status == 407)
            if resp.status in (401, 403):
                _discard(resp)
                host = host_key(url)
                need = "requires authentication" if resp.status == 401 else "denied access"
                state = "were rejected" if creds else "are missing"
                raise BaleError(
                    f"{redact_url(url)} {need} (HTTP {resp.status}); credentials for {host} {state}",
                    hint=_AUTH_HINT,
                )
            location = resp.headers.get("location")
            if resp.status in _REDIRECTS and location:
                _discard(resp)
                target = redirect_target(url, location)
                self.reporter.debug(f"redirected: {redact_url(url)} -> {target}")
                url = target
                if method != "GET" and resp.status in (301, 302, 303):
                    method, body = "GET", None
                continue
            return resp, url
        raise BaleError(f"Could not fetch {redact_url(url)}: more than {MAX_REDIRECTS} redirects")

    def _send_once(
        self,
        url: str,
        headers: Mapping[str, str],
        preload: bool,
        authorization: str | None,
        method: str = "GET",
        body: bytes | None = None,
    ) -> urllib3.BaseHTTPResponse:
        import urllib3

        request_headers = {"User-Agent": USER_AGENT, **headers}
        if authorization is not None:
            request_headers["Authorization"] = authorization
        return self._pool_for(url).request(
            method,
            url,
            body=body,
            headers=request_headers,
            preload_content=preload,
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(connect=self.connect_timeout, read=self.read_timeout),
        )

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        import random

        delay = self.backoff * (2**attempt) + random.uniform(0, self.backoff)
        seconds = _int_or_none(retry_after)
        if seconds is not None:
            delay = max(delay, min(float(seconds), _MAX_RETRY_AFTER))
        time.sleep(delay)

    def describe_failure(self, err: BaseException) -> str:
        """A urllib3 failure in bale's words (``connection refused``), for callers that send their own
        requests (uploads) and must not show urllib3's text."""
        return self._describe(err)

    def _network_error(self, url: str, err: BaseException, attempt: int) -> BaleError:
        """One paragraph in bale's words for a request that failed below HTTP: never urllib3's text."""
        from urllib3 import exceptions as e

        tail = f" ({attempt} retries)" if attempt else ""
        proxy = self._proxy_for(url)
        if isinstance(err, e.ProxyError) and proxy is not None:
            status = _tunnel_status(err)
            if status is not None:
                return _proxy_refused(url, proxy, status, status.startswith("HTTP 407"))
            cause = err.original_error if isinstance(err.original_error, BaseException) else err
            return BaleError(
                f"Could not connect to the proxy {redact_url(proxy)} for {redact_url(url)}: "
                f"{self._describe(cause)}{tail}",
                hint=_proxy_hint(url),
            )
        if isinstance(err, e.SSLError):
            hint = _TLS_HINT if _is_certificate_error(err) else None
            return BaleError(
                f"Could not connect to {redact_url(url)}: {self._describe(err)}{tail}", hint=hint
            )
        verb = "connect to" if _is_connect_error(err) else "fetch"
        return BaleError(
            f"Could not {verb} {redact_url(url)}: {self._describe(err)}{tail}", hint=_NETWORK_HINT
        )

    def _describe(self, err: BaseException) -> str:
        import ssl

        from urllib3 import exceptions as e

        if isinstance(err, _Truncated):
            return str(err)
        if isinstance(err, e.NameResolutionError) or _in_chain(err, OSError, "gaierror"):
            return "could not resolve the host name"
        if isinstance(err, e.NewConnectionError):
            if _in_chain(err, ConnectionRefusedError) or "refused" in str(err).lower():
                return "connection refused"
            return _os_reason(err) or "could not open a connection"
        if isinstance(err, e.ConnectTimeoutError):
            return f"connection timed out after {self.connect_timeout:g} s"
        if isinstance(err, e.ReadTimeoutError):
            return f"no response within {self.read_timeout:g} s"
        if isinstance(err, (e.SSLError, ssl.SSLError)):
            return _tls_reason(err)
        if isinstance(err, e.ProxyError):
            return "the proxy failed"
        args: tuple[object, ...] = err.args
        for arg in args:
            if isinstance(arg, e.IncompleteRead):
                return f"response truncated: received {arg.partial} bytes, {arg.expected} more expected"
        if _in_chain(err, ConnectionResetError):
            return "the server reset the connection"
        if any(type(arg).__name__ == "RemoteDisconnected" for arg in args):
            return "the server closed the connection without answering"
        return f"connection broken ({_os_reason(err) or 'the connection ended unexpectedly'})"

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        proxy = self._proxy_for(url)
        # Plain-http pools get no TLS context: building one loads the trust store (~20 ms).
        key = (proxy, url[:6].lower() == "https:" or (proxy is not None and proxy[:6].lower() == "https:"))
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = self._make_pool(*key)
            return pool

    def _make_pool(self, proxy: str | None, tls: bool) -> urllib3.PoolManager:
        import urllib3

        from bale.http.quickack import quick_ack

        ctx = self._ssl_context() if tls else None
        if proxy is None:
            return quick_ack(
                urllib3.PoolManager(num_pools=32, maxsize=self.pool_maxsize, block=False, ssl_context=ctx)
            )
        proxy_url, user, password = _split_proxy(proxy)
        proxy_headers = None
        if user is not None:
            proxy_headers = urllib3.make_headers(proxy_basic_auth=f"{user}:{password or ''}")
        return quick_ack(
            urllib3.ProxyManager(
                proxy_url,
                num_pools=32,
                maxsize=self.pool_maxsize,
                block=False,
                proxy_headers=proxy_headers,
                ssl_context=ctx,
            )
        )

    def _ssl_context(self) -> ssl.SSLContext:
        import ssl

        # OpenSSL itself reads SSL_CERT_FILE when loading the default paths; REQUESTS_CA_BUNDLE it ignores.
        env_bundle = os.environ.get("REQUESTS_CA_BUNDLE")
        cafile = str(self.cert) if self.cert is not None else env_bundle
        ctx: ssl.SSLContext | None = None
        if self.native_tls and cafile is None and not os.environ.get("SSL_CERT_FILE"):
            try:
                import truststore  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                pass
            else:
                ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if ctx is None:
            ctx = ssl.create_default_context()
            if cafile and cafile != os.environ.get("SSL_CERT_FILE"):
                try:
                    ctx.load_verify_locations(cafile=cafile)
                except (OSError, ssl.SSLError) as err:
                    raise BaleError(f"Could not load the CA certificates in {cafile}: {err}") from err
        return ctx

    def _proxy_for(self, url: str) -> str | None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host in _LOOPBACK:
            return None
        with self._lock:
            if self._proxies is None:
                self._proxies = _proxies()
            proxies = self._proxies
        proxy = proxies.get(parts.scheme)
        if not proxy:
            return None
        import urllib.request

        # proxy_bypass reads NO_PROXY (and the OS settings on macOS and Windows).
        return None if urllib.request.proxy_bypass(host) else proxy


def _proxies() -> dict[str, str]:
    """The proxy of each URL scheme: from the ``*_proxy`` variables, and the OS settings on macOS
    and Windows. Without such a variable on other systems there is none, and ``urllib.request``
    (~20 ms of imports: email, http.client) is not needed to say so."""
    if sys.platform not in ("darwin", "win32") and not any(
        name.lower().endswith("_proxy") for name in os.environ
    ):
        return {}
    import urllib.request

    return urllib.request.getproxies()


def redirect_target(current: str, location: str) -> str:
    """Where a redirect from ``current`` to ``location`` leads, or a BaleError when it must not be
    followed: from HTTPS to anything else (a downgrade would send the request, and the credentials
    for its host, in clear). Credentials written into ``location`` are dropped, never learnt: a
    server does not choose what bale sends elsewhere. Those of the new host come from the credential
    store as for any request, so an index's credentials never go to another host (as uv and pip)."""
    from bale.http.auth import strip_userinfo

    target = strip_userinfo(urljoin(current, location))
    if urlsplit(current).scheme.lower() == "https" and urlsplit(target).scheme.lower() != "https":
        raise BaleError(
            f"Refusing to follow the redirect from {redact_url(current)} to {redact_url(target)}: "
            "it leaves HTTPS for an unencrypted connection",
            hint="ask the index's operator to redirect to an https:// URL, or use that URL directly",
        )
    return target


@contextmanager
def _temp_beside(dest: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A temp file in ``dest``'s folder (so the final rename is atomic), removed unless renamed."""
    import tempfile

    from bale.cancel import track, untrack

    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    track(name)  # removed by bale.cancel if Ctrl-C ends the process while this thread waits
    tmp = Path(name)
    out = os.fdopen(fd, "wb")
    try:
        yield tmp, out
    finally:
        out.close()
        tmp.unlink(missing_ok=True)
        untrack(name)


def _verify(url: str, expected: Mapping[str, str] | None, actual: Mapping[str, str]) -> None:
    if not expected:
        return
    shared = [algo for algo in expected if algo.lower() in actual]
    if not shared:
        raise BaleError(
            f"Cannot verify {redact_url(url)}: none of its hash algorithms ({', '.join(sorted(expected))}) "
            "is available"
        )
    for algo in shared:
        want, got = expected[algo].lower(), actual[algo.lower()]
        if want != got:
            raise HashMismatchError(
                f"Hash mismatch for {redact_url(url)}",
                context=[f"expected {algo.lower()}:{want}", f"actual   {algo.lower()}:{got}"],
                hint="The file changed on the server or was corrupted in transit; "
                "if the new file is trusted, update the expected hash.",
            )


def _parse_content_range(header: str, data: bytes, start: int | None) -> ByteRange | None:
    # "bytes 100-199/12345" (total may be "*")
    unit, _, spec = header.strip().partition(" ")
    if unit.lower() != "bytes" or "-" not in spec:
        return ByteRange(data, start, None) if start is not None else None
    span, _, total_text = spec.partition("/")
    first = _int_or_none(span.partition("-")[0])
    if first is None:
        return None
    return ByteRange(data, first, _int_or_none(total_text))


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def _chain(err: BaseException) -> Iterator[BaseException]:
    """``err``, its causes and contexts, and the exceptions urllib3 wraps in its arguments."""
    pending: list[BaseException] = [err]
    seen: set[int] = set()
    while pending and len(seen) < 16:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)


def _in_chain(err: BaseException, kind: type[BaseException], name: str | None = None) -> bool:
    return any(isinstance(x, kind) and (name is None or type(x).__name__ == name) for x in _chain(err))


def _os_reason(err: BaseException) -> str | None:
    """The operating system's words for the failure (``network is unreachable``), if it gave some."""
    for item in _chain(err):
        if isinstance(item, OSError) and item.strerror:
            return item.strerror[0].lower() + item.strerror[1:]
    return None


def _tls_reason(err: BaseException) -> str:
    import ssl

    for item in _chain(err):
        if isinstance(item, ssl.SSLCertVerificationError):
            detail = (item.verify_message or "").rstrip(".")
            return "the server's TLS certificate is not trusted" + (f" ({detail})" if detail else "")
    for item in _chain(err):
        if isinstance(item, ssl.SSLError) and item.reason:
            if item.reason == "WRONG_VERSION_NUMBER":
                return "the server does not speak TLS (is it an http:// URL?)"
            return f"the TLS handshake failed ({item.reason.lower().replace('_', ' ')})"
    return "the TLS handshake failed"


def _tunnel_status(err: BaseException) -> str | None:
    """``HTTP 407 Proxy Authentication Required`` when an HTTPS tunnel was refused by the proxy."""
    import re

    for item in _chain(err):
        match = re.search(r"Tunnel connection failed: (\d{3})\s*(.*)", str(item.args[0]) if item.args else "")
        if match:
            return f"HTTP {match.group(1)} {match.group(2).strip()}".rstrip()
    return None


def _proxy_variable(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY"):
        if os.environ.get(name):
            return name
    return f"{scheme.upper()}_PROXY"


def _proxy_hint(url: str) -> str:
    return (
        f"Check the proxy set in {_proxy_variable(url)} (or exempt the host in NO_PROXY), "
        "or run with --offline to use what the cache holds."
    )


def _status_text(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _proxy_refused(url: str, proxy: str, status: str, needs_auth: bool) -> BaleError:
    if needs_auth:
        variable = _proxy_variable(url)
        hint = (
            f"Give the proxy's credentials in its URL (http://USER:PASSWORD@host:port) in "
            f"{variable}, or run with --offline to use what the cache holds."
        )
        has_credentials = _split_proxy(proxy)[1] is not None
        what = f"rejected the credentials in {variable}" if has_credentials else "requires authentication"
        return BaleError(f"The proxy {redact_url(proxy)} {what} for {redact_url(url)} ({status})", hint=hint)
    return BaleError(
        f"The proxy {redact_url(proxy)} refused the request for {redact_url(url)} ({status})",
        hint=_proxy_hint(url),
    )


def _is_connect_error(err: BaseException) -> bool:
    from urllib3 import exceptions as e

    return isinstance(err, e.ConnectTimeoutError)  # NewConnectionError and NameResolutionError included


def _is_certificate_error(err: BaseException) -> bool:
    import ssl

    return _in_chain(err, ssl.SSLCertVerificationError)


def _split_proxy(proxy: str) -> tuple[str, str | None, str | None]:
    from bale.http.auth import split_credentials

    return split_credentials(proxy)
