"""The git layer on its own: URL parsing, resolving revisions, checkouts in the cache, offline, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bale.cache.cache import Cache
from bale.errors import BaleError, OfflineError
from bale.vcs import GitRequest, VcsInfo, direct_reference, parse_git_url, strip_credentials
from bale.vcs.git import GitRepositories, url_key
from tests.vcs.conftest import GitRepo

# -- values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("git+https://h.example/o/r.git", GitRequest("https://h.example/o/r.git", None, None)),
        ("git+https://h.example/o/r.git@v1.2", GitRequest("https://h.example/o/r.git", "v1.2", None)),
        ("git+https://h.example/o/r@feature/x", GitRequest("https://h.example/o/r", "feature/x", None)),
        (
            "git+ssh://git@h.example/o/r.git@main#egg=r&subdirectory=pkgs/a/",
            GitRequest("ssh://git@h.example/o/r.git", "main", "pkgs/a"),
        ),
        ("git+file:///srv/repo#egg=x", GitRequest("file:///srv/repo", None, None)),
        (
            "git+https://u:p%40ss@h.example/r.git@" + "a" * 40,
            GitRequest("https://u:p%40ss@h.example/r.git", "a" * 40, None),
        ),
    ],
)
def test_git_urls_are_taken_apart(text: str, expected: GitRequest) -> None:
    assert parse_git_url(text) == expected


@pytest.mark.parametrize(
    "text", ["git+ftp://h/r.git", "git+https:///nohost", "git+file:///r#subdirectory=../up", "https://h/r"]
)
def test_bad_git_urls_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_git_url(text)


def test_vcs_info_gives_pep_610_data_and_a_pinned_url_without_credentials() -> None:
    info = VcsInfo("https://user:token@h.example/r.git", "v1", "c" * 40, "sub/dir")

    assert info.public_url == "https://h.example/r.git"
    assert info.pinned_url() == f"git+https://h.example/r.git@{'c' * 40}#subdirectory=sub/dir"
    assert info.pinned_url(public=False).startswith("git+https://user:token@h.example/")
    data = info.direct_url()
    assert data == {
        "url": "https://h.example/r.git",
        "vcs_info": {"vcs": "git", "commit_id": "c" * 40, "requested_revision": "v1"},
        "subdirectory": "sub/dir",
    }
    # An installed copy's direct_url.json gives back the artifact's pinned URL: one commit, one install.
    assert direct_reference(json.loads(json.dumps(data))) == info.pinned_url()
    assert direct_reference({"url": "file:///x", "dir_info": {}}) is None
    no_revision = VcsInfo("ssh://git@h.example/r.git", None, "d" * 40, None)
    assert "requested_revision" not in no_revision.direct_url()["vcs_info"]  # type: ignore[operator]
    assert no_revision.public_url == "ssh://git@h.example/r.git"  # ssh's user name is no secret


def test_credentials_never_split_a_repository_in_the_cache() -> None:
    assert strip_credentials("https://tok@h/r") == "https://h/r"
    assert url_key("https://a:b@h/r.git") == url_key("https://h/r.git/")


# -- resolving and checking out ----------------------------------------------------------------------


@pytest.fixture
def repos(tmp_path: Path) -> GitRepositories:
    return GitRepositories(Cache(tmp_path / "cache"))


def _commits(repo: GitRepo) -> dict[str, str]:
    return {
        "v1": repo.git("rev-parse", "v1^{commit}"),
        "main": repo.git("rev-parse", "main"),
        "dev": repo.git("rev-parse", "dev"),
    }


def test_revisions_resolve_to_commits(repo: GitRepo, repos: GitRepositories) -> None:
    commits = _commits(repo)

    assert repos.resolve(repo.url, "v1") == commits["v1"]  # annotated tag: its commit, not the tag object
    assert repos.resolve(repo.url, "v1.1") == commits["main"]  # lightweight tag
    assert repos.resolve(repo.url, "dev") == commits["dev"]  # branch
    assert repos.resolve(repo.url, None) == commits["main"]  # default branch
    assert repos.resolve(repo.url, "refs/heads/dev") == commits["dev"]
    assert repos.resolve(repo.url, commits["dev"][:10]) == commits["dev"]  # abbreviated commit
    assert repos.resolve(repo.url, commits["v1"].upper()) == commits["v1"]


def test_a_checkout_is_made_once_per_commit_and_holds_that_commit(
    repo: GitRepo, repos: GitRepositories
) -> None:
    commits = _commits(repo)

    first = repos.checkout(repo.url, commits["v1"])
    again = repos.checkout(repo.url, commits["v1"])
    dev = repos.checkout(repo.url, commits["dev"])

    assert first == again
    assert first.name == commits["v1"] and first.parent.name == url_key(repo.url)
    assert 'VERSION = "1.0"' in (first / "bale_test_backend.py").read_text()
    assert 'VERSION = "2.0.dev0"' in (dev / "bale_test_backend.py").read_text()
    # Nothing half-made stays behind in the cache's temp area.
    temp = repos.cache.temp_root
    assert not temp.is_dir() or not list(temp.iterdir())


def test_a_cached_full_commit_needs_no_repository(repo: GitRepo, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    commit = _commits(repo)["dev"]
    GitRepositories(cache).checkout(repo.url, commit)
    moved = repo.path.rename(repo.path.with_name("gone"))

    # The repository is gone: a full commit already in the cache is answered without asking it.
    assert GitRepositories(cache, offline=True).resolve(repo.url, commit) == commit
    assert GitRepositories(cache).resolve(repo.url, commit) == commit
    assert GitRepositories(cache).checkout(repo.url, commit).is_dir()
    moved.rename(repo.path)


def test_offline_answers_from_the_cached_repository_or_says_what_is_missing(
    repo: GitRepo, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "cache")
    commits = _commits(repo)
    with pytest.raises(OfflineError) as missing:
        GitRepositories(cache, offline=True).resolve(repo.url, "v1")
    assert missing.value.message == (
        f"Cannot resolve revision 'v1' of the git repository {repo.url}: bale is offline and the cache "
        "has no copy of it"
    )

    GitRepositories(cache).checkout(repo.url, commits["v1"])  # fetches branches, tags and HEAD
    offline = GitRepositories(cache, offline=True)

    assert offline.resolve(repo.url, "v1") == commits["v1"]
    assert offline.resolve(repo.url, "dev") == commits["dev"]
    assert offline.resolve(repo.url, None) == commits["main"]
    with pytest.raises(OfflineError) as unknown:
        offline.resolve(repo.url, "v9")
    assert "its copy in the cache has no revision 'v9'" in unknown.value.message
    with pytest.raises(OfflineError) as not_fetched:
        offline.checkout(repo.url, "f" * 40)
    assert f"commit {'f' * 40}" in not_fetched.value.message


def test_unknown_revisions_and_repositories_are_named(
    repo: GitRepo, repos: GitRepositories, tmp_path: Path
) -> None:
    with pytest.raises(BaleError) as tag:
        repos.resolve(repo.url, "v9")
    assert tag.value.message == (
        f"Cannot find revision 'v9' in the git repository {repo.url}: no tag, branch or commit of that name"
    )
    with pytest.raises(BaleError) as commit:
        repos.resolve(repo.url, "e" * 40)
    assert commit.value.message.startswith(f"Cannot find revision '{'e' * 40}' in the git repository")
    missing = (tmp_path / "nowhere").as_uri()
    with pytest.raises(BaleError) as nowhere:
        repos.resolve(missing, "v1")
    assert nowhere.value.message == f"Cannot list the refs of the git repository {missing}: it was not found"


def test_credentials_stay_out_of_errors(repos: GitRepositories) -> None:
    # Port 9 on 127.0.0.1 refuses at once: git fails without a network, quoting the URL it used.
    with pytest.raises(BaleError) as failed:
        repos.resolve("http://alice:s3cret@127.0.0.1:9/r.git", "v1")
    assert "s3cret" not in failed.value.render() and "alice" not in failed.value.render()
    assert "http://127.0.0.1:9/r.git" in failed.value.message


def test_a_missing_git_binary_is_a_clear_error(
    repo: GitRepo, repos: GitRepositories, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BaleError) as failed:
        repos.resolve(repo.url, "v1")
    assert failed.value.message == (
        "Cannot install from a git repository: git is not installed (no `git` on PATH)"
    )


def test_a_branch_resolves_once_per_run(repo: GitRepo, repos: GitRepositories) -> None:
    before = repos.resolve(repo.url, "main")
    repo.commit("gitpkg", "1.2")
    # The same object (one run) keeps its answer; a new run sees the branch move.
    assert repos.resolve(repo.url, "main") == before
    assert GitRepositories(repos.cache).resolve(repo.url, "main") == repo.head() != before
