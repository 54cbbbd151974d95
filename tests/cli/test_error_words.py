"""Errors in bale's own words: requirement syntax, connections, proxies, TLS and index paths."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.cli.conftest import Venv
from tests.support.cli import Result, scrub
from tests.support.fixtures import PkgFactory
from tests.support.index import build_simple_tree
from tests.support.servers import free_port

Bale = Callable[..., Result]

# Words of packaging's tokenizer and urllib3's reprs: none may reach a user.
FOREIGN = (
    "Expected",
    "RIGHT_",
    "LEFT_",
    "BRACKET",
    "PARENTHESIS",
    "IDENTIFIER",
    "QUOTED_STRING",
    "dependency specifier",
    "semicolon (after",
    "NewConnectionError",
    "ConnectionPool",
    "urllib3",
    "MaxRetryError",
    "Traceback",
    "bug in bale",
)

# Where the network is not used at all, it must not be tried either (and nothing reaches PyPI).
NO_NETWORK = ("--no-index",)


def assert_own_words(text: str) -> None:
    for word in FOREIGN:
        assert word not in text, f"{word!r} in:\n{text}"


# ---------------------------------------------------------------------------------------------- requirements


@pytest.mark.parametrize(
    ("requirement", "stderr"),
    [
        (
            "foo>>1",
            "error: Invalid requirement 'foo>>1': no such comparison operator \">>\"\n    foo>>1\n       ^\n",
        ),
        (
            "foo[bar",
            "error: Invalid requirement 'foo[bar': missing closing bracket \"]\"\n"
            "    foo[bar\n"
            "       ~~~~^\n",
        ),
        (
            "foo; python_version >= ",
            "error: Invalid requirement 'foo; python_version >= ': missing value after "
            '"python_version >=" in the marker\n'
            "    foo; python_version >= \n"
            "                          ^\n",
        ),
        (
            "foo==1.0 bar",
            "error: Invalid requirement 'foo==1.0 bar': unexpected text \"bar\" after the requirement; "
            'is a comma (between version specifiers) or a ";" (before a marker) missing?\n'
            "    foo==1.0 bar\n"
            "             ^\n",
        ),
        (
            "foo=1",
            'error: Invalid requirement \'foo=1\': no such comparison operator "=" (did you mean "=="?)\n'
            "    foo=1\n"
            "       ^\n",
        ),
        (
            "foo>1 <2",
            "error: Invalid requirement 'foo>1 <2': missing comma between the version specifiers "
            '">1" and "<2"\n'
            "    foo>1 <2\n"
            "          ^\n",
        ),
    ],
)
def test_a_bad_requirement_argument_says_the_cause(bale: Bale, requirement: str, stderr: str) -> None:
    result = bale("pip", "install", requirement, *NO_NETWORK)
    assert (result.code, result.stdout, result.stderr) == (1, "", stderr)


def test_a_bad_requirement_in_a_file_names_file_and_line(bale: Bale, tmp_path: Path, venv: Venv) -> None:
    (tmp_path / "requirements.txt").write_text("ok==1.0\nfoo[bar\nbaz; os_name = 'posix'\n")
    before = venv.dist_infos()
    result = bale("pip", "install", "-r", "requirements.txt", *NO_NETWORK, cwd=tmp_path)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: Invalid requirements in requirements.txt\n"
        '  requirements.txt:2:8: missing closing bracket "]"\n'
        "    foo[bar\n"
        "       ~~~~^\n"
        '  requirements.txt:3:14: no such comparison operator "=" in the marker '
        "(use ==, !=, <, <=, >, >=, ~=, ===, in or not in)\n"
        "    baz; os_name = 'posix'\n"
        "                 ^\n"
    )
    assert venv.dist_infos() == before


MALFORMED = [
    "foo>>1",
    "foo[bar",
    "foo; python_version >= ",
    "foo==1.0 bar",
    "foo==",
    "foo~=1",
    "foo (>=1",
    "foo[bar,]",
    "foo[bar baz]",
    "foo; os_name == 'x' and",
    "foo; bogus == '1'",
    "foo @ ",
    "_foo",
    "foo;",
    "foo; (os_name == 'a'",
    "foo==1.*.2",
    "foo<=a.b",
    "foo,bar",
    "foo; python_version >= '3' os_name",
    'foo >= 1.0 ; python_version < "3.8',
    "foo>=1.*",
    "foo; os_name not 'a'",
    "foo==1.0)",
]


def test_no_packaging_vocabulary_in_any_requirement_error(bale: Bale, tmp_path: Path) -> None:
    for requirement in MALFORMED:
        result = bale("pip", "install", requirement, *NO_NETWORK)
        assert result.code == 1, result
        assert result.stderr.startswith(f"error: Invalid requirement {requirement!r}: "), result
        assert_own_words(result.stderr)
    # One file with every one of them: each is reported, at its line, in bale's words.
    (tmp_path / "bad.txt").write_text("".join(f"{text}\n" for text in MALFORMED))
    result = bale("pip", "install", "-r", "bad.txt", *NO_NETWORK, cwd=tmp_path)
    assert result.code == 1, result
    assert_own_words(result.stderr)
    for line, text in enumerate(MALFORMED, start=1):
        assert f"  bad.txt:{line}:" in result.stderr, (text, result.stderr)


def test_a_bad_dependency_in_pyproject_says_the_cause(run_bale: Any, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1"\ndependencies = [\n    "foo>>1",\n]\n'
    )
    result = run_bale("lock", "--offline", cwd=project)
    assert result.code == 1, result
    assert scrub(result.stderr, {project: "[PROJ]"}) == (
        "error: [PROJ]/pyproject.toml:5: project.dependencies[0]: invalid requirement 'foo>>1': "
        'no such comparison operator ">>"\n'
        "      foo>>1\n"
        "         ^\n"
    )


def test_a_bad_requires_dist_is_warned_about_in_bale_words(
    make_pkg: PkgFactory, static_index: Any, bale: Bale, venv: Venv
) -> None:
    server = static_index([make_pkg("foo", "2.0", requires_dist=["bar >>> 1"]), make_pkg("foo", "1.0")])
    result = bale("pip", "install", "foo", "--index-url", server.url)
    assert result.code == 0, result
    assert venv.imports("foo") == "1.0"
    assert (
        "warning: Skipping foo 2.0: foo-2.0-py3-none-any.whl has invalid metadata: requires-dist: "
        '"bar >>> 1": no such comparison operator ">>>" (column 5)\n'
    ) in result.stderr
    assert_own_words(result.stderr)


# ---------------------------------------------------------------------------------------------- connections

NETWORK_HINT = "hint: Check the URL and the network, or run with --offline to use what the cache holds.\n"


def test_a_refused_port(bale: Bale) -> None:
    url = f"http://127.0.0.1:{free_port()}/simple"
    result = bale("pip", "install", "foo", "--index-url", url)
    assert result.code == 1
    assert scrub(result.stderr) == (
        "error: Could not connect to http://127.0.0.1:[PORT]/simple/foo/: connection refused (3 retries)\n"
        + NETWORK_HINT
    )


def test_an_unknown_host(bale: Bale) -> None:
    result = bale("pip", "install", "foo", "--index-url", "http://no-such-host.invalid/simple")
    assert result.code == 1
    assert result.stderr == (
        "error: Could not connect to http://no-such-host.invalid/simple/foo/: could not resolve the host "
        "name (3 retries)\n" + NETWORK_HINT
    )


def test_a_timeout(make_pkg: PkgFactory, static_index: Any, bale: Bale) -> None:
    server = static_index([make_pkg("foo", "1.0")])
    server.slow("/simple/", 2)
    result = bale("pip", "install", "foo", "--index-url", server.url, env={"BALE_HTTP_TIMEOUT": "0.3"})
    assert result.code == 1
    assert scrub(result.stderr) == (
        "error: Could not fetch http://127.0.0.1:[PORT]/simple/foo/: no response within [TIME] "
        "(3 retries)\n" + NETWORK_HINT
    )


def _self_signed(folder: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    made = subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {made.stderr.strip()}")
    return cert, key


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 running ``handler`` (with TLS when a cert is given)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], tls: tuple[Path, Path] | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Empty(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_an_untrusted_certificate(bale: Bale, tmp_path: Path) -> None:
    server = _Server(_Empty, _self_signed(tmp_path))
    try:
        result = bale("pip", "install", "foo", "--index-url", f"https://127.0.0.1:{server.port}/simple")
    finally:
        server.stop()
    assert result.code == 1
    assert scrub(result.stderr) == (
        "error: Could not connect to https://127.0.0.1:[PORT]/simple/foo/: the server's TLS certificate "
        "is not trusted (self-signed certificate)\n"
        "hint: If the index uses its own certificate authority, set SSL_CERT_FILE to a bundle that "
        "includes it (--native-tls uses the system's trust store).\n"
    )


def test_tls_to_a_plain_http_server(bale: Bale) -> None:
    server = _Server(_Empty)
    try:
        result = bale("pip", "install", "foo", "--index-url", f"https://127.0.0.1:{server.port}/simple")
    finally:
        server.stop()
    assert result.code == 1
    assert scrub(result.stderr) == (
        "error: Could not connect to https://127.0.0.1:[PORT]/simple/foo/: the server does not speak TLS "
        "(is it an http:// URL?) (3 retries)\n"
    )


# ---------------------------------------------------------------------------------------------- proxies

# The index is never reached: the proxy is asked first (a loopback index would bypass the proxy).
HTTPS_INDEX = "https://index.example/simple"
HTTP_INDEX = "http://index.example/simple"
NO_PROXY_ENV: dict[str, str | None] = {
    name: None for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
}


def _proxy_env(**values: str) -> dict[str, str | None]:
    return {**NO_PROXY_ENV, **values}


@pytest.fixture
def refusing_proxy() -> Iterator[Callable[[int], int]]:
    """``start(status)``: a proxy on 127.0.0.1 that answers every CONNECT and GET with ``status``."""
    servers: list[_Server] = []

    def start(status: int) -> int:
        class Refuse(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _refuse(self) -> None:
                self.send_response(status)
                if status == 407:
                    self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_CONNECT = _refuse
            do_GET = _refuse

        server = _Server(Refuse)
        servers.append(server)
        return server.port

    yield start
    for server in servers:
        server.stop()


def test_a_proxy_that_is_not_listening(bale: Bale) -> None:
    port = free_port()
    result = bale(
        "pip",
        "install",
        "foo",
        "--index-url",
        HTTPS_INDEX,
        env=_proxy_env(HTTPS_PROXY=f"http://127.0.0.1:{port}"),
    )
    assert result.code == 1
    assert scrub(result.stderr) == (
        "error: Could not connect to the proxy http://127.0.0.1:[PORT] for "
        "https://index.example/simple/foo/: connection refused (3 retries)\n"
        "hint: Check the proxy set in HTTPS_PROXY (or exempt the host in NO_PROXY), or run with --offline "
        "to use what the cache holds.\n"
    )


def test_a_proxy_that_answers_403(bale: Bale, refusing_proxy: Callable[[int], int]) -> None:
    port = refusing_proxy(403)
    hint = (
        "hint: Check the proxy set in {var} (or exempt the host in NO_PROXY), or run with --offline "
        "to use what the cache holds.\n"
    )
    tunnel = bale(
        "pip",
        "install",
        "foo",
        "--index-url",
        HTTPS_INDEX,
        env=_proxy_env(HTTPS_PROXY=f"http://127.0.0.1:{port}"),
    )
    assert tunnel.code == 1
    assert scrub(tunnel.stderr) == (
        "error: The proxy http://127.0.0.1:[PORT] refused the request for https://index.example/simple/foo/ "
        "(HTTP 403 Forbidden)\n" + hint.format(var="HTTPS_PROXY")
    )
    plain = bale(
        "pip",
        "install",
        "foo",
        "--index-url",
        HTTP_INDEX,
        env=_proxy_env(http_proxy=f"http://127.0.0.1:{port}"),
    )
    assert plain.code == 1
    assert scrub(plain.stderr) == (
        "error: The proxy http://127.0.0.1:[PORT] refused the request for http://index.example/simple/foo/ "
        "(HTTP 403 Forbidden)\n" + hint.format(var="http_proxy")
    )


def test_a_proxy_that_wants_credentials(bale: Bale, refusing_proxy: Callable[[int], int]) -> None:
    port = refusing_proxy(407)
    missing = bale(
        "pip",
        "install",
        "foo",
        "--index-url",
        HTTPS_INDEX,
        env=_proxy_env(HTTPS_PROXY=f"http://127.0.0.1:{port}"),
    )
    assert missing.code == 1
    hint = (
        "hint: Give the proxy's credentials in its URL (http://USER:PASSWORD@host:port) in HTTPS_PROXY, "
        "or run with --offline to use what the cache holds.\n"
    )
    assert scrub(missing.stderr) == (
        "error: The proxy http://127.0.0.1:[PORT] requires authentication for "
        "https://index.example/simple/foo/ (HTTP 407 Proxy Authentication Required)\n" + hint
    )
    rejected = bale(
        "pip",
        "install",
        "foo",
        "--index-url",
        HTTPS_INDEX,
        env=_proxy_env(HTTPS_PROXY=f"http://me:s3cret@127.0.0.1:{port}"),
    )
    assert rejected.code == 1
    assert "s3cret" not in rejected.stderr
    assert scrub(rejected.stderr) == (
        "error: The proxy http://****:****@127.0.0.1:[PORT] rejected the credentials in HTTPS_PROXY for "
        "https://index.example/simple/foo/ (HTTP 407 Proxy Authentication Required)\n" + hint
    )


# ---------------------------------------------------------------------------------------------- index paths


@pytest.fixture
def index_tree(make_pkg: PkgFactory, tmp_path: Path) -> Path:
    return build_simple_tree([make_pkg("foo", "1.0"), make_pkg("bar", "2.0")], tmp_path / "tree") / "simple"


def test_a_relative_path_as_index_url(bale: Bale, venv: Venv, index_tree: Path) -> None:
    result = bale("pip", "install", "foo", "-i", "./simple", cwd=index_tree.parent)
    assert result.code == 0, result
    assert venv.imports("foo") == "1.0"


def test_an_absolute_path_as_index_url_and_a_plain_dir_as_extra(
    bale: Bale, venv: Venv, index_tree: Path, make_pkg: PkgFactory, tmp_path: Path
) -> None:
    other = build_simple_tree([make_pkg("baz", "3.0")], tmp_path / "other") / "simple"
    result = bale(
        "pip",
        "install",
        "foo",
        "baz",
        "--index-url",
        str(index_tree),
        "--extra-index-url",
        "simple",
        cwd=other.parent,
    )
    assert result.code == 0, result
    assert (venv.imports("foo"), venv.imports("baz")) == ("1.0", "3.0")


def test_a_missing_index_path_is_an_error_naming_it(bale: Bale, tmp_path: Path, venv: Venv) -> None:
    before = venv.dist_infos()
    result = bale("pip", "install", "foo", "-i", "./nowhere", cwd=tmp_path)
    assert result.code == 1
    assert scrub(result.stderr, {tmp_path: "[TMP]"}) == (
        "error: The index './nowhere' is not a URL, and as a path it does not exist ([TMP]/nowhere)\n"
        "hint: Give an index URL (https://...), or the path of a folder laid out as a simple index "
        "(one folder per project).\n"
    )
    assert venv.dist_infos() == before
    (tmp_path / "file.txt").write_text("")
    result = bale("pip", "install", "foo", "--extra-index-url", "file.txt", cwd=tmp_path)
    assert result.code == 1
    assert "error: The index 'file.txt' is not a URL, and as a path it is not a directory" in result.stderr
