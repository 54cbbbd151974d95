"""The pylock.toml merge driver, installed by ``bale git install-merge-driver`` in a repository made by the
test and run by a real ``git merge`` of two branches that each changed the dependencies and relocked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={major}.{minor}"
dependencies = [
    "lib>=1.0",
{ours}
]

[dependency-groups]
dev = [
    "tool",
{theirs}
]
"""


def write(root: Path, ours: str = "", theirs: str = "") -> None:
    major, minor = sys.version_info[:2]
    text = PYPROJECT.format(major=major, minor=minor, ours=ours, theirs=theirs)
    (root / "pyproject.toml").write_text(text, encoding="utf-8")


def git(run_bale, root: Path, *args: str, env: dict[str, str] | None = None, check: bool = True):
    environment = {
        **run_bale.env(env),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "bale tests",
        "GIT_AUTHOR_EMAIL": "tests@bale.invalid",
        "GIT_COMMITTER_NAME": "bale tests",
        "GIT_COMMITTER_EMAIL": "tests@bale.invalid",
    }
    command = ["git", *args]
    return subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True, check=check)


def repository(make_pkg, static_index, run_bale, tmp_path: Path):
    """A locked project on main, a branch ``feature``; (index with everything, root)."""
    base = [make_pkg("lib", "1.0"), make_pkg("tool", "1.0"), make_pkg("other", "1.0"), make_pkg("app", "1.0")]
    main_side = static_index([*base, make_pkg("lib", "1.5")])
    feature_side = static_index([*base, make_pkg("lib", "2.0")])
    everything = static_index([*base, *(make_pkg("lib", v) for v in ("1.5", "2.0", "3.0"))])
    root = tmp_path / "demo"
    root.mkdir()
    write(root)
    assert run_bale("lock", "-i", static_index(base).url, cwd=root).code == 0
    git(run_bale, root, "init", "-q", "-b", "main")
    installed = run_bale("git", "install-merge-driver", cwd=root)
    assert installed.code == 0, installed
    assert (root / ".gitattributes").read_text(encoding="utf-8") == "pylock.toml merge=bale\n"
    git(run_bale, root, "add", ".")
    git(run_bale, root, "commit", "-q", "-m", "base")
    git(run_bale, root, "checkout", "-q", "-b", "feature")
    write(root, theirs='    "app>=1.0",')
    assert run_bale("lock", "-P", "lib", "-i", feature_side.url, cwd=root).code == 0
    git(run_bale, root, "commit", "-q", "-am", "feature: app, lib 2.0")
    git(run_bale, root, "checkout", "-q", "main")
    return main_side, everything, root


def test_merge_relocks_with_both_sides(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    main_side, everything, root = repository(make_pkg, static_index, run_bale, tmp_path)
    write(root, ours='    "other>=1.0",')
    assert run_bale("lock", "-P", "lib", "-i", main_side.url, cwd=root).code == 0
    git(run_bale, root, "commit", "-q", "-am", "main: other, lib 1.5")

    merged = git(run_bale, root, "merge", "--no-edit", "feature", env={"BALE_INDEX_URL": everything.url})
    assert "lib: ours 1.5, theirs 2.0: preferred 2.0" in merged.stderr, merged
    lock = (root / "pylock.toml").read_text(encoding="utf-8")
    assert "<<<<<<<" not in lock
    for entry in ('name = "app"', 'name = "other"', 'name = "tool"'):
        assert entry in lock
    assert 'name = "lib"\nversion = "2.0"' in lock  # the higher pin, not the index's newest (3.0)
    assert git(run_bale, root, "status", "--porcelain").stdout == ""
    synced = run_bale("sync", "--locked", "-i", everything.url, cwd=root)
    assert synced.code == 0, synced


def test_a_conflicting_pyproject_leaves_the_lock_conflicted(make_pkg, static_index, run_bale, tmp_path):
    main_side, everything, root = repository(make_pkg, static_index, run_bale, tmp_path)
    write(root, theirs='    "other>=1.0",')  # the line the feature branch changed too
    assert run_bale("lock", "-P", "lib", "-i", main_side.url, cwd=root).code == 0
    git(run_bale, root, "commit", "-q", "-am", "main: other")

    env = {"BALE_INDEX_URL": everything.url}
    merged = git(run_bale, root, "merge", "--no-edit", "feature", env=env, check=False)
    assert merged.returncode != 0
    assert "pyproject.toml conflicts too: both branches changed the same lines" in merged.stderr
    assert "Traceback" not in merged.stderr
    assert "<<<<<<< ours" in (root / "pylock.toml").read_text(encoding="utf-8")
    unmerged = git(run_bale, root, "diff", "--name-only", "--diff-filter=U").stdout.split()
    assert unmerged == ["pylock.toml", "pyproject.toml"]


def test_merge_option_takes_three_or_four_files(run_bale, tmp_path: Path) -> None:
    refused = run_bale("lock", "--merge", "a", "b", cwd=tmp_path)
    assert refused.code == 1
    assert "--merge takes BASE OURS THEIRS [PATH]" in refused.stderr
    assert not (tmp_path / "pylock.toml").exists()
