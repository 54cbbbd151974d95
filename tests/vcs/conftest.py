"""Fixtures for git source tests: throw-away repositories made with the git binary in tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.build.helpers import in_tree_files, write_tree
from tests.cli.conftest import bale, venv  # noqa: F401  (the CLI fixtures, shared)

# Fixed identity and dates, and no system or user configuration: the same commits on every machine.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Bale Tests",
    "GIT_AUTHOR_EMAIL": "tests@bale.invalid",
    "GIT_COMMITTER_NAME": "Bale Tests",
    "GIT_COMMITTER_EMAIL": "tests@bale.invalid",
    "GIT_AUTHOR_DATE": "2020-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2020-01-01T00:00:00+00:00",
}


class GitRepo:
    """A repository under ``path`` whose commits hold small in-tree-backend projects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "--quiet")
        self.git("symbolic-ref", "HEAD", "refs/heads/main")

    @property
    def url(self) -> str:
        """``file:///...`` (add ``git+`` for a requirement)."""
        return self.path.as_uri()

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV, "HOME": str(self.path.parent)}
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()

    def commit(self, name: str, version: str, *, folder: str = "", message: str = "") -> str:
        """Write project ``name`` ``version`` (at the root, or in ``folder``), commit; the commit id."""
        write_tree(self.path / folder if folder else self.path, in_tree_files(name, version))
        self.git("add", "-A")
        self.git("commit", "--quiet", "--allow-empty", "-m", message or f"{name} {version}")
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, *, annotated: bool = True) -> None:
        if annotated:
            self.git("tag", "-a", name, "-m", f"release {name}")
        else:
            self.git("tag", name)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[str], GitRepo]:
    if shutil.which("git") is None:
        pytest.skip("these tests need the git binary")

    def make(name: str = "repo") -> GitRepo:
        return GitRepo(tmp_path / "repos" / name)

    return make


@pytest.fixture
def repo(make_repo: Callable[[str], GitRepo]) -> GitRepo:
    """main: 1.0 (tag v1, annotated) -> 1.1 (tag v1.1, lightweight); dev branches off 1.0 with 2.0.dev0."""
    repo = make_repo("repo")
    repo.commit("gitpkg", "1.0")
    repo.tag("v1")
    repo.git("checkout", "--quiet", "-b", "dev")
    repo.commit("gitpkg", "2.0.dev0")
    repo.git("checkout", "--quiet", "main")
    repo.commit("gitpkg", "1.1")
    repo.tag("v1.1", annotated=False)
    return repo
