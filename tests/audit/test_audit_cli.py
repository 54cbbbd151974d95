"""`bale audit` and `bale pip audit` through the CLI: a project's lock, lock files, requirements files and
environments, against an OSV server and an OSV export on 127.0.0.1, in every output format."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.index import build_simple_tree

PROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={major}.{minor}"
dependencies = [
    "app",
    "lib>=1.0",  # the library
]

[dependency-groups]
dev = ["devtool"]
"""


def advisory(
    ident: str,
    name: str,
    events: list[dict[str, str]],
    *,
    aliases: tuple[str, ...] = (),
    summary: str | None = None,
    severity: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": ident,
        "modified": "2026-01-01T00:00:00Z",
        "aliases": list(aliases),
        "details": f"Details of {ident}.",
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
        "references": [{"type": "ADVISORY", "url": f"https://example.test/{ident}"}],
    }
    if summary is not None:
        record["summary"] = summary
    if severity is not None:
        record["database_specific"] = {"severity": severity}
    record.update(extra)
    return record


LIB_VULN = advisory(
    "PYSEC-2026-1",
    "lib",
    [{"introduced": "0"}, {"fixed": "1.1"}],
    aliases=("CVE-2026-1111", "GHSA-aaaa-bbbb-cccc"),
    summary="lib lets a crafted header through",
    severity="HIGH",
)
# The same flaw as GitHub reports it: one finding, not two.
LIB_GHSA = advisory(
    "GHSA-aaaa-bbbb-cccc",
    "lib",
    [{"introduced": "0"}, {"fixed": "1.1"}],
    aliases=("CVE-2026-1111",),
    summary="Header smuggling in lib",
    severity="HIGH",
)
DEVTOOL_VULN = advisory(
    "PYSEC-2026-2", "devtool", [{"introduced": "0"}, {"last_affected": "1.0"}], summary="devtool leaks tokens"
)


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("app", "1.0", requires_dist=["lib"]),
        make_pkg("lib", "1.0"),
        make_pkg("devtool", "1.0"),
    ]


def _project(tmp_path: Path, text: str = PROJECT) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    major, minor = sys.version_info[:2]
    (root / "pyproject.toml").write_text(text.replace("{major}", str(major)).replace("{minor}", str(minor)))
    return root


def _locked(make_pkg, static_index, run_bale, tmp_path: Path, text: str = PROJECT):
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, text)
    done = run_bale("lock", "-i", server.url, cwd=root)
    assert done.code == 0, done
    return server, root


def test_audit_finds_grouped_vulnerabilities_in_the_lock(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    server, root = _locked(make_pkg, static_index, run_bale, tmp_path)
    osv = osv_server([LIB_VULN, LIB_GHSA, DEVTOOL_VULN])
    result = run_bale("audit", "-i", server.url, "--service-url", osv.url, cwd=root)
    assert result.code == 1, result
    assert result.stdout.splitlines() == [
        "Package  Version  ID            Severity  Fixed in",
        "devtool  1.0      PYSEC-2026-2  -         no fix yet",
        "lib      1.0      PYSEC-2026-1  HIGH      1.1",
        "",
        "PYSEC-2026-2: devtool leaks tokens",
        "  https://example.test/PYSEC-2026-2",
        "PYSEC-2026-1 (CVE-2026-1111, GHSA-aaaa-bbbb-cccc): lib lets a crafted header through",
        "  https://example.test/PYSEC-2026-1",
    ]
    assert "Audited 3 packages against OSV (http://127.0.0.1:" in result.stderr
    assert result.stderr.rstrip().endswith("Found 2 known vulnerabilities in 2 packages")
    # 3 packages, one batched query; then one details request per advisory id.
    batches = [r for r in osv.requests if r.path.startswith("/v1/querybatch")]
    assert len(batches) == 1


def test_audit_selection_and_no_findings(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    _server, root = _locked(make_pkg, static_index, run_bale, tmp_path)
    osv = osv_server([DEVTOOL_VULN])
    whole = run_bale("audit", "--service-url", osv.url, "--format", "json", cwd=root)
    assert whole.code == 1, whole
    assert [v["id"] for v in json.loads(whole.stdout)["vulnerabilities"]] == ["PYSEC-2026-2"]
    clean = run_bale("audit", "--service-url", osv.url, "--no-dev", cwd=root)
    assert clean.code == 0, clean
    assert clean.stdout == ""
    assert "Audited 2 packages against OSV" in clean.stderr
    assert clean.stderr.rstrip().endswith("No known vulnerabilities found")


def test_audit_json_sarif_and_markdown(make_pkg, static_index, run_bale, tmp_path: Path, osv_server) -> None:
    _server, root = _locked(make_pkg, static_index, run_bale, tmp_path)
    osv = osv_server([LIB_VULN])
    found = run_bale("audit", "--service-url", osv.url, "--output-format", "json", cwd=root)
    assert found.code == 1, found
    data = json.loads(found.stdout)
    assert data["audited"] == 3
    assert data["vulnerabilities"] == [
        {
            "name": "lib",
            "version": "1.0",
            "id": "PYSEC-2026-1",
            "aliases": ["CVE-2026-1111", "GHSA-aaaa-bbbb-cccc"],
            "severity": "HIGH",
            "fixed_in": ["1.1"],
            "summary": "lib lets a crafted header through",
            "link": "https://example.test/PYSEC-2026-1",
        }
    ]
    sarif = run_bale("audit", "--service-url", osv.url, "--format", "sarif", "-o", "audit.sarif", cwd=root)
    assert sarif.code == 1, sarif
    document = json.loads((root / "audit.sarif").read_text())
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    assert run["tool"]["driver"]["rules"][0]["id"] == "PYSEC-2026-1"
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "8.0"
    (result,) = run["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pylock.toml"
    line = (root / "pylock.toml").read_text().splitlines()[location["region"]["startLine"] - 1]
    assert line == 'name = "lib"'
    markdown = run_bale("audit", "--service-url", osv.url, "--format", "markdown", cwd=root)
    assert markdown.code == 1
    headline = "### bale audit: Found 1 known vulnerability in 1 package"
    assert markdown.stdout.splitlines()[0] == headline
    assert (
        "| lib | 1.0 | [PYSEC-2026-1](https://example.test/PYSEC-2026-1) "
        "(CVE-2026-1111, GHSA-aaaa-bbbb-cccc) | HIGH | 1.1 | lib lets a crafted header through |"
    ) in markdown.stdout.splitlines()


def test_ignores_with_reason_and_expiry(make_pkg, static_index, run_bale, tmp_path: Path, osv_server) -> None:
    text = PROJECT + (
        "\n[tool.bale.audit]\n"
        'ignore = [\n  { id = "CVE-2026-1111", until = "2999-01-31", reason = "not reachable" },\n'
        '  { id = "PYSEC-2026-2", until = "2020-01-01" },\n]\n'
    )
    _server, root = _locked(make_pkg, static_index, run_bale, tmp_path, text)
    osv = osv_server([LIB_VULN, DEVTOOL_VULN])
    result = run_bale("audit", "--service-url", osv.url, "--format", "json", cwd=root)
    assert result.code == 1, result
    data = json.loads(result.stdout)
    assert [v["id"] for v in data["vulnerabilities"]] == ["PYSEC-2026-2"]  # its ignore has expired
    assert data["ignored"][0]["id"] == "PYSEC-2026-1"
    assert "not reachable" in data["ignored"][0]["why"]
    assert "The ignore of PYSEC-2026-2" in result.stderr and "expired on 2020-01-01" in result.stderr
    both = run_bale("audit", "--service-url", osv.url, "--ignore", "PYSEC-2026-2", cwd=root)
    assert both.code == 0, both
    assert "Ignored PYSEC-2026-2 in devtool 1.0" in both.stderr
    unfixed = run_bale("audit", "--service-url", osv.url, "--ignore-until-fixed", cwd=root)
    assert unfixed.code == 0, unfixed  # devtool has no fixed version


def test_offline_database_gives_the_same_answers(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    _server, root = _locked(make_pkg, static_index, run_bale, tmp_path)
    osv = osv_server([LIB_VULN, LIB_GHSA, DEVTOOL_VULN])
    missing = run_bale("audit", "--offline", cwd=root)
    assert missing.code == 2, missing
    assert "No local vulnerability database" in missing.stderr and "--update-db" in missing.stderr
    online = run_bale("audit", "--service-url", osv.url, "--format", "json", cwd=root)
    updated = run_bale("audit", "--update-db", "--db-url", osv.db_url, "--format", "json", cwd=root)
    assert updated.code == 1, updated
    offline = run_bale("audit", "--offline", "--format", "json", cwd=root)
    assert offline.code == 1, offline
    assert json.loads(online.stdout)["vulnerabilities"] == json.loads(offline.stdout)["vulnerabilities"]
    assert "Traceback" not in offline.stderr
    # Outside a project, --update-db only updates (a 304 now: nothing changed).
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    again = run_bale("audit", "--update-db", "--db-url", osv.db_url, cwd=elsewhere)
    assert again.code == 0, again
    assert "up to date" in again.stderr
    # An old database is used, with a warning.
    db = next(p for p in run_bale.cache_dir.rglob("*.zip"))
    past = time.time() - 10 * 86400
    os.utime(db, (past, past))
    stale = run_bale("audit", "--offline", cwd=root)
    assert stale.code == 1, stale
    assert "days old" in stale.stderr


def test_lock_and_sync_warn_when_a_local_database_knows_of_findings(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    server, root = _locked(make_pkg, static_index, run_bale, tmp_path)
    quiet = run_bale("lock", "-i", server.url, cwd=root)
    assert "vulnerabilit" not in quiet.stderr
    osv = osv_server([LIB_VULN, DEVTOOL_VULN])
    assert run_bale("audit", "--update-db", "--db-url", osv.db_url, cwd=tmp_path).code == 0
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace('"app",', '"app>=1",'))
    locked = run_bale("lock", "-i", server.url, cwd=root)
    assert locked.code == 0, locked
    assert "2 known vulnerabilities in the lock: `bale audit`" in locked.stderr
    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert "2 known vulnerabilities in the lock: `bale audit`" in synced.stderr


def test_audit_lock_file_requirements_and_environments(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    server, root = _locked(make_pkg, static_index, run_bale, tmp_path)
    osv = osv_server([LIB_VULN])
    # Any PEP 751 lock by path.
    copy = tmp_path / "pylock.other.toml"
    copy.write_text((root / "pylock.toml").read_text())
    by_path = run_bale("audit", copy, "--service-url", osv.url, cwd=tmp_path)
    assert by_path.code == 1, by_path
    assert "lib      1.0      PYSEC-2026-1  " in by_path.stdout
    # A pinned requirements file, audited as written.
    pinned = tmp_path / "requirements.txt"
    pinned.write_text("lib==1.0  # pinned\napp==1.0\n")
    req = run_bale("audit", "-r", pinned, "--service-url", osv.url, "--format", "sarif", cwd=tmp_path)
    assert req.code == 1, req
    (result,) = json.loads(req.stdout)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    # A loose one is resolved first (as pip-audit does).
    loose = tmp_path / "loose.txt"
    loose.write_text("app\n")
    resolved = run_bale("audit", "-r", loose, "-i", server.url, "--service-url", osv.url, cwd=tmp_path)
    assert resolved.code == 1, resolved
    assert "Audited 2 packages" in resolved.stderr
    # An environment: synced from the lock, then audited with --python and with `bale pip audit`.
    assert run_bale("sync", "-i", server.url, cwd=root).code == 0
    env = run_bale("audit", "--python", root / ".venv", "--service-url", osv.url, cwd=tmp_path)
    assert env.code == 1, env
    assert "lib      1.0      PYSEC-2026-1  " in env.stdout
    pip = run_bale("pip", "audit", "--python", root / ".venv", "--service-url", osv.url, cwd=tmp_path)
    assert pip.code == 1, pip
    assert pip.stdout == env.stdout


def test_service_failures_are_errors_not_clean_reports(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    _server, root = _locked(make_pkg, static_index, run_bale, tmp_path)
    osv = osv_server([LIB_VULN])
    osv.fail("/v1/querybatch", 500)
    failed = run_bale("audit", "--service-url", osv.url, cwd=root)
    assert failed.code == 2, failed
    assert "No known vulnerabilities" not in failed.stderr
    assert "Traceback" not in failed.stderr
    assert "/v1/querybatch" in failed.stderr
    garbage = osv_server([LIB_VULN])
    garbage.fail("/v1/querybatch", "garbage")
    bad = run_bale("audit", "--service-url", garbage.url, cwd=root)
    assert bad.code == 2, bad
    assert "No known vulnerabilities" not in bad.stderr
    # A truncated export is refused and the old database stays.
    assert run_bale("audit", "--update-db", "--db-url", osv.db_url, cwd=tmp_path).code == 0
    osv.fail("/PyPI/all.zip", "truncated")
    broken = run_bale("audit", "--update-db", "--db-url", osv.db_url, cwd=tmp_path)
    assert broken.code == 2
    assert run_bale("audit", "--offline", cwd=root).code == 1


# ---------------------------------------------------------------------------------------------- --fix


def _with_fixes(make_pkg, server) -> None:
    """Publish lib 1.1 (the fix), 1.2 and 2.0 on the index after the project was locked."""
    files = [
        make_pkg("lib", "1.1"),
        make_pkg("lib", "1.2"),
        make_pkg("lib", "2.0", requires_dist=["helper"]),
        make_pkg("helper", "1.0"),
    ]
    build_simple_tree(files, server.root)


def test_fix_relocks_with_the_lowest_safe_version(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    server, root = _locked(make_pkg, static_index, run_bale, tmp_path)
    _with_fixes(make_pkg, server)
    # 1.1 fixes PYSEC-2026-1 but is hit by another advisory: 1.2 is the lowest safe version.
    other = advisory(
        "PYSEC-2026-3", "lib", [{"introduced": "1.1"}, {"fixed": "1.2"}], summary="lib 1.1 regression"
    )
    osv = osv_server([LIB_VULN, other])
    fresh = {"BALE_CACHE_DIR": str(tmp_path / "cache-2")}
    before = (root / "pylock.toml").read_text()
    dry = run_bale(
        "audit", "--fix", "--dry-run", "-i", server.url, "--service-url", osv.url, cwd=root, env=fresh
    )
    assert dry.code == 0, dry
    assert "Would upgrade lib 1.0 -> 1.2 (fixes PYSEC-2026-1)" in dry.stderr
    assert (root / "pylock.toml").read_text() == before
    fixed = run_bale("audit", "--fix", "-i", server.url, "--service-url", osv.url, cwd=root, env=fresh)
    assert fixed.code == 0, fixed
    assert "Upgraded lib 1.0 -> 1.2 (fixes PYSEC-2026-1)" in fixed.stderr
    assert "Every known vulnerability is fixed" in fixed.stderr
    text = (root / "pylock.toml").read_text()
    assert 'name = "lib"\nversion = "1.2"' in text
    assert 'name = "app"\nversion = "1.0"' in text
    assert "helper" not in text
    again = run_bale("audit", "--service-url", osv.url, cwd=root, env=fresh)
    assert again.code == 0, again
    # The lock stays fresh for `bale lock --check` and `bale sync --locked`.
    assert run_bale("lock", "--check", cwd=root).code == 0


def test_fix_names_the_range_that_blocks_it_and_bounds_widens_it(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    text = PROJECT.replace('"lib>=1.0",  # the library', '"lib>=1.0,<1.1",  # the library')
    server, root = _locked(make_pkg, static_index, run_bale, tmp_path, text)
    _with_fixes(make_pkg, server)
    osv = osv_server([LIB_VULN])
    fresh = {"BALE_CACHE_DIR": str(tmp_path / "cache-2")}
    blocked = run_bale("audit", "--fix", "-i", server.url, "--service-url", osv.url, cwd=root, env=fresh)
    assert blocked.code == 1, blocked
    line = next(
        n for n, t in enumerate((root / "pyproject.toml").read_text().splitlines(), 1) if "lib>=" in t
    )
    assert f"lib<1.1,>=1.0 ({root / 'pyproject.toml'}:{line}) excludes lib 1.1" in blocked.stderr
    assert "--bounds" in blocked.stderr
    widened = run_bale(
        "audit", "--fix", "--bounds", "-i", server.url, "--service-url", osv.url, cwd=root, env=fresh
    )
    assert widened.code == 0, widened
    assert '"lib>=1.0",  # the library' in (root / "pyproject.toml").read_text()
    assert 'name = "lib"\nversion = "1.1"' in (root / "pylock.toml").read_text()


def test_fix_rewrites_requirement_pins_with_new_hashes(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    server = static_index(_universe(make_pkg))
    _with_fixes(make_pkg, server)
    osv = osv_server([LIB_VULN])
    from tests.support.builders import sha256_of

    old = sha256_of(next((server.root / "files").glob("lib-1.0-*.whl")))
    new = sha256_of(next((server.root / "files").glob("lib-1.1-*.whl")))
    req = tmp_path / "requirements.txt"
    req.write_text(
        f"# pinned by hand\nlib==1.0 \\\n    --hash=sha256:{old}\n    # via app\napp==1.0  # keep\n"
    )
    result = run_bale("audit", "--fix", "-r", req, "-i", server.url, "--service-url", osv.url, cwd=tmp_path)
    assert result.code == 0, result
    assert req.read_text() == (
        f"# pinned by hand\nlib==1.1 \\\n    --hash=sha256:{new}\n    # via app\napp==1.0  # keep\n"
    )


def test_audit_with_the_real_pypa_snapshot_as_a_db_file(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    from tests.support.osv_server import SHARED_ZIP

    if not SHARED_ZIP.is_file():
        import pytest

        pytest.skip(f"the shared OSV data is not at {SHARED_ZIP}")
    server = static_index([make_pkg("AccessControl", "4.2"), make_pkg("plain", "1.0")])
    pins = tmp_path / "requirements.txt"
    pins.write_text("AccessControl==4.2\nplain==1.0\n")
    result = run_bale("audit", "-r", pins, "--db", SHARED_ZIP, "--format", "json", cwd=tmp_path)
    assert result.code == 1, result
    found = json.loads(result.stdout)["vulnerabilities"]
    ids = {v["id"]: v for v in found}
    assert "PYSEC-2021-335" in ids
    assert ids["PYSEC-2021-335"]["name"] == "accesscontrol"
    assert ids["PYSEC-2021-335"]["fixed_in"] == ["4.3"]
    assert not any(v["name"] == "plain" for v in found)
    # The index of a --db file lives in the cache, not beside the user's file.
    assert not (SHARED_ZIP.parent / (SHARED_ZIP.name + ".index.json")).exists()
    assert list((run_bale.cache_dir / "osv-v1" / "indexes").glob("*.index.json"))
    fixed = run_bale("audit", "-r", pins, "--db", SHARED_ZIP, "--ignore", "PYSEC-2021-335", cwd=tmp_path)
    assert "PYSEC-2021-335" not in fixed.stdout
    assert server.url
