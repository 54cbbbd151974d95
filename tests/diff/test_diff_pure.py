"""The pure lock diff: two ``Pylock`` values (and looked-up licences and findings) -> a ``LockDiff``, and
its renderings. Locks are written here as TOML, a few lines a package."""

from __future__ import annotations

import json

from packaging.pylock import Pylock
from packaging.version import Version

from bale.audit.findings import Finding
from bale.lock.diff import (
    LicenseChange,
    PackageChange,
    PublisherChange,
    SourceBuild,
    SourceChange,
    diff_locks,
    license_keys,
)
from bale.lock.diff_format import render_diff, review_line, summary_line
from bale.lock.pylock import read_pylock
from bale.model.names import normalize

HASH = "0" * 64


def wheel(name: str, version: str, host: str = "files.example") -> str:
    filename = f"{name}-{version}-py3-none-any.whl"
    return f'{{ name = "{filename}", url = "https://{host}/{filename}", hashes = {{ sha256 = "{HASH}" }} }}'


def sdist(name: str, version: str, host: str = "files.example") -> str:
    filename = f"{name}-{version}.tar.gz"
    return f'{{ name = "{filename}", url = "https://{host}/{filename}", hashes = {{ sha256 = "{HASH}" }} }}'


def package(
    name: str,
    version: str,
    *,
    wheels: bool = True,
    source: bool = False,
    marker: str | None = None,
    host: str = "files.example",
    index: str = "https://pypi.example/simple",
    extra: str = "",
) -> str:
    lines = ["[[packages]]", f'name = "{name}"', f'version = "{version}"']
    if marker is not None:
        lines.append(f"marker = {json.dumps(marker)}")
    lines.append(f'index = "{index}"')
    if source:
        lines.append(f"sdist = {sdist(name, version, host)}")
    if wheels:
        lines.append(f"wheels = [{wheel(name, version, host)}]")
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def lock(*packages: str) -> Pylock:
    text = 'lock-version = "1.0"\ncreated-by = "test"\n\n' + "\n\n".join(packages) + "\n"
    return read_pylock(text, source="pylock.toml")


def finding(name: str, version: str, ident: str, *, aliases: tuple[str, ...] = ()) -> Finding:
    return Finding(
        name=normalize(name),
        version=Version(version),
        id=ident,
        aliases=aliases,
        summary=f"{name} is unsafe",
        severity="HIGH",
        fixed_in=(Version("9.0"),),
        link=f"https://example.test/{ident}",
    )


def test_versions_added_removed_upgraded_downgraded_in_pep440_order() -> None:
    old = lock(package("a", "1.0"), package("b", "2.0"), package("gone", "1.0"), package("pre", "1.0rc1"))
    new = lock(package("a", "1.10"), package("b", "1.9"), package("new", "0.1"), package("pre", "1.0"))
    diff = diff_locks(old, new)
    assert diff.packages == (
        PackageChange("upgraded", normalize("a"), "1.0", "1.10"),
        PackageChange("downgraded", normalize("b"), "2.0", "1.9"),
        PackageChange("removed", normalize("gone"), "1.0", None),
        PackageChange("added", normalize("new"), None, "0.1"),
        PackageChange("upgraded", normalize("pre"), "1.0rc1", "1.0"),
    )
    assert summary_line(diff) == "1 added, 1 removed, 2 upgraded, 1 downgraded"
    assert diff.changed
    assert review_line(diff) is None  # same index and host, wheels throughout


def test_identical_locks_have_nothing_to_review() -> None:
    same = lock(package("a", "1.0"))
    diff = diff_locks(same, same, licenses=({}, {}), findings=([], []))
    assert not diff.changed
    assert render_diff(diff, "text", old="HEAD:pylock.toml", new="pylock.toml") == (
        "HEAD:pylock.toml -> pylock.toml: no package changes\n"
    )


def test_universal_lock_entries_pair_by_marker() -> None:
    old = lock(
        package("lib", "1.0", marker="python_version < '3.12'"),
        package("lib", "2.0", marker="python_version >= '3.12'"),
    )
    new = lock(
        package("lib", "1.0", marker="python_version < '3.12'"),
        package("lib", "2.1", marker="python_version >= '3.12'"),
        package("lib", "3.0", marker="python_version >= '3.14'"),
    )
    diff = diff_locks(old, new)
    assert diff.packages == (
        PackageChange("upgraded", normalize("lib"), "2.0", "2.1", 'python_version >= "3.12"'),
        PackageChange("added", normalize("lib"), None, "3.0", 'python_version >= "3.14"'),
    )
    text = render_diff(diff, "text", old="a", new="b")
    assert '  upgraded  lib 2.0 -> 2.1 ; python_version >= "3.12"' in text.splitlines()


def test_sdist_only_entries_are_flagged() -> None:
    old = lock(package("lib", "1.0"), package("both", "1.0", source=True))
    new = lock(
        package("lib", "2.0", wheels=False, source=True),  # had wheels, now builds
        package("both", "1.1", source=True),  # still has wheels: installs a wheel
        package("fresh", "1.0", wheels=False, source=True),
    )
    diff = diff_locks(old, new)
    assert diff.source_builds == (
        SourceBuild(normalize("fresh"), "1.0", "only an sdist", "a new package"),
        SourceBuild(normalize("lib"), "2.0", "only an sdist", "1.0 had wheels"),
    )
    assert review_line(diff) == "2 packages building from source"
    # An sdist-only package that stays sdist-only is no news.
    assert diff_locks(new, lock(package("lib", "2.1", wheels=False, source=True))).source_builds == ()


def test_git_sources_and_their_commits() -> None:
    git = '[packages.vcs]\ntype = "git"\nurl = "https://git.example/lib.git"\ncommit-id = "{commit}"'
    old = lock(package("lib", "1.0"))
    new = lock(f'[[packages]]\nname = "lib"\nversion = "1.0"\n{git.format(commit="a" * 40)}')
    newer = lock(f'[[packages]]\nname = "lib"\nversion = "1.0"\n{git.format(commit="b" * 40)}')
    diff = diff_locks(old, new)
    assert diff.packages == (
        PackageChange(
            "changed",
            normalize("lib"),
            "1.0",
            "1.0",
            detail=f"index -> git https://git.example/lib.git@{'a' * 40}",
        ),
    )
    assert diff.source_builds == (SourceBuild(normalize("lib"), "1.0", "a git checkout", "1.0 had wheels"),)
    assert [s.value for s in diff.sources] == ["git.example"]
    moved = diff_locks(new, newer)
    assert [c.detail for c in moved.packages] == [
        f"git https://git.example/lib.git@{'a' * 40} -> git https://git.example/lib.git@{'b' * 40}"
    ]
    assert moved.source_builds == ()  # it built from source before too


def test_new_hosts_indexes_and_moved_packages() -> None:
    old = lock(package("a", "1.0"), package("b", "1.0"))
    new = lock(
        package("a", "1.0"),
        package("b", "1.0", index="https://mirror.example/simple", host="cdn.mirror.example"),
        package("c", "1.0", index="https://user:secret@mirror.example/simple", host="cdn.mirror.example"),
    )
    diff = diff_locks(old, new)
    assert diff.sources == (
        SourceChange("host", "cdn.mirror.example", (normalize("b"), normalize("c"))),
        SourceChange("host", "mirror.example", (normalize("b"), normalize("c"))),
        SourceChange("index", "https://mirror.example/simple", (normalize("b"), normalize("c"))),
        SourceChange(
            "moved", "https://pypi.example/simple -> https://mirror.example/simple", (normalize("b"),)
        ),
    )
    assert "secret" not in render_diff(diff, "json", old="a", new="b")
    assert review_line(diff) == "2 new hosts, 1 new index, 1 package on another index"


def test_publishers_changed_lost_and_gained() -> None:
    def ident(repository: str) -> str:
        return (
            f'attestation-identities = [{{ kind = "GitHub", repository = "{repository}", '
            'workflow = "release.yml" }]'
        )

    old = lock(
        package("a", "1.0", extra=ident("org/a")),
        package("b", "1.0", extra=ident("org/b")),
        package("c", "1.0"),
    )
    new = lock(
        package("a", "1.1", extra=ident("someone/a")),
        package("b", "1.0"),
        package("c", "1.0", extra=ident("org/c")),
    )
    diff = diff_locks(old, new)
    assert diff.publishers == (
        PublisherChange(
            "changed",
            normalize("a"),
            "1.0",
            "1.1",
            ("GitHub: repository=org/a, workflow=release.yml",),
            ("GitHub: repository=someone/a, workflow=release.yml",),
        ),
        PublisherChange(
            "lost", normalize("b"), "1.0", "1.0", ("GitHub: repository=org/b, workflow=release.yml",), ()
        ),
        PublisherChange(
            "gained", normalize("c"), "1.0", "1.0", (), ("GitHub: repository=org/c, workflow=release.yml",)
        ),
    )
    assert review_line(diff) == "2 publishers changed or lost"
    lines = render_diff(diff, "text", old="a", new="b").splitlines()
    assert "  b 1.0: lost: GitHub: repository=org/b, workflow=release.yml -> none" in lines


def test_licences_of_new_and_changed_versions_only() -> None:
    old = lock(package("a", "1.0"), package("b", "1.0"), package("same", "1.0"))
    new = lock(package("a", "2.0"), package("b", "1.1"), package("same", "1.0"), package("c", "1.0"))
    old_keys, new_keys = license_keys(old, new)
    assert (old_keys, new_keys) == ({0, 1}, {0, 1, 3})  # `same` needs no lookup
    licenses = ({0: "MIT", 1: "BSD-3-Clause"}, {0: "GPL-3.0-only", 1: "BSD-3-Clause", 3: "UNKNOWN"})
    diff = diff_locks(old, new, licenses=licenses)
    assert diff.licenses == (
        LicenseChange(normalize("a"), "1.0", "2.0", "MIT", "GPL-3.0-only"),
        LicenseChange(normalize("c"), None, "1.0", None, "UNKNOWN"),
    )
    assert "1 licence changed" in (review_line(diff) or "")
    # A licence that could not be read is left out (the caller notes why).
    assert diff_locks(old, new, licenses=({}, {3: "MIT"})).licenses == (
        LicenseChange(normalize("c"), None, "1.0", None, "MIT"),
    )


def test_vulnerabilities_fixed_and_introduced_by_advisory_and_alias() -> None:
    old = lock(package("a", "1.0"), package("b", "1.0"))
    new = lock(package("a", "1.1"), package("b", "1.1"))
    before = [finding("a", "1.0", "PYSEC-1"), finding("b", "1.0", "GHSA-x", aliases=("CVE-1",))]
    # b 1.1 is still affected by the same flaw, reported by another id now: neither fixed nor introduced.
    after = [finding("b", "1.1", "PYSEC-9", aliases=("CVE-1",)), finding("a", "1.1", "PYSEC-2")]
    diff = diff_locks(old, new, findings=(before, after))
    assert [(v.kind, v.finding.name, v.finding.id) for v in diff.vulnerabilities or ()] == [
        ("introduced", "a", "PYSEC-2"),
        ("fixed", "a", "PYSEC-1"),
    ]
    assert review_line(diff) == "1 vulnerability introduced"
    assert diff_locks(old, new).vulnerabilities is None  # no data: nothing said


def test_markdown_and_json_renderings() -> None:
    old = lock(package("lib", "1.0"))
    new = lock(package("lib", "2.0", wheels=False, source=True), package("new", "1.0"))
    diff = diff_locks(
        old,
        new,
        licenses=({0: "MIT"}, {0: "GPL-3.0-only", 1: "MIT"}),
        findings=([], [finding("new", "1.0", "PYSEC-7")]),
        notes=("licence of x not read: gone",),
    )
    markdown = render_diff(diff, "markdown", old="main:pylock.toml", new="pylock.toml")
    assert markdown == (
        "**Lock changes** (main:pylock.toml -> pylock.toml): 1 added, 1 upgraded\n"
        "\n"
        "> **To review:** 1 package building from source, 1 licence changed, 1 vulnerability introduced\n"
        "\n"
        "#### Packages\n"
        "\n"
        "| Change | Package | Old | New | Environment |\n"
        "|---|---|---|---|---|\n"
        "| upgraded | `lib` | 1.0 | 2.0 |  |\n"
        "| added | `new` |  | 1.0 |  |\n"
        "\n"
        "#### Builds from source at install\n"
        "\n"
        "- `lib` 2.0: only an sdist (1.0 had wheels)\n"
        "\n"
        "#### Licences\n"
        "\n"
        "| Package | Version | Old licence | New licence |\n"
        "|---|---|---|---|\n"
        "| `lib` | 1.0 -> 2.0 | MIT | GPL-3.0-only |\n"
        "| `new` | 1.0 | (new package) | MIT |\n"
        "\n"
        "#### Vulnerabilities\n"
        "\n"
        "| | ID | Package | Severity | Fixed in | Summary |\n"
        "|---|---|---|---|---|---|\n"
        "| introduced | [PYSEC-7](https://example.test/PYSEC-7) | `new` 1.0 | HIGH | 9.0 | new is unsafe |\n"
        "\n"
        "_Note: licence of x not read: gone_  \n"
    )
    data = json.loads(render_diff(diff, "json", old="main:pylock.toml", new="pylock.toml"))
    assert data["summary"] == {"added": 1, "removed": 0, "upgraded": 1, "downgraded": 0, "changed": 0}
    assert data["vulnerabilities"]["introduced"][0]["id"] == "PYSEC-7"
    assert data["vulnerabilities"]["fixed"] == []
    assert data["source_builds"] == [
        {"name": "lib", "version": "2.0", "what": "only an sdist", "why": "1.0 had wheels", "marker": None}
    ]
    assert data["notes"] == ["licence of x not read: gone"]
