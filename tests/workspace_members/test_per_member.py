"""``[tool.bale.workspace] lock = "per-member"``: each member's own pylock.toml and .venv, and
``bale lock --all`` checking that members depending on each other agree."""

from __future__ import annotations

import re
from pathlib import Path

from tests.sources.helpers import direct_url, dist_infos, local_package, locked, read_lock, write_project
from tests.support.cli import scrub

ROOT = """
    [tool.bale.workspace]
    members = ["packages/*"]
    lock = "per-member"
"""
USES_B = """
    [tool.bale.sources]
    b = { workspace = true }
"""


def _workspace(tmp_path: Path) -> Path:
    """Three members: a depends on b (a workspace source), both on lib; c stands apart."""
    root = write_project(tmp_path / "ws", ROOT)
    local_package(root / "packages" / "a", "a", requires=("b", "lib"), extra=USES_B)
    local_package(root / "packages" / "b", "b", requires=("lib",))
    local_package(root / "packages" / "c", "c", requires=("other",))
    return root


def _universe(make_pkg) -> list[Path]:
    return [make_pkg("lib", "1.0"), make_pkg("lib", "2.0"), make_pkg("other", "1.0")]


def _versions(member: Path) -> dict[str, str | None]:
    return {name: package.get("version") for name, package in locked(member).items()}


def test_each_member_has_its_own_lock_and_environment(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)
    a, b, c = (root / "packages" / name for name in "abc")

    # The root has no lock of its own to make: the error says where to go instead.
    at_root = run_bale("lock", "-i", server.url, cwd=root)
    assert at_root.code == 1, at_root
    assert scrub(at_root.stderr, {root: "<ws>"}) == (
        'error: <ws>/pyproject.toml declares a lock per member ([tool.bale.workspace] lock = "per-member"): '
        "there is no lock or environment for the workspace as a whole\n"
        "hint: run the command in a member's folder, or name one with --package NAME (members: a, b, c); "
        "`bale lock --all` locks every member\n"
    )

    # a's lock holds b (from its folder, editable) resolved together with a's own requirements.
    lock_a = run_bale("lock", "-i", server.url, cwd=a)
    assert lock_a.code == 0, lock_a
    assert _versions(a) == {"b": None, "lib": "2.0"}
    assert locked(a)["b"]["directory"] == {"path": "../b", "editable": True}
    read_lock(a)  # a valid PEP 751 file
    assert not (root / "pylock.toml").exists() and not (root / ".venv").exists()

    # From the root with --package, or inside the member: only that member, into its own .venv.
    sync_c = run_bale("sync", "--package", "c", "-i", server.url, cwd=root)
    assert sync_c.code == 0, sync_c
    assert _versions(c) == {"other": "1.0"}
    assert dist_infos(c) == ["c-1.0", "other-1.0"]
    sync_b = run_bale("sync", "-i", server.url, cwd=b)
    assert sync_b.code == 0, sync_b
    assert dist_infos(b) == ["b-1.0", "lib-2.0"]
    assert not (root / ".venv").exists()

    # `bale run` in a syncs a's environment and runs there, with b installed editable from its folder.
    code = "import sys, b, lib; print(sys.prefix); print(b.VALUE)"
    ran = run_bale("run", "-i", server.url, "python", "-c", code, cwd=a)
    assert ran.code == 0, ran
    assert ran.stdout.splitlines() == [str(a / ".venv"), "tree"]
    assert dist_infos(a) == ["a-1.0", "b-1.0", "lib-2.0"]
    assert direct_url(a, "b-1.0")["dir_info"] == {"editable": True}
    again = run_bale("sync", "-i", server.url, cwd=a)
    assert "Audited 3 packages" in again.stderr, again
    # The views read the member's own lock too.
    tree = run_bale("tree", "--frozen", cwd=a)
    assert (tree.code, tree.stdout) == (0, "a v1.0\n├── b v1.0\n│   └── lib v2.0\n└── lib v2.0\n"), tree
    exported = run_bale("export", "--frozen", "--no-hashes", "--package", "c", cwd=root)
    assert exported.code == 0, exported
    assert exported.stdout.splitlines()[2:] == [
        "other==1.0",
        "    # via c",
        "-e .",
    ]  # c's lock, from its folder

    # --check per member; b's requirements are inputs of a's lock (b is part of it), not of c's.
    assert run_bale("lock", "--check", "-i", server.url, cwd=a).code == 0
    pyproject_b = b / "pyproject.toml"
    pyproject_b.write_text(
        pyproject_b.read_text().replace('dependencies = ["lib"]', 'dependencies = ["lib", "other"]')
    )
    stale = run_bale("lock", "--check", "-i", server.url, cwd=a)
    assert stale.code == 1, stale
    assert f"error: The lock file {a / 'pylock.toml'} needs to be updated" in stale.stderr
    assert run_bale("lock", "--check", "--package", "c", "-i", server.url, cwd=root).code == 0
    locked_run = run_bale("sync", "--locked", "-i", server.url, cwd=a)
    assert locked_run.code == 1, locked_run
    assert "--locked was given" in locked_run.stderr


def test_lock_all_checks_that_dependent_members_agree(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)
    a, b, c = (root / "packages" / name for name in "abc")

    everything = run_bale("lock", "--all", "-i", server.url, cwd=root)
    assert everything.code == 0, everything
    assert [line for line in everything.stderr.splitlines() if not line.startswith("Resolved")] == [
        "a: packages/a/pylock.toml",
        "b: packages/b/pylock.toml",
        "c: packages/c/pylock.toml",
        "Checked 1 pair of dependent members: their locks agree",
    ]
    assert (_versions(a), _versions(b), _versions(c)) == (
        {"b": None, "lib": "2.0"},
        {"lib": "2.0"},
        {"other": "1.0"},
    )
    checked = run_bale("lock", "--all", "--check", "-i", server.url, cwd=root)
    assert checked.code == 0, checked
    assert checked.stderr.splitlines()[-1] == "Checked 1 pair of dependent members: their locks agree"

    # b's lock edited to hold lib 1.0: still fresh (its inputs did not change), but a runs b with 2.0.
    lock_b = b / "pylock.toml"
    blocks = lock_b.read_text().split("[[packages]]")
    edited = "[[packages]]".join(
        re.sub(r'version = "2.0"|lib-2.0', lambda m: m[0].replace("2.0", "1.0"), block)
        if 'name = "lib"' in block
        else block
        for block in blocks
    )
    assert edited != lock_b.read_text()
    lock_b.write_text(edited)
    expected = (
        "error: Workspace members that depend on each other lock different versions of 1 package\n"
        "  lib: 2.0 for a (packages/a/pylock.toml), 1.0 for b (packages/b/pylock.toml), which a depends on\n"
        "hint: constrain the package in one member's pyproject.toml so that both resolve the same version, "
        "or relock with `bale lock --all --upgrade-package lib`\n"
    )
    disagree = run_bale("lock", "--all", "--check", "-i", server.url, cwd=root)
    assert (disagree.code, disagree.stderr) == (1, expected)
    # Relocking keeps each lock's versions (b prefers its 1.0), so they still disagree ...
    relocked = run_bale("lock", "--all", "-i", server.url, cwd=root)
    assert relocked.code == 1, relocked
    assert relocked.stderr.endswith(expected), relocked
    # ... until the hint's upgrade lets both choose afresh.
    upgraded = run_bale("lock", "--all", "--upgrade-package", "lib", "-i", server.url, cwd=root)
    assert upgraded.code == 0, upgraded
    assert _versions(b) == {"lib": "2.0"}

    # a pins lib below 2: its lock takes 1.0 while b's own takes 2.0.
    pyproject_a = a / "pyproject.toml"
    pyproject_a.write_text(pyproject_a.read_text().replace('"lib"]', '"lib<2"]'))
    pinned = run_bale("lock", "--all", "-i", server.url, cwd=root)
    assert pinned.code == 1, pinned
    assert "lib: 1.0 for a (packages/a/pylock.toml), 2.0 for b (packages/b/pylock.toml)" in pinned.stderr
    assert (_versions(a)["lib"], _versions(b)["lib"]) == ("1.0", "2.0")  # both written: the check follows

    # `bale sync --all-packages` syncs every member's own environment.
    synced = run_bale("sync", "--all-packages", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert (dist_infos(a), dist_infos(b), dist_infos(c)) == (
        ["a-1.0", "b-1.0", "lib-1.0"],
        ["b-1.0", "lib-2.0"],
        ["c-1.0", "other-1.0"],
    )
    run_all = run_bale("run", "--all-packages", "-i", server.url, "python", "-V", cwd=root)
    assert run_all.code == 1, run_all
    assert "each member of the workspace" in run_all.stderr and "Traceback" not in run_all.stderr


def test_default_mode_and_a_wrong_value(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)
    (root / "pyproject.toml").write_text(ROOT.replace('lock = "per-member"', 'lock = "each"'))
    wrong = run_bale("lock", "-i", server.url, cwd=root)
    assert wrong.code == 1, wrong
    assert 'tool.bale.workspace.lock: expected "workspace" or "per-member", got' in wrong.stderr

    # Without the key: one lock at the root for every member, as before; --all means just that.
    (root / "pyproject.toml").write_text(ROOT.replace('lock = "per-member"', ""))
    one = run_bale("lock", "--all", "-i", server.url, cwd=root / "packages" / "a")
    assert one.code == 0, one
    assert set(_versions(root)) == {"a", "b", "c", "lib", "other"}
    assert not any((root / "packages" / name / "pylock.toml").exists() for name in "abc")


def test_add_in_a_member_edits_locks_and_syncs_that_member(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)
    c = root / "packages" / "c"
    added = run_bale("add", "lib<2", "-i", server.url, cwd=c)
    assert added.code == 0, added
    assert 'dependencies = ["lib<2", "other"]' in (c / "pyproject.toml").read_text()
    assert _versions(c) == {"lib": "1.0", "other": "1.0"}
    assert dist_infos(c) == ["c-1.0", "lib-1.0", "other-1.0"]
    assert not (root / "pylock.toml").exists() and not (root / "packages" / "a" / "pylock.toml").exists()
