"""Installing from git through the CLI: revisions, subdirectories, the cache shared by environments,
--offline, freeze, direct_url.json, compile and the errors a user sees.

Projects are built by the tiny in-tree backend of tests/build/helpers.py (no build requirement, ~60 ms);
one test uses flit-core from the wheelhouse, a real backend.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.build.conftest import wheelhouse  # noqa: F401  (the fixture, with its skip logic)
from tests.cli.conftest import Venv, make_stdlib_venv
from tests.support.cli import scrub
from tests.vcs.conftest import GitRepo


def _lines(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def _direct_url(venv: Venv, dist_info: str) -> object:
    return json.loads((venv.site_packages() / dist_info / "direct_url.json").read_text())


def _installed(venv: Venv) -> list[str]:
    return venv.dist_infos()


def test_a_tag_is_installed_with_pep_610_data_and_frozen_at_its_commit(
    repo: GitRepo, bale, run_bale, venv: Venv
) -> None:
    commit = repo.git("rev-parse", "v1^{commit}")

    result = bale("pip", "install", f"gitpkg @ git+{repo.url}@v1", "--no-index")

    assert result.code == 0, str(result)
    assert " + gitpkg==1.0" in result.stderr
    assert _direct_url(venv, "gitpkg-1.0.dist-info") == {
        "url": repo.url,
        "vcs_info": {"vcs": "git", "commit_id": commit, "requested_revision": "v1"},
    }
    frozen = run_bale("pip", "freeze", virtual_env=venv.root)
    assert frozen.stdout == f"gitpkg @ git+{repo.url}@{commit}\n"
    # Installing the same revision again changes nothing: the installed commit is the requested one.
    again = bale("pip", "install", f"gitpkg @ git+{repo.url}@v1", "--no-index")
    assert again.code == 0, str(again)
    assert "+ gitpkg" not in again.stderr and "- gitpkg" not in again.stderr


def test_branches_commits_and_the_default_branch_select_their_commit(repo: GitRepo, bale, venv: Venv) -> None:
    dev = repo.git("rev-parse", "dev")

    branch = bale("pip", "install", f"git+{repo.url}@dev", "--no-index")  # name-less
    assert branch.code == 0, str(branch)
    assert _installed(venv) == ["gitpkg-2.0.dev0.dist-info"]
    assert _direct_url(venv, "gitpkg-2.0.dev0.dist-info") == {
        "url": repo.url,
        "vcs_info": {"vcs": "git", "commit_id": dev, "requested_revision": "dev"},
    }

    head = bale("pip", "install", f"git+{repo.url}", "--no-index")
    assert head.code == 0, str(head)
    assert " - gitpkg==2.0.dev0" in head.stderr and " + gitpkg==1.1" in head.stderr
    assert _direct_url(venv, "gitpkg-1.1.dist-info") == {
        "url": repo.url,
        "vcs_info": {"vcs": "git", "commit_id": repo.head()},
    }

    v1 = repo.git("rev-parse", "v1^{commit}")
    pinned = bale("pip", "install", f"gitpkg @ git+{repo.url}@{v1}", "--no-index")
    assert pinned.code == 0, str(pinned)
    assert _installed(venv) == ["gitpkg-1.0.dist-info"]
    assert _direct_url(venv, "gitpkg-1.0.dist-info") == {
        "url": repo.url,
        "vcs_info": {"vcs": "git", "commit_id": v1, "requested_revision": v1},
    }


def test_a_subdirectory_of_the_repository_is_installed(make_repo, bale, run_bale, venv: Venv) -> None:
    repo: GitRepo = make_repo("mono")
    repo.commit("alpha", "3.0", folder="packages/alpha")
    repo.commit("beta", "4.0", folder="packages/beta")
    repo.tag("r1")
    url = f"git+{repo.url}@r1#subdirectory=packages/beta"

    result = bale("pip", "install", "-r", _requirements(repo.path.parent, f"beta @ {url}\n"), "--no-index")

    assert result.code == 0, str(result)
    assert _installed(venv) == ["beta-4.0.dist-info"]
    assert _direct_url(venv, "beta-4.0.dist-info") == {
        "url": repo.url,
        "vcs_info": {"vcs": "git", "commit_id": repo.head(), "requested_revision": "r1"},
        "subdirectory": "packages/beta",
    }
    frozen = run_bale("pip", "freeze", virtual_env=venv.root)
    assert frozen.stdout == f"beta @ git+{repo.url}@{repo.head()}#subdirectory=packages/beta\n"

    missing = bale("pip", "install", f"git+{repo.url}@r1#subdirectory=packages/gamma", "--no-index")
    assert missing.code == 1
    assert scrub(missing.stderr, {repo.path: "[REPO]"}) == (
        "error: The git repository file://[REPO] has no folder 'packages/gamma' at commit "
        f"{repo.head()} (r1)\n"
        "hint: check #subdirectory= in the URL: it is relative to the repository's root\n"
    )


def _requirements(folder: Path, text: str) -> Path:
    path = folder / "requirements.txt"
    path.write_text(text)
    return path


def test_a_commit_is_built_once_and_shared_by_environments_also_offline(
    repo: GitRepo, bale, tmp_path: Path
) -> None:
    first = bale("pip", "install", f"git+{repo.url}@v1", "--no-index", "-v")

    assert first.code == 0, str(first)
    assert len(_lines(first.stderr, "build: built gitpkg-1.0-py3-none-any.whl")) == 1

    other = make_stdlib_venv(tmp_path / "other")
    second = bale("pip", "install", f"git+{repo.url}@v1", "--no-index", "-v", virtual_env=other.root)

    assert second.code == 0, str(second)
    assert " + gitpkg==1.0" in second.stderr
    assert not _lines(second.stderr, "build: ")  # neither metadata nor wheel: both come by commit
    assert _lines(second.stderr, "git: wheel of repo@")

    # Offline, with the repository itself gone: the tag resolves from the cached copy.
    repo.path.rename(repo.path.with_name("moved"))
    third_venv = make_stdlib_venv(tmp_path / "third")
    third = bale(
        "pip", "install", f"git+{repo.url}@v1", "--no-index", "--offline", "-v", virtual_env=third_venv.root
    )
    assert third.code == 0, str(third)
    assert " + gitpkg==1.0" in third.stderr
    assert not _lines(third.stderr, "build: ")
    assert _lines(third.stderr, "(offline, from the cache)")
    assert third_venv.dist_infos() == ["gitpkg-1.0.dist-info"]


def test_offline_without_the_commit_in_the_cache_fails_clearly(repo: GitRepo, bale) -> None:
    result = bale("pip", "install", f"git+{repo.url}@v1", "--no-index", "--offline")

    assert result.code == 1
    assert scrub(result.stderr, {repo.path: "[REPO]"}) == (
        "error: Cannot resolve revision 'v1' of the git repository file://[REPO]: bale is offline and the "
        "cache has no copy of it\n"
        "hint: run once without --offline to fetch the repository into the cache\n"
    )


def test_an_unknown_tag_names_the_repository_and_the_revision(repo: GitRepo, bale, venv: Venv) -> None:
    result = bale("pip", "install", f"gitpkg @ git+{repo.url}@v9", "--no-index")

    assert result.code == 1
    assert scrub(result.stderr, {repo.path: "[REPO]"}) == (
        "error: Cannot find revision 'v9' in the git repository file://[REPO]: no tag, branch or commit of "
        "that name\n"
        "hint: check the tag, branch or commit after @ (git ls-remote URL lists the tags and branches)\n"
    )
    assert _installed(venv) == []


def test_editable_git_requirements_and_the_wrong_name_are_refused(repo: GitRepo, bale, venv: Venv) -> None:
    editable = bale("pip", "install", "-e", f"git+{repo.url}@v1#egg=gitpkg", "--no-index")

    assert editable.code == 1
    assert scrub(editable.stderr, {repo.path: "[REPO]"}) == (
        "error: Cannot install git+file://[REPO]@v1#egg=gitpkg in editable mode: bale does not make "
        "editable installs from git\n"
        "hint: clone the repository and install the folder with -e (bale pip install -e ./folder), or drop "
        "-e to install this commit as a copy\n"
    )
    wrong = bale("pip", "install", f"other @ git+{repo.url}@v1", "--no-index")
    assert wrong.code == 1
    assert "The requirement other at the command line points at gitpkg" in wrong.stderr
    assert _installed(venv) == []


def test_compile_pins_a_git_requirement_to_its_commit(repo: GitRepo, run_bale, tmp_path: Path) -> None:
    (tmp_path / "requirements.in").write_text(f"gitpkg @ git+{repo.url}@dev\n")

    result = run_bale("pip", "compile", "requirements.in", "--no-index", "--no-header")

    assert result.code == 0, str(result)
    assert result.stdout == (
        f"gitpkg @ git+{repo.url}@{repo.git('rev-parse', 'dev')}\n    # via -r requirements.in\n"
    )


def test_a_real_backend_builds_a_git_checkout_with_its_dependencies(
    make_repo,
    bale,
    venv: Venv,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    repo: GitRepo = make_repo("flitty")
    (repo.path / "flitty.py").write_text('"""A module built by flit."""\n__version__ = "0.3"\n')
    (repo.path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n\n'
        '[project]\nname = "flitty"\ndynamic = ["version", "description"]\n'
        'dependencies = ["packaging"]\n'
    )
    repo.git("add", "-A")
    repo.git("commit", "--quiet", "-m", "flitty 0.3")
    repo.tag("0.3")

    result = bale("pip", "install", f"git+{repo.url}@0.3", "--no-index", "-f", wheelhouse)

    assert result.code == 0, str(result)
    assert " + flitty==0.3" in result.stderr and " + packaging==" in result.stderr
    assert venv.imports("flitty") == "0.3"


def test_a_locked_commit_installs_without_resolving_again(repo: GitRepo, venv: Venv, tmp_path: Path) -> None:
    # What a lock file's sync does: VcsInfo in, the commit checked out, built and linked.
    from packaging.version import Version

    from bale.context import Context
    from bale.model.artifact import vcs_artifact
    from bale.model.names import normalize
    from bale.ops.install import install_artifacts
    from bale.ops.settings import GlobalSettings, IndexSettings
    from bale.vcs import VcsInfo

    commit = repo.git("rev-parse", "dev")
    ctx = Context(GlobalSettings(cache_dir=tmp_path / "cache"))
    try:
        env = ctx.environment(str(venv.python))
        ctx.use_builds(IndexSettings(no_index=True), env.interpreter, environment=env)
        artifact = vcs_artifact(
            normalize("gitpkg"), Version("2.0.dev0"), VcsInfo(repo.url, "dev", commit, None)
        )
        outcome = install_artifacts(ctx, env, [artifact])
    finally:
        ctx.close()

    assert outcome.installed == [("gitpkg", "2.0.dev0")]
    assert _direct_url(venv, "gitpkg-2.0.dev0.dist-info") == {
        "url": repo.url,
        "vcs_info": {"vcs": "git", "commit_id": commit, "requested_revision": "dev"},
    }
