"""index/sources.py: listing a project's files across indexes (http and file://) and find-links."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.errors import BaleError
from bale.index.simple import ACCEPT
from bale.index.sources import IndexClient, IndexSources
from tests.index.conftest import ClientFactory
from tests.support.fixtures import PkgFactory
from tests.support.servers import StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]
FOO = canonicalize_name("foo")
BAR = canonicalize_name("bar")


def index_client(make_client: ClientFactory, *indexes: str, **sources: object) -> IndexClient:
    settings = IndexSources(index_urls=indexes, **sources) if indexes else IndexSources(**sources)  # type: ignore[arg-type]
    return IndexClient(make_client(), settings)


def test_json_is_negotiated(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    wheel = make_pkg("foo", "1.0", requires_python=">=3.8")
    server = static_index([wheel, make_pkg("foo", "1.1", sdist=True)], yanked={wheel.name: "oops"})
    files = index_client(make_client, server.url).project_files(FOO)
    assert [(f.filename, f.version) for f in files] == [
        ("foo-1.0-py3-none-any.whl", Version("1.0")),
        ("foo-1.1.tar.gz", Version("1.1")),
    ]
    assert server.requests[0].headers["Accept"] == ACCEPT
    assert files[0].size == wheel.stat().st_size  # only the JSON form carries sizes
    assert files[0].requires_python == ">=3.8" and files[0].yanked == "oops"
    assert files[0].url == server.file_url(wheel.name) and files[0].source == server.url
    assert files[0].metadata_hashes and "sha256" in files[0].hashes


def test_html_only_index(make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory) -> None:
    wheel = make_pkg("foo", "1.0", requires_python=">=3.8,<4")
    server = static_index([wheel], json=False, yanked={wheel.name: ""})
    (only,) = index_client(make_client, server.url).project_files(FOO)
    assert only.size is None
    assert only.requires_python == ">=3.8,<4" and only.yanked == ""
    assert only.url == server.file_url(wheel.name)


def test_missing_project_is_empty_and_memoized(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    server = static_index([make_pkg("foo")])
    client = index_client(make_client, server.url)
    assert client.project_files(BAR) == []
    assert client.project_files(BAR) == []
    assert client.project_files(FOO) == client.project_files(FOO)
    assert server.paths() == ["/simple/bar/", "/simple/foo/"]


def test_prefetch_fetches_each_page_once(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    server = static_index([make_pkg("foo"), make_pkg("bar")])
    server.slow("/simple/", 0.05)
    client = index_client(make_client, server.url)
    client.prefetch([FOO, BAR, FOO])
    assert len(client.project_files(FOO)) == 1 and len(client.project_files(BAR)) == 1
    assert sorted(server.paths()) == ["/simple/bar/", "/simple/foo/"]


def test_first_index_with_the_project_wins(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    primary = static_index([make_pkg("foo", "2.0"), make_pkg("bar", "1.0")])
    extra = static_index([make_pkg("foo", "1.0")])
    client = index_client(make_client, primary.url, extra_index_urls=(extra.url,))
    assert [str(f.version) for f in client.project_files(FOO)] == ["1.0"]
    assert {f.source for f in client.project_files(FOO)} == {extra.url}
    assert [str(f.version) for f in client.project_files(BAR)] == ["1.0"]
    assert primary.paths() == ["/simple/bar/"]  # foo was never asked of the primary index
    assert extra.paths() == ["/simple/foo/", "/simple/bar/"]


def test_index_error_is_not_skipped(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    # A failing index must not silently hand the project to the next one (dependency confusion).
    first = static_index([make_pkg("foo", "1.0")])
    second = static_index([make_pkg("foo", "2.0")])
    first.fail("/simple/foo/", 500, times=None)
    client = index_client(make_client, second.url, extra_index_urls=(first.url,))
    with pytest.raises(BaleError, match=r"HTTP 500 Internal Server Error \(3 retries\)"):
        client.project_files(FOO)
    assert second.paths() == []


def test_garbage_page_is_a_clear_error(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    server = static_index([make_pkg("foo")])
    server.garbage("/simple/foo/")
    with pytest.raises(BaleError) as caught:
        index_client(make_client, server.url).project_files(FOO)
    assert caught.value.message.startswith(f"The index page {server.url}/foo/ is not valid JSON")


def test_credentials_in_index_url_stay_out_of_files(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    server = static_index([make_pkg("foo")])
    server.require_auth("alice", "s3cret")
    secret_url = server.url.replace("http://", "http://alice:s3cret@")
    (only,) = index_client(make_client, secret_url).project_files(FOO)
    assert only.source == server.url and "s3cret" not in only.url


def test_file_index(make_pkg: PkgFactory, file_index: Callable[..., str], make_client: ClientFactory) -> None:
    wheel = make_pkg("foo", "1.0", requires_python=">=3.9")
    for options in ({}, {"json": False}):
        url = file_index([wheel, make_pkg("bar", "1.0")], **options)
        client = IndexClient(make_client(offline=True), IndexSources(index_urls=(url,)))
        (only,) = client.project_files(FOO)
        assert only.filename == wheel.name and only.requires_python == ">=3.9"
        assert (
            only.url.startswith("file:///")
            and Path(only.url[len("file://") :]).read_bytes() == wheel.read_bytes()
        )
        assert only.source == url
        assert client.project_files(canonicalize_name("nope")) == []


def test_find_links_folder_and_file_url_and_no_index(
    make_pkg: PkgFactory, find_links_dir: Callable[..., Path], make_client: ClientFactory
) -> None:
    folder = find_links_dir(
        [make_pkg("foo", "1.0"), make_pkg("foo", "1.1", sdist=True), make_pkg("bar", "3")]
    )
    (folder / "notes.txt").write_text("not a distribution")
    for location in (str(folder), folder.as_uri()):
        client = IndexClient(make_client(offline=True), IndexSources(find_links=(location,), no_index=True))
        files = client.project_files(FOO)
        assert [f.filename for f in files] == ["foo-1.0-py3-none-any.whl", "foo-1.1.tar.gz"]
        assert files[0].url == (folder / "foo-1.0-py3-none-any.whl").as_uri()
        assert files[0].source == location


def test_find_links_are_added_to_the_index(
    make_pkg: PkgFactory,
    static_index: StartIndex,
    find_links_dir: Callable[..., Path],
    make_client: ClientFactory,
) -> None:
    server = static_index([make_pkg("foo", "1.0")])
    folder = find_links_dir([make_pkg("foo", "2.0")])
    client = IndexClient(make_client(), IndexSources(index_urls=(server.url,), find_links=(str(folder),)))
    assert sorted(str(f.version) for f in client.project_files(FOO)) == ["1.0", "2.0"]


def test_remote_find_links_page(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    server = static_index([make_pkg("foo", "1.0"), make_pkg("bar", "1.0")])
    (server.root / "links.html").write_text(
        '<html><body><a href="files/foo-1.0-py3-none-any.whl">foo</a>'
        '<a href="files/bar-1.0-py3-none-any.whl">bar</a></body></html>'
    )
    links = f"{server.base}/links.html"
    client = IndexClient(make_client(), IndexSources(find_links=(links,), no_index=True))
    (foo,) = client.project_files(FOO)
    (bar,) = client.project_files(BAR)
    assert foo.url == server.file_url("foo-1.0-py3-none-any.whl") and bar.source == links
    assert server.paths() == ["/links.html"]  # one fetch serves every project


def test_missing_find_links_location(tmp_path: Path, make_client: ClientFactory) -> None:
    client = IndexClient(make_client(), IndexSources(find_links=(str(tmp_path / "nope"),), no_index=True))
    with pytest.raises(BaleError, match=r"The find-links location .*nope does not exist"):
        client.project_files(FOO)


def test_search_order() -> None:
    sources = IndexSources(
        index_urls=("https://a/simple",), extra_index_urls=("https://b/simple", "https://a/simple")
    )
    assert sources.search_order() == ("https://b/simple", "https://a/simple")
    assert IndexSources().search_order() == ("https://pypi.org/simple",)
    assert IndexSources(no_index=True).search_order() == ()
