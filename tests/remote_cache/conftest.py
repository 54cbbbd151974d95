"""Fixtures for the remote cache: moto's S3 server on 127.0.0.1, a store that goes away, two machines."""

from __future__ import annotations

import http.client
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import Pkg, make_sdist
from tests.support.index import build_simple_tree
from tests.support.servers import StaticIndexServer

WHEELHOUSE = Path(__file__).resolve().parents[2] / ".wheelhouse"
BUCKET = "team-cache"


@dataclass
class S3:
    endpoint: str
    client: Any  # a boto3 S3 client, to look at (and damage) what bale stored

    def env(self, endpoint: str | None = None, **extra: str) -> dict[str, str | None]:
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint or self.endpoint,
            "BALE_REMOTE_CACHE": f"s3://{BUCKET}/ci",
            **extra,
        }

    def objects(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=BUCKET)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def get(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=BUCKET, Key=key, Body=data)


@pytest.fixture(scope="session")
def _moto() -> Iterator[str]:
    moto_server = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(_moto: str) -> Iterator[S3]:
    """An empty bucket on moto's S3 server (emptied again after the test)."""
    boto3 = pytest.importorskip("boto3")
    client = boto3.client(
        "s3",
        endpoint_url=_moto,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    store = S3(_moto, client)
    try:
        yield store
    finally:
        for key in store.objects():
            client.delete_object(Bucket=BUCKET, Key=key)
        client.delete_bucket(Bucket=BUCKET)


class GoingAway:
    """An HTTP proxy to the S3 server that forwards ``budget`` requests, then drops every connection
    without an answer: the store going away in the middle of a run."""

    def __init__(self, upstream: str, budget: int) -> None:
        self.budget = budget
        self.forwarded = 0
        self.refused = 0
        host, _, port = upstream.removeprefix("http://").partition(":")
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                with lock:
                    allowed = proxy.forwarded < proxy.budget
                    if allowed:
                        proxy.forwarded += 1
                    else:
                        proxy.refused += 1
                if not allowed:
                    self.close_connection = True
                    self.connection.close()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream_conn = http.client.HTTPConnection(host, int(port), timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream_conn.request(self.command, self.path, body=body, headers=headers)
                answer = upstream_conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in (
                        "connection",
                        "transfer-encoding",
                        "content-length",
                        "server",
                        "date",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream_conn.close()

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _any

        lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> GoingAway:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Packages:
    index: str  # a simple index on 127.0.0.1 serving only sdists
    names: tuple[str, ...]


@pytest.fixture
def sdists(tmp_path: Path) -> Iterator[Packages]:
    """Two sdist-only packages on an index; ``beta``'s PKG-INFO marks Requires-Dist dynamic, so
    reading its metadata needs the backend (or the remote cache)."""
    if not any(WHEELHOUSE.glob("setuptools-*.whl")):
        pytest.skip(f"needs the real setuptools wheel in {WHEELHOUSE} (see README: Run the tests)")
    folder = tmp_path / "packages"
    files = [
        make_sdist(Pkg("alpha", "1.0"), folder),
        make_sdist(Pkg("beta", "2.0", extra_metadata=["Dynamic: Requires-Dist"]), folder),
    ]
    server = StaticIndexServer(build_simple_tree(files, tmp_path / "index")).start()
    try:
        yield Packages(server.url, ("alpha", "beta"))
    finally:
        server.stop()
