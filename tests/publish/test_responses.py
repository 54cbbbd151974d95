"""How publish reads an index's answers (PyPI's 400 "already exists", redirects, retries), and what it
sends, against a scripted server on 127.0.0.1."""

from __future__ import annotations

import email.parser
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bale.context import Context
from bale.errors import BaleError
from bale.ops.publish import PublishSettings, UploadStatus, publish
from bale.ops.settings import GlobalSettings
from tests.support.builders import Pkg
from tests.support.fixtures import PkgFactory


@dataclass
class Scripted:
    """Answers POSTs with ``answers`` in turn (the last one repeats); keeps what was sent."""

    answers: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    received: list[tuple[dict[str, str], dict[str, list[str]], dict[str, bytes]]] = field(
        default_factory=list
    )
    url: str = ""


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    state = Scripted()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = self.rfile.read(length)
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
            fields: dict[str, list[str]] = {}
            files: dict[str, bytes] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if filename:
                    files[filename] = payload
                else:
                    fields.setdefault(str(name), []).append(payload.decode())
            state.received.append((dict(self.headers), fields, files))
            index = min(len(state.received), len(state.answers)) - 1
            status, reason, headers = state.answers[index]
            text = f"<html><body><h1>{status} {reason}</h1></body></html>".encode()
            self.send_response(status, reason)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/legacy/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _publish(tmp_path: Path, scripted: Scripted, *files: Path, **options: object) -> list[UploadStatus]:
    ctx = Context(GlobalSettings(cache_dir=tmp_path / "cache"))
    options.setdefault("username", "alice")
    options.setdefault("password", "pw-secret")
    settings = PublishSettings(
        cwd=tmp_path,
        files=tuple(str(f) for f in files),
        publish_url=scripted.url,
        **options,  # type: ignore[arg-type]
    )
    try:
        return [outcome.status for outcome in publish(ctx, settings)]
    finally:
        ctx.close()


def test_sent_fields_and_pypi_style_already_exists(
    tmp_path: Path, scripted: Scripted, make_pkg: PkgFactory
) -> None:
    scripted.answers = [
        (200, "OK", {}),
        (400, "File already exists ('demo-1.0-py3-none-any.whl', with blake2_256 hash 'abc').", {}),
    ]
    pkg = Pkg("demo", "1.0", summary="Demo")
    wheel, sdist = make_pkg(pkg), make_pkg(pkg, sdist=True)

    assert _publish(tmp_path, scripted, wheel, sdist) == [UploadStatus.UPLOADED, UploadStatus.SKIPPED]

    (headers, fields, files), _ = scripted.received
    assert headers["Authorization"] == "Basic YWxpY2U6cHctc2VjcmV0"  # alice:pw-secret
    assert headers["User-Agent"].startswith("bale/")
    assert fields[":action"] == ["file_upload"] and fields["protocol_version"] == ["1"]
    assert fields["filetype"] == ["sdist"] and fields["pyversion"] == ["source"]
    assert (fields["name"], fields["version"], fields["summary"]) == (["demo"], ["1.0"], ["Demo"])
    assert list(files) == ["demo-1.0.tar.gz"] and files["demo-1.0.tar.gz"] == sdist.read_bytes()


def test_server_errors_are_retried_then_reported(
    tmp_path: Path, scripted: Scripted, make_pkg: PkgFactory
) -> None:
    scripted.answers = [(503, "Service Unavailable", {}), (200, "OK", {})]
    wheel = make_pkg(Pkg("demo", "1.0"))
    assert _publish(tmp_path, scripted, wheel) == [UploadStatus.UPLOADED]
    assert len(scripted.received) == 2

    scripted.received.clear()
    scripted.answers = [(500, "Internal Server Error", {})]
    with pytest.raises(BaleError) as caught:
        _publish(tmp_path, scripted, wheel)
    assert caught.value.message == f"Could not upload demo-1.0-py3-none-any.whl to {scripted.url}: HTTP 500"
    assert len(scripted.received) == 3


def test_redirect_and_rejection_messages(tmp_path: Path, scripted: Scripted, make_pkg: PkgFactory) -> None:
    wheel = make_pkg(Pkg("demo", "1.0"))
    scripted.answers = [(301, "Moved Permanently", {"Location": "https://upload.example.org/legacy/"})]
    with pytest.raises(BaleError) as caught:
        _publish(tmp_path, scripted, wheel)
    assert caught.value.message == (
        f"{scripted.url} redirects uploads (HTTP 301) to https://upload.example.org/legacy/"
    )

    scripted.answers = [(403, "Invalid or non-existent authentication information.", {})]
    with pytest.raises(BaleError) as caught:
        _publish(tmp_path, scripted, wheel, token="pypi-secret-token")
    assert caught.value.message == f"{scripted.url} refused the credentials of user '__token__' (HTTP 403)"
    assert caught.value.context == ("the index said: Invalid or non-existent authentication information.",)
    assert "pypi-secret-token" not in caught.value.render()

    scripted.answers = [(400, "Invalid value for classifiers.", {})]
    with pytest.raises(BaleError) as caught:
        _publish(tmp_path, scripted, wheel)
    assert caught.value.context == ("the index said: Invalid value for classifiers.",)


def test_password_without_username_and_offline(
    tmp_path: Path, scripted: Scripted, make_pkg: PkgFactory
) -> None:
    wheel = make_pkg(Pkg("demo", "1.0"))
    with pytest.raises(BaleError, match="A password was given without a username"):
        _publish(tmp_path, scripted, wheel, username=None)
    ctx = Context(GlobalSettings(cache_dir=tmp_path / "cache", offline=True))
    with pytest.raises(BaleError, match="while offline"):
        publish(ctx, PublishSettings(cwd=tmp_path, files=(str(wheel),), publish_url=scripted.url))
    assert scripted.received == []
