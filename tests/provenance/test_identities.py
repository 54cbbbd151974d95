"""The pure parts: provenance URLs on index pages, identity tables, changes between locks, requirements."""

from __future__ import annotations

import json

import pytest
from packaging.utils import canonicalize_name

from bale.errors import BaleError
from bale.index.simple import parse_project_page
from bale.lock.provenance import (
    FileProvenance,
    check_required_provenance,
    describe_identity,
    identity_changes,
    parse_required,
    sorted_identities,
)
from bale.lock.pylock import LockedPackage, LockInput, read_pylock, write_pylock

GITHUB = {"kind": "GitHub", "repository": "org/project", "workflow": "release.yml", "environment": None}
GITLAB = {"kind": "GitLab", "repository": "org/project", "workflow_filepath": ".gitlab-ci.yml"}
PAGE = "https://index.example/simple/demo/"


def test_json_and_html_pages_give_absolute_provenance_urls() -> None:
    page = {
        "meta": {"api-version": "1.3"},
        "name": "demo",
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "../../f/demo-1.0-py3-none-any.whl",
                "hashes": {"sha256": "a" * 64},
                "provenance": "../../p/demo-1.0.whl.provenance",
            },
            {"filename": "demo-1.0.tar.gz", "url": "../../f/demo-1.0.tar.gz", "provenance": None},
        ],
    }
    wheel, sdist = parse_project_page(json.dumps(page).encode(), "application/json", PAGE, "demo")
    assert wheel.provenance == "https://index.example/p/demo-1.0.whl.provenance"
    assert sdist.provenance is None
    html = (
        b'<a href="../../f/demo-1.0-py3-none-any.whl#sha256=' + b"a" * 64 + b'" '
        b'data-provenance="https://files.example/demo-1.0.whl.provenance">w</a>'
        b'<a href="../../f/demo-1.0.tar.gz">s</a>'
    )
    wheel, sdist = parse_project_page(html, "text/html", PAGE, "demo")
    assert wheel.provenance == "https://files.example/demo-1.0.whl.provenance"
    assert sdist.provenance is None


def test_identities_are_written_sorted_without_empty_fields_and_read_back() -> None:
    from packaging.pylock import PackageWheel

    wheel = PackageWheel(
        name="demo-1.0-py3-none-any.whl",
        url="https://x/demo-1.0-py3-none-any.whl",
        hashes={"sha256": "a" * 64},
        upload_time=None,
        size=None,
    )
    package = LockedPackage("demo", "1.0", wheels=(wheel,), attestation_identities=(GITLAB, GITHUB, GITHUB))
    text = write_pylock(LockInput(packages=(package,)))
    assert (
        "attestation-identities = [\n"
        '    { kind = "GitHub", repository = "org/project", workflow = "release.yml" },\n'
        '    { kind = "GitLab", repository = "org/project", workflow_filepath = ".gitlab-ci.yml" },\n'
        "]\n"
    ) in text
    lock = read_pylock(text, source="pylock.toml")
    assert [dict(i) for i in lock.packages[0].attestation_identities or ()] == sorted_identities(
        [GITHUB, GITLAB]
    )


def test_changes_flag_a_new_publisher_and_lost_attestations_not_gained_ones() -> None:
    a, b, c = (canonicalize_name(n) for n in ("a", "b", "c"))
    old = {a: [GITHUB], b: [GITHUB], c: [GITHUB]}
    new = {a: [GITLAB], c: [{**GITHUB, "environment": None}], canonicalize_name("d"): [GITHUB]}
    changes = identity_changes(old, new, {a, b, c, canonicalize_name("d")})
    assert [(change.name, bool(change.new)) for change in changes] == [(a, True), (b, False)]
    assert changes[0].message == (
        "the publisher of a changed: the previous lock recorded GitHub repository=org/project "
        "workflow=release.yml, now GitLab repository=org/project workflow_filepath=.gitlab-ci.yml"
    )
    assert changes[1].message.startswith("b lost its attestations: the previous lock recorded its publisher")
    # A package no longer locked is not flagged.
    assert identity_changes(old, {}, set()) == []
    assert describe_identity(GITHUB) == "GitHub repository=org/project workflow=release.yml"


def test_required_provenance_names_every_unattested_file() -> None:
    assert parse_required(" Requests,urllib3  foo_bar ") == {"requests", "urllib3", "foo-bar"}
    name = canonicalize_name("requests")
    files = [
        FileProvenance(name, "requests 2.0", "requests-2.0-py3-none-any.whl", (dict(GITHUB),)),
        FileProvenance(name, "requests 2.0", "requests-2.0.tar.gz", (), "its index serves no provenance"),
        FileProvenance(canonicalize_name("other"), "other 1.0", "other-1.0.tar.gz", ()),
    ]
    check_required_provenance(frozenset(), files)
    check_required_provenance({canonicalize_name("absent")}, files)
    with pytest.raises(BaleError) as caught:
        check_required_provenance({name}, files)
    assert caught.value.message == (
        "Cannot lock requests 2.0: requests-2.0.tar.gz has no verified provenance, "
        "and provenance is required for requests"
    )
    assert caught.value.context == ("requests-2.0.tar.gz: its index serves no provenance",)
