"""The test bed itself: built archives are valid, index trees are right, servers behave like PyPI."""

from __future__ import annotations

import base64
import csv
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from tests.support.builders import (
    BAD_WHEEL_KINDS,
    Pkg,
    make_bad_wheel,
    make_sdist,
    make_wheel,
    record_hash,
    sha256_of,
)
from tests.support.cli import BaleRunner, bale_env, scrub
from tests.support.fixtures import PkgFactory
from tests.support.index import build_simple_tree, file_index_url, read_core_metadata
from tests.support.servers import PypiServer, StaticIndexServer

JSON = "application/vnd.pypi.simple.v1+json"
# Requests to 127.0.0.1 must not go through a proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def urlopen(url: str | urllib.request.Request, timeout: float = 5) -> http.client.HTTPResponse:
    return _OPENER.open(url, timeout=timeout)  # type: ignore[no-any-return]


# -- helpers ------------------------------------------------------------------------------------------


def pip_env() -> dict[str, str]:
    """The host's pip configuration (extra indexes, find-links) must not reach these installs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def get(
    server: StaticIndexServer, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def record_rows(wheel: Path) -> dict[str, tuple[str, str]]:
    with zipfile.ZipFile(wheel) as archive:
        record_name = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        text = archive.read(record_name).decode()
    return {row[0]: (row[1], row[2]) for row in csv.reader(io.StringIO(text))}


@pytest.fixture
def served(tmp_path: Path) -> tuple[StaticIndexServer, Path]:
    wheel = make_wheel(Pkg("Foo.Bar", "1.0", requires_python=">=3.8"), tmp_path / "dists")
    root = build_simple_tree([wheel], tmp_path / "index")
    return StaticIndexServer(root), wheel


# -- builders -----------------------------------------------------------------------------------------


def test_wheel_is_reproducible_and_record_covers_every_member(tmp_path: Path) -> None:
    pkg = Pkg(
        "My.Pkg",
        "1.0.post1",
        requires_dist=["dep>=1", 'fast-dep; extra == "fast"'],
        entry_points={"console_scripts": {"my-tool": "my_pkg:main"}},
        data={"scripts": {"helper": "#!python\nprint('hi')\n"}, "headers": {"my.h": "int x;\n"}},
    )
    first = make_wheel(pkg, tmp_path / "a")
    second = make_wheel(pkg, tmp_path / "b")
    assert first.name == "my_pkg-1.0.post1-py3-none-any.whl"
    assert first.read_bytes() == second.read_bytes()

    rows = record_rows(first)
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert sorted(rows) == sorted(names)
        for name in names:
            if name.endswith("RECORD"):
                assert rows[name] == ("", "")
                continue
            data = archive.read(name)
            assert rows[name] == (record_hash(data), str(len(data)))
        info = "my_pkg-1.0.post1.dist-info"
        assert (
            archive.read(f"{info}/entry_points.txt").decode() == "[console_scripts]\nmy-tool = my_pkg:main\n"
        )
        assert archive.read(f"{info}/top_level.txt").decode() == "my_pkg\n"
        assert "my_pkg-1.0.post1.data/headers/my.h" in names
        metadata = Metadata.from_email(archive.read(f"{info}/METADATA"), validate=True)
    assert metadata.name == "My.Pkg"
    assert metadata.provides_extra == ["fast"]
    assert [str(r) for r in metadata.requires_dist or []] == ["dep>=1", 'fast-dep; extra == "fast"']


def test_record_hash_is_urlsafe_base64_without_padding() -> None:
    digest = hashlib.sha256(b"x").digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert record_hash(b"x") == f"sha256={expected}"
    assert "=" not in record_hash(b"x")[len("sha256=") :]


def test_compressed_tags_expand_in_wheel_file(tmp_path: Path) -> None:
    tags = "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
    wheel = make_wheel(Pkg("native", "2.0", tags=tags, root_is_purelib=False), tmp_path)
    assert parse_wheel_filename(wheel.name)[1] == Version("2.0")
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("native-2.0.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in text
    assert re.findall(r"^Tag: (.+)$", text, re.M) == [
        "cp311-cp311-manylinux2014_x86_64",
        "cp311-cp311-manylinux_2_17_x86_64",
    ]


def test_extra_metadata_and_explicit_files(tmp_path: Path) -> None:
    pkg = Pkg(
        "odd",
        "0.1",
        files={"odd.py": "X = 1\n", "odd_data/blob.bin": b"\x00\x01"},
        extra_metadata=["Requires-External: libfoo", "Project-URL: Home, https://example.invalid"],
        summary="An odd one",
        license="MIT",
    )
    wheel = make_wheel(pkg, tmp_path)
    text = (read_core_metadata(wheel) or b"").decode()
    assert "Summary: An odd one\nLicense: MIT\n" in text
    assert text.endswith("Requires-External: libfoo\nProject-URL: Home, https://example.invalid\n")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("odd_data/blob.bin") == b"\x00\x01"
        assert archive.read("odd-0.1.dist-info/top_level.txt") == b"odd\nodd_data\n"


def test_sdist_is_reproducible_with_pkg_info_and_pyproject(tmp_path: Path) -> None:
    pkg = Pkg("Sd.Pkg", "3.0", requires_dist=["a", 'b>1; python_version >= "3.8" and extra == "x"'])
    first = make_sdist(pkg, tmp_path / "a")
    assert first.name == "sd_pkg-3.0.tar.gz"
    assert first.read_bytes() == make_sdist(pkg, tmp_path / "b").read_bytes()
    with tarfile.open(first) as archive:
        assert sorted(archive.getnames()) == [
            "sd_pkg-3.0",
            "sd_pkg-3.0/PKG-INFO",
            "sd_pkg-3.0/pyproject.toml",
            "sd_pkg-3.0/sd_pkg",
            "sd_pkg-3.0/sd_pkg/__init__.py",
        ]
        handle = archive.extractfile("sd_pkg-3.0/pyproject.toml")
        assert handle is not None
        pyproject = handle.read().decode()
    assert (read_core_metadata(first) or b"").startswith(b"Metadata-Version: 2.2\nName: Sd.Pkg\n")
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    data = tomllib.loads(pyproject)
    assert data["build-system"]["build-backend"] == "setuptools.build_meta"
    assert data["project"]["dependencies"] == ["a"]
    assert data["project"]["optional-dependencies"] == {"x": ['b>1; python_version >= "3.8"']}
    assert data["tool"]["setuptools"]["packages"] == ["sd_pkg"]


@pytest.mark.parametrize("kind", BAD_WHEEL_KINDS)
def test_bad_wheels_carry_exactly_their_defect(tmp_path: Path, kind: str) -> None:
    wheel = make_bad_wheel(tmp_path, kind)
    assert wheel.name == "evil-1.0-py3-none-any.whl"
    if kind == "truncated":
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(wheel)
        return
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        rows = record_rows(wheel)
        expected_bad = {"traversal": "../evil.txt", "absolute": "/tmp/evil.txt", "drive": "C:/evil.txt"}
        if kind in expected_bad:
            assert expected_bad[kind] in names
            assert rows[expected_bad[kind]][0] == record_hash(archive.read(expected_bad[kind]))
        elif kind == "duplicate":
            assert names.count("evil/__init__.py") == 2
        elif kind == "record-mismatch":
            data = archive.read("evil/__init__.py")
            assert rows["evil/__init__.py"] == (rows["evil/__init__.py"][0], str(len(data)))
            assert rows["evil/__init__.py"][0] != record_hash(data)
        elif kind == "record-missing-file":
            assert "evil/unlisted.py" in names
            assert "evil/unlisted.py" not in rows
        elif kind == "entry-point-path":
            assert (
                "../../bin/evil = evil:main" in archive.read("evil-1.0.dist-info/entry_points.txt").decode()
            )
        if kind not in ("record-mismatch", "duplicate", "record-missing-file"):
            for name in names:
                if not name.endswith("RECORD"):
                    assert rows[name][0] == record_hash(archive.read(name)), name


def test_pip_installs_a_built_wheel(tmp_path: Path, make_pkg: PkgFactory) -> None:
    pytest.importorskip("pip")
    make_pkg("dep-lib", "2.0")
    make_pkg(
        "Hello.World",
        "1.5",
        requires_dist=["dep-lib>=2"],
        entry_points={"console_scripts": {"hello": "hello_world:main"}},
        data={"scripts": {"hello-data": "#!python\nprint('from data')\n"}},
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--find-links",
         str(make_pkg.dir), "hello-world"],
        env=pip_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    code = "import hello_world, dep_lib; print(hello_world.__version__, dep_lib.__version__)"
    probe = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    assert probe.stdout == "1.5 2.0\n"
    assert subprocess.run([str(venv / "bin" / "hello")], capture_output=True, text=True).stdout == (
        "Hello.World 1.5\n"
    )
    assert subprocess.run([str(venv / "bin" / "hello-data")], capture_output=True, text=True).stdout == (
        "from data\n"
    )


def _local_simple_indexes() -> list[Path]:
    """Local (file://) simple indexes the host's pip is configured with: an offline source of build tools."""
    urls = [os.environ.get("PIP_INDEX_URL", ""), os.environ.get("PIP_EXTRA_INDEX_URL", "")]
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    )
    urls += [
        line.partition("=")[2].strip("'\"") for line in listed.stdout.splitlines() if "index-url" in line
    ]
    roots = []
    for value in " ".join(urls).split():
        if value.startswith("file://"):
            roots.append(Path(urllib.request.url2pathname(value[len("file://") :])))
    return roots


def _offline_build_tools(dest: Path) -> bool:
    """Put setuptools (and wheel, if setuptools needs it) found on this machine into ``dest``."""
    candidates: list[Path] = []
    dirs = [Path(p) for p in os.environ.get("BALE_TEST_WHEELHOUSE", "").split(os.pathsep) if p]
    dirs += [Path(p) for p in os.environ.get("PIP_FIND_LINKS", "").split() if p and "://" not in p]
    stdlib = Path(sysconfig.get_path("stdlib"))
    dirs += [stdlib / "ensurepip" / "_bundled", stdlib / "test", stdlib / "test" / "wheeldata"]
    dirs += [Path("/usr/share/python-wheels")]
    for directory in dirs:
        if directory.is_dir():
            candidates += [*directory.glob("setuptools-*.whl"), *directory.glob("wheel-*.whl")]
    for root in _local_simple_indexes():
        for project in ("setuptools", "wheel"):
            page = root / project / "index.html"
            if page.is_file():
                for href in re.findall(r'href="([^"#]+)', page.read_text(encoding="utf-8")):
                    candidates.append((page.parent / urllib.request.url2pathname(href)).resolve())
    found: dict[str, list[tuple[Version, Path]]] = {"setuptools": [], "wheel": []}
    for path in candidates:
        if path.is_file() and path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
            if name in found:
                found[name].append((version, path))
    if not found["setuptools"]:
        return False
    version, setuptools = max(found["setuptools"])
    if version < Version("61"):
        return False
    dest.mkdir(parents=True)
    shutil.copy(setuptools, dest)
    if version < Version("70.1"):  # older setuptools builds wheels through the `wheel` package
        if not found["wheel"]:
            return False
        shutil.copy(max(found["wheel"])[1], dest)
    return True


def test_sdist_builds_into_a_wheel_with_pip(tmp_path: Path) -> None:
    pytest.importorskip("pip")
    tools = tmp_path / "tools"
    if not _offline_build_tools(tools):
        pytest.skip("no setuptools wheel available offline (set BALE_TEST_WHEELHOUSE to a folder with one)")
    sdist = make_sdist(
        Pkg("Built.Here", "0.3", requires_dist=['extra-dep; extra == "more"'],
            entry_points={"console_scripts": {"built": "built_here:main"}}),
        tmp_path / "sdists",
    )  # fmt: skip
    out = tmp_path / "out"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-index", "--find-links", str(tools), "--no-deps",
         "-w", str(out), str(sdist)],
        env=pip_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("*.whl")
    assert wheel.name == "built_here-0.3-py3-none-any.whl"
    metadata = Metadata.from_email(read_core_metadata(wheel) or b"", validate=False)
    assert metadata.provides_extra == ["more"]
    with zipfile.ZipFile(wheel) as archive:
        assert "built_here/__init__.py" in archive.namelist()


# -- index trees --------------------------------------------------------------------------------------


def test_simple_tree_pages_and_metadata_files(tmp_path: Path) -> None:
    wheel = make_wheel(Pkg("Proj.A", "1.0", requires_python=">=3.8,<4"), tmp_path / "d")
    old = make_wheel(Pkg("Proj.A", "0.9"), tmp_path / "d")
    sdist = make_sdist(Pkg("proj-a", "1.0"), tmp_path / "d")
    other = make_wheel(Pkg("other", "5"), tmp_path / "d")
    when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    root = build_simple_tree(
        [wheel, old, sdist, other],
        tmp_path / "idx",
        yanked={old.name: "broken <badly>"},
        requires_python={sdist.name: ">=3.10"},
        upload_times={wheel.name: when},
    )
    assert file_index_url(root) == (tmp_path / "idx" / "simple").resolve().as_uri()
    assert (root / "files" / wheel.name).read_bytes() == wheel.read_bytes()
    assert json.loads((root / "simple" / "index.json").read_text())["projects"] == [
        {"name": "other"},
        {"name": "proj-a"},
    ]
    page = json.loads((root / "simple" / "proj-a" / "index.json").read_text())
    assert page["meta"] == {"api-version": "1.1"}
    assert page["versions"] == ["0.9", "1.0"]
    files = {f["filename"]: f for f in page["files"]}
    metadata_bytes = (root / "files" / f"{wheel.name}.metadata").read_bytes()
    assert metadata_bytes == read_core_metadata(wheel)
    assert files[wheel.name] == {
        "filename": wheel.name,
        "url": f"../../files/{wheel.name}",
        "hashes": {"sha256": sha256_of(wheel)},
        "requires-python": ">=3.8,<4",
        "yanked": False,
        "core-metadata": {"sha256": hashlib.sha256(metadata_bytes).hexdigest()},
        "dist-info-metadata": {"sha256": hashlib.sha256(metadata_bytes).hexdigest()},
        "size": wheel.stat().st_size,
        "upload-time": "2024-05-01T12:00:00.000000Z",
    }
    assert files[old.name]["yanked"] == "broken <badly>"
    assert files[sdist.name]["requires-python"] == ">=3.10"
    assert files[sdist.name]["core-metadata"] is False
    assert not (root / "files" / f"{sdist.name}.metadata").exists()

    html = (root / "simple" / "proj-a" / "index.html").read_text()
    assert 'data-requires-python="&gt;=3.8,&lt;4"' in html
    assert 'data-yanked="broken &lt;badly&gt;"' in html
    assert f'data-core-metadata="sha256={hashlib.sha256(metadata_bytes).hexdigest()}"' in html
    assert f'href="../../files/{wheel.name}#sha256={sha256_of(wheel)}"' in html


def test_simple_tree_without_metadata_or_json(tmp_path: Path) -> None:
    wheel = make_wheel(Pkg("plain", "1"), tmp_path / "d")
    root = build_simple_tree([wheel], tmp_path / "idx", metadata_files=False, json=False)
    assert not (root / "files" / f"{wheel.name}.metadata").exists()
    assert not (root / "simple" / "plain" / "index.json").exists()
    assert "data-core-metadata" not in (root / "simple" / "plain" / "index.html").read_text()


# -- static server ------------------------------------------------------------------------------------


def test_server_negotiates_json_and_html(served: tuple[StaticIndexServer, Path]) -> None:
    server, _ = served
    with server:
        status, headers, body = get(server, "/simple/foo-bar/", {"Accept": JSON})
        assert (status, headers["content-type"]) == (200, JSON)
        assert json.loads(body)["name"] == "foo-bar"
        assert headers["cache-control"] == "max-age=600"
        assert headers["vary"] == "Accept"

        status, headers, body = get(
            server, "/simple/foo-bar/", {"Accept": "application/vnd.pypi.simple.v1+html"}
        )
        assert headers["content-type"] == "application/vnd.pypi.simple.v1+html"
        assert body.startswith(b"<!DOCTYPE html>")
        _, headers, _ = get(server, "/simple/foo-bar/")
        assert headers["content-type"] == "text/html; charset=utf-8"
        preferring_html = f"{JSON};q=0.5, text/html;q=0.9"
        assert get(server, "/simple/foo-bar/", {"Accept": preferring_html})[1]["content-type"].startswith(
            "text/html"
        )
        assert get(server, "/simple/", {"Accept": JSON})[1]["content-type"] == JSON
        assert get(server, "/simple/foo-bar/", {"Accept": "image/png"})[0] == 406
        assert get(server, "/simple/nothing/")[0] == 404


def test_server_redirects_to_normalized_name(served: tuple[StaticIndexServer, Path]) -> None:
    server, _ = served
    with server:
        for path in ("/simple/Foo.Bar/", "/simple/Foo.Bar", "/simple/foo-bar"):
            status, headers, _ = get(server, path)
            assert (status, headers["location"]) == (301, "/simple/foo-bar/"), path
        assert get(server, "/simple")[1]["location"] == "/simple/"
        # urllib follows the redirects: the request log shows both hops.
        request = urllib.request.Request(server.url + "/FOO_bar", headers={"Accept": JSON})
        with urlopen(request) as response:
            assert response.url == server.url + "/foo-bar/"
        assert [(r.path, r.status) for r in server.requests[-2:]] == [
            ("/simple/FOO_bar", 301),
            ("/simple/foo-bar/", 200),
        ]
        assert server.requests[-1].headers["Accept"] == JSON


def test_server_ranges_head_and_conditional_requests(served: tuple[StaticIndexServer, Path]) -> None:
    server, wheel = served
    data = wheel.read_bytes()
    path = f"/files/{wheel.name}"
    with server:
        status, headers, body = get(server, path, {"Range": "bytes=0-9"})
        assert (status, body, headers["content-range"]) == (206, data[:10], f"bytes 0-9/{len(data)}")
        status, headers, body = get(server, path, {"Range": "bytes=-22"})
        assert (status, body) == (206, data[-22:])
        assert headers["content-range"] == f"bytes {len(data) - 22}-{len(data) - 1}/{len(data)}"
        assert get(server, path, {"Range": f"bytes={len(data) - 5}-"})[2] == data[-5:]
        status, headers, _ = get(server, path, {"Range": f"bytes={len(data)}-"})
        assert (status, headers["content-range"]) == (416, f"bytes */{len(data)}")

        status, headers, body = get(server, path, method="HEAD")
        assert (status, body, int(headers["content-length"])) == (200, b"", len(data))
        assert headers["accept-ranges"] == "bytes"

        _, headers, _ = get(server, "/simple/foo-bar/", {"Accept": JSON})
        status, again, body = get(
            server, "/simple/foo-bar/", {"Accept": JSON, "If-None-Match": headers["etag"]}
        )
        assert (status, body, again["etag"]) == (304, b"", headers["etag"])
        # The HTML representation has its own ETag.
        assert get(server, "/simple/foo-bar/", {"If-None-Match": headers["etag"]})[0] == 200
        assert get(server, "/simple/foo-bar/", {"If-Modified-Since": headers["last-modified"]})[0] == 304

        server.disable_ranges()
        status, headers, body = get(server, path, {"Range": "bytes=0-9"})
        assert (status, body) == (200, data)
        assert "accept-ranges" not in headers


def test_server_faults(served: tuple[StaticIndexServer, Path]) -> None:
    server, wheel = served
    path = f"/files/{wheel.name}"
    data = wheel.read_bytes()
    with server:
        server.fail(".whl", status=503, times=2)
        assert [get(server, path)[0] for _ in range(3)] == [503, 503, 200]

        server.garbage("foo-bar")
        status, headers, body = get(server, "/simple/foo-bar/", {"Accept": JSON})
        assert (status, headers["content-type"]) == (200, JSON)
        with pytest.raises(ValueError):
            json.loads(body)

        server.truncate(".whl")
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        connection.request("GET", path)
        response = connection.getresponse()
        assert int(response.headers["Content-Length"]) == len(data)
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
        assert caught.value.partial == data[: len(data) // 2]
        connection.close()

        server.clear_faults()
        server.slow("/simple/", 0.3)
        started = time.monotonic()
        assert get(server, "/simple/")[0] == 200
        assert time.monotonic() - started >= 0.3

        server.clear_faults()
        assert get(server, f"{path}.metadata")[0] == 200
        server.disable_metadata()
        assert get(server, f"{path}.metadata")[0] == 404

        server.require_auth("alice", "s3cret")
        status, headers, _ = get(server, "/simple/")
        assert (status, headers["www-authenticate"]) == (401, 'Basic realm="bale-testbed"')
        token = base64.b64encode(b"alice:s3cret").decode()
        assert get(server, "/simple/", {"Authorization": f"Basic {token}"})[0] == 200
        assert server.count(".metadata") == 2


def test_metadata_fetch_is_visible_in_the_log(served: tuple[StaticIndexServer, Path]) -> None:
    server, wheel = served
    with server:
        get(server, f"/files/{wheel.name}.metadata")
        get(server, f"/files/{wheel.name}", {"Range": "bytes=-100"})
        method, path, headers, status = server.requests[-1]
        assert (method, path, headers["range"], status) == ("GET", f"/files/{wheel.name}", "bytes=-100", 206)
        assert server.paths("GET") == [f"/files/{wheel.name}.metadata", f"/files/{wheel.name}"]


def test_static_index_fixture_serves_files(
    make_pkg: PkgFactory, static_index: Callable[..., StaticIndexServer]
) -> None:
    wheel = make_pkg("fixture-pkg", "1.2")
    server = static_index([wheel], yanked={wheel.name: ""})
    with urlopen(
        urllib.request.Request(server.url + "/fixture-pkg/", headers={"Accept": JSON}), timeout=5
    ) as response:
        page = json.loads(response.read())
    assert page["files"][0]["yanked"] is True
    url = urllib.parse.urljoin(server.url + "/fixture-pkg/", page["files"][0]["url"])
    with urlopen(url) as response:
        assert response.read() == wheel.read_bytes()


def test_file_index_and_find_links_fixtures(
    make_pkg: PkgFactory, file_index: Callable[..., str], find_links_dir: Callable[..., Path]
) -> None:
    wheel = make_pkg("local", "1.0")
    url = file_index([wheel])
    assert url.startswith("file://") and url.endswith("/simple")
    page = Path(urllib.request.url2pathname(url[len("file://") :])) / "local" / "index.json"
    assert json.loads(page.read_text())["files"][0]["filename"] == wheel.name
    folder = find_links_dir([wheel])
    assert [p.name for p in folder.iterdir()] == [wheel.name]


# -- pypiserver ---------------------------------------------------------------------------------------


def test_pypiserver_lists_copied_wheels(make_pkg: PkgFactory, pypiserver: PypiServer) -> None:
    assert pypiserver.url.endswith("/simple/")
    wheel = make_pkg("Served.Pkg", "1.0")
    pypiserver.add(wheel)
    with urlopen(pypiserver.url) as response:
        assert "served-pkg" in response.read().decode()
    with urlopen(pypiserver.url + "served-pkg/") as response:
        page = response.read().decode()
    assert f"{wheel.name}#sha256={sha256_of(wheel)}" in page
    assert "data-core-metadata" not in page
    href = re.search(r'href="([^"#]+)#', page)
    assert href is not None
    with urlopen(urllib.parse.urljoin(pypiserver.url + "served-pkg/", href.group(1))) as response:
        assert response.read() == wheel.read_bytes()
    # Rescanned per request: a file dropped later shows up without a restart.
    pypiserver.add(make_pkg("Served.Pkg", "2.0"))
    with urlopen(pypiserver.url + "served-pkg/") as response:
        assert "served_pkg-2.0-py3-none-any.whl" in response.read().decode()


def test_pypiserver_starts_empty_for_each_test(pypiserver: PypiServer) -> None:
    assert list(pypiserver.packages_dir.iterdir()) == []


def test_pypiserver_with_auth(make_pkg: PkgFactory, pypiserver_factory: Callable[..., PypiServer]) -> None:
    server = pypiserver_factory([make_pkg("secret", "1.0")], auth=("bob", "pw"), authenticate="list,download")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urlopen(server.url + "secret/")
    assert caught.value.code == 401


# -- CLI runner ---------------------------------------------------------------------------------------


def test_scrub_paths_timings_and_ports(tmp_path: Path) -> None:
    text = (
        f"Installed 3 packages in 0.41s into {tmp_path}/venv\n"
        f"index {(tmp_path / 'idx').as_uri()} at http://127.0.0.1:41234/simple (12ms)\n"
    )
    assert scrub(text, {tmp_path: "[TMP]"}) == (
        "Installed 3 packages in [TIME] into [TMP]/venv\n"
        "index file://[TMP]/idx at http://127.0.0.1:[PORT]/simple ([TIME])\n"
    )


def test_bale_env_is_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/else")
    monkeypatch.setenv("BALE_INDEX_URL", "https://example.invalid/simple")
    monkeypatch.setenv("PIP_INDEX_URL", "https://example.invalid/simple")
    env = bale_env(tmp_path, extra={"EXTRA": "1", "NO_COLOR": None})
    assert env["BALE_CACHE_DIR"] == str(tmp_path / "cache")
    assert "VIRTUAL_ENV" not in env and "BALE_INDEX_URL" not in env and "PIP_INDEX_URL" not in env
    assert env["EXTRA"] == "1" and "NO_COLOR" not in env
    assert bale_env(tmp_path, virtual_env=tmp_path / "v")["VIRTUAL_ENV"] == str(tmp_path / "v")


def test_run_bale_runs_python_dash_m_bale(tmp_path: Path) -> None:
    # A stand-in `bale` package on PYTHONPATH shows what the runner passes, independent of the real CLI.
    fake = tmp_path / "fake"
    (fake / "bale").mkdir(parents=True)
    (fake / "bale" / "__init__.py").write_text("")
    (fake / "bale" / "__main__.py").write_text(
        "import json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'cwd': os.getcwd(),"
        " 'env': {k: os.environ.get(k) for k in ('BALE_CACHE_DIR', 'NO_COLOR', 'VIRTUAL_ENV')}}))\n"
        "print('oops', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    runner = BaleRunner(tmp_path / "home", cwd=tmp_path)
    result = runner("pip", "install", Path("x"), cwd=tmp_path / "work", env={"PYTHONPATH": str(fake)})
    assert (result.code, result.stderr) == (3, "oops\n")
    seen = json.loads(result.stdout)
    assert seen["argv"] == ["pip", "install", "x"]
    assert Path(seen["cwd"]) == (tmp_path / "work").resolve()
    assert seen["env"] == {
        "BALE_CACHE_DIR": str(tmp_path / "home" / "cache"),
        "NO_COLOR": "1",
        "VIRTUAL_ENV": None,
    }


def test_network_marker_is_skipped_by_default(request: pytest.FixtureRequest) -> None:
    assert request.config.getoption("--run-network") in (False, True)


@pytest.mark.network
def test_network_marked_tests_only_run_when_asked(request: pytest.FixtureRequest) -> None:
    assert request.config.getoption("--run-network") is True
