"""http/: the client against a real server on 127.0.0.1 (cache, retries, auth, offline, ranges, downloads)."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from bale.errors import BaleError, HashMismatchError, OfflineError
from bale.http import client as client_module
from bale.http.auth import CredentialStore, redact_url, split_credentials
from bale.http.client import HttpClient, HttpStatusError
from bale.http.pool import OnceMap
from bale.index.simple import ACCEPT
from tests.index.conftest import ClientFactory, RecordingReporter
from tests.support.fixtures import PkgFactory
from tests.support.servers import StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]


@pytest.fixture
def server(make_pkg: PkgFactory, static_index: StartIndex) -> StaticIndexServer:
    return static_index([make_pkg("foo", "1.0"), make_pkg("foo", "2.0", sdist=True)])


def page_url(server: StaticIndexServer, name: str = "foo") -> str:
    return f"{server.url}/{name}/"


WHEEL = "foo-1.0-py3-none-any.whl"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- pages and the page cache ------------------------------------------------------------------------


def test_fresh_cached_page_makes_no_request(server: StaticIndexServer, make_client: ClientFactory) -> None:
    client = make_client()
    first = client.get(page_url(server), {"Accept": ACCEPT}, cache=True)
    assert first.status == 200 and not first.from_cache
    assert first.content_type == "application/vnd.pypi.simple.v1+json"
    second = make_client().get(page_url(server), {"Accept": ACCEPT}, cache=True)  # a new process, same cache
    assert second.from_cache and second.body == first.body
    assert server.paths() == ["/simple/foo/"]
    # HTML and JSON are different entries: another Accept is another request.
    html = client.get(page_url(server), {"Accept": "text/html"}, cache=True)
    assert html.content_type.startswith("text/html") and not html.from_cache
    assert server.count("/simple/foo/") == 2


def test_page_files_holds_while_a_prefetch_notes_another_page(
    server: StaticIndexServer, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The replay recorder lists the run's pages while prefetch threads may still be reading more:
    # a page noted mid-listing once failed `bale pip compile` with "dictionary changed size".
    client = make_client()
    client.get(page_url(server), {"Accept": ACCEPT}, cache=True)
    cache = client._page_cache
    assert cache is not None
    vouch = cache.vouch

    def vouch_while_prefetching(url: str, accept: str, digest: str, now: float) -> object:
        client.pages_seen[(url + "other/", accept)] = digest  # what another thread's get() does
        return vouch(url, accept, digest, now)

    monkeypatch.setattr(cache, "vouch", vouch_while_prefetching)
    files = client.page_files()
    assert files is not None and len(files) == 1


def test_stale_page_is_revalidated_with_304(
    server: StaticIndexServer, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()
    first = client.get(page_url(server), {"Accept": ACCEPT}, cache=True)
    # Ten minutes and a bit later (the server sends max-age=600).
    later = types.SimpleNamespace(time=lambda: time.time() + 700, sleep=time.sleep)
    monkeypatch.setattr(client_module, "time", later)
    again = client.get(page_url(server), {"Accept": ACCEPT}, cache=True)
    assert again.from_cache and again.body == first.body and again.status == 200
    revalidation = server.requests[-1]
    assert revalidation.status == 304
    assert revalidation.headers["If-None-Match"] == first.headers["etag"]
    # The 304 refreshed the entry: fresh again, no third request.
    client.get(page_url(server), {"Accept": ACCEPT}, cache=True)
    assert len(server.requests) == 2


def test_redirect_is_followed_and_final_url_reported(
    server: StaticIndexServer, make_client: ClientFactory
) -> None:
    response = make_client().get(f"{server.url}/Foo")
    assert response.url == page_url(server)
    assert [r.status for r in server.requests] == [301, 200]


# -- retries and failures ----------------------------------------------------------------------------


def test_retries_on_503_then_succeeds(server: StaticIndexServer, make_client: ClientFactory) -> None:
    server.fail("/simple/foo/", 503, times=2)
    response = make_client().get(page_url(server))
    assert response.status == 200
    assert [r.status for r in server.requests] == [503, 503, 200]


def test_gives_up_after_retries_with_clear_error(
    server: StaticIndexServer, make_client: ClientFactory
) -> None:
    server.fail("/simple/foo/", 503, times=None)
    with pytest.raises(HttpStatusError) as caught:
        make_client(retries=2).get(page_url(server))
    assert (
        str(caught.value) == f"Could not fetch {page_url(server)}: HTTP 503 Service Unavailable (2 retries)"
    )
    assert caught.value.status == 503
    assert len(server.requests) == 3


def test_client_errors_are_not_retried(server: StaticIndexServer, make_client: ClientFactory) -> None:
    client = make_client()
    with pytest.raises(HttpStatusError, match=r"HTTP 404 Not Found$"):
        client.get(f"{server.base}/files/nope.whl")
    assert client.get(f"{server.base}/files/nope.whl", missing_ok=True).status == 404
    assert len(server.requests) == 2


def test_connection_refused_names_url_and_retries(make_client: ClientFactory) -> None:
    url = f"http://127.0.0.1:{closed_port()}/simple/foo/"
    with pytest.raises(BaleError) as caught:
        make_client().get(url)
    assert caught.value.message == f"Could not connect to {url}: connection refused (3 retries)"
    assert (
        caught.value.hint
        == "Check the URL and the network, or run with --offline to use what the cache holds."
    )


def test_read_timeout_from_environment(
    server: StaticIndexServer, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BALE_HTTP_TIMEOUT", "0.2")
    client = make_client(retries=0)
    assert client.read_timeout == 0.2
    server.slow("/simple/foo/", 1.0)
    with pytest.raises(BaleError, match=r"Could not fetch .*/simple/foo/: no response within 0.2 s\n"):
        client.get(page_url(server))


def test_bad_timeout_environment_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALE_HTTP_TIMEOUT", "soon")
    with pytest.raises(BaleError, match="BALE_HTTP_TIMEOUT must be a number of seconds, not 'soon'"):
        HttpClient()


# -- credentials -------------------------------------------------------------------------------------


def test_401_without_credentials(server: StaticIndexServer, make_client: ClientFactory) -> None:
    server.require_auth("alice", "s3cret")
    with pytest.raises(BaleError) as caught:
        make_client().get(page_url(server))
    assert caught.value.message == (
        f"{page_url(server)} requires authentication (HTTP 401); "
        f"credentials for 127.0.0.1:{server.port} are missing"
    )
    assert "netrc" in (caught.value.hint or "")
    assert len(server.requests) == 1  # not retried


def test_401_with_wrong_password_never_shows_it(
    server: StaticIndexServer, make_client: ClientFactory
) -> None:
    server.require_auth("alice", "s3cret")
    bad = page_url(server).replace("http://", "http://alice:hunter2@")
    with pytest.raises(BaleError) as caught:
        make_client().get(bad)
    text = str(caught.value)
    assert "hunter2" not in text and "alice" not in text
    assert text.startswith(f"{page_url(server)} requires authentication (HTTP 401)")
    assert f"credentials for 127.0.0.1:{server.port} were rejected" in text


def test_credentials_from_url_are_reused_for_the_host(
    server: StaticIndexServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    server.require_auth("alice", "s3cret")
    client = make_client()
    page = client.get(page_url(server).replace("http://", "http://alice:s3cret@"))
    assert page.status == 200 and "s3cret" not in page.url
    # The file link carries no credentials: the host's are sent anyway.
    client.download(server.file_url(WHEEL), tmp_path / WHEEL)
    assert (tmp_path / WHEEL).is_file()
    assert all(r.status in (200, 206) for r in server.requests)


def test_credentials_from_netrc(
    server: StaticIndexServer, make_client: ClientFactory, no_netrc: Path
) -> None:
    no_netrc.write_text("machine 127.0.0.1\nlogin alice\npassword s3cret\n")
    server.require_auth("alice", "s3cret")
    assert make_client().get(page_url(server)).status == 200


def test_redact_and_split() -> None:
    assert redact_url("https://u:p@h.example/simple/") == "https://****:****@h.example/simple/"
    assert redact_url("https://token@h.example/x") == "https://****@h.example/x"
    assert redact_url("https://h.example/a@b") == "https://h.example/a@b"
    assert split_credentials("https://us%40er:p%3Ass@h:8080/x") == ("https://h:8080/x", "us@er", "p:ss")
    store = CredentialStore(use_keyring=False)
    assert store.learn("https://a:b@H.example:8443/simple") == "https://H.example:8443/simple"
    found = store.lookup("https://h.example:8443/files/x.whl")
    assert found is not None and (found.username, found.password) == ("a", "b")
    assert store.lookup("https://h.example/files/x.whl") is None  # another port is another host


# -- offline -----------------------------------------------------------------------------------------


def test_offline_refuses_network_but_serves_cache_and_files(
    server: StaticIndexServer, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    make_client().get(page_url(server), {"Accept": ACCEPT}, cache=True)
    offline = make_client(offline=True)
    with pytest.raises(OfflineError) as caught:
        offline.get(page_url(server, "bar"), cache=True)
    assert caught.value.message == f"Cannot fetch {page_url(server, 'bar')} while offline"
    with pytest.raises(OfflineError):
        offline.download(server.file_url(WHEEL), tmp_path / WHEEL)
    # Stale or not, a cached page is served offline.
    later = types.SimpleNamespace(time=lambda: time.time() + 10_000, sleep=time.sleep)
    monkeypatch.setattr(client_module, "time", later)
    assert offline.get(page_url(server), {"Accept": ACCEPT}, cache=True).from_cache
    local = tmp_path / "local.html"
    local.write_text("<a href='x'>x</a>")
    assert offline.get(local.as_uri()).body == local.read_bytes()
    assert len(server.requests) == 1


# -- ranges ------------------------------------------------------------------------------------------


def test_ranges(server: StaticIndexServer, make_client: ClientFactory) -> None:
    client = make_client()
    whole = (server.root / "files" / WHEEL).read_bytes()
    part = client.get_range(server.file_url(WHEEL), 10, 20)
    assert part is not None and (part.data, part.start, part.total) == (whole[10:30], 10, len(whole))
    tail = client.get_suffix(server.file_url(WHEEL), 100)
    assert tail is not None and (tail.data, tail.start) == (whole[-100:], len(whole) - 100)
    everything = client.get_suffix(server.file_url(WHEEL), 10 * len(whole))
    assert everything is not None and everything.data == whole and everything.start == 0
    server.disable_ranges()
    assert client.get_range(server.file_url(WHEEL), 10, 20) is None
    assert client.get_suffix(server.file_url(WHEEL), 100) is None
    # The connection whose body was left unread is not reused: the next request still works.
    assert client.get(page_url(server)).status == 200


def test_file_url_ranges_and_reads(tmp_path: Path, make_client: ClientFactory) -> None:
    path = tmp_path / "dir with space" / "data.bin"
    path.parent.mkdir()
    path.write_bytes(bytes(range(256)))
    client = make_client(offline=True)
    part = client.get_range(path.as_uri(), 5, 3)
    assert part is not None and (part.data, part.start, part.total) == (b"\x05\x06\x07", 5, 256)
    tail = client.get_suffix(path.as_uri(), 2)
    assert tail is not None and (tail.data, tail.start) == (b"\xfe\xff", 254)
    assert client.get(path.as_uri()).body == bytes(range(256))
    assert client.get((tmp_path / "missing").as_uri(), missing_ok=True).status == 404
    with pytest.raises(BaleError, match=r"Could not read file://.*/missing: no such file"):
        client.get((tmp_path / "missing").as_uri())


# -- downloads ---------------------------------------------------------------------------------------


def test_download_verifies_and_reports(
    server: StaticIndexServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    whole = (server.root / "files" / WHEEL).read_bytes()
    reporter = RecordingReporter()
    dest = tmp_path / "out" / WHEEL
    expected = {"sha256": hashlib.sha256(whole).hexdigest(), "md5": hashlib.md5(whole).hexdigest()}
    got = make_client().download(server.file_url(WHEEL), dest, expected=expected, reporter=reporter)
    assert got == expected
    assert dest.read_bytes() == whole
    assert reporter.events[0] == ("start", server.file_url(WHEEL), WHEEL, str(len(whole)))
    assert reporter.events[-1] == ("done", server.file_url(WHEEL))
    assert sum(int(e[2]) for e in reporter.events if e[0] == "progress") == len(whole)
    assert os.listdir(dest.parent) == [WHEEL]


def test_hash_mismatch_leaves_nothing(
    server: StaticIndexServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    whole = (server.root / "files" / WHEEL).read_bytes()
    dest = tmp_path / "out" / WHEEL
    with pytest.raises(HashMismatchError) as caught:
        make_client().download(server.file_url(WHEEL), dest, expected={"sha256": "0" * 64})
    assert caught.value.message == f"Hash mismatch for {server.file_url(WHEEL)}"
    assert caught.value.context == (
        f"expected sha256:{'0' * 64}",
        f"actual   sha256:{hashlib.sha256(whole).hexdigest()}",
    )
    assert os.listdir(dest.parent) == []
    assert len(server.requests) == 1  # a mismatch is not retried


def test_truncated_download_is_retried_then_fails_leaving_nothing(
    server: StaticIndexServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    server.truncate(WHEEL)
    dest = tmp_path / "out" / WHEEL
    with pytest.raises(BaleError) as caught:
        make_client(retries=1).download(server.file_url(WHEEL), dest)
    assert str(caught.value).startswith(f"Could not download {server.file_url(WHEEL)}: response truncated")
    assert str(caught.value).endswith("(1 retries)")
    assert os.listdir(dest.parent) == []
    assert server.count(WHEEL) == 2


def test_download_of_missing_file_names_url(
    server: StaticIndexServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    with pytest.raises(
        HttpStatusError, match=r"Could not fetch http://.*/files/nope.whl: HTTP 404 Not Found"
    ):
        make_client().download(f"{server.base}/files/nope.whl", tmp_path / "nope.whl")
    assert not (tmp_path / "nope.whl").exists()


def test_file_url_download_checks_hash(tmp_path: Path, make_client: ClientFactory) -> None:
    source = tmp_path / "a.whl"
    source.write_bytes(b"wheel bytes")
    client = make_client(offline=True)
    digest = hashlib.sha256(b"wheel bytes").hexdigest()
    assert client.download(source.as_uri(), tmp_path / "out" / "a.whl", expected={"sha256": digest}) == {
        "sha256": digest
    }
    with pytest.raises(HashMismatchError):
        client.download(source.as_uri(), tmp_path / "out2" / "a.whl", expected={"sha256": "1" * 64})
    assert os.listdir(tmp_path / "out2") == []


# -- the once-map ------------------------------------------------------------------------------------


def test_once_map_runs_each_key_once_and_shares_errors() -> None:
    once: OnceMap[str, int] = OnceMap()
    calls: list[str] = []
    gate = threading.Event()

    def slow() -> int:
        calls.append("ok")
        gate.wait(5)
        return 42

    def failing() -> int:
        calls.append("bad")
        gate.wait(5)
        raise BaleError("boom")

    results: list[object] = []

    def worker(key: str, compute: Callable[[], int]) -> None:
        try:
            results.append(once.get(key, compute))
        except BaleError as err:
            results.append(str(err))

    threads = [threading.Thread(target=worker, args=("a", slow)) for _ in range(4)]
    threads += [threading.Thread(target=worker, args=("b", failing)) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert sorted(calls) == ["bad", "ok"]
    assert sorted(map(str, results)) == ["42"] * 4 + ["boom"] * 4
    assert once.peek("a") == 42 and once.peek("b") is None
    with pytest.raises(BaleError, match="boom"):
        once.get("b", lambda: 1)  # the failure is remembered


# -- keep-alive without the delayed-acknowledgement stall ------------------------------------------------


def test_every_response_on_a_reused_connection_is_acknowledged_at_once(
    server: StaticIndexServer, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bale.http import quickack

    seen: list[socket.socket] = []
    real = quickack._ack_at_once

    def record(sock: socket.socket | None) -> None:
        assert sock is not None
        seen.append(sock)
        real(sock)

    monkeypatch.setattr(quickack, "_ack_at_once", record)
    client = make_client()
    for name in ("foo", "foo", "foo"):
        assert client.get(page_url(server, name), {"Accept": "text/html"}, cache=False).status == 200
    assert len(seen) == 3
    assert len({id(sock) for sock in seen}) == 1  # one connection, reused
    if hasattr(socket, "TCP_QUICKACK"):
        assert seen[0].family == socket.AF_INET and seen[0].type == socket.SOCK_STREAM
