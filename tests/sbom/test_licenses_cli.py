"""``bale licenses``: each locked package's licence, read from metadata files only: table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.sbom.helpers import locked_demo

TABLE = """\
Package   Version  License            From
app       1.0      MIT                License-Expression
bsdish    1.0      BSD License        Classifier
classic   1.0      ISC                Classifier
devtool   1.0      MIT OR Apache-2.0  License-Expression
lib       2.0      BSD-3-Clause       License
localpkg  1.5      Apache-2.0         License-Expression
mystery   1.0      UNKNOWN            -
"""
UNKNOWN_WARNING = "warning: 1 package with an unknown licence (UNKNOWN): mystery 1.0\n"


def test_licenses_reads_only_metadata_files_and_flags_unknown(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    server.requests.clear()
    # A cache that `bale lock` did not fill: every licence must come over the network.
    cold = {"BALE_CACHE_DIR": str(tmp_path / "cold-cache")}
    result = run_bale("licenses", "-i", server.url, cwd=root, env=cold)
    assert (result.code, result.stdout, result.stderr) == (0, TABLE, UNKNOWN_WARNING), result
    fetched = sorted(path for path in server.paths() if path.startswith("/files/"))
    assert fetched == [
        f"/files/{name}-1.0-py3-none-any.whl.metadata" for name in ("app", "bsdish", "classic", "devtool")
    ] + ["/files/lib-2.0-py3-none-any.whl.metadata", "/files/mystery-1.0-py3-none-any.whl.metadata"]
    assert not [p for p in server.paths() if p.endswith(".whl")], server.paths()
    assert server.count("/simple/") == 0  # the lock names the files: no index page is read

    # A warm cache (the one `bale lock` filled) answers without a single request.
    server.requests.clear()
    warm = run_bale("licenses", "-i", server.url, cwd=root)
    assert (warm.code, warm.stdout) == (0, TABLE), warm
    assert server.paths() == []


def test_licenses_as_json_and_csv(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    shown = run_bale("licenses", "--format", "json", "-i", server.url, cwd=root)
    assert (shown.code, shown.stderr) == (0, UNKNOWN_WARNING), shown
    data = json.loads(shown.stdout)
    assert data["unknown"] == 1
    by_name = {entry["name"]: entry for entry in data["packages"]}
    assert list(by_name) == ["app", "bsdish", "classic", "devtool", "lib", "localpkg", "mystery"]
    assert by_name["app"] == {
        "name": "app",
        "version": "1.0",
        "license": "MIT",
        "spdx": "MIT",
        "source": "License-Expression",
    }
    assert by_name["bsdish"] == {
        "name": "bsdish",
        "version": "1.0",
        "license": "BSD License",
        "spdx": None,
        "source": "Classifier",
    }
    assert by_name["mystery"] == {
        "name": "mystery",
        "version": "1.0",
        "license": "UNKNOWN",
        "spdx": None,
        "source": None,
    }

    table = run_bale("licenses", "--format", "csv", "-i", server.url, cwd=root)
    assert table.code == 0, table
    rows = list(csv.reader(io.StringIO(table.stdout)))
    assert rows[0] == ["name", "version", "license", "spdx", "source"]
    assert rows[1:] == [
        [e["name"], e["version"], e["license"], e["spdx"] or "", e["source"] or ""] for e in data["packages"]
    ]


def test_licenses_follows_the_selection(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    no_dev = run_bale("licenses", "--no-dev", "--format", "json", "-i", server.url, cwd=root)
    assert no_dev.code == 0, no_dev
    assert "devtool" not in [e["name"] for e in json.loads(no_dev.stdout)["packages"]]
    only_dev = run_bale("licenses", "--only-group", "dev", "-i", server.url, cwd=root)
    assert only_dev.code == 0, only_dev
    assert only_dev.stdout.splitlines()[1:] == ["devtool  1.0      MIT OR Apache-2.0  License-Expression"]
    assert only_dev.stderr == ""


def test_licenses_of_an_unreadable_package_are_unknown_with_the_reason(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    cold = {"BALE_CACHE_DIR": str(tmp_path / "cold-cache")}
    result = run_bale("licenses", "--offline", "--no-dev", "-i", server.url, cwd=root, env=cold)
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert lines[1:] and all(" UNKNOWN " in line for line in lines[1:] if not line.startswith("localpkg"))
    assert "warning: Could not read the metadata of app:" in result.stderr
    assert "5 packages with an unknown licence (UNKNOWN): app 1.0, bsdish 1.0" in result.stderr


def test_an_sdist_only_package_is_read_from_its_static_pkg_info(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    from tests.sources.helpers import write_project

    sdist = make_pkg("srconly", "1.0", sdist=True, license="MIT License")
    server = static_index([sdist])
    root = write_project(
        tmp_path / "demo",
        """
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{python}"
        dependencies = ["srconly"]
        """,
    )
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    server.requests.clear()
    cold = {"BALE_CACHE_DIR": str(tmp_path / "cold-cache")}
    result = run_bale("licenses", "-i", server.url, cwd=root, env=cold)
    assert (result.code, result.stderr) == (0, ""), result
    assert result.stdout.splitlines()[1:] == ["srconly  1.0      MIT      License"]
    # The sdist itself (no wheel exists), and no build: its PKG-INFO 2.2 is static.
    assert server.paths() == ["/files/srconly-1.0.tar.gz"]


def test_licenses_refuses_a_lock_that_points_elsewhere(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    # As `bale sync` does: the index the files come from must be configured (here: given again).
    unconfigured = run_bale("licenses", cwd=root)
    assert unconfigured.code == 1, unconfigured
    lock = root / "pylock.toml"
    assert unconfigured.stderr.startswith(
        f"error: Refusing to read the packages of {lock}: app 1.0: its index comes from 127.0.0.1"
    )
    assert "hint: configure that index in [[tool.bale.index]] (or pass --index-url)" in unconfigured.stderr
    # A folder the project does not name would run a stranger's build backend.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lock.write_text(lock.read_text().replace('path = "../localpkg"', 'path = "../elsewhere"'))
    edited = run_bale("licenses", "--frozen", "-i", server.url, cwd=root)
    assert edited.code == 1, edited
    assert edited.stderr.startswith(f"error: Refusing to read the packages of {lock}:"), edited
    assert "elsewhere" in edited.stderr
