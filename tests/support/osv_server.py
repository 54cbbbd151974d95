"""A small OSV service on 127.0.0.1: ``POST /v1/querybatch``, ``POST /v1/query``, ``GET /v1/vulns/{id}``
and the ``GET /PyPI/all.zip`` export (ETag, Last-Modified, 304), fed with advisories a test writes
and/or the shared PyPA snapshot.

Its matching is its own and deliberately plain (the ``versions`` list, then ECOSYSTEM intervals walked
in version order): a test that used bale's matching on both sides would prove nothing.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from packaging.version import InvalidVersion, Version

# Beside the clone, as in CI (see /work/shared/data/README.md): never a machine path.
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SHARED_ZIP = SHARED_DATA / "osv-pypi" / "pypi-osv-all.zip"
# The export's Last-Modified: fixed, so that a test sees the same validators on every run.
EXPORT_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Request(NamedTuple):
    """One request the server answered (``status`` 0: the client went away first)."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Fault:
    needle: str
    how: int | str  # a status, "garbage", "truncated" (a valid response of half the body) or "short"
    times: int | None  # None: every time


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def affects(record: dict[str, Any], name: str, version: str) -> bool:
    """Whether ``record`` says PyPI ``name`` ``version`` is affected: listed in ``versions``, or inside
    an ECOSYSTEM interval (events sorted by version, "introduced" first on ties, "0" lowest)."""
    wanted = _version(version)
    if wanted is None or record.get("withdrawn"):
        return False
    for entry in record.get("affected") or []:
        package = entry.get("package") or {}
        if package.get("ecosystem") != "PyPI" or _canonical(package.get("name", "")) != _canonical(name):
            continue
        if any(_version(v) == wanted for v in entry.get("versions") or []):
            return True
        for item in entry.get("ranges") or []:
            if item.get("type") != "ECOSYSTEM":
                continue
            points: list[tuple[Version, int, str]] = []
            limits: list[Version | None] = []
            for event in item.get("events") or []:
                for kind, text in event.items():
                    if kind == "limit":
                        limits.append(None if "*" in text else _version(text))
                        continue
                    at = Version("0") if text == "0" else _version(text)
                    if at is not None:
                        points.append((at, 0 if kind == "introduced" else 1, kind))
            if limits and not any(limit is None or wanted < limit for limit in limits):
                continue
            inside = False
            for at, _, kind in sorted(points):
                if kind == "introduced" and (wanted >= at or at == Version("0")):
                    inside = True
                elif (kind == "fixed" and wanted >= at) or (kind == "last_affected" and wanted > at):
                    inside = False
            if inside:
                return True
    return False


class OsvServer:
    """``url`` is the API's base (``--service-url``), ``db_url`` the export (``--db-url``).

    ``requests`` logs every request in order; ``fail(path_part, how, times=None)`` spoils the answers
    to paths containing ``path_part`` (``how``: an HTTP status, ``"garbage"`` (200, not JSON / not a
    zip), ``"truncated"`` (the first half of the body, with its true length) or ``"short"`` (the full
    Content-Length, half the body, then the connection closes)); ``page_size`` splits each query's
    answer into pages linked by ``next_page_token``. The export is the shared zip's own bytes when
    that is all the server holds, else a zip written from the records (with a fixed date, so equal
    records give equal bytes and ETag).
    """

    def __init__(self, records: Iterable[dict[str, Any]] = (), *, shared_zip: bool = False) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self._export: bytes | None = None
        if shared_zip:
            data = SHARED_ZIP.read_bytes()
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    record = json.loads(archive.read(member))
                    self.records[record["id"]] = record
            self._export = data
        for record in records:
            self.records[record["id"]] = record
            self._export = None
        self.requests: list[Request] = []
        self.page_size = 1000
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._by_name: dict[str, list[dict[str, Any]]] | None = None
        handler = type("BoundHandler", (_Handler,), {"state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> OsvServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OsvServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def db_url(self) -> str:
        return f"{self.url}/PyPI/all.zip"

    # -- scripting --------------------------------------------------------------------------------
    def fail(self, path_part: str, how: int | str, times: int | None = None) -> None:
        """Spoil the next ``times`` answers to matching paths (None: all of them)."""
        with self._lock:
            self._faults.append(_Fault(path_part, how, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def add(self, record: dict[str, Any]) -> None:
        """Hold ``record`` too (replacing one of the same id): the export changes, and its ETag."""
        with self._lock:
            self.records[record["id"]] = record
            self._export = None
            self._by_name = None

    def paths(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    # -- what the handler uses --------------------------------------------------------------------
    def take_fault(self, path: str) -> int | str | None:
        with self._lock:
            for fault in self._faults:
                if fault.needle in path and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault.how
        return None

    def export(self) -> bytes:
        with self._lock:
            if self._export is None:
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                    for ident in sorted(self.records):
                        info = zipfile.ZipInfo(f"{ident}.json", date_time=(2026, 1, 1, 0, 0, 0))
                        info.compress_type = zipfile.ZIP_DEFLATED
                        archive.writestr(info, json.dumps(self.records[ident], indent=1))
                self._export = buffer.getvalue()
            return self._export

    def matching(self, name: str, version: str) -> list[dict[str, Any]]:
        wanted = _canonical(name)
        with self._lock:
            if self._by_name is None:  # only the records naming the package are evaluated (2,661 each)
                self._by_name = {}
                for record in self.records.values():
                    for entry in record.get("affected", []):
                        named = _canonical(entry.get("package", {}).get("name", ""))
                        self._by_name.setdefault(named, []).append(record)
            records = list({r["id"]: r for r in self._by_name.get(wanted, [])}.values())
        return sorted((r for r in records if affects(r, name, version)), key=lambda r: r["id"])

    def log(self, entry: Request) -> None:
        with self._lock:
            self.requests.append(entry)


class _Handler(BaseHTTPRequestHandler):
    state: OsvServer  # set on the per-server subclass
    _body: bytes = b""
    _fault: int | str | None = None
    protocol_version = "HTTP/1.1"  # keep-alive: every answer carries a Content-Length
    server_version = "osv-testbed"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    # -- plumbing ---------------------------------------------------------------------------------
    def _answer(
        self, status: int, body: bytes, content_type: str = "application/json", **headers: str
    ) -> None:
        self._log(status)
        how = self._fault if status < 300 else None
        declared = len(body)
        if how == "truncated":
            body = body[: len(body) // 2]
            declared = len(body)
        elif how == "short":
            body = body[: len(body) // 2]
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(declared))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _log(self, status: int) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.state.log(Request(self.command, self.path, headers, self._body, status))

    def _spoiled(self) -> bool:
        """Answer a status or garbage fault now; remember truncations for ``_answer``."""
        how = self.state.take_fault(self.path)
        self._fault = how
        if how is None or how in ("truncated", "short"):
            return False
        self._fault = None
        if how == "garbage":
            self._answer(200, b"<html><body>Service Unavailable</body></html>", "text/html")
        else:
            self._answer(int(how), json.dumps({"code": int(how), "message": "injected failure"}).encode())
        return True

    # -- endpoints --------------------------------------------------------------------------------
    def do_POST(self) -> None:
        self._body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._spoiled():
            return
        path = urlsplit(self.path).path
        try:
            payload = json.loads(self._body)
        except ValueError:
            self._answer(400, b'{"code": 3, "message": "Invalid JSON"}')
            return
        if path == "/v1/querybatch":
            queries = payload.get("queries") or []
            if len(queries) > 1000:
                self._answer(400, b'{"code": 3, "message": "Too many queries."}')
                return
            self._answer(200, json.dumps({"results": [self._page(q) for q in queries]}).encode())
        elif path == "/v1/query":
            found = self.state.matching(payload["package"]["name"], payload["version"])
            self._answer(200, json.dumps({"vulns": found} if found else {}).encode())
        else:
            self._answer(404, b'{"code": 5, "message": "Not found"}')

    def _page(self, query: dict[str, Any]) -> dict[str, Any]:
        found = self.state.matching(query["package"]["name"], query["version"])
        start = int(query.get("page_token") or 0)
        size = self.state.page_size
        result: dict[str, Any] = {}
        if found[start : start + size]:
            result["vulns"] = [
                {"id": r["id"], "modified": r.get("modified", "")} for r in found[start : start + size]
            ]
        if start + size < len(found):
            result["next_page_token"] = str(start + size)
        return result

    def do_GET(self) -> None:
        self._body = b""
        if self._spoiled():
            return
        path = unquote(urlsplit(self.path).path)
        if path.startswith("/v1/vulns/"):
            record = self.state.records.get(path.removeprefix("/v1/vulns/"))
            if record is None:
                self._answer(404, b'{"code": 5, "message": "Bug not found."}')
            else:
                self._answer(200, json.dumps(record).encode())
        elif path == "/PyPI/all.zip":
            data = self.state.export()
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            modified = email.utils.formatdate(EXPORT_TIME, usegmt=True)
            since = self.headers.get("If-Modified-Since")
            fresh = self.headers.get("If-None-Match") == etag or (
                "If-None-Match" not in self.headers and since == modified
            )
            if fresh and self._fault is None:
                self._log(304)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._answer(200, data, "application/zip", ETag=etag, Last_Modified=modified)
        else:
            self._answer(404, b'{"code": 5, "message": "Not found"}')
