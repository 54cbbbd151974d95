"""``bale lock --diff`` and ``bale diff``: a project locked against indexes on 127.0.0.1 and committed in a
git repository made by the test, then relocked; lock files written by hand for publishers and
vulnerabilities (a local OSV database fetched from the test OSV server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.audit.test_audit_cli import LIB_VULN

PROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={major}.{minor}"
dependencies = {dependencies}
"""
OTHER_INDEX = """
[[tool.bale.index]]
name = "other"
url = "{url}"
"""


def git(root: Path, *args: str) -> str:
    """git in ``root``, blind to the machine's and the user's configuration."""
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "bale tests",
        "GIT_AUTHOR_EMAIL": "tests@bale.invalid",
        "GIT_COMMITTER_NAME": "bale tests",
        "GIT_COMMITTER_EMAIL": "tests@bale.invalid",
    }
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def write_project(root: Path, dependencies: list[str], extra: str = "") -> None:
    major, minor = sys.version_info[:2]
    text = PROJECT.format(major=major, minor=minor, dependencies=json.dumps(dependencies)) + extra
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(text, encoding="utf-8")


def committed_project(make_pkg, static_index, run_bale, tmp_path: Path):
    """demo -> app, lib<2, gone; locked and committed. (main index, other index, root)"""
    main = static_index(
        [
            make_pkg("app", "1.0", requires_dist=["lib"], license="MIT"),
            make_pkg("app", "0.9", requires_dist=["lib"], license="MIT"),
            make_pkg("lib", "1.0", license="MIT"),
            make_pkg("lib", "2.0", sdist=True, license="Apache-2.0"),  # only an sdist
            make_pkg("gone", "1.0"),
        ]
    )
    other = static_index([make_pkg("newpkg", "1.0", sdist=True, license="ISC")])
    root = tmp_path / "demo"
    write_project(root, ["app", "lib<2", "gone"])
    locked = run_bale("lock", "-i", main.url, cwd=root)
    assert locked.code == 0, locked
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "lock")
    return main, other, root


DIFF = """\
{old} -> {new}: 1 added, 1 removed, 1 upgraded, 1 downgraded
To review: 2 packages building from source, 1 new host, 1 new index, 1 licence changed

Packages:
  downgraded  app 1.0 -> 0.9
  removed     gone 1.0
  upgraded    lib 1.0 -> 2.0
  added       newpkg 1.0

Builds from source at install (its code runs there):
  lib 2.0: only an sdist (1.0 had wheels)
  newpkg 1.0: only an sdist (a new package)

New indexes and hosts:
  host HOST: newpkg
  index http://HOST/simple: newpkg

Licences:
  lib 1.0 -> 2.0: MIT -> Apache-2.0
  newpkg 1.0: ISC (new package)

note: vulnerabilities not compared: no local database (`bale audit --update-db` fetches it)
"""


def edited(make_pkg, static_index, run_bale, tmp_path: Path):
    """The committed project with its requirements edited (app<1, lib>=2, newpkg from another index):
    (main index, the other index's host, root)."""
    main, other, root = committed_project(make_pkg, static_index, run_bale, tmp_path)
    write_project(root, ["app<1", "lib>=2", "newpkg"], OTHER_INDEX.format(url=other.url))
    return main, other.url.split("/")[2], root


def test_lock_diff_with_check_and_dry_run(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    main, host, root = edited(make_pkg, static_index, run_bale, tmp_path)
    before = (root / "pylock.toml").read_text()

    # --check --diff: what relocking would do, then the error; nothing written.
    checked = run_bale("lock", "--check", "--diff", "-i", main.url, cwd=root)
    assert checked.code == 1, checked
    assert checked.stdout.replace(host, "HOST") == DIFF.format(
        old="pylock.toml (before)", new="pylock.toml (dry run)"
    )
    assert "needs to be updated" in checked.stderr
    dry = run_bale("lock", "--dry-run", "-i", main.url, cwd=root)
    assert (dry.code, dry.stdout) == (0, ""), dry
    assert dry.stderr.endswith("Dry run: pylock.toml not written (`--diff` shows what would change)\n")
    assert (root / "pylock.toml").read_text() == before

    locked = run_bale("lock", "--diff", "-i", main.url, cwd=root)
    assert locked.code == 0, locked
    assert locked.stdout.replace(host, "HOST") == DIFF.format(old="pylock.toml (before)", new="pylock.toml")
    assert "Updated lib v1.0 -> v2.0" in locked.stderr  # the usual summary stays on stderr


def test_diff_of_git_revisions(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    main, host, root = edited(make_pkg, static_index, run_bale, tmp_path)
    assert run_bale("lock", "-i", main.url, cwd=root).code == 0

    # HEAD's lock against the working tree's; --exit-code: 1, as they differ.
    shown = run_bale("diff", "--exit-code", "-i", main.url, cwd=root)
    assert (shown.code, shown.stderr) == (1, ""), shown
    assert shown.stdout.replace(host, "HOST") == DIFF.format(old="HEAD:pylock.toml", new="pylock.toml")

    markdown = run_bale("diff", "main", "--format", "markdown", "--no-licenses", cwd=root)
    assert markdown.code == 0, markdown
    lines = markdown.stdout.replace(host, "HOST").splitlines()
    assert lines[:3] == [
        "**Lock changes** (main:pylock.toml -> pylock.toml): 1 added, 1 removed, 1 upgraded, 1 downgraded",
        "",
        "> **To review:** 2 packages building from source, 1 new host, 1 new index",
    ]
    assert "| upgraded | `lib` | 1.0 | 2.0 |  |" in lines
    assert "- `lib` 2.0: only an sdist (1.0 had wheels)" in lines
    assert "- host `HOST`: `newpkg`" in lines
    assert "#### Licences" not in lines

    data = json.loads(
        run_bale("diff", "HEAD", "pylock.toml", "--format", "json", "-i", main.url, cwd=root).stdout
    )
    assert (data["old"], data["new"], data["changed"]) == ("HEAD:pylock.toml", "pylock.toml", True)
    assert [(p["change"], p["name"], p["old"], p["new"]) for p in data["packages"]] == [
        ("downgraded", "app", "1.0", "0.9"),
        ("removed", "gone", "1.0", None),
        ("upgraded", "lib", "1.0", "2.0"),
        ("added", "newpkg", None, "1.0"),
    ]
    assert data["licenses"] == [
        {"name": "lib", "old_version": "1.0", "new_version": "2.0", "old": "MIT", "new": "Apache-2.0"},
        {"name": "newpkg", "old_version": None, "new_version": "1.0", "old": None, "new": "ISC"},
    ]
    assert data["vulnerabilities"] is None

    # Committed: nothing between HEAD and the working tree.
    git(root, "commit", "-q", "-am", "relock")
    same = run_bale("diff", "--exit-code", "-i", main.url, cwd=root)
    assert (same.code, same.stdout) == (
        0,
        "HEAD:pylock.toml -> pylock.toml: no package changes\n\n" + DIFF.splitlines()[-1] + "\n",
    ), same
    two = run_bale("diff", "HEAD~1", "HEAD", "--no-licenses", cwd=root)
    assert two.stdout.splitlines()[0] == (
        "HEAD~1:pylock.toml -> HEAD:pylock.toml: 1 added, 1 removed, 1 upgraded, 1 downgraded"
    )


# ---------------------------------------------------------------------------------------------- by hand

HASH = "0" * 64


def hand_lock(*entries: tuple[str, str, str]) -> str:
    """A lock of ``(name, version, extra TOML)`` entries, each with one wheel on a closed port."""
    lines = ['lock-version = "1.0"', 'created-by = "test"', ""]
    for name, version, extra in entries:
        filename = f"{name}-{version}-py3-none-any.whl"
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            'index = "http://127.0.0.1:9/simple"',
            f'wheels = [{{ name = "{filename}", url = "http://127.0.0.1:9/files/{filename}", '
            f'hashes = {{ sha256 = "{HASH}" }} }}]',
        ]
        if extra:
            lines.append(extra)
        lines.append("")
    return "\n".join(lines)


def identity(repository: str) -> str:
    table = f'{{ kind = "GitHub", repository = "{repository}", workflow = "release.yml" }}'
    return f"attestation-identities = [{table}]"


def test_changed_and_lost_publishers_are_flagged(run_bale, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    write_project(root, ["lib", "tool"])
    lock = root / "pylock.toml"
    lock.write_text(hand_lock(("lib", "1.0", identity("org/lib")), ("tool", "1.0", identity("org/tool"))))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "lock")
    lock.write_text(hand_lock(("lib", "1.1", identity("someone/lib")), ("tool", "1.0", "")))
    shown = run_bale("diff", "--no-licenses", cwd=root)
    assert shown.code == 0, shown
    assert shown.stdout == (
        "HEAD:pylock.toml -> pylock.toml: 1 upgraded\n"
        "To review: 2 publishers changed or lost\n"
        "\n"
        "Packages:\n"
        "  upgraded  lib 1.0 -> 1.1\n"
        "\n"
        "Publishers (attestation identities):\n"
        "  lib 1.0 -> 1.1: changed: GitHub: repository=org/lib, workflow=release.yml -> "
        "GitHub: repository=someone/lib, workflow=release.yml\n"
        "  tool 1.0: lost: GitHub: repository=org/tool, workflow=release.yml -> none\n"
        "\n"
        "note: vulnerabilities not compared: no local database (`bale audit --update-db` fetches it)\n"
    )
    data = json.loads(run_bale("diff", "--no-licenses", "--format", "json", cwd=root).stdout)
    assert [(p["change"], p["name"]) for p in data["publishers"]] == [("changed", "lib"), ("lost", "tool")]


def test_vulnerabilities_fixed_and_introduced_by_the_local_database(
    run_bale, tmp_path: Path, osv_server
) -> None:
    osv = osv_server([LIB_VULN])  # lib < 1.1
    assert run_bale("audit", "--update-db", "--db-url", osv.db_url, cwd=tmp_path).code == 0
    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    old.write_text(hand_lock(("lib", "1.0", "")))
    new.write_text(hand_lock(("lib", "1.1", "")))
    fixed = run_bale("diff", "old.toml", "new.toml", "--no-licenses", cwd=tmp_path)
    assert (fixed.code, fixed.stderr) == (0, ""), fixed
    assert fixed.stdout.splitlines()[-2:] == [
        "Vulnerabilities:",
        "  fixed  PYSEC-2026-1 (CVE-2026-1111, GHSA-aaaa-bbbb-cccc) in lib 1.0 (HIGH): "
        "lib lets a crafted header through; no longer affects the lock",
    ]
    introduced = run_bale("diff", "new.toml", "old.toml", "--no-licenses", "--format", "json", cwd=tmp_path)
    data = json.loads(introduced.stdout)
    assert [v["id"] for v in data["vulnerabilities"]["introduced"]] == ["PYSEC-2026-1"]
    assert data["vulnerabilities"]["fixed"] == []
    assert data["notes"] == []
    markdown = run_bale("diff", "new.toml", "old.toml", "--no-licenses", "--format", "markdown", cwd=tmp_path)
    assert "> **To review:** 1 vulnerability introduced" in markdown.stdout.splitlines()


def test_errors_name_the_revision_and_the_file(run_bale, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    write_project(root, ["lib"])
    (root / "pylock.toml").write_text(hand_lock(("lib", "1.0", "")))

    outside = run_bale("diff", "--no-licenses", cwd=root)
    assert outside.code == 1
    assert outside.stderr.startswith(
        f"error: Cannot read pylock.toml at revision 'HEAD': {root} is not inside a git repository\n"
    ), outside
    assert "Traceback" not in outside.stderr

    git(root, "init", "-q", "-b", "main")
    git(root, "add", "pyproject.toml")
    git(root, "commit", "-q", "-m", "no lock yet")
    unknown = run_bale("diff", "v9.9", cwd=root)
    assert unknown.code == 1
    assert unknown.stderr.startswith(
        f"error: There is no revision 'v9.9' in the git repository at {root}\n"
    ), unknown
    missing = run_bale("diff", cwd=root)
    assert missing.code == 1
    assert missing.stderr.startswith(
        f"error: Revision 'HEAD' has no pylock.toml (in the git repository at {root})\n"
    ), missing
    no_file = run_bale("diff", "old.toml", cwd=root)
    assert (no_file.code, no_file.stderr) == (1, "error: The lock file old.toml does not exist\n"), no_file
