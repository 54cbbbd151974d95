"""Workspaces: one lock at the root for every member, syncs and runs for one member (``--package``)."""

from __future__ import annotations

from pathlib import Path

from tests.sources.helpers import direct_url, dist_infos, local_package, locked, read_lock, write_project

ROOT = """
    [project]
    name = "root-app"
    version = "0.1.0"
    requires-python = "{python}"
    dependencies = ["alpha"]

    [tool.bale.sources]
    alpha = { workspace = true }

    [tool.bale.workspace]
    members = ["packages/*"]
"""


def _workspace(tmp_path: Path, root_text: str = ROOT) -> Path:
    root = write_project(tmp_path / "ws", root_text)
    local_package(
        root / "packages" / "alpha",
        "alpha",
        requires=("beta", "lib"),
        extra="\n[tool.bale.sources]\nbeta = { workspace = true }\n",
    )
    local_package(
        root / "packages" / "beta",
        "beta",
        requires=("dep-b",),
        extra='\n[dependency-groups]\ndev = ["devtool"]\n',
    )
    return root


def _universe(make_pkg) -> list[Path]:
    return [make_pkg("lib", "1.0"), make_pkg("dep-b", "1.0"), make_pkg("devtool", "1.0")]


def test_one_lock_covers_every_member_and_is_found_from_inside_one(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)
    result = run_bale("lock", "-i", server.url, cwd=root / "packages" / "beta")
    assert result.code == 0, result
    assert not (root / "packages" / "beta" / "pylock.toml").exists()
    packages = locked(root)
    assert sorted(packages) == ["alpha", "beta", "dep-b", "devtool", "lib"]
    assert packages["alpha"]["directory"] == {"path": "packages/alpha", "editable": True}
    assert packages["beta"]["directory"] == {"path": "packages/beta", "editable": True}
    assert packages["alpha"]["dependencies"] == [{"name": "beta"}, {"name": "lib"}]
    assert str(packages["devtool"]["marker"]).replace("'", '"') == '"dev" in dependency_groups'
    assert "marker" not in packages["dep-b"]

    fresh = run_bale("lock", "--check", cwd=root / "packages" / "alpha")
    assert fresh.code == 0, fresh
    member = root / "packages" / "beta" / "pyproject.toml"
    member.write_text(member.read_text().replace('dev = ["devtool"]', 'dev = ["devtool", "lib"]'))
    stale = run_bale("lock", "--check", cwd=root)
    assert stale.code == 1, stale
    assert "workspace.beta.dependency-groups.dev: added lib" in stale.stderr


def test_sync_installs_the_root_or_one_member_and_run_uses_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)

    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "dep_b-1.0", "lib-1.0"]
    assert direct_url(root, "beta-1.0")["dir_info"] == {"editable": True}

    beta = run_bale("sync", "--package", "beta", "-i", server.url, cwd=root)
    assert beta.code == 0, beta
    # beta, its dependency and its default (dev) group; alpha and lib are not beta's.
    assert dist_infos(root) == ["beta-1.0", "dep_b-1.0", "devtool-1.0"]

    code = "import alpha, beta, lib; print(alpha.VALUE, beta.VALUE, lib.__version__)"
    ran = run_bale("run", "--package", "alpha", "-i", server.url, "python", "-c", code, cwd=root)
    assert ran.code == 0, ran
    assert ran.stdout.split() == ["tree", "tree", "1.0"]
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "dep_b-1.0", "lib-1.0"]

    inside = run_bale("sync", "-i", server.url, cwd=root / "packages" / "beta")
    assert inside.code == 0, inside
    assert dist_infos(root) == ["beta-1.0", "dep_b-1.0", "devtool-1.0"]
    assert not (root / "packages" / "beta" / ".venv").exists()

    unknown = run_bale("sync", "--package", "gamma", "-i", server.url, cwd=root)
    assert unknown.code == 1, unknown
    assert "No workspace member named 'gamma'" in unknown.stderr
    assert "members: alpha, beta, root-app" in unknown.stderr


def test_a_workspace_root_without_a_project_installs_every_member(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path, '[tool.bale.workspace]\nmembers = ["packages/*"]\n')
    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert "project" not in read_lock(root)["tool"]["bale"]
    # Every member with its default groups (beta's dev group).
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "dep_b-1.0", "devtool-1.0", "lib-1.0"]


def test_a_missing_member_is_a_clear_error(run_bale, tmp_path: Path) -> None:
    root = _workspace(tmp_path, ROOT.replace('["packages/*"]', '["packages/*", "tools/cli"]'))
    result = run_bale("lock", "--no-index", cwd=root)
    assert result.code == 1, result
    assert "workspace member 'tools/cli' does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_add_with_package_edits_that_member_and_relocks_the_workspace(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([*_universe(make_pkg), make_pkg("extra-pkg", "3.0")])
    root = _workspace(tmp_path)
    before = (root / "pyproject.toml").read_text()
    added = run_bale("add", "extra-pkg", "--package", "beta", "--no-sync", "-i", server.url, cwd=root)
    assert added.code == 0, added
    assert '"extra-pkg>=3.0"' in (root / "packages" / "beta" / "pyproject.toml").read_text()
    assert (root / "pyproject.toml").read_text() == before
    assert locked(root)["extra-pkg"]["version"] == "3.0"
    assert not (root / ".venv").exists()


def test_tree_and_why_read_the_workspace_lock_from_a_member(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)
    beta = root / "packages" / "beta"
    result = run_bale("tree", "-i", server.url, cwd=beta)
    assert result.code == 0, result
    assert not (beta / "pylock.toml").exists()
    assert (root / "pylock.toml").is_file()
    assert result.stdout.splitlines() == [
        "beta v1.0",
        "├── dep-b v1.0",
        "└── devtool v1.0 (group: dev)",
    ]
    why = run_bale("why", "dep-b", "--package", "alpha", "--frozen", cwd=root)
    assert why.code == 0, why
    assert why.stdout.splitlines() == ["alpha v1.0 -> beta v1.0 -> dep-b v1.0"]
