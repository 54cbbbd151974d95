"""Where advisories come from: the local OSV export (index, damage, updates) and the OSV API, both
against real data (the shared PyPA snapshot) and a real OSV server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.audit import database as database_module
from bale.audit.database import OfflineDatabase, UpdateOutcome, database_path, index_path, update_database
from bale.audit.findings import findings
from bale.audit.osv_client import OsvService
from bale.errors import BaleError
from bale.http.client import HttpClient
from tests.support.osv_server import SHARED_ZIP, OsvServer

needs_shared = pytest.mark.skipif(not SHARED_ZIP.is_file(), reason=f"no shared OSV data at {SHARED_ZIP}")


def rec(ident: str, name: str, events: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "modified": "2026-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
        **extra,
    }


def write_zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def client() -> HttpClient:
    return HttpClient(retries=1, backoff=0.01)


def audit(names_versions: list[tuple[str, str]], by_name: Any) -> list[tuple[str, str, str, tuple[str, ...]]]:
    pairs = [(canonicalize_name(n), Version(v)) for n, v in names_versions]
    found, _ = findings(pairs, by_name)
    return [(f.name, str(f.version), f.id, tuple(str(v) for v in f.fixed_in)) for f in found]


# ---------------------------------------------------------------------------------------------- real data


@pytest.fixture
def shared_copy(tmp_path: Path) -> Path:
    """The shared export copied where its index may be written (the shared folder is read-only)."""
    if not SHARED_ZIP.is_file():
        pytest.skip(f"no shared OSV data at {SHARED_ZIP}")
    return Path(shutil.copy2(SHARED_ZIP, tmp_path / "all.zip"))


def test_the_whole_real_export_through_the_offline_database(shared_copy: Path) -> None:
    db = OfflineDatabase.open(shared_copy)
    assert db.records == 2661
    asked = ["accesscontrol", "jinja2", "py", "redis", "not-a-package-anyone-has"]
    found = db.advisories_for(canonicalize_name(n) for n in asked)
    assert found.warnings == ()
    assert "not-a-package-anyone-has" not in found.by_name
    assert "PYSEC-2021-335" in {a.id for a in found.by_name[canonicalize_name("accesscontrol")]}
    result = audit(
        [
            ("AccessControl", "4.1"),
            ("accesscontrol", "4.3"),
            ("accesscontrol", "5.1"),
            ("accesscontrol", "3.0"),
            ("jinja2", "2.4.1"),
            ("jinja2", "2.10.1"),
            ("jinja2", "2.11.3"),
            ("py", "1.11.0"),
            ("redis", "2.0.0"),
        ],
        found.by_name,
    )
    assert ("accesscontrol", "4.1", "PYSEC-2021-335", ("4.3",)) in result
    assert ("accesscontrol", "5.1", "PYSEC-2021-335", ("5.2",)) in result
    assert not [r for r in result if r[:2] in (("accesscontrol", "4.3"), ("accesscontrol", "3.0"))]
    # OSV's own documentation answers jinja2 2.4.1 with these five PYSEC records.
    assert [r[2] for r in result if r[:2] == ("jinja2", "2.4.1")] == [
        "PYSEC-2014-8",
        "PYSEC-2014-82",
        "PYSEC-2019-217",
        "PYSEC-2019-220",
        "PYSEC-2021-66",
    ]
    assert [r[2:] for r in result if r[:2] == ("jinja2", "2.10.1")] == [("PYSEC-2021-66", ("2.11.3",))]
    assert not [r for r in result if r[:2] == ("jinja2", "2.11.3")]
    assert ("py", "1.11.0", "PYSEC-2022-42969", ()) in result  # last_affected: no fix known
    assert "PYSEC-2023-73" not in {r[2] for r in result}  # withdrawn


@needs_shared
def test_a_read_only_export_is_indexed_in_memory_or_in_an_index_dir(tmp_path: Path) -> None:
    db = OfflineDatabase.open(SHARED_ZIP)  # /work/shared is read-only: the index stays in memory
    assert db.records == 2661
    elsewhere = tmp_path / "indexes"
    OfflineDatabase.open(SHARED_ZIP, index_dir=elsewhere)
    assert len(list(elsewhere.glob("*.index.json"))) == 1


def test_the_index_is_built_once_and_audits_then_skip_the_central_directory(
    shared_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    OfflineDatabase.open(shared_copy)
    assert index_path(shared_copy).is_file()

    def no_zipfile(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm audit opened the zip's central directory")

    monkeypatch.setattr(database_module.zipfile, "ZipFile", no_zipfile)
    db = OfflineDatabase.open(shared_copy)
    assert len(db.advisories_for([canonicalize_name("jinja2")]).by_name["jinja2"]) == 5
    # Touched (as a 304 update does) or copied, not changed: known by its sha256, not read again.
    os.utime(shared_copy, (1_000_000_000, 1_000_000_000))
    assert OfflineDatabase.open(shared_copy).records == 2661
    assert OfflineDatabase.modified(OfflineDatabase.open(shared_copy)).year == 2001


def test_a_changed_export_is_indexed_again(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "all.zip", {"A-1.json": json.dumps(rec("A-1", "lib", [{"introduced": "0"}]))})
    assert OfflineDatabase.open(path).records == 1
    write_zip(
        path, {f"A-{i}.json": json.dumps(rec(f"A-{i}", "lib", [{"introduced": "0"}])) for i in range(3)}
    )
    db = OfflineDatabase.open(path)
    assert db.records == 3
    assert len(db.advisories_for([canonicalize_name("lib")]).by_name["lib"]) == 3


def test_malformed_members_are_skipped_with_warnings_that_name_them(tmp_path: Path) -> None:
    good = rec("PYSEC-1", "Lib_One", [{"introduced": "0"}, {"fixed": "2.0"}])
    wrong_shape = rec("PYSEC-2", "lib-one", [{"introduced": "0"}])
    wrong_shape["aliases"] = "CVE-1"  # names the package, fails the full check
    path = write_zip(
        tmp_path / "all.zip",
        {
            "PYSEC-1.json": json.dumps(good),
            "PYSEC-2.json": json.dumps(wrong_shape),
            "PYSEC-3.json": "{not json",
            "PYSEC-4.json": json.dumps(["a", "list"]),
            "README.md": "not a record",
        },
    )
    db = OfflineDatabase.open(path)
    assert db.records == 2
    found = db.advisories_for([canonicalize_name("lib-one")])
    assert [a.id for a in found.by_name["lib-one"]] == ["PYSEC-1"]
    assert found.warnings == (
        f"{path}: skipped PYSEC-3.json: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        f"{path}: skipped PYSEC-4.json: not an OSV record (no id)",
        f"{path}: skipped PYSEC-2.json: aliases must be a list, not a string",
    )
    # Members that could be about anything are named however unrelated the packages asked about.
    assert len(db.advisories_for([canonicalize_name("other")]).warnings) == 2


def test_a_member_damaged_after_indexing_is_a_warning(tmp_path: Path) -> None:
    record = json.dumps(rec("PYSEC-1", "lib", [{"introduced": "0"}]), indent=1)
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("PYSEC-1.json", record)
    OfflineDatabase.open(path)
    before = path.stat()
    data = path.read_bytes()
    spot = data.index(b'"PYSEC-1"')
    path.write_bytes(data[:spot] + b'"PYSEC-X"' + data[spot + 9 :])  # same size...
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ...and mtime: the index trusts it
    found = OfflineDatabase.open(path).advisories_for([canonicalize_name("lib")])
    assert found.by_name == {}
    assert found.warnings == (f"{path}: skipped PYSEC-1.json: its CRC does not match (the file is damaged)",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No vulnerability database at {path}"),
        (b"not a zip at all", "The vulnerability database {path} is not a readable zip archive"),
        ({}, "The vulnerability database {path} holds no records"),
        (
            {"a.json": "{", "b.json": "[]"},
            "The vulnerability database {path} holds 2 members, none a readable OSV record",
        ),
    ],
)
def test_missing_broken_and_empty_exports_are_errors(tmp_path: Path, content: Any, message: str) -> None:
    path = tmp_path / "all.zip"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, dict):
        write_zip(path, content)
    with pytest.raises(BaleError) as caught:
        OfflineDatabase.open(path)
    assert caught.value.message.startswith(message.format(path=path))
    assert "--update-db" in (caught.value.hint or "")


@needs_shared
def test_a_truncated_real_export_is_an_error(tmp_path: Path) -> None:
    data = SHARED_ZIP.read_bytes()
    path = tmp_path / "all.zip"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BaleError, match="not a readable zip archive"):
        OfflineDatabase.open(path)


def test_database_path_is_a_versioned_bucket(tmp_path: Path) -> None:
    assert database_path(tmp_path) == tmp_path / "osv-v1" / "PyPI" / "all.zip"


# ---------------------------------------------------------------------------------------------- update


@pytest.fixture
def osv(osv_server: Callable[..., OsvServer]) -> OsvServer:
    return osv_server(
        [
            rec(
                "PYSEC-2026-1",
                "lib",
                [{"introduced": "0"}, {"fixed": "1.1"}],
                aliases=["GHSA-aaaa-bbbb-cccc"],
            ),
            rec("GHSA-aaaa-bbbb-cccc", "lib", [{"introduced": "0"}, {"fixed": "1.1"}]),
            rec("PYSEC-2026-2", "tool", [{"introduced": "0"}, {"last_affected": "1.0"}]),
        ]
    )


def test_update_fetches_then_revalidates_with_the_etag(osv: OsvServer, tmp_path: Path) -> None:
    dest = database_path(tmp_path / "cache")
    first = update_database(client(), osv.db_url, dest)
    assert first == UpdateOutcome(changed=True, records=3, bytes=dest.stat().st_size)
    assert index_path(dest).is_file()
    old = 1_000_000_000
    os.utime(dest, (old, old))
    again = update_database(client(), osv.db_url, dest)
    assert again == UpdateOutcome(changed=False, records=3, bytes=dest.stat().st_size)
    conditional = [r for r in osv.requests if r.path == "/PyPI/all.zip"][-1]
    assert conditional.status == 304 and conditional.headers["if-none-match"].startswith('"')
    assert dest.stat().st_mtime > old  # confirmed current: no "N days old" warning now
    assert [p.name for p in dest.parent.iterdir() if p.name.endswith(".part")] == []
    osv.add(rec("PYSEC-2026-3", "lib", [{"introduced": "0"}]))
    assert update_database(client(), osv.db_url, dest).changed
    found = OfflineDatabase.open(dest).advisories_for([canonicalize_name("lib")])
    assert sorted(a.id for a in found.by_name["lib"]) == [
        "GHSA-aaaa-bbbb-cccc",
        "PYSEC-2026-1",
        "PYSEC-2026-3",
    ]


@pytest.mark.parametrize("how", ["truncated", "garbage", 500, "short"])
def test_a_bad_download_keeps_the_old_database(osv: OsvServer, tmp_path: Path, how: int | str) -> None:
    dest = database_path(tmp_path / "cache")
    update_database(client(), osv.db_url, dest)
    before = dest.read_bytes()
    osv.add(rec("PYSEC-2026-9", "lib", [{"introduced": "0"}]))  # so that a 304 cannot answer
    osv.fail("/PyPI/all.zip", how)
    with pytest.raises(BaleError) as caught:
        update_database(client(), osv.db_url, dest)
    assert "/PyPI/all.zip" in caught.value.render()
    assert dest.read_bytes() == before
    assert OfflineDatabase.open(dest).records == 3
    assert [p.name for p in dest.parent.iterdir() if p.name.endswith(".part")] == []


def test_an_export_of_bad_records_is_refused(osv_server: Callable[..., OsvServer], tmp_path: Path) -> None:
    server = osv_server()
    server._export = io.BytesIO().getvalue()
    with pytest.raises(BaleError, match="unusable"):
        update_database(client(), server.db_url, tmp_path / "all.zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("X.json", "[1]")
    server._export = buffer.getvalue()
    with pytest.raises(BaleError) as caught:
        update_database(client(), server.db_url, tmp_path / "all.zip")
    assert "none a readable OSV record" in caught.value.render()
    assert not (tmp_path / "all.zip").exists()


# ---------------------------------------------------------------------------------------------- OSV API


def test_one_batched_query_for_100_packages_then_one_get_per_advisory(osv: OsvServer) -> None:
    packages = [(canonicalize_name(f"pkg-{i}"), Version("1.0")) for i in range(98)]
    packages += [(canonicalize_name("lib"), Version("1.0")), (canonicalize_name("tool"), Version("1.0"))]
    found = OsvService(client(), osv.url).advisories_for(packages)
    batches = [r for r in osv.requests if r.path == "/v1/querybatch"]
    assert len(batches) == 1 and len(batches[0].json()["queries"]) == 100
    assert batches[0].json()["queries"][0] == {
        "package": {"name": "lib", "ecosystem": "PyPI"},
        "version": "1.0",
    }
    assert sorted(r.path for r in osv.requests if r.method == "GET") == [
        "/v1/vulns/GHSA-aaaa-bbbb-cccc",
        "/v1/vulns/PYSEC-2026-1",
        "/v1/vulns/PYSEC-2026-2",
    ]
    assert {name: sorted(a.id for a in advs) for name, advs in found.by_name.items()} == {
        "lib": ["GHSA-aaaa-bbbb-cccc", "PYSEC-2026-1"],
        "tool": ["PYSEC-2026-2"],
    }
    assert found.warnings == ()
    result = audit([("lib", "1.0"), ("tool", "1.0")], found.by_name)
    assert result == [("lib", "1.0", "PYSEC-2026-1", ("1.1",)), ("tool", "1.0", "PYSEC-2026-2", ())]


def test_batches_of_1000_and_each_advisory_fetched_once(osv: OsvServer) -> None:
    packages = [(canonicalize_name(f"pkg-{i:04}"), Version("1.0")) for i in range(1500)]
    packages += [(canonicalize_name("lib"), Version(v)) for v in ("0.9", "1.0")]
    OsvService(client(), osv.url).advisories_for(packages)
    sizes = [len(r.json()["queries"]) for r in osv.requests if r.path == "/v1/querybatch"]
    assert sizes == [1000, 502]
    gets = [r.path for r in osv.requests if r.method == "GET"]
    assert sorted(gets) == ["/v1/vulns/GHSA-aaaa-bbbb-cccc", "/v1/vulns/PYSEC-2026-1"]


def test_page_tokens_are_followed_for_the_queries_that_have_them(osv: OsvServer) -> None:
    for i in range(3):
        osv.add(rec(f"PYSEC-2026-1{i}", "lib", [{"introduced": "0"}]))
    osv.page_size = 2
    found = OsvService(client(), osv.url).advisories_for(
        [(canonicalize_name("lib"), Version("1.0")), (canonicalize_name("tool"), Version("1.0"))]
    )
    batches = [r.json()["queries"] for r in osv.requests if r.path == "/v1/querybatch"]
    assert [[(q["package"]["name"], q.get("page_token")) for q in b] for b in batches] == [
        [("lib", None), ("tool", None)],
        [("lib", "2")],
        [("lib", "4")],
    ]
    assert len(found.by_name["lib"]) == 5


@pytest.mark.parametrize(
    ("path", "how", "expected"),
    [
        ("/v1/querybatch", 500, "HTTP 500"),
        ("/v1/querybatch", 400, "HTTP 400"),
        ("/v1/querybatch", "garbage", "not JSON"),
        ("/v1/vulns/", 503, "HTTP 503"),
        ("/v1/vulns/", "garbage", "not JSON"),
        ("/v1/vulns/", "short", "connection broken"),
    ],
)
def test_service_failures_are_errors_naming_the_url(
    osv: OsvServer, path: str, how: int | str, expected: str
) -> None:
    osv.fail(path, how)
    with pytest.raises(BaleError) as caught:
        OsvService(client(), osv.url).advisories_for([(canonicalize_name("lib"), Version("1.0"))])
    text = caught.value.render()
    assert expected in text and f"{osv.url}{path}" in text, text
    assert "--offline" in text


def test_a_passing_failure_is_retried(osv: OsvServer) -> None:
    osv.fail("/v1/querybatch", 503, times=1)
    found = OsvService(client(), osv.url).advisories_for([(canonicalize_name("lib"), Version("1.0"))])
    assert len(found.by_name["lib"]) == 2
    assert [r.status for r in osv.requests if r.path == "/v1/querybatch"] == [503, 200]


def test_answers_of_the_wrong_shape_are_errors(osv: OsvServer, monkeypatch: pytest.MonkeyPatch) -> None:
    service = OsvService(client(), osv.url)
    answers: list[Any] = [{"results": []}, {"vulns": []}, {"results": [{"vulns": [{"modified": "x"}]}]}, [1]]
    for answer in answers:
        monkeypatch.setattr(service, "_post_json", lambda url, payload, answer=answer: answer)
        with pytest.raises(BaleError, match="not OSV's"):
            service.advisories_for([(canonicalize_name("lib"), Version("1.0"))])
    osv.add(rec("PYSEC-2026-1", "lib", [{"introduced": "0"}], aliases="CVE-2026-1"))
    with pytest.raises(BaleError, match="aliases must be a list"):
        OsvService(client(), osv.url).advisories_for([(canonicalize_name("lib"), Version("1.0"))])


def test_no_packages_ask_nothing(osv: OsvServer) -> None:
    assert OsvService(client(), osv.url).advisories_for([]).by_name == {}
    assert osv.requests == []


@needs_shared
def test_online_and_offline_give_the_same_findings_on_real_data(
    osv_server: Callable[..., OsvServer], tmp_path: Path
) -> None:
    server = osv_server(shared_zip=True)
    packages = [
        ("accesscontrol", "4.1"),
        ("jinja2", "2.4.1"),
        ("django", "3.2"),
        ("pillow", "8.0.0"),
        ("requests", "2.19.0"),
        ("py", "1.11.0"),
        ("redis", "4.5.0"),
        ("urllib3", "1.26.4"),
        ("flask", "0.12"),
        ("pyyaml", "5.3"),
    ]
    pairs = [(canonicalize_name(n), Version(v)) for n, v in packages]
    online = OsvService(client(), server.url).advisories_for(pairs)
    dest = database_path(tmp_path / "cache")
    assert update_database(client(), server.db_url, dest).records == 2661
    offline = OfflineDatabase.open(dest).advisories_for(name for name, _ in pairs)
    on, off = findings(pairs, online.by_name), findings(pairs, offline.by_name)
    assert on[0] == off[0]
    assert len(on[0]) > 40
    assert {f.name for f in on[0]} >= {"accesscontrol", "jinja2", "django", "pillow", "urllib3"}
