"""index/metadata.py: METADATA from PEP 658 files, an unadvertised probe, byte ranges or the whole wheel."""

from __future__ import annotations

import dataclasses
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from bale.errors import BaleError, HashMismatchError
from bale.index.metadata import MetadataFetcher, fetch_metadata, parse_metadata
from bale.index.sources import IndexClient, IndexSources
from bale.model.dists import IndexFile
from tests.index.conftest import ClientFactory
from tests.support.builders import Pkg
from tests.support.fixtures import PkgFactory
from tests.support.index import build_simple_tree, read_core_metadata
from tests.support.servers import StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]
FOO = canonicalize_name("foo")


def listed(make_client: ClientFactory, server: StaticIndexServer, name: str = "foo") -> list[IndexFile]:
    files = IndexClient(make_client(), IndexSources(index_urls=(server.url,))).project_files(
        canonicalize_name(name)
    )
    server.requests.clear()
    return files


def wheel_requests(server: StaticIndexServer) -> list[tuple[str, int, str | None]]:
    """(path, status, Range header) of every request for a wheel itself (not its .metadata)."""
    return [(r.path, r.status, r.headers.get("Range")) for r in server.requests if r.path.endswith(".whl")]


@pytest.fixture
def wheel(make_pkg: PkgFactory) -> Path:
    return make_pkg(Pkg("foo", "1.0", requires_dist=["dep>=1", 'extra-dep; extra == "x"']))


def test_advertised_metadata_file(
    wheel: Path, static_index: StartIndex, make_client: ClientFactory, tmp_path: Path
) -> None:
    server = static_index([wheel])
    (file,) = listed(make_client, server)
    fetcher = MetadataFetcher(make_client(), cache_dir=tmp_path / "meta")
    data = fetcher.fetch(file)
    assert data == read_core_metadata(wheel)
    assert server.paths() == [f"/files/{wheel.name}.metadata"]
    assert wheel_requests(server) == []
    parsed = parse_metadata(data, wheel.name)
    assert parsed.name == "foo"
    assert [str(r) for r in parsed.requires_dist or []] == ["dep>=1", 'extra-dep; extra == "x"']
    # Warm: a new fetcher over the same cache makes no request at all.
    again = MetadataFetcher(make_client(), cache_dir=tmp_path / "meta").fetch(file)
    assert again == data and len(server.requests) == 1


def test_advertised_metadata_hash_is_checked(
    wheel: Path, static_index: StartIndex, make_client: ClientFactory
) -> None:
    server = static_index([wheel])
    (file,) = listed(make_client, server)
    lying = dataclasses.replace(file, metadata_hashes={"sha256": "0" * 64})
    with pytest.raises(
        HashMismatchError, match=rf"Hash mismatch for {server.file_url(wheel.name)}\.metadata"
    ):
        fetch_metadata(make_client(), lying)


def test_unadvertised_metadata_file_is_probed(
    wheel: Path, make_pkg: PkgFactory, make_client: ClientFactory, tmp_path: Path
) -> None:
    root = build_simple_tree([wheel], tmp_path / "index", metadata_files=False)
    (root / "files" / f"{wheel.name}.metadata").write_bytes(read_core_metadata(wheel) or b"")
    with StaticIndexServer(root) as server:
        (file,) = listed(make_client, server)
        assert file.metadata_hashes is None
        assert fetch_metadata(make_client(), file) == read_core_metadata(wheel)
        assert server.paths() == [f"/files/{wheel.name}.metadata"]


def test_failed_probe_is_remembered_per_host_and_ranges_used(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    wheels = [make_pkg("foo", "1.0"), make_pkg("foo", "2.0")]
    server = static_index(wheels, metadata_files=False)
    files = listed(make_client, server)
    fetcher = MetadataFetcher(make_client())
    for file, wheel in zip(files, wheels, strict=True):
        assert fetcher.fetch(file) == read_core_metadata(wheel)
    assert server.count(".metadata") == 1
    assert [(status, rng) for _, status, rng in wheel_requests(server)] == [(206, "bytes=-65536")] * 2


def test_ranges_when_metadata_files_are_missing(
    wheel: Path, static_index: StartIndex, make_client: ClientFactory
) -> None:
    server = static_index([wheel])
    server.disable_metadata()  # still advertised, but 404
    (file,) = listed(make_client, server)
    assert fetch_metadata(make_client(), file) == read_core_metadata(wheel)
    assert wheel_requests(server) == [(f"/files/{wheel.name}", 206, "bytes=-65536")]


def big_wheel(folder: Path, *, zip64_member: bool = False) -> tuple[Path, bytes]:
    """A wheel whose METADATA comes first, followed by 200 KiB of noise: it is far from the zip's tail."""
    metadata = b"Metadata-Version: 2.1\nName: foo\nVersion: 3.0\nRequires-Dist: dep\n" + b"Summary: x\n" * 50
    path = folder / "foo-3.0-py3-none-any.whl"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("foo-3.0.dist-info/METADATA", "w", force_zip64=zip64_member) as member:
            member.write(metadata)
        archive.writestr("foo/noise.bin", os.urandom(200 * 1024))
        archive.writestr("foo-3.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")
        archive.writestr("foo-3.0.dist-info/RECORD", "")
    return path, metadata


@pytest.mark.parametrize("zip64_member", [False, True])
def test_ranges_reach_a_member_outside_the_tail(
    tmp_path: Path, static_index: StartIndex, make_client: ClientFactory, zip64_member: bool
) -> None:
    path, metadata = big_wheel(tmp_path / "dists", zip64_member=zip64_member)
    server = static_index([path], metadata_files=False)
    (file,) = listed(make_client, server)
    assert fetch_metadata(make_client(), file) == metadata
    requests = wheel_requests(server)
    assert [status for _, status, _ in requests] == [206, 206]
    assert requests[0][2] == "bytes=-65536" and requests[1][2].startswith("bytes=0-")


def test_whole_download_when_ranges_are_ignored(
    wheel: Path, static_index: StartIndex, make_client: ClientFactory, tmp_path: Path
) -> None:
    server = static_index([wheel])
    server.disable_metadata()
    server.disable_ranges()
    (file,) = listed(make_client, server)
    fetcher = MetadataFetcher(make_client(), cache_dir=tmp_path / "meta")
    assert fetcher.fetch(file) == read_core_metadata(wheel)
    assert [status for _, status, _ in wheel_requests(server)] == [
        200,
        200,
    ]  # the range try, then the download
    assert [p.name for p in (tmp_path / "meta").rglob("*") if p.is_file()] != []
    assert not list((tmp_path / "meta").glob(".wheel-*"))  # the temp download is gone


def test_download_callback_is_used(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory, tmp_path: Path
) -> None:
    wheels = [make_pkg("foo", "1.0"), make_pkg("foo", "2.0")]
    server = static_index(wheels, metadata_files=False)
    server.disable_ranges()
    files = listed(make_client, server)
    client = make_client()
    downloaded: list[str] = []

    def download(file: IndexFile) -> Path:
        downloaded.append(file.filename)
        dest = tmp_path / "wheels" / file.filename
        client.download(file.url, dest, expected=file.hashes)
        return dest

    fetcher = MetadataFetcher(client, download=download)
    for file, wheel in zip(files, wheels, strict=True):
        assert fetcher.fetch(file) == read_core_metadata(wheel)
    assert downloaded == [w.name for w in wheels]
    # The host's lack of ranges and .metadata is learnt once: the second wheel is only downloaded.
    assert server.count(".metadata") == 1
    assert [status for _, status, _ in wheel_requests(server)] == [200, 200, 200]


def test_file_url_wheel_is_read_directly(
    wheel: Path, find_links_dir: Callable[..., Path], make_client: ClientFactory
) -> None:
    folder = find_links_dir([wheel])
    client = make_client(offline=True)
    (file,) = IndexClient(client, IndexSources(find_links=(str(folder),), no_index=True)).project_files(FOO)
    assert fetch_metadata(client, file) == read_core_metadata(wheel)


def test_sdist_without_metadata_file_needs_a_build(
    make_pkg: PkgFactory, static_index: StartIndex, make_client: ClientFactory
) -> None:
    server = static_index([make_pkg("foo", "1.0", sdist=True)])
    (file,) = listed(make_client, server)
    with pytest.raises(
        BaleError, match=r"foo-1.0.tar.gz is a source distribution: its metadata needs a build"
    ):
        fetch_metadata(make_client(), file)
    assert wheel_requests(server) == [] and server.paths() == []


def test_parse_metadata_names_file_and_field() -> None:
    with pytest.raises(BaleError) as caught:
        parse_metadata(
            b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nRequires-Dist: dep >= = 1\n", "foo.whl"
        )
    assert caught.value.message.startswith("Invalid metadata in foo.whl: field requires-dist:")
    with pytest.raises(BaleError, match=r"Invalid metadata in bar\.whl: field version"):
        parse_metadata(b"Metadata-Version: 2.1\nName: bar\nVersion: not a version\n", "bar.whl")
