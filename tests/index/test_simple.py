"""index/simple.py: PEP 691 JSON and PEP 503 HTML project pages parsed into IndexFile values."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.errors import BaleError
from bale.index.simple import JSON_V1, parse_links_page, parse_project_page
from bale.model.dists import FileKind

PAGE = "https://example.org/simple/foo-bar/"
FOO = canonicalize_name("foo-bar")
DIGEST = "ab" * 32


def html_page(*links: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{''.join(links)}</body></html>".encode()


def test_html_page_attributes() -> None:
    body = html_page(
        f'<a href="../../files/foo_bar-1.0-py3-none-any.whl#sha256={DIGEST.upper()}" '
        f'data-requires-python="&gt;=3.8,&lt;4" data-core-metadata="sha256={"cd" * 32}">x</a>',
        '<a href="https://files.example.org/foo-bar-1.0.tar.gz" data-yanked="broken build">y</a>',
        '<a href="/p/foo_bar-2.0-py3-none-any.whl" data-yanked>z</a>',
        '<a href="/p/foo_bar-3.0-py3-none-any.whl" data-dist-info-metadata="true" data-yanked="">z</a>',
    )
    files = parse_project_page(body, "text/html", PAGE, FOO, source="https://example.org/simple")
    assert [f.filename for f in files] == [
        "foo_bar-1.0-py3-none-any.whl",
        "foo-bar-1.0.tar.gz",
        "foo_bar-2.0-py3-none-any.whl",
        "foo_bar-3.0-py3-none-any.whl",
    ]
    wheel, sdist, bare_yank, empty_yank = files
    assert wheel.url == "https://example.org/files/foo_bar-1.0-py3-none-any.whl"
    assert dict(wheel.hashes) == {"sha256": DIGEST}
    assert wheel.requires_python == ">=3.8,<4"
    assert wheel.metadata_hashes == {"sha256": "cd" * 32}
    assert wheel.yanked is None and not wheel.is_yanked
    assert wheel.kind is FileKind.WHEEL and wheel.version == Version("1.0")
    assert wheel.source == "https://example.org/simple"
    assert sdist.kind is FileKind.SDIST and sdist.url == "https://files.example.org/foo-bar-1.0.tar.gz"
    assert sdist.yanked == "broken build" and sdist.metadata_hashes is None and dict(sdist.hashes) == {}
    assert bare_yank.yanked == "" and bare_yank.is_yanked
    assert bare_yank.url == "https://example.org/p/foo_bar-2.0-py3-none-any.whl"
    assert empty_yank.yanked == "" and empty_yank.metadata_hashes == {}


def test_html_skips_foreign_and_unparseable_links_and_honours_base() -> None:
    body = html_page(
        '<a href="foo_bar-1.0-py3-none-any.whl">ok</a>',
        '<a href="other-1.0.tar.gz">another project</a>',
        '<a href="foo_bar-notes.txt">not a distribution</a>',
        '<a href="foo_bar-1.0-py3-none.whl">bad wheel name</a>',
        "<a>no href</a>",
        head='<base href="https://mirror.example.org/pkgs/">',
    )
    files = parse_project_page(body, "text/html; charset=utf-8", PAGE, FOO)
    assert [f.url for f in files] == ["https://mirror.example.org/pkgs/foo_bar-1.0-py3-none-any.whl"]
    everything = parse_links_page(body, "text/html", PAGE)
    assert sorted(f.filename for f in everything) == ["foo_bar-1.0-py3-none-any.whl", "other-1.0.tar.gz"]


def test_html_percent_encoded_file_name_and_upload_time() -> None:
    body = html_page(
        '<a href="foo_bar-1.0%2Blocal-py3-none-any.whl" data-upload-time="2024-02-03T04:05:06Z">w</a>'
    )
    (only,) = parse_project_page(body, "text/html", PAGE, FOO)
    assert only.filename == "foo_bar-1.0+local-py3-none-any.whl"
    assert only.version == Version("1.0+local")
    assert only.upload_time == datetime(2024, 2, 3, 4, 5, 6, tzinfo=timezone.utc)


def json_page(*files: dict[str, object], version: str = "1.1") -> bytes:
    return json.dumps({"meta": {"api-version": version}, "name": "foo-bar", "files": list(files)}).encode()


def test_json_page_fields() -> None:
    body = json_page(
        {
            "filename": "foo_bar-1.0-py3-none-any.whl",
            "url": "../../files/foo_bar-1.0-py3-none-any.whl",
            "hashes": {"sha256": DIGEST.upper()},
            "requires-python": ">=3.8",
            "core-metadata": {"sha256": "cd" * 32},
            "yanked": False,
            "size": 1234,
            "upload-time": "2023-05-06T07:08:09.123456Z",
        },
        {
            "filename": "foo-bar-1.0.tar.gz",
            "url": "https://files.example.org/foo-bar-1.0.tar.gz#sha256=" + DIGEST,
            "hashes": {},
            "yanked": "security issue",
            "dist-info-metadata": True,
        },
        {"filename": "foo_bar-2.0-py3-none-any.whl", "url": "x.whl", "hashes": {}, "yanked": True},
        {"filename": "unrelated-1.0.tar.gz", "url": "u.tar.gz", "hashes": {}},
        {"filename": "README.md", "url": "README.md", "hashes": {}},
    )
    files = parse_project_page(body, f"{JSON_V1}; charset=utf-8", PAGE, FOO)
    assert [f.filename for f in files] == [
        "foo_bar-1.0-py3-none-any.whl",
        "foo-bar-1.0.tar.gz",
        "foo_bar-2.0-py3-none-any.whl",
    ]
    wheel, sdist, yanked = files
    assert wheel.url == "https://example.org/files/foo_bar-1.0-py3-none-any.whl"
    assert dict(wheel.hashes) == {"sha256": DIGEST}
    assert wheel.requires_python == ">=3.8" and wheel.size == 1234
    assert wheel.metadata_hashes == {"sha256": "cd" * 32}
    assert wheel.upload_time == datetime(2023, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)
    assert wheel.yanked is None
    # Hashes only in the URL fragment still count; the fragment leaves the URL.
    assert sdist.url == "https://files.example.org/foo-bar-1.0.tar.gz"
    assert dict(sdist.hashes) == {"sha256": DIGEST}
    assert sdist.yanked == "security issue" and sdist.metadata_hashes == {}
    assert yanked.yanked == "" and yanked.url == "https://example.org/simple/foo-bar/x.whl"


def test_json_sniffed_without_content_type() -> None:
    body = json_page({"filename": "foo_bar-1.0-py3-none-any.whl", "url": "a.whl", "hashes": {}})
    assert len(parse_project_page(body, "", PAGE, FOO)) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"\x89PNG\x00\x01garbage", JSON_V1, f"The index page {PAGE} is not valid JSON"),
        (b"[1, 2]", JSON_V1, "is not a valid PEP 691 response: the top level is not an object"),
        (b'{"files": {}}', JSON_V1, "'files' is missing or not a list"),
        (b'{"files": [{"url": "x"}]}', JSON_V1, "a file has no 'filename' or 'url' string"),
        (b"\x00\x01\x02 binary", "application/octet-stream", "is neither HTML nor JSON"),
    ],
)
def test_garbage_pages_raise_clear_errors(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(BaleError) as caught:
        parse_project_page(body, content_type, PAGE, FOO)
    assert message in str(caught.value)
    assert PAGE in caught.value.message


def test_json_major_version_two_is_refused() -> None:
    with pytest.raises(BaleError, match=r"simple API version 2\.0; bale understands 1\.x"):
        parse_project_page(json_page(version="2.0"), JSON_V1, PAGE, FOO)
