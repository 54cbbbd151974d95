"""The policy as values: parsing with line numbers, layering, and each rule's verdict (pure)."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.audit.licenses import DeclaredLicense
from bale.errors import BaleError
from bale.policy.evaluate import (
    FileFacts,
    explain,
    license_allowed,
    refuse_file,
    refuse_license,
    refuse_severity,
    refuse_source,
    refuse_version,
    severity_level,
)
from bale.policy.model import Layer, Policy, layer_from_table, layered

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)


def org(text: str, file: str = "org.toml") -> Layer:
    text = textwrap.dedent(text).lstrip("\n")
    return layer_from_table(tomllib.loads(text), file=file, text=text, label="organisation")


def project(text: str) -> Layer:
    text = textwrap.dedent(text).lstrip("\n")
    table = tomllib.loads(text)["tool"]["bale"]["policy"]
    return layer_from_table(
        table, file="pyproject.toml", text=text, label="project", where=("tool", "bale", "policy")
    )


def name(text: str):  # type: ignore[no-untyped-def]
    return canonicalize_name(text)


def test_every_key_parses_with_its_line() -> None:
    layer = org(
        """
        # the organisation's rules
        allow = ["requests", "alpha>=1,<3"]
        deny = [
          { package = "alpha>=2", reason = "breaks our API" },
        ]
        indexes = ["https://packages.example.com/simple/"]
        sources = { url = false, git = false, path = true }
        licenses = { allow = ["mit", "BSD-3-Clause"], deny = ["GPL-3.0-only"], unknown = "warn" }
        min-release-age = { default = "7 days", packages = { black = "0 days" } }
        only-binary = ["numpy"]
        require-hashes = true
        max-vulnerability = "medium"
        require-provenance = ["Requests"]
        typosquat = "deny"
        """
    )
    assert [str(rule.origin) for rule in layer.deny] == ["org.toml:4"]
    assert layer.deny[0].reason == "breaks our API"
    assert [rule.text for rule in layer.allow or ()] == ["requests", "alpha>=1,<3"]
    assert str(layer.origin("licenses")) == "org.toml:8"
    assert layer.license_allow == ("MIT", "BSD-3-Clause")
    assert layer.indexes == ("https://packages.example.com/simple",)
    assert layer.min_release_age == timedelta(days=7)
    assert layer.min_release_age_packages == {"black": timedelta(0)}
    assert layer.only_binary == frozenset({"numpy"})
    policy = Policy((layer,))
    assert policy.require_provenance == frozenset({"requests"})
    assert policy.typosquat == "deny"
    assert policy.require_hashes


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(BaleError) as caught:
        org(
            """
            allow = "requests"
            deny = ["alpha>=>2"]
            min-release-age = "soon"
            typosquat = "maybe"
            licences = { allow = ["MIT"] }
            """
        )
    error = caught.value
    assert error.message == "Invalid policy in org.toml: 5 problems"
    assert list(error.context) == [
        "line 5: licences: unknown policy key; did you mean 'licenses'?",
        'line 1: allow: expected an array of requirements ("name>=1"), got a string ("requests")',
        "line 2: deny: invalid requirement 'alpha>=>2': " + error.context[2].split(": ", 3)[3],
        'line 3: min-release-age: expected a duration ("7 days", "12 hours", "P7D"), got a string ("soon")',
        'line 4: typosquat: expected "warn", "deny" or "off", got a string ("maybe")',
    ]


def test_a_project_table_reports_its_own_lines() -> None:
    with pytest.raises(BaleError) as caught:
        project(
            """
            [project]
            name = "demo"

            [tool.bale.policy]
            only-binary = "yes"
            """
        )
    assert caught.value.message == (
        "Invalid policy in pyproject.toml: line 5: tool.bale.policy.only-binary: expected true, false or an "
        'array of package names, got a string ("yes")'
    )


def test_deny_and_allow_refuse_versions() -> None:
    policy = Policy(
        (org('allow = ["alpha>=1,<3", "beta"]\ndeny = [{ package = "alpha>=2", reason = "breaks" }]'),)
    )
    assert refuse_version(policy, name("alpha"), Version("1.5")) is None
    denied = refuse_version(policy, name("alpha"), Version("2.1"))
    assert denied is not None
    assert denied.text == 'is denied (policy rule deny "alpha>=2" at org.toml:2: breaks)'
    outside = refuse_version(policy, name("alpha"), Version("3.0"))
    assert outside is not None and outside.key == "deny"
    unlisted = refuse_version(policy, name("gamma"), Version("1"))
    assert unlisted is not None
    assert unlisted.text == "is not on the allow-list (policy rule allow at org.toml:1)"


def test_file_rules() -> None:
    policy = Policy(
        (
            org(
                """
                indexes = ["https://good.example/simple"]
                min-release-age = { default = "7 days", packages = { fast = "1 hour" } }
                only-binary = true
                require-hashes = true
                """
            ),
        )
    )

    def facts(**changes):  # type: ignore[no-untyped-def]
        base = {
            "name": name("alpha"),
            "version": Version("1"),
            "is_wheel": True,
            "index": "https://good.example/simple",
            "upload_time": NOW - timedelta(days=30),
        }
        return FileFacts(**{**base, **changes})

    assert refuse_file(policy, facts(), NOW) is None
    sdist = refuse_file(policy, facts(is_wheel=False), NOW)
    assert sdist is not None and sdist.text == "has no wheel (policy rule only-binary = true at org.toml:3)"
    other = refuse_file(policy, facts(index="https://good.example/simple-evil"), NOW)
    assert other is not None and other.key == "indexes"
    fresh = refuse_file(policy, facts(upload_time=NOW - timedelta(days=2)), NOW)
    assert fresh is not None
    assert (
        fresh.text
        == 'was uploaded less than 7 days ago (policy rule min-release-age = "7 days" at org.toml:2)'
    )
    assert refuse_file(policy, facts(name=name("fast"), upload_time=NOW - timedelta(hours=2)), NOW) is None
    undated = refuse_file(policy, facts(upload_time=None), NOW)
    assert undated is not None and "cannot be checked" in undated.why
    assert refuse_file(policy, facts(upload_time=None, local=True), NOW) is None
    unhashed = refuse_file(policy, facts(hashed=False), NOW)
    assert unhashed is not None and unhashed.key == "require-hashes"


@pytest.mark.parametrize(
    ("expression", "allowed"),
    [
        ("MIT", True),
        ("GPL-3.0-only", False),
        ("MIT OR GPL-3.0-only", True),
        ("MIT AND GPL-3.0-only", False),
        ("MIT AND (Apache-2.0 OR GPL-3.0-only)", True),
        ("(MIT OR LGPL-2.1-only) AND Zlib", False),
        ("Apache-2.0 WITH LLVM-exception", True),
    ],
)
def test_spdx_expressions(expression: str, allowed: bool) -> None:
    assert license_allowed(expression, ("MIT", "Apache-2.0", "BSD-3-Clause"), ("GPL-3.0-only",)) is allowed


def test_licence_rules_and_unknown_licences() -> None:
    strict = Policy((org('licenses = { allow = ["MIT"] }'),))
    assert refuse_license(strict, DeclaredLicense(spdx="MIT", source="License-Expression")) == (None, [])
    refusal, _ = refuse_license(strict, DeclaredLicense(spdx="GPL-3.0-only"))
    assert refusal is not None and refusal.why == "has a licence the policy refuses, GPL-3.0-only"
    # An allow-list refuses what nobody can read; a deny-list alone lets it through.
    unknown, _ = refuse_license(strict, DeclaredLicense(name="BSD License", source="Classifier"))
    assert unknown is not None and "not an SPDX expression" in unknown.why
    assert refuse_license(Policy((org('licenses = { deny = ["GPL-3.0-only"] }'),)), DeclaredLicense()) == (
        None,
        [],
    )
    warned = Policy((org('licenses = { allow = ["MIT"], unknown = "warn" }'),))
    refusal, notes = refuse_license(warned, DeclaredLicense())
    assert refusal is None
    assert notes == ['declares no licence (policy rule licenses.unknown = "warn" at org.toml:1)']


def test_project_can_tighten_but_not_loosen() -> None:
    organisation = org('deny = ["alpha>=2"]\nmin-release-age = "7 days"\nrequire-hashes = true')
    mine = project(
        """
        [tool.bale.policy]
        deny = ["beta"]
        min-release-age = "1 day"
        require-hashes = false
        """
    )
    policy = layered(organisation, mine)
    assert refuse_version(policy, name("alpha"), Version("2")) is not None
    assert refuse_version(policy, name("beta"), Version("1")) is not None
    young = FileFacts(name("gamma"), Version("1"), True, upload_time=NOW - timedelta(days=3))
    refused = refuse_file(policy, young, NOW)
    assert refused is not None and str(refused.origin) == "org.toml:2"
    assert policy.require_hashes
    assert policy.notices == (
        "pyproject.toml:3: min-release-age (1 day) is looser than the organisation's policy at org.toml:2; "
        "the organisation's applies (it does not set project-overrides = true)",
        "pyproject.toml:4: require-hashes = false is looser than the organisation's policy at org.toml:3; "
        "the organisation's applies (it does not set project-overrides = true)",
    )


def test_project_overrides_replace_the_keys_the_project_sets() -> None:
    organisation = org('project-overrides = true\ndeny = ["alpha>=2"]\nmin-release-age = "7 days"')
    mine = project('[tool.bale.policy]\nmin-release-age = "1 day"')
    policy = layered(organisation, mine)
    young = FileFacts(name("gamma"), Version("1"), True, upload_time=NOW - timedelta(days=3))
    assert refuse_file(policy, young, NOW) is None
    assert refuse_version(policy, name("alpha"), Version("2")) is not None  # not set by the project
    assert policy.notices == ()


def test_sources_severity_and_explain() -> None:
    policy = Policy((org('sources = { git = false }\nmax-vulnerability = "low"\ndeny = ["alpha==2"]'),))
    refusal = refuse_source(policy, "git")
    assert refusal is not None and refusal.text == (
        "comes from a git requirement (policy rule sources.git = false at org.toml:1)"
    )
    assert refuse_source(policy, "url") is None
    assert severity_level("MODERATE") == "medium" and severity_level("9.8") == "critical"
    assert severity_level(None) == "critical"
    assert refuse_severity(policy, "low", "PYSEC-1") is None
    assert refuse_severity(policy, "high", "PYSEC-2") is not None
    verdicts = explain(policy, name("alpha"), Version("2"))
    assert [(v.allows, v.rule, v.detail) for v in verdicts] == [(False, 'deny "alpha==2"', "denies it")]


def test_only_a_policy_without_clock_or_database_rules_is_timeless() -> None:
    assert Policy((org('deny = ["alpha>=2"]\nonly-binary = true\n'),)).timeless
    assert not Policy((org('min-release-age = "7 days"\n'),)).timeless
    assert not Policy(
        (org('min-release-age = { default = "0 days", packages = { black = "3 days" } }\n'),)
    ).timeless
    assert not Policy((org('max-vulnerability = "high"\n'),)).timeless
    assert Policy((org('deny = ["alpha"]\n', file="/etc/org.toml"),)).files == ("/etc/org.toml",)
    assert Policy((org('deny = ["alpha"]\n', file="https://example.com/org.toml"),)).files is None
