"""`bale sync --all-packages` in a workspace, and path dependencies outside it as inputs of the lock."""

from __future__ import annotations

from pathlib import Path

from tests.sources.helpers import direct_url, dist_infos, local_package, locked, write_project

WORKSPACE = """
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


def _workspace(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "ws", WORKSPACE)
    # The root is a virtual project (no build system): alpha is what it installs.
    local_package(root / "packages" / "alpha", "alpha", requires=("lib",))
    local_package(
        root / "packages" / "beta",
        "beta",
        requires=("dep-b",),
        extra='\n[dependency-groups]\ndev = ["devtool"]\n',
    )
    local_package(root / "packages" / "gamma", "gamma")
    return root


def _universe(make_pkg) -> list[Path]:
    return [make_pkg("lib", "1.0"), make_pkg("dep-b", "1.0"), make_pkg("devtool", "1.0")]


def test_sync_all_packages_installs_every_member_editable(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)

    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["alpha-1.0", "lib-1.0"]

    everything = run_bale("sync", "--all-packages", "-i", server.url, cwd=root)
    assert everything.code == 0, everything
    # Every member, each with its dependencies and default groups (beta's dev group).
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "dep_b-1.0", "devtool-1.0", "gamma-1.0", "lib-1.0"]
    for member in ("alpha-1.0", "beta-1.0", "gamma-1.0"):
        assert direct_url(root, member)["dir_info"] == {"editable": True}, member

    # The same selection again is a no-op; without the flag, the other members go away.
    again = run_bale("sync", "--all-packages", "-i", server.url, cwd=root / "packages" / "beta")
    assert again.code == 0, again
    assert "Audited 6 packages" in again.stderr
    no_dev = run_bale("sync", "--all-packages", "--no-dev", "-i", server.url, cwd=root)
    assert no_dev.code == 0, no_dev
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "dep_b-1.0", "gamma-1.0", "lib-1.0"]

    code = "import alpha, beta, gamma; print(alpha.VALUE, beta.VALUE, gamma.VALUE)"
    ran = run_bale("run", "--all-packages", "-i", server.url, "python", "-c", code, cwd=root)
    assert ran.code == 0, ran
    assert ran.stdout.split() == ["tree", "tree", "tree"]

    tree = run_bale("tree", "--frozen", cwd=root)
    assert tree.code == 0, tree
    assert tree.stdout == "root-app v0.1.0\n└── alpha v1.0\n    └── lib v1.0\n"
    why = run_bale("why", "dep-b", "--frozen", cwd=root)
    assert why.code == 1, why
    assert "nothing in" in why.stderr
    why_beta = run_bale("why", "dep-b", "--frozen", "--package", "beta", cwd=root)
    assert why_beta.stdout == "beta v1.0 -> dep-b v1.0\n", why_beta

    both = run_bale("sync", "--all-packages", "--package", "beta", "-i", server.url, cwd=root)
    assert both.code == 2, both
    assert "the argument '--all-packages' cannot be used with '--package <NAME>'" in both.stderr
    assert "Traceback" not in both.stderr


DEMO = """
    [project]
    name = "demo"
    version = "0.1.0"
    requires-python = "{python}"
    dependencies = ["localpkg"]

    [tool.bale.sources]
    localpkg = { path = "../localpkg", editable = true }
"""


def test_a_changed_path_dependency_makes_the_lock_stale(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("other", "2.0")])
    local_package(tmp_path / "localpkg", "localpkg", requires=("lib",))
    root = write_project(tmp_path / "demo", DEMO)

    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["lib-1.0", "localpkg-1.0"]
    lock_text = (root / "pylock.toml").read_text()
    assert "[tool.bale.inputs.path-dependencies.localpkg.project]" in lock_text
    noop = run_bale("sync", "-i", server.url, cwd=root)
    assert "Audited 2 packages" in noop.stderr, noop
    checked = run_bale("lock", "--check", "-i", server.url, cwd=root)
    assert checked.code == 0, checked
    for _ in range(2):  # a repeated `bale lock` may be replayed: it must still see localpkg change
        same = run_bale("lock", "-i", server.url, cwd=root)
        assert same.code == 0, same
    assert (root / "pylock.toml").read_text() == lock_text

    # localpkg gains a dependency: the lock no longer says what it needs.
    local_package(tmp_path / "localpkg", "localpkg", requires=("lib", "other"))
    stale = run_bale("lock", "--check", "-i", server.url, cwd=root)
    assert stale.code == 1, stale
    assert "path-dependencies.localpkg.project.dependencies: added other" in stale.stderr
    refused = run_bale("sync", "--locked", "-i", server.url, cwd=root)
    assert refused.code == 1, refused
    assert "needs to be updated, but --locked was given" in refused.stderr
    assert "path-dependencies.localpkg.project.dependencies: added other" in refused.stderr
    assert (root / "pylock.toml").read_text() == lock_text
    relocked = run_bale("lock", "-i", server.url, cwd=root)
    assert relocked.code == 0, relocked
    assert sorted(locked(root)) == ["lib", "localpkg", "other"]
    (root / "pylock.toml").write_text(lock_text)  # and `bale run` relocks by itself

    code = "import other; print(other.__version__)"
    ran = run_bale("run", "-i", server.url, "python", "-c", code, cwd=root)
    assert ran.code == 0, ran
    assert ran.stdout.strip() == "2.0"
    assert sorted(locked(root)) == ["lib", "localpkg", "other"]
    assert locked(root)["localpkg"]["dependencies"] == [{"name": "lib"}, {"name": "other"}]
    assert dist_infos(root) == ["lib-1.0", "localpkg-1.0", "other-2.0"]
    fresh = run_bale("lock", "--check", "-i", server.url, cwd=root)
    assert fresh.code == 0, fresh


def test_a_path_dependency_version_change_reinstalls_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    local_package(tmp_path / "localpkg", "localpkg", requires=("lib",))
    root = write_project(tmp_path / "demo", DEMO)
    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["lib-1.0", "localpkg-1.0"]

    # Same requirements, so the lock stays; but the no-op sync must not hide the new version.
    local_package(tmp_path / "localpkg", "localpkg", "1.1", requires=("lib",))
    again = run_bale("sync", "-i", server.url, cwd=root)
    assert again.code == 0, again
    assert "Audited" not in again.stderr
    assert dist_infos(root) == ["lib-1.0", "localpkg-1.1"]
    # The lock holds no version for a folder; the views read it from its pyproject.toml.
    why = run_bale("why", "lib", "--frozen", cwd=root)
    assert why.code == 0, why
    assert why.stdout == "demo v0.1.0 -> localpkg v1.1 -> lib v1.0\n"


def test_the_lock_holds_every_member_and_export_package_holds_the_member(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _workspace(tmp_path)
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    # gamma and beta: nothing depends on them, and they are in the lock all the same (as uv's).
    assert sorted(locked(root)) == ["alpha", "beta", "dep-b", "devtool", "gamma", "lib"]
    gamma = run_bale("export", "--package", "gamma", "--frozen", "--no-header", cwd=root)
    assert gamma.code == 0, gamma
    assert gamma.stdout == "-e ./packages/gamma\n", gamma
    beta = run_bale("export", "--package", "beta", "--frozen", "--no-header", "--no-hashes", cwd=root)
    assert [line for line in beta.stdout.splitlines() if not line.startswith(" ")] == [
        "-e ./packages/beta",
        "dep-b==1.0",
        "devtool==1.0",
    ], beta
    whole = run_bale("export", "--frozen", "--no-header", "--no-hashes", cwd=root)
    assert [line for line in whole.stdout.splitlines() if not line.startswith(" ")] == [
        "-e ./packages/alpha",
        "lib==1.0",
    ], whole
    licenses = run_bale(
        "licenses", "--package", "beta", "--frozen", "--format", "csv", "-i", server.url, cwd=root
    )
    assert licenses.code == 0, licenses
    assert [row.split(",")[0] for row in licenses.stdout.splitlines()[1:]] == ["dep-b", "devtool"]
    synced = run_bale("sync", "--package", "gamma", "--frozen", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["gamma-1.0"]
