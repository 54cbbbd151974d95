"""The pure parts of `bale audit`: ignores, fix planning, widening, pin rewriting and report formats."""

from __future__ import annotations

import datetime as dt

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.audit.findings import Finding
from bale.audit.fix_plan import FixTarget, NoFix, blocked_by, plan_fixes, widened
from bale.audit.formats import AuditReport, headline, package_lines, report_sarif, table_lines
from bale.audit.ignores import Ignore, parse_ignores, triage
from bale.audit.pin_rewrite import NewPin, rewrite_pins
from bale.errors import BaleError

TODAY = dt.date(2026, 12, 7)


def finding(name: str, version: str, ident: str, *, aliases=(), fixed=("2.0",), severity=None) -> Finding:
    return Finding(
        name=canonicalize_name(name),
        version=Version(version),
        id=ident,
        aliases=tuple(aliases),
        summary=f"summary of {ident}",
        severity=severity,
        fixed_in=tuple(Version(v) for v in fixed),
        link=f"https://example.test/{ident}",
    )


# ---------------------------------------------------------------------------------------------- ignores


def test_parse_ignores_accepts_ids_and_tables_and_reports_every_problem() -> None:
    parsed = parse_ignores(
        [
            "PYSEC-1",
            {"id": "GHSA-x", "until": dt.date(2027, 1, 31), "reason": "later"},
            {"id": "CVE-2", "until": "2027-02-01"},
        ],
        source="pyproject.toml",
    )
    assert parsed == (
        Ignore("PYSEC-1", origin="pyproject.toml"),
        Ignore("GHSA-x", dt.date(2027, 1, 31), "later", "pyproject.toml"),
        Ignore("CVE-2", dt.date(2027, 2, 1), None, "pyproject.toml"),
    )
    with pytest.raises(BaleError) as caught:
        parse_ignores(
            [{"id": "A", "until": "soon"}, {"until": "2027-01-01"}, 3, {"id": "B", "why": "x"}], source="p"
        )
    assert caught.value.message == "p: [tool.bale.audit] ignore has 4 problems"
    assert caught.value.context == (
        "entry 1 (A): `until` must be a date such as 2027-01-31, not 'soon'",
        "entry 2: `id` must be an advisory id such as PYSEC-2021-335",
        "entry 3: 3 is neither an id nor a table",
        "entry 4: unknown key why (known: id, until, reason)",
    )


def test_triage_matches_aliases_expires_and_sets_aside_unfixed() -> None:
    lib = finding("lib", "1.0", "PYSEC-1", aliases=("CVE-1",))
    old = finding("old", "1.0", "PYSEC-2")
    nofix = finding("nofix", "1.0", "PYSEC-3", fixed=())
    ignores = (
        Ignore("cve-1", dt.date(2026, 12, 7)),
        Ignore("PYSEC-2", dt.date(2026, 12, 6)),
        Ignore("UNUSED"),
    )
    result = triage([lib, old, nofix], ignores, today=TODAY, until_fixed=True)
    assert [i.finding.id for i in result.ignored] == ["PYSEC-1", "PYSEC-3"]
    assert result.remaining == (old,)
    assert result.expired == ((old, ignores[1]),)
    assert result.unused == (ignores[2],)


# ---------------------------------------------------------------------------------------------- fixes


def test_plan_fixes_picks_the_lowest_version_no_advisory_affects() -> None:
    found = [finding("lib", "1.0", "PYSEC-1"), finding("lib", "1.0", "PYSEC-2"), finding("pre", "1.0a1", "X")]
    versions = {
        canonicalize_name("lib"): [Version(v) for v in ("0.9", "1.0", "1.1", "1.2", "2.0", "3.0b1")],
        canonicalize_name("pre"): [Version(v) for v in ("1.0a1", "1.0a2")],
    }
    bad = {("lib", "1.1"), ("pre", "1.0a2")}
    targets, missing = plan_fixes(
        found, versions, lambda n, v: (n, str(v)) in bad or str(v) in ("1.0", "1.0a1")
    )
    assert targets == [
        FixTarget(canonicalize_name("lib"), Version("1.0"), Version("1.2"), ("PYSEC-1", "PYSEC-2"))
    ]
    assert missing == [
        NoFix(
            canonicalize_name("pre"),
            Version("1.0a1"),
            ("X",),
            "every newer version up to 1.0a2 is affected too (the advisories say fixed in 2.0)",
        )
    ]
    _, not_indexed = plan_fixes([finding("local", "1.0", "Y")], {}, lambda n, v: False)
    assert "not from an index" in not_indexed[0].reason


def test_widened_drops_only_the_clauses_that_exclude_the_fix() -> None:
    target = FixTarget(canonicalize_name("lib"), Version("1.0"), Version("2.1"), ("X",))
    assert blocked_by(target, Requirement("lib>=1,<2"))
    assert not blocked_by(target, Requirement("lib>=1"))
    assert str(widened(Requirement("lib[fast]>=1,<2,!=1.5 ; python_version >= '3'"), Version("2.1"))) == (
        'lib[fast]!=1.5,>=1; python_version >= "3"'
    )
    assert str(widened(Requirement("lib==1.0"), Version("2.1"))) == "lib>=2.1"


def test_rewrite_pins_keeps_everything_but_the_version_and_hashes() -> None:
    text = (
        "# top\r\n"
        "lib[x]==1.0 ; python_version >= '3' \\\r\n"
        "    --hash=sha256:aaa \\\r\n"
        "    --hash=sha256:bbb\r\n"
        "    # via app\r\n"
        "inline==1.0 --hash=sha256:ccc  # why\r\n"
        "plain===1.0\r\n"
    )
    pins = {
        "lib": NewPin(2, "1.1", ["sha256:ddd"]),
        "inline": NewPin(6, "2.0", ["sha256:fff", "sha256:eee"]),
        "plain": NewPin(7, "1.5"),
    }
    assert rewrite_pins(text, pins) == (
        "# top\r\n"
        "lib[x]==1.1 ; python_version >= '3' \\\r\n"
        "    --hash=sha256:ddd\r\n"
        "    # via app\r\n"
        "inline==2.0 \\\r\n"
        "    --hash=sha256:eee \\\r\n"
        "    --hash=sha256:fff  # why\r\n"
        "plain===1.5\r\n"
    )


# ---------------------------------------------------------------------------------------------- formats


def _report(found: list[Finding]) -> AuditReport:
    return AuditReport(
        target="pylock.toml",
        audited=3,
        source="OSV",
        triage=triage(found, (), today=TODAY),
        target_uri="pylock.toml",
        lines={"lib": 7},
    )


def test_table_and_headline() -> None:
    report = _report([finding("lib", "1.0", "PYSEC-1", aliases=("CVE-1",), severity="HIGH")])
    assert headline(report) == "Found 1 known vulnerability in 1 package"
    assert table_lines(report) == [
        "Package  Version  ID       Severity  Fixed in",
        "lib      1.0      PYSEC-1  HIGH      2.0",
        "",
        "PYSEC-1 (CVE-1): summary of PYSEC-1",
        "  https://example.test/PYSEC-1",
    ]
    assert headline(_report([])) == "No known vulnerabilities found"
    assert table_lines(_report([])) == []


def test_sarif_places_results_on_the_lock_entry() -> None:
    document = report_sarif(
        _report([finding("lib", "1.0", "PYSEC-1", severity="CRITICAL")]), tool_version="1"
    )
    (run,) = document["runs"]
    (result,) = run["results"]
    assert result["ruleId"] == "PYSEC-1"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 7}
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "9.5"


def test_package_lines() -> None:
    text = 'lock-version = "1.0"\n\n[[packages]]\nname = "Lib_X"\nversion = "1"\n\n[[packages]]\nname = "b"\n'
    assert package_lines(text) == {"lib-x": 4, "b": 8}
