"""Redirects: never from HTTPS down to HTTP, and an index's credentials never follow a redirect to
another host (bale drops them, as uv and pip do); a redirect without credentials is followed."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bale.errors import BaleError
from bale.http.client import redirect_target
from tests.cli.conftest import Venv, make_stdlib_venv
from tests.support.cli import BaleRunner

PASSWORD = "s3cret-pw"


class RedirectServer:
    """Answers every GET on 127.0.0.1 with ``302 Location: <target><path>``, over TLS when given a
    certificate; ``requests`` logs (path, Authorization header or None)."""

    def __init__(self, target: str, *, tls: tuple[Path, Path] | None = None) -> None:
        self.target = target.rstrip("/")
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Authorization")))
                self.send_response(302)
                self.send_header("Location", server.target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True
        self.thread.start()

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def redirect_server() -> Iterator[Any]:
    servers: list[RedirectServer] = []

    def start(target: str, **options: Any) -> RedirectServer:
        server = RedirectServer(target, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    return make_stdlib_venv(tmp_path / "venv")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with the openssl tool (skip without it)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    made = subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
            *("-addext", "keyUsage=digitalSignature,keyCertSign", "-addext", "extendedKeyUsage=serverAuth"),
        ],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {made.stderr.strip()}")
    return cert, key


# -- the decision ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "location", "expected"),
    [
        ("https://a.example/simple/x/", "https://b.example/simple/x/", "https://b.example/simple/x/"),
        ("https://a.example/simple/x", "/simple/x/", "https://a.example/simple/x/"),
        ("http://a.example/simple/x/", "http://b.example/x/", "http://b.example/x/"),
        ("http://a.example/simple/x/", "https://a.example/simple/x/", "https://a.example/simple/x/"),
        # Credentials a server writes into Location are dropped, never learnt.
        ("https://a.example/simple/", "https://eve:pw@b.example/simple/", "https://b.example/simple/"),
    ],
)
def test_redirect_targets(current: str, location: str, expected: str) -> None:
    assert redirect_target(current, location) == expected


@pytest.mark.parametrize(
    "location", ["http://a.example/simple/x/", "http://b.example/x/", "ftp://b.example/"]
)
def test_a_redirect_from_https_to_anything_else_is_refused(location: str) -> None:
    with pytest.raises(BaleError) as caught:
        redirect_target("https://u:pw@a.example/simple/x/", location)
    assert caught.value.message == (
        f"Refusing to follow the redirect from https://****:****@a.example/simple/x/ to {location}: "
        "it leaves HTTPS for an unencrypted connection"
    )


# -- through the command line -----------------------------------------------------------------------


def test_an_https_index_redirecting_to_http_is_refused(
    make_pkg, static_index, redirect_server, run_bale: BaleRunner, venv: Venv, tmp_path: Path
) -> None:
    plain = static_index([make_pkg("lib", "1.0")])
    secure = redirect_server(plain.base, tls=_self_signed(tmp_path))
    index = secure.base.replace("https://", f"https://alice:{PASSWORD}@") + "/simple"
    cert = str(tmp_path / "cert.pem")
    result = run_bale(
        "pip", "install", "lib", "-i", index, env={"SSL_CERT_FILE": cert}, virtual_env=venv.root
    )
    assert result.code == 1, result
    assert result.stderr.splitlines()[0] == (
        f"error: Refusing to follow the redirect from {secure.base}/simple/lib/ to {plain.base}/simple/lib/: "
        "it leaves HTTPS for an unencrypted connection"
    ), result
    assert PASSWORD not in result.stderr + result.stdout
    # The TLS hop carried the credentials (its own host); the plain-HTTP host was never asked.
    assert [path for path, _ in secure.requests] == ["/simple/lib/"]
    assert secure.requests[0][1] is not None
    assert plain.requests == []
    assert venv.dist_infos() == []


def test_credentials_are_not_sent_to_the_host_an_index_redirects_to(
    make_pkg, static_index, redirect_server, run_bale: BaleRunner, venv: Venv
) -> None:
    # 127.0.0.1 and localhost are different hosts: the index's credentials stay with 127.0.0.1.
    other = static_index([make_pkg("lib", "1.0")])
    other.require_auth("alice", PASSWORD)
    front = redirect_server(f"http://localhost:{other.port}")
    index = front.base.replace("http://", f"http://alice:{PASSWORD}@") + "/simple"
    result = run_bale("pip", "install", "lib", "-i", index, virtual_env=venv.root)
    assert result.code == 1, result
    assert result.stderr.splitlines()[0] == (
        f"error: http://localhost:{other.port}/simple/lib/ requires authentication (HTTP 401); "
        f"credentials for localhost:{other.port} are missing"
    ), result
    assert front.requests and all(auth is not None for _, auth in front.requests)
    assert other.requests and all("Authorization" not in r.headers for r in other.requests)
    assert PASSWORD not in result.stderr + result.stdout
    assert venv.dist_infos() == []

    # The other host's own credentials (here from netrc) are used there.
    netrc = venv.root.parent / "netrc"
    netrc.write_text(f"machine localhost\nlogin alice\npassword {PASSWORD}\n")
    allowed = run_bale("pip", "install", "lib", "-i", index, env={"NETRC": str(netrc)}, virtual_env=venv.root)
    assert allowed.code == 0, allowed
    assert venv.dist_infos() == ["lib-1.0.dist-info"]


def test_a_redirect_to_another_host_without_credentials_is_followed(
    make_pkg, static_index, redirect_server, run_bale: BaleRunner, venv: Venv
) -> None:
    other = static_index([make_pkg("lib", "1.0")])
    front = redirect_server(f"http://localhost:{other.port}")
    result = run_bale("pip", "install", "lib", "-i", front.base + "/simple", virtual_env=venv.root)
    assert result.code == 0, result
    assert venv.dist_infos() == ["lib-1.0.dist-info"]
    assert "/simple/lib/" in [path for path, _ in front.requests]
    assert any(r.path.startswith("/files/lib-1.0") for r in other.requests)
