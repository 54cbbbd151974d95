"""Local HTTP package indexes for tests: a scriptable static server and the real pypiserver."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

__all__ = [
    "AuthUnsupported",
    "Headers",
    "LoggedRequest",
    "PypiServer",
    "StaticIndexServer",
    "free_port",
]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_V1_TYPE = "application/vnd.pypi.simple.v1+html"
HTML_TYPE = "text/html"
PAGE_CACHE_CONTROL = "max-age=600"
FILE_CACHE_CONTROL = "max-age=365000000, immutable, public"

# Media types a client may ask for, mapped to (file suffix, Content-Type sent back).
_REPRESENTATIONS: dict[str, tuple[str, str]] = {
    JSON_TYPE: ("json", JSON_TYPE),
    "application/vnd.pypi.simple.latest+json": ("json", JSON_TYPE),
    HTML_V1_TYPE: ("html", HTML_V1_TYPE),
    "application/vnd.pypi.simple.latest+html": ("html", HTML_V1_TYPE),
    HTML_TYPE: ("html", "text/html; charset=utf-8"),
}


class Headers(dict[str, str]):
    """Request headers; lookups ignore case (keys are stored lower-case)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class LoggedRequest(NamedTuple):
    """One request the server answered: unpacks as (method, path, headers, status)."""

    method: str
    path: str
    headers: Headers
    status: int


@dataclass
class _Fault:
    kind: str  # fail | slow | garbage | truncate
    needle: str
    status: int = 503
    times: int | None = None  # None: every time
    seconds: float = 0.0


class StaticIndexServer:
    """Serve a tree from ``index.build_simple_tree`` on 127.0.0.1 with PyPI-like HTTP behaviour.

    Pages negotiate PEP 691 JSON/HTML on Accept, redirect to the normalized trailing-slash URL, carry
    ETag/Last-Modified and ``Cache-Control: max-age=600``; files answer Range (206, suffix ranges) and
    conditional requests. Faults are set at run time and matched on a substring of the request path.
    ``requests`` logs every answered request (path includes the query string).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._auth: str | None = None
        self._metadata = True
        self._ranges = True
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> StaticIndexServer:
        handler = type("BoundHandler", (_Handler,), {"index": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StaticIndexServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("StaticIndexServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Index URL, ``http://127.0.0.1:PORT/simple``."""
        return f"{self.base}/simple"

    def file_url(self, filename: str) -> str:
        return f"{self.base}/files/{filename}"

    # -- faults and switches ------------------------------------------------------------------------
    def fail(self, path_substring: str, status: int = 503, times: int | None = 2) -> None:
        """Answer ``status`` to the next ``times`` matching requests (None: always)."""
        self._add(_Fault("fail", path_substring, status=status, times=times))

    def slow(self, path_substring: str, seconds: float, times: int | None = None) -> None:
        """Wait ``seconds`` before answering matching requests (the next ``times`` ones; None: all)."""
        self._add(_Fault("slow", path_substring, seconds=seconds, times=times))

    def garbage(self, path_substring: str, times: int | None = None) -> None:
        """Answer 200 with random bytes (same length and Content-Type as the real body); None: always."""
        self._add(_Fault("garbage", path_substring, times=times))

    def truncate(self, path_substring: str, times: int | None = None) -> None:
        """Advertise the full Content-Length, send half the body, close the connection; None: always."""
        self._add(_Fault("truncate", path_substring, times=times))

    def require_auth(self, user: str, password: str) -> None:
        """From now on answer 401 unless the request carries these Basic credentials."""
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        with self._lock:
            self._auth = f"Basic {token}"

    def disable_metadata(self) -> None:
        """404 on ``*.metadata`` even when pages advertise them."""
        with self._lock:
            self._metadata = False

    def disable_ranges(self) -> None:
        """Ignore Range headers: always 200 with the whole file, no Accept-Ranges."""
        with self._lock:
            self._ranges = False

    def clear_faults(self) -> None:
        """Remove every fault and switch set since start (auth, metadata, ranges included)."""
        with self._lock:
            self._faults.clear()
            self._auth = None
            self._metadata = True
            self._ranges = True

    # -- log helpers --------------------------------------------------------------------------------
    def paths(self, method: str | None = None) -> list[str]:
        """Requested paths in order, optionally only those with ``method``."""
        with self._lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    def count(self, path_substring: str, method: str | None = None) -> int:
        return sum(path_substring in p for p in self.paths(method))

    # -- internals used by the handler --------------------------------------------------------------
    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_faults(self, path: str) -> list[_Fault]:
        """Matching faults for this request, spending one use of counted ones."""
        taken = []
        with self._lock:
            for fault in self._faults:
                if fault.needle not in path:
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                taken.append(fault)
        return taken

    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)


_UNSATISFIABLE = object()


@dataclass
class _Resource:
    body: bytes
    content_type: str
    mtime: float
    is_page: bool


class _Handler(BaseHTTPRequestHandler):
    index: StaticIndexServer  # set on the per-server subclass
    _status: int = 0
    _logged: bool = False
    protocol_version = "HTTP/1.1"
    server_version = "bale-testbed"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def send_response(self, code: int, message: str | None = None) -> None:
        # Logged before the client can see the answer, so tests may assert on the log right after.
        self._status = int(code)
        self._log()
        super().send_response(code, message)

    def _log(self) -> None:
        if not self._logged:
            self._logged = True
            entry = LoggedRequest(self.command, self.path, Headers(self.headers.items()), self._status)
            self.index._log(entry)

    # -- request flow -------------------------------------------------------------------------------
    def _serve(self, head: bool) -> None:
        self._status = 0
        self._logged = False
        try:
            self._dispatch(head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self._log()  # the client went away before an answer

    def _dispatch(self, head: bool) -> None:
        index = self.index
        path = unquote(urlsplit(self.path).path)
        faults = index._take_faults(self.path)
        for fault in faults:
            if fault.kind == "slow":
                time.sleep(fault.seconds)
        with index._lock:
            auth, metadata_on, ranges_on = index._auth, index._metadata, index._ranges
        if auth is not None and self.headers.get("Authorization") != auth:
            self._plain(HTTPStatus.UNAUTHORIZED, head, {"WWW-Authenticate": 'Basic realm="bale-testbed"'})
            return
        for fault in faults:
            if fault.kind == "fail":
                self._plain(fault.status, head)
                return

        if path == "/simple":
            self._redirect("/simple/")
            return
        if path.startswith("/simple/") and path != "/simple/":
            # Like PyPI: /simple/Foo.Bar, /simple/Foo.Bar/ and /simple/foo-bar all land on /simple/foo-bar/.
            name = path[len("/simple/") :]
            if name.count("/") == 0 or (name.count("/") == 1 and name.endswith("/")):
                name = name.rstrip("/")
                normalized = canonicalize_name(name)
                if path != f"/simple/{normalized}/":
                    self._redirect(f"/simple/{normalized}/")
                    return
        if path.endswith(".metadata") and not metadata_on:
            self._plain(HTTPStatus.NOT_FOUND, head)
            return

        resource = self._resolve(path)
        if resource is None:
            return
        body = resource.body
        garbage = any(f.kind == "garbage" for f in faults)
        truncate = any(f.kind == "truncate" for f in faults)
        if garbage:
            body = os.urandom(max(len(body), 64))

        etag = (
            '"'
            + hashlib.sha256(resource.content_type.encode() + b"\0" + resource.body).hexdigest()[:32]
            + '"'
        )
        last_modified = email.utils.formatdate(resource.mtime, usegmt=True)
        headers = {
            "ETag": etag,
            "Last-Modified": last_modified,
            "Cache-Control": PAGE_CACHE_CONTROL if resource.is_page else FILE_CACHE_CONTROL,
        }
        if resource.is_page:
            headers["Vary"] = "Accept"
        if self._not_modified(etag, resource.mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return

        status = HTTPStatus.OK
        if not resource.is_page and ranges_on:
            headers["Accept-Ranges"] = "bytes"
            if not garbage:
                ranged = self._range(len(body), etag)
                if ranged is _UNSATISFIABLE:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if isinstance(ranged, tuple):
                    start, end = ranged
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                    body = body[start : end + 1]
                    status = HTTPStatus.PARTIAL_CONTENT

        self.send_response(status)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def _resolve(self, path: str) -> _Resource | None:
        """The body to serve for ``path``, or None after answering 404/406 itself."""
        root = self.index.root
        head = self.command == "HEAD"
        if path.startswith("/simple/") and path.endswith("/"):
            directory = (root / path.lstrip("/")).resolve()
            if not directory.is_relative_to(root) or not directory.is_dir():
                self._plain(HTTPStatus.NOT_FOUND, head)
                return None
            choice = self._negotiate(directory)
            if choice is None:
                self._plain(HTTPStatus.NOT_ACCEPTABLE, head)
                return None
            page, content_type = choice
            return _Resource(page.read_bytes(), content_type, page.stat().st_mtime, is_page=True)
        target = (root / path.lstrip("/")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            self._plain(HTTPStatus.NOT_FOUND, head)
            return None
        content_type = "application/octet-stream"
        if target.name.endswith(".metadata"):
            content_type = "text/plain; charset=utf-8"
        elif target.name.endswith((".tar.gz", ".tgz")):
            content_type = "application/gzip"
        elif target.name.endswith((".whl", ".zip")):
            content_type = "application/zip"
        return _Resource(target.read_bytes(), content_type, target.stat().st_mtime, is_page=False)

    def _negotiate(self, directory: Path) -> tuple[Path, str] | None:
        """Best available (page file, Content-Type) for the Accept header, PEP 691 style."""
        accept = self.headers.get("Accept") or HTML_TYPE
        offers: list[tuple[float, int, str]] = []
        for position, item in enumerate(accept.split(",")):
            media, *params = (part.strip() for part in item.split(";"))
            quality = 1.0
            for param in params:
                key, _, value = param.partition("=")
                if key.strip() == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            offers.append((quality, position, media.lower()))
        # Highest q first; on a tie the client's order decides.
        for quality, _, media in sorted(offers, key=lambda o: (-o[0], o[1])):
            if quality <= 0:
                continue
            candidates = [media] if media in _REPRESENTATIONS else []
            if media in ("*/*", "text/*", "application/*"):
                candidates = [HTML_TYPE] if media != "application/*" else [JSON_TYPE]
            for candidate in candidates:
                suffix, content_type = _REPRESENTATIONS[candidate]
                page = directory / f"index.{suffix}"
                if page.is_file():
                    return page, content_type
        return None

    def _range(self, size: int, etag: str) -> tuple[int, int] | object | None:
        """(first, last) byte to send, _UNSATISFIABLE, or None for the whole body."""
        header = self.headers.get("Range")
        if not header or not header.startswith("bytes="):
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range != etag:
            return None
        spec = header[len("bytes=") :].strip()
        if "," in spec:
            return None  # multiple ranges: answering the whole body is allowed
        first_text, _, last_text = spec.partition("-")
        try:
            if not first_text:
                length = int(last_text)
                if length <= 0:
                    return _UNSATISFIABLE
                return max(size - length, 0), size - 1
            first = int(first_text)
            last = int(last_text) if last_text else size - 1
        except ValueError:
            return None
        if first >= size or last < first:
            return _UNSATISFIABLE
        return first, min(last, size - 1)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since is not None:
            try:
                parsed = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return int(mtime) <= parsed.timestamp()
        return False

    def _redirect(self, location: str) -> None:
        query = urlsplit(self.path).query
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location + (f"?{query}" if query else ""))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _plain(self, status: int, head: bool, extra: dict[str, str] | None = None) -> None:
        body = f"{int(status)} {HTTPStatus(status).phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


# -- pypiserver ---------------------------------------------------------------------------------------


class AuthUnsupported(RuntimeError):
    """pypiserver needs passlib to check htpasswd files and it is not installed."""


# A proxy from the environment must not see (or swallow) requests to 127.0.0.1.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (pypiserver cannot bind port 0 and report it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PypiServer:
    """The real pypiserver over ``packages_dir``: plain PEP 503 HTML, no metadata files, no JSON.

    It rescans the directory on every request (``--backend simple-dir``), so files dropped in (``add``)
    show up at once. ``auth=(user, password)`` protects ``authenticate`` actions (default "update", i.e.
    uploads) with an htpasswd file; that needs passlib importable by ``python`` and raises
    AuthUnsupported otherwise.
    """

    def __init__(
        self,
        packages_dir: Path | str,
        *,
        auth: tuple[str, str] | None = None,
        authenticate: str = "update",
        python: str = sys.executable,
        startup_timeout: float = 20.0,
    ) -> None:
        self.packages_dir = Path(packages_dir)
        self.auth = auth
        self.authenticate = authenticate
        self.python = python
        self.startup_timeout = startup_timeout
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self.log_path: Path | None = None

    @staticmethod
    def auth_supported(python: str = sys.executable) -> bool:
        """Whether ``python`` can import passlib, which pypiserver needs to read htpasswd files."""
        probe = subprocess.run([python, "-c", "import passlib"], capture_output=True, check=False)
        return probe.returncode == 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Index URL, ``http://127.0.0.1:PORT/simple/``."""
        return f"{self.base}/simple/"

    def add(self, *files: Path | str) -> list[Path]:
        """Copy distribution files into the served directory."""
        self.packages_dir.mkdir(parents=True, exist_ok=True)
        copied = []
        for source in files:
            target = self.packages_dir / Path(source).name
            shutil.copyfile(source, target)
            copied.append(target)
        return copied

    def clear(self) -> None:
        """Remove every file from the served directory."""
        for entry in self.packages_dir.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def start(self) -> PypiServer:
        self.packages_dir.mkdir(parents=True, exist_ok=True)
        self._workdir = tempfile.TemporaryDirectory(prefix="bale-pypiserver-")
        workdir = Path(self._workdir.name)
        self.log_path = workdir / "pypiserver.log"
        auth_args = ["-a", ".", "-P", "."]
        if self.auth is not None:
            if not self.auth_supported(self.python):
                self._cleanup()
                raise AuthUnsupported("pypiserver authentication needs passlib, which is not installed")
            user, password = self.auth
            digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode("ascii")
            htpasswd = workdir / "htpasswd"
            htpasswd.write_text(f"{user}:{{SHA}}{digest}\n", encoding="utf-8")
            auth_args = ["-a", self.authenticate, "-P", str(htpasswd)]
        last_error = ""
        for _ in range(3):
            self.port = free_port()
            command = [
                self.python, "-m", "pypiserver", "run",
                "-i", "127.0.0.1", "-p", str(self.port),
                *auth_args,
                "--disable-fallback", "--backend", "simple-dir", "--server", "wsgiref",
                "--hash-algo", "sha256",
                str(self.packages_dir),
            ]  # fmt: skip
            with open(self.log_path, "ab") as log:
                self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            if self._wait_ready():
                return self
            self._kill()
            last_error = self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        self._cleanup()
        raise RuntimeError(f"pypiserver did not start:\n{last_error}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                with _NO_PROXY.open(f"{self.base}/health", timeout=1) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def _kill(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def _cleanup(self) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def stop(self) -> None:
        self._kill()
        self._cleanup()

    def __enter__(self) -> PypiServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
