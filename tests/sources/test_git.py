"""Dependencies from a git repository: locked as ``[packages.vcs]`` at a commit, installed from it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sources.helpers import direct_url, dist_infos, local_package, locked, write_project

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=bale", "-c", "user.email=bale@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_git_source_is_locked_at_its_commit_and_installed(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    repo = local_package(tmp_path / "repo", "gitpkg", requires=("lib",))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    _git(repo, "tag", "v1")
    commit = _git(repo, "rev-parse", "HEAD")
    backend = repo / "bale_test_backend.py"
    backend.write_text(backend.read_text().replace('VERSION = "1.0"', 'VERSION = "2.0"'))
    _git(repo, "commit", "-q", "-am", "two")  # the tag still names the first commit (1.0)
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["gitpkg"]

        [tool.bale.sources]
        gitpkg = {{ git = "{repo.as_uri()}", tag = "v1" }}
        """,
    )
    result = run_bale("sync", "-i", server.url, cwd=root)
    assert result.code == 0, result
    package = locked(root)["gitpkg"]
    assert package["version"] == "1.0"
    assert package["vcs"] == {
        "type": "git",
        "url": repo.as_uri(),
        "requested-revision": "v1",
        "commit-id": commit,
    }
    assert package["dependencies"] == [{"name": "lib"}]
    assert dist_infos(root) == ["gitpkg-1.0", "lib-1.0"]
    installed = direct_url(root, "gitpkg-1.0")
    assert installed["vcs_info"] == {"vcs": "git", "commit_id": commit, "requested_revision": "v1"}

    ran = run_bale("run", "--frozen", "-i", server.url, "python", "-c", "import gitpkg", cwd=root)
    assert ran.code == 0, ran
