"""``bale upgrade`` and ``bale outdated`` through the CLI: a project locked against an index on 127.0.0.1
that holds old versions, then looked at against one that holds newer ones too."""

from __future__ import annotations

import json
import sys
from pathlib import Path

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={major}.{minor}"
# the comments, the spacing and the order stay as they are
dependencies = [
    "app>=1.0",    # raised
    'lib>=1.0,<2', # capped
]

[dependency-groups]
dev = ["tool>=0.1"]
"""


def project(root: Path) -> Path:
    root.mkdir()
    major, minor = sys.version_info[:2]
    (root / "pyproject.toml").write_text(PYPROJECT.format(major=major, minor=minor), encoding="utf-8")
    return root


def indexes(make_pkg, static_index):
    """(old: what the project was locked with, new: old plus newer releases)."""
    old = [make_pkg("app", "1.0"), make_pkg("lib", "1.0"), make_pkg("tool", "0.1"), make_pkg("dep", "1.0")]
    old.append(make_pkg("app", "0.9", requires_dist=["dep"]))
    newer = [make_pkg("app", "1.5", requires_dist=["dep<2"]), make_pkg("lib", "1.5"), make_pkg("lib", "3.0")]
    newer += [make_pkg("tool", "0.2"), make_pkg("dep", "1.2"), make_pkg("dep", "2.0")]
    return static_index(old), static_index([*old, *newer])


def test_upgrade_raises_lower_bounds_and_holds_caps(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    old, new = indexes(make_pkg, static_index)
    root = project(tmp_path / "demo")
    assert run_bale("lock", "-i", old.url, cwd=root).code == 0
    before = (root / "pyproject.toml").read_text(encoding="utf-8")

    dry = run_bale("upgrade", "--dry-run", "-i", new.url, cwd=root)
    assert dry.code == 0, dry
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == before
    assert "Dry run: pyproject.toml and pylock.toml not written" in dry.stderr

    done = run_bale("upgrade", "-i", new.url, cwd=root)
    assert done.code == 0, done
    lines = [line for line in done.stderr.splitlines() if not line.startswith("Resolved")]
    assert lines == [
        "app: app>=1.0 -> app>=1.5",
        "warning: lib: lib<2,>=1.0 keeps the latest version, 3.0, out; `--bounds major` (or minor) widens it",
        "tool: tool>=0.1 -> tool>=0.2",
        "Updated app v1.0 -> v1.5",
        "Added dep v1.2",
        "Updated lib v1.0 -> v1.5",
        "Updated tool v0.1 -> v0.2",
    ]
    # Only the two strings changed, their quotes and the comments kept.
    expected = before.replace('"app>=1.0",', '"app>=1.5",').replace('"tool>=0.1"', '"tool>=0.2"')
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == expected
    assert run_bale("lock", "--check", "-i", new.url, cwd=root).code == 0

    widened = run_bale("upgrade", "lib", "--bounds", "major", "-i", new.url, cwd=root)
    assert widened.code == 0, widened
    assert "lib: lib<2,>=1.0 -> lib<4,>=3.0" in widened.stderr
    assert "Updated lib v1.5 -> v3.0" in widened.stderr
    assert "'lib<4,>=3.0', # capped" in (root / "pyproject.toml").read_text(encoding="utf-8")
    assert run_bale("sync", "--locked", "-i", new.url, cwd=root).code == 0


def test_upgrade_of_an_undeclared_package_names_the_file(make_pkg, static_index, run_bale, tmp_path) -> None:
    _, new = indexes(make_pkg, static_index)
    root = project(tmp_path / "demo")
    refused = run_bale("upgrade", "dep", "-i", new.url, cwd=root)
    assert refused.code == 1
    assert f"error: {root / 'pyproject.toml'} declares no requirement on dep" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_outdated_rows(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    old, new = indexes(make_pkg, static_index)
    root = project(tmp_path / "demo")
    assert run_bale("lock", "-i", old.url, cwd=root).code == 0
    shown = run_bale("outdated", "--format", "json", "-i", new.url, cwd=root)
    assert shown.code == 0, shown
    assert json.loads(shown.stdout) == [
        {"name": "app", "declared": ">=1.0", "locked": "1.0", "latest_compatible": "1.5", "latest": "1.5"},
        {"name": "lib", "declared": "<2,>=1.0", "locked": "1.0", "latest_compatible": "1.5", "latest": "3.0"},
        {"name": "tool", "declared": ">=0.1", "locked": "0.1", "latest_compatible": "0.2", "latest": "0.2"},
    ]
    table = run_bale("outdated", "-i", new.url, cwd=root)
    assert table.stdout.splitlines() == [
        "Package  Declared  Locked  Compatible  Latest",
        "app      >=1.0     1.0     1.5         1.5",
        "lib      <2,>=1.0  1.0     1.5         3.0",
        "tool     >=0.1     0.1     0.2         0.2",
    ]
    # The lock is read, not rewritten.
    assert run_bale("lock", "--check", "-i", old.url, cwd=root).code == 0
