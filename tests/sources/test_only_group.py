"""``--only-group``: a group's packages alone, without the project or its dependencies."""

from __future__ import annotations

from pathlib import Path

from tests.sources.helpers import dist_infos, local_package


def test_only_group_installs_that_group_and_what_it_needs(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(
        [
            make_pkg("app", "1.0", requires_dist=["lib"]),
            make_pkg("lib", "1.0"),
            make_pkg("linter", "1.0", requires_dist=["lib"]),
            make_pkg("devtool", "1.0"),
        ]
    )
    root = local_package(
        tmp_path / "demo",
        "demo",
        requires=("app",),
        extra='\n[dependency-groups]\ndev = ["devtool"]\nlint = ["linter"]\n',
    )
    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["app-1.0", "demo-1.0", "devtool-1.0", "lib-1.0"]

    only = run_bale("sync", "--only-group", "lint", "-i", server.url, cwd=root)
    assert only.code == 0, only
    assert dist_infos(root) == ["lib-1.0", "linter-1.0"]

    code = "import linter, importlib.util as u; print(linter.__version__, u.find_spec('app'))"
    ran = run_bale("run", "--only-group", "lint", "-i", server.url, "python", "-c", code, cwd=root)
    assert ran.code == 0, ran
    assert ran.stdout.split() == ["1.0", "None"]
    assert dist_infos(root) == ["lib-1.0", "linter-1.0"]

    both = run_bale("sync", "--only-group", "lint", "--only-group", "dev", "-i", server.url, cwd=root)
    assert both.code == 0, both
    assert dist_infos(root) == ["devtool-1.0", "lib-1.0", "linter-1.0"]

    unknown = run_bale("sync", "--only-group", "docs", "-i", server.url, cwd=root)
    assert unknown.code == 1, unknown
    assert "no dependency group named docs" in unknown.stderr
