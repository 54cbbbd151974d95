"""The pure OSV layer: reading records, OSV's evaluation rules on PyPI, and findings grouped by alias."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.audit.findings import Finding, findings
from bale.audit.matching import Match, match
from bale.audit.osv import (
    Advisory,
    AdvisoryError,
    Affected,
    AffectedRange,
    Event,
    Reference,
    cvss3_base_score,
    parse_advisory,
)


def record(
    ident: str = "PYSEC-2026-1",
    name: str = "demo",
    events: list[dict[str, str]] | None = None,
    *,
    kind: str = "ECOSYSTEM",
    versions: list[str] | None = None,
    ranges: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"package": {"name": name, "ecosystem": "PyPI"}}
    if ranges is not None:
        entry["ranges"] = ranges
    elif events is not None:
        entry["ranges"] = [{"type": kind, "events": events}]
    if versions is not None:
        entry["versions"] = versions
    return {"id": ident, "modified": "2026-01-01T00:00:00Z", "affected": [entry], **extra}


def advisory(*args: Any, **kwargs: Any) -> Advisory:
    return parse_advisory(record(*args, **kwargs), source="test")


def check(adv: Advisory, version: str, name: str = "demo") -> Match:
    return match(adv, canonicalize_name(name), Version(version))


def affected_versions(adv: Advisory, versions: str) -> list[str]:
    return [v for v in versions.split() if check(adv, v).affected]


# ---------------------------------------------------------------------------------------------- parsing


def test_parse_reads_the_fields_bale_uses_and_keeps_only_pypi_entries() -> None:
    data = {
        "schema_version": "1.6.0",
        "id": "GHSA-aaaa-bbbb-cccc",
        "aliases": ["CVE-2026-1", "PYSEC-2026-9", "CVE-2026-1"],
        "summary": "  Header smuggling  ",
        "details": "Long text.",
        "published": "2026-01-01T00:00:00Z",
        "modified": "2026-02-01T00:00:00Z",
        "affected": [
            {"package": {"name": "Foo_Bar", "ecosystem": "PyPI"}, "versions": ["1.0"]},
            {"package": {"name": "foo-bar", "ecosystem": "npm"}, "versions": ["9.9"]},
            {"ranges": [{"type": "GIT", "repo": "https://x.test/r", "events": [{"introduced": "0"}]}]},
        ],
        "references": [
            {"type": "WEB", "url": "https://example.test/web"},
            {"type": "ADVISORY", "url": "https://example.test/advisory"},
        ],
        "database_specific": {"severity": "moderate"},
    }
    parsed = parse_advisory(data, source="all.zip:GHSA-aaaa-bbbb-cccc.json")
    assert parsed == Advisory(
        id="GHSA-aaaa-bbbb-cccc",
        aliases=("CVE-2026-1", "PYSEC-2026-9"),
        summary="Header smuggling",
        details="Long text.",
        published="2026-01-01T00:00:00Z",
        modified="2026-02-01T00:00:00Z",
        withdrawn=None,
        severity="MODERATE",
        affected=(Affected(canonicalize_name("foo-bar"), (), ("1.0",)),),
        references=(
            Reference("WEB", "https://example.test/web"),
            Reference("ADVISORY", "https://example.test/advisory"),
        ),
    )
    assert parsed.link() == "https://example.test/advisory"
    assert parsed.ids() == {"GHSA-aaaa-bbbb-cccc", "CVE-2026-1", "PYSEC-2026-9"}


def test_link_prefers_advisory_then_web_then_osv() -> None:
    web = parse_advisory(
        {"id": "X-1", "references": [{"type": "FIX", "url": "f"}, {"type": "WEB", "url": "w"}]}, source="t"
    )
    assert web.link() == "w"
    assert parse_advisory({"id": "X-1"}, source="t").link() == "https://osv.dev/vulnerability/X-1"


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", None),
        ("CVSS:3.1/AV:N/AC:L", None),
    ],
)
def test_cvss3_base_scores(vector: str, score: float | None) -> None:
    assert cvss3_base_score(vector) == score


def test_severity_is_the_word_else_the_cvss3_score_else_the_score_as_written() -> None:
    v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    both = {
        "id": "X",
        "severity": [{"type": "CVSS_V3", "score": v3}],
        "database_specific": {"severity": "HIGH"},
    }
    assert parse_advisory(both, source="t").severity == "HIGH"
    assert parse_advisory(both, source="t").cvss == v3
    assert (
        parse_advisory({"id": "X", "severity": [{"type": "CVSS_V3", "score": v3}]}, source="t").severity
        == "9.8"
    )
    assert (
        parse_advisory({"id": "X", "severity": [{"type": "CVSS_V4", "score": v4}]}, source="t").severity == v4
    )
    per_package = record(versions=["1.0"])
    per_package["affected"][0]["severity"] = [{"type": "CVSS_V3", "score": v3}]
    assert parse_advisory(per_package, source="t").severity == "9.8"
    assert parse_advisory({"id": "X"}, source="t").severity is None


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        ([1, 2], "the record", "must be a JSON object, not a list"),
        ({"summary": "no id"}, "id", "is missing"),
        ({"id": 7}, "id", "must be a string, not a int"),
        ({"id": "X", "aliases": "CVE-1"}, "aliases", "must be a list, not a string"),
        ({"id": "X", "aliases": ["CVE-1", None]}, "aliases[1]", "must be a string, not null"),
        (
            {"id": "X", "affected": [{"package": {"name": "a"}}]},
            "affected[0].package.ecosystem",
            "is missing",
        ),
        (
            {
                "id": "X",
                "affected": [{"package": {"name": "a", "ecosystem": "PyPI"}, "ranges": [{"events": []}]}],
            },
            "affected[0].ranges[0].type",
            "is missing",
        ),
        (
            {
                "id": "X",
                "affected": [
                    {
                        "package": {"name": "a", "ecosystem": "PyPI"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": 2}]}],
                    }
                ],
            },
            "affected[0].ranges[0].events[0].fixed",
            "must be a string, not a int",
        ),
        ({"id": "X", "schema_version": "2.0.0"}, "schema_version", "is '2.0.0'; bale reads OSV schema 1.x"),
    ],
)
def test_parse_errors_name_the_source_and_the_field(data: object, field: str, problem: str) -> None:
    with pytest.raises(AdvisoryError) as caught:
        parse_advisory(data, source="all.zip:X.json")
    assert caught.value.field == field
    assert caught.value.message.startswith("all.zip:X.json")
    assert caught.value.message.endswith(f"{field} {problem}")


def test_small_defects_are_skipped_and_listed_not_fatal() -> None:
    # Real PyPA records have carried an empty event (uv#19492 failed whole audits on one).
    data = record(events=[{"introduced": "0"}, {}, {"fixed": "2.0", "introduced": "1.0"}, {"fixed": "1.5"}])
    data["references"] = [{"type": "WEB"}, {"type": "ADVISORY", "url": "https://a.test"}]
    parsed = parse_advisory(data, source="t")
    assert parsed.affected[0].ranges[0].events == (Event("introduced", "0"), Event("fixed", "1.5"))
    assert parsed.problems == (
        "affected[0].ranges[0].events[1] is empty; skipped",
        "affected[0].ranges[0].events[2] has 2 kinds (fixed, introduced); skipped",
        "references[0] has no URL; skipped",
    )
    assert parsed.link() == "https://a.test"


def test_short_summary_is_the_summary_else_the_first_line_of_details_cut_short() -> None:
    assert advisory(summary="One line").short_summary() == "One line"
    long = "word " * 40
    text = advisory(details=f"\n\n  {long}\nsecond line").short_summary()
    assert text.endswith("\N{HORIZONTAL ELLIPSIS}") and len(text) <= 100 and "second" not in text
    assert advisory().short_summary() == ""


# ---------------------------------------------------------------------------------------------- matching


def test_introduced_zero_and_fixed() -> None:
    adv = advisory(events=[{"introduced": "0"}, {"fixed": "1.1"}])
    # "0" is before every version, pre-releases and dev releases of 0 too.
    assert affected_versions(adv, "0.dev0 0 0.1 1.0 1.1rc1 1.1 1.1.post1 2.0") == [
        "0.dev0",
        "0",
        "0.1",
        "1.0",
        "1.1rc1",
    ]
    assert check(adv, "1.0") == Match(True, (Version("1.1"),))
    assert check(adv, "1.1") == Match(False)


def test_unsorted_events_and_several_intervals_in_one_range() -> None:
    # accesscontrol's PYSEC-2021-335, written out of order.
    events = [{"fixed": "5.2"}, {"introduced": "5.0"}, {"fixed": "4.3"}, {"introduced": "4.0"}]
    adv = advisory(events=events)
    assert affected_versions(adv, "3.9 4.0 4.2.9 4.3 4.9 5.0 5.1 5.2 6.0") == ["4.0", "4.2.9", "5.0", "5.1"]
    # The fix of the interval that holds the version, not every fix of the range.
    assert check(adv, "4.1").fixed_in == (Version("4.3"),)
    assert check(adv, "5.1").fixed_in == (Version("5.2"),)


def test_several_ranges_and_several_entries_for_one_package() -> None:
    data = record(ranges=[{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.2"}]}])
    data["affected"].append(
        {
            "package": {"name": "DEMO", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.1"}, {"fixed": "1.3"}]}],
        }
    )
    adv = parse_advisory(data, source="t")
    assert affected_versions(adv, "0.9 1.0 1.1 1.2 1.3") == ["1.0", "1.1", "1.2"]
    assert check(adv, "1.1").fixed_in == (Version("1.2"), Version("1.3"))


def test_last_affected_is_inclusive_and_gives_no_fix() -> None:
    adv = advisory(events=[{"introduced": "0"}, {"last_affected": "1.0"}])
    assert affected_versions(adv, "0.5 1.0 1.0.post1 1.1") == ["0.5", "1.0"]
    assert check(adv, "1.0") == Match(True, ())


def test_limit_events() -> None:
    adv = advisory(events=[{"introduced": "0"}, {"limit": "2.0"}])
    assert affected_versions(adv, "1.0 1.9 2.0 3.0") == ["1.0", "1.9"]
    star = advisory(events=[{"introduced": "1.0"}, {"limit": "*"}])
    assert affected_versions(star, "0.9 1.0 99") == ["1.0", "99"]
    both = advisory(events=[{"introduced": "0"}, {"fixed": "1.5"}, {"limit": "3.0"}, {"limit": "1.0"}])
    assert affected_versions(both, "0.5 1.2 1.5") == ["0.5", "1.2"]


def test_an_interval_that_opens_and_closes_at_one_version_is_empty() -> None:
    adv = advisory(events=[{"fixed": "1.0"}, {"introduced": "1.0"}])
    assert affected_versions(adv, "0.9 1.0 1.1") == []


def test_pre_releases_order_by_pep_440() -> None:
    adv = advisory(events=[{"introduced": "2.0a1"}, {"fixed": "2.0rc2"}])
    assert affected_versions(adv, "1.9 2.0a1 2.0b1 2.0rc1 2.0rc2 2.0") == ["2.0a1", "2.0b1", "2.0rc1"]


def test_versions_lists_and_git_ranges() -> None:
    # A GIT range is not evaluated (the versions list holds its releases) and is not reported.
    adv = advisory(
        ranges=[
            {"type": "GIT", "repo": "https://x.test/r", "events": [{"introduced": "0"}, {"fixed": "abc123"}]},
        ],
        versions=["1.0", "1.1"],
    )
    assert affected_versions(adv, "0.9 1.0 1.0.0 1.1 1.2") == ["1.0", "1.0.0", "1.1"]
    assert check(adv, "1.0") == Match(True, (), ())
    # Listed, outside the ECOSYSTEM range: affected, and the first fix above it that a range names.
    listed = advisory(
        events=[{"introduced": "0"}, {"fixed": "0.5"}, {"introduced": "3.0"}, {"fixed": "3.1"}],
        versions=["2.0"],
    )
    assert check(listed, "2.0") == Match(True, (Version("3.1"),))


def test_names_are_compared_normalized() -> None:
    adv = advisory(name="Foo_Bar.baz", versions=["1.0"])
    assert adv.affected[0].name == "foo-bar-baz"
    assert check(adv, "1.0", name="foo-bar-baz").affected
    assert check(adv, "1.0", name="Foo.Bar_Baz").affected
    assert not check(adv, "1.0", name="foo-bar").affected


def test_range_types_bale_cannot_evaluate_are_reported_not_dropped() -> None:
    adv = advisory(
        ranges=[
            {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]},
            {"type": "VERSION_SCHEME_X", "events": [{"introduced": "0"}]},
        ]
    )
    assert check(adv, "1.0") == Match(False, (), ("SEMVER", "VERSION_SCHEME_X"))
    # Reported for the package only: another package's record says nothing about this one.
    assert check(adv, "1.0", name="other") == Match(False)


def test_invalid_versions_and_unknown_events_are_skipped_and_reported() -> None:
    adv = advisory(
        events=[
            {"introduced": "abc"},
            {"introduced": "1.0"},
            {"fixed": "not-a-version!"},
            {"patched": "1.5"},
        ],
        versions=["1.0", "weird version"],
    )
    result = check(adv, "1.2")
    assert result.affected
    assert result.unevaluated == (
        "invalid version 'weird version'",
        "invalid version 'abc'",
        "invalid version 'not-a-version!'",
        "unknown event 'patched'",
    )
    assert not check(adv, "0.5").affected


# ---------------------------------------------------------------------------------------------- findings

PKG = canonicalize_name("demo")


def test_records_that_alias_each_other_are_one_finding_with_the_pysec_id() -> None:
    pysec = advisory(
        "PYSEC-2026-1",
        events=[{"introduced": "0"}, {"fixed": "1.1"}],
        aliases=["CVE-2026-1"],
        summary="From PyPA",
    )
    ghsa = advisory(
        "GHSA-aaaa-bbbb-cccc",
        events=[{"introduced": "0"}, {"fixed": "1.2"}],
        aliases=["PYSEC-2026-1", "CVE-2026-1"],
        summary="From GitHub",
        database_specific={"severity": "HIGH"},
        references=[{"type": "ADVISORY", "url": "https://github.test/GHSA"}],
    )
    for order in ([pysec, ghsa], [ghsa, pysec]):
        found, warnings = findings([(PKG, Version("1.0"))], {PKG: order})
        assert found == [
            Finding(
                name=PKG,
                version=Version("1.0"),
                id="PYSEC-2026-1",
                aliases=("CVE-2026-1", "GHSA-aaaa-bbbb-cccc"),
                summary="From PyPA",
                severity="HIGH",  # the PYSEC record rates nothing; the GHSA one does
                fixed_in=(Version("1.1"), Version("1.2")),
                link="https://osv.dev/vulnerability/PYSEC-2026-1",
            )
        ]
        assert warnings == []
        assert found[0].ids() == {"PYSEC-2026-1", "CVE-2026-1", "GHSA-aaaa-bbbb-cccc"}


def test_grouping_is_transitive_through_a_shared_cve_and_chooses_ghsa_over_cve() -> None:
    a = advisory("GHSA-1111-1111-1111", versions=["1.0"], aliases=["CVE-2026-5"])
    b = advisory("CVE-2026-5", versions=["1.0"], details="NVD's words.\nMore.")
    c = advisory("OSV-2026-3", versions=["1.0"], aliases=["CVE-2026-5"])
    unrelated = advisory("GHSA-2222-2222-2222", versions=["1.0"], aliases=["CVE-2026-6"])
    found, _ = findings([(PKG, Version("1.0"))], {PKG: [b, unrelated, c, a]})
    assert [(f.id, f.aliases, f.summary) for f in found] == [
        ("GHSA-1111-1111-1111", ("CVE-2026-5", "OSV-2026-3"), "NVD's words."),
        ("GHSA-2222-2222-2222", ("CVE-2026-6",), ""),
    ]


def test_findings_are_sorted_and_skip_withdrawn_unaffected_and_repeated_records() -> None:
    other = canonicalize_name("Other_Pkg")
    live = advisory("PYSEC-2026-2", versions=["1.0", "2.0"])
    gone = advisory("PYSEC-2026-1", versions=["1.0"], withdrawn="2026-02-01T00:00:00Z")
    later = advisory("GHSA-zzzz-zzzz-zzzz", name="other-pkg", events=[{"introduced": "3.0"}])
    found, warnings = findings(
        [(other, Version("1.0")), (PKG, Version("2.0")), (PKG, Version("1.0")), (PKG, Version("1.0"))],
        {PKG: [gone, live, live], other: [later]},
    )
    assert [(f.name, str(f.version), f.id) for f in found] == [
        ("demo", "1.0", "PYSEC-2026-2"),
        ("demo", "2.0", "PYSEC-2026-2"),
    ]
    assert warnings == []


def test_warnings_name_the_record_the_package_and_what_was_skipped() -> None:
    semver = advisory("GHSA-ssss-ssss-ssss", events=[{"introduced": "0"}], kind="SEMVER")
    bad = parse_advisory(
        record("PYSEC-2026-7", events=[{"introduced": "0"}, {}, {"fixed": "x y"}]), source="t"
    )
    found, warnings = findings([(PKG, Version("1.0"))], {PKG: [semver, bad]})
    assert [f.id for f in found] == ["PYSEC-2026-7"]  # the bad fix was skipped: affected, conservatively
    assert warnings == [
        "GHSA-ssss-ssss-ssss for demo 1.0: skipped its SEMVER range (not evaluated)",
        "PYSEC-2026-7 for demo 1.0: skipped invalid version 'x y' (not evaluated)",
        "PYSEC-2026-7 for demo: affected[0].ranges[0].events[1] is empty; skipped",
    ]


def test_advisory_values_are_plain_data() -> None:
    adv = Advisory(
        "X-1", affected=(Affected(PKG, (AffectedRange("ECOSYSTEM", (Event("introduced", "0"),)),), ()),)
    )
    assert check(adv, "1.0") == Match(True)
    assert hash(adv) == hash(Advisory("X-1", affected=adv.affected))
