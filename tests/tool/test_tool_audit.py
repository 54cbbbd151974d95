"""`bale tool audit`: the installed tools' environments through the same audit as `bale audit`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audit.test_audit_cli import advisory
from tests.support.osv_server import SHARED_ZIP, OsvServer

ENTRY = {"console_scripts": {"vtool": "vtool:main"}}


@pytest.fixture
def tool_env(tmp_path: Path) -> dict[str, str]:
    return {
        "BALE_TOOL_DIR": str(tmp_path / "tools"),
        "BALE_TOOL_BIN_DIR": str(tmp_path / "bin"),
        "PATH": os.environ["PATH"],
    }


@pytest.fixture
def osv() -> Iterator[OsvServer]:
    server = OsvServer([advisory("PYSEC-2026-7", "dep", [{"introduced": "0"}, {"fixed": "1.1"}])]).start()
    yield server
    server.stop()


def _install_two(make_pkg, static_index, run_bale, tool_env, dep: str) -> None:
    name, _, version = dep.partition("==")
    server = static_index(
        [
            make_pkg(name, version),
            make_pkg("vtool", "1.0", requires_dist=[dep], entry_points=ENTRY),
            make_pkg("clean", "2.0", entry_points={"console_scripts": {"clean": "clean:main"}}),
        ]
    )
    for tool in ("vtool", "clean"):
        done = run_bale("tool", "install", tool, "--index-url", server.url, env=tool_env)
        assert done.code == 0, done


def test_each_tool_is_audited_and_a_finding_fails(
    make_pkg, static_index, run_bale, tool_env, osv: OsvServer
) -> None:
    _install_two(make_pkg, static_index, run_bale, tool_env, "dep==1.0")
    result = run_bale("tool", "audit", "--update-db", "--db-url", osv.db_url, env=tool_env)
    assert result.code == 1, result
    lines = result.stdout.splitlines()
    assert lines[0] == "clean 2.0: No known vulnerabilities found"
    assert lines[1] == "vtool 1.0: Found 1 known vulnerability in 1 package"
    assert lines[3].split() == ["dep", "1.0", "PYSEC-2026-7", "-", "1.1"]
    assert "Audited 2 tools (3 packages)" in result.stderr
    assert "Known vulnerabilities in vtool" in result.stderr
    # The database is in the cache now: offline gives the same answer, as JSON keyed by tool.
    offline = run_bale("tool", "audit", "--offline", "--format", "json", env=tool_env)
    assert offline.code == 1, offline
    data = json.loads(offline.stdout)
    assert sorted(data) == ["clean", "vtool"]
    assert [v["id"] for v in data["vtool"]["vulnerabilities"]] == ["PYSEC-2026-7"]
    assert data["clean"]["vulnerabilities"] == [] and data["vtool"]["version"] == "1.0"
    # One tool by name, the finding ignored: nothing remains, exit 0.
    ignored = run_bale("tool", "audit", "vtool", "--offline", "--ignore", "PYSEC-2026-7", env=tool_env)
    assert ignored.code == 0, ignored
    assert ignored.stdout == "vtool 1.0: No known vulnerabilities found\n"
    assert "vtool: ignored PYSEC-2026-7 in dep 1.0" in ignored.stderr
    unknown = run_bale("tool", "audit", "nope", "--offline", env=tool_env)
    assert unknown.code == 2 and "error: Not installed: nope" in unknown.stderr, unknown
    assert "Traceback" not in unknown.stderr


def test_the_shared_osv_snapshot_as_a_db_file(make_pkg, static_index, run_bale, tool_env) -> None:
    if not SHARED_ZIP.is_file():
        pytest.skip(f"the shared OSV data is not at {SHARED_ZIP}")
    _install_two(make_pkg, static_index, run_bale, tool_env, "AccessControl==4.2")
    result = run_bale("tool", "audit", "--db", SHARED_ZIP, "--format", "json", env=tool_env)
    assert result.code == 1, result
    data = json.loads(result.stdout)
    assert "PYSEC-2021-335" in {v["id"] for v in data["vtool"]["vulnerabilities"]}
    assert data["clean"]["vulnerabilities"] == []


def test_no_tools_is_a_clean_run(run_bale, tool_env) -> None:
    result = run_bale("tool", "audit", "--offline", env=tool_env)
    assert result.code == 0 and "No tools installed" in result.stderr, result
