"""Output a person can follow: uv's summaries, JSON documents on stdout, tree formats, live progress."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.cli.conftest import make_stdlib_venv
from tests.support.cli import scrub


def _project(tmp_path: Path, dependencies: list[str]) -> Path:
    root = tmp_path / "demo"
    root.mkdir(exist_ok=True)
    major, minor = sys.version_info[:2]
    listed = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "demo"
            version = "0.1.0"
            requires-python = ">={major}.{minor}"
            dependencies = [{listed}]
            """
        )
    )
    return root


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("app", "1.0", requires_dist=["lib"]),
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0"),
        make_pkg("gone", "1.0"),
        make_pkg("fresh", "1.0"),
    ]


def test_lock_reports_updated_added_and_removed_as_uv(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, ["app", "lib<2", "gone"])
    first = run_bale("lock", "-i", server.url, cwd=root)
    assert first.code == 0, first
    assert scrub(first.stderr) == "Resolved 3 packages in [TIME]\n"  # a first lock lists no changes

    _project(tmp_path, ["app", "lib>=2", "fresh"])
    second = run_bale("lock", "-i", server.url, cwd=root)
    assert second.code == 0, second
    assert second.stdout == ""
    assert scrub(second.stderr) == (
        "Resolved 3 packages in [TIME]\nAdded fresh v1.0\nRemoved gone v1.0\nUpdated lib v1.0 -> v2.0\n"
    )
    # The next run changes nothing, says nothing more, and its replay (the same run again) neither.
    for _ in range(2):
        again = run_bale("lock", "-i", server.url, cwd=root)
        assert again.code == 0, again
        assert scrub(again.stderr) == "Resolved 3 packages in [TIME]\n"


def test_sync_summary_lists_removed_before_added_by_name(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, ["app", "lib<2"])
    first = run_bale("sync", "-i", server.url, cwd=root)
    assert first.code == 0, first
    _project(tmp_path, ["app", "lib>=2"])
    second = run_bale("sync", "-i", server.url, cwd=root)
    assert second.code == 0, second
    assert scrub(second.stderr, {root: "[ROOT]"}) == (
        "Resolved 2 packages in [TIME]\n"
        "Updated lib v1.0 -> v2.0\n"
        "Uninstalled 1 package\n"
        "Installed 1 package in [TIME]\n"
        " - lib==1.0\n"
        " + lib==2.0\n"
    )


def test_sync_json_is_one_document_on_stdout(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, ["app", "lib<2"])
    first = run_bale("sync", "-i", server.url, "--output-format", "json", cwd=root)
    assert first.code == 0, first
    document = json.loads(first.stdout)
    assert list(document) == ["environment", "created", "lock", "audited", "installed", "removed", "updated"]
    assert document["created"] is True
    assert document["lock"] == {
        "path": str(root / "pylock.toml"),
        "resolved": 2,
        "written": True,
        "changes": [],
    }
    names = [(item["name"], item["version"]) for item in document["installed"]]
    assert names == [("app", "1.0"), ("lib", "1.0")]
    assert " + lib==1.0" in first.stderr  # the human lines stay on stderr

    _project(tmp_path, ["app", "lib>=2"])
    second = run_bale("sync", "-i", server.url, "--output-format", "json", cwd=root)
    assert second.code == 0, second
    document = json.loads(second.stdout)
    assert document["lock"]["changes"] == [
        {"action": "updated", "name": "lib", "old": ["1.0"], "new": ["2.0"]}
    ]
    assert document["updated"] == [{"name": "lib", "old": "1.0", "new": "2.0"}]
    assert document["installed"] == [{"name": "lib", "version": "2.0"}]
    assert document["removed"] == [{"name": "lib", "version": "1.0"}]

    noop = run_bale("sync", "-i", server.url, "--output-format", "json", cwd=root)
    assert noop.code == 0, noop
    document = json.loads(noop.stdout)
    assert document["lock"] is None and document["installed"] == [] and document["audited"] == 2
