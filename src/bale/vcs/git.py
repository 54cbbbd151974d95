"""Git repositories in the cache: a bare database per URL fetched through the ``git`` binary, and one
read-only checkout per commit, shared by every environment that installs it."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError, OfflineError
from bale.report import NULL_REPORTER, Reporter
from bale.vcs import strip_credentials

if TYPE_CHECKING:
    from bale.cache.cache import Cache
    from bale.fs.lock import FileLock

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_SHORT_SHA = re.compile(r"^[0-9a-f]{4,39}$")
# Variables set when bale runs inside a git hook or a repository's tooling: they would point our
# commands at the user's repository instead of the cache's.
_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
# Everything a later resolution may ask for offline: branches, tags and the default branch.
_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*", "+HEAD:refs/bale/HEAD")
_NOT_FOUND = (
    "does not appear to be a git repository",
    "repository not found",
    "not found",
    "could not read from remote repository",
    "no such file or directory",
)
_AUTH = ("authentication failed", "could not read username", "permission denied", "terminal prompts disabled")


def is_full_commit(text: str) -> bool:
    """Whether ``text`` is a full 40-hex commit id (lower case, as git prints them)."""
    return _FULL_SHA.match(text) is not None


def url_key(url: str) -> str:
    """The cache folder name of a repository URL: credentials do not split one repository in two."""
    public = strip_credentials(url).rstrip("/")
    return hashlib.sha256(public.encode()).hexdigest()[:16]


def _git_binary() -> str:
    found = shutil.which("git")
    if found is None:
        raise BaleError(
            "Cannot install from a git repository: git is not installed (no `git` on PATH)",
            hint="install git (https://git-scm.com/downloads), or install a released version of the package",
        )
    return found


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    # A credential prompt would hang a non-interactive run (and a progress bar's terminal).
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_ASKPASS", "")
    env["LC_ALL"] = "C"  # stderr in English: the messages below are matched on its words
    return env


class GitRepositories:
    """The cache's ``git-v1`` bucket: ``db/<url key>`` (bare repository, fetched when a commit is
    missing) and ``checkouts/<url key>/<commit>`` (a checkout made once, in a temp dir then renamed).

    ``resolve`` costs one ``git ls-remote`` (~50 ms local, a round trip remote) unless given a full
    commit that is already cached; ``checkout`` of a cached commit is one stat. ``offline`` answers
    from the cache only and raises OfflineError naming the repository otherwise. Thread- and
    process-safe: file locks guard each database and each checkout while they are written.
    """

    def __init__(self, cache: Cache, *, offline: bool = False, reporter: Reporter = NULL_REPORTER) -> None:
        self.cache = cache
        self.offline = offline
        self.reporter = reporter
        self._git: str | None = None
        self._env: dict[str, str] | None = None
        # One answer per (url, revision) and run: a name-less requirement is resolved to be named,
        # then again to be installed, and a branch must not move in between.
        self._resolved: dict[tuple[str, str | None], str] = {}
        self._memo_lock = threading.Lock()

    # -- public -------------------------------------------------------------------------------------

    def resolve(self, url: str, revision: str | None) -> str:
        """The full commit id ``revision`` (a tag, branch, ref or commit; None: the default branch)
        names in the repository at ``url`` (without ``git+``); the same answer for the rest of the run."""
        key = (url, revision)
        with self._memo_lock:
            known = self._resolved.get(key)
        if known is None:
            known = self._resolve(url, revision)
            with self._memo_lock:
                known = self._resolved.setdefault(key, known)
        return known

    def _resolve(self, url: str, revision: str | None) -> str:
        shown = strip_credentials(url)
        what = f"revision {revision!r}" if revision else "the default branch (HEAD)"
        if revision is not None and is_full_commit(revision.lower()):
            commit = revision.lower()
            if self._has_commit(url, commit):
                return commit
            self._require_online(url, f"commit {commit}")
            self._fetch(url, commit)
            if self._has_commit(url, commit):
                return commit
            raise self._unknown(shown, revision, "no such commit")
        if self.offline:
            found = self._cached_revision(url, revision)
            if found is None:
                why = (
                    f"its copy in the cache has no {what}"
                    if self._db(url).is_dir()
                    else "the cache has no copy of it"
                )
                raise OfflineError(
                    f"Cannot resolve {what} of the git repository {shown}: bale is offline and {why}",
                    hint="run once without --offline to fetch the repository into the cache",
                )
            self.reporter.debug(f"git: {shown} {what} -> {found} (offline, from the cache)")
            return found
        found = self._ls_remote(url, revision)
        if found is None and revision is not None and _SHORT_SHA.match(revision.lower()):
            # An abbreviated commit is no ref: fetch the branches and tags, then ask the database.
            self._fetch(url, None)
            found = self._rev_parse(self._db(url), f"{revision}^{{commit}}")
        if found is None:
            if revision is None:
                raise BaleError(
                    f"The git repository {shown} has no default branch (HEAD): is it empty?",
                    hint="name a branch, tag or commit: git+URL@REVISION",
                )
            raise self._unknown(shown, revision, "no tag, branch or commit of that name")
        self.reporter.debug(f"git: {shown} {what} -> {found}")
        return found

    def checkout(self, url: str, commit: str) -> Path:
        """A checkout of ``commit`` (full id) of the repository at ``url``, made once and shared.

        Callers must treat it as read-only: every environment installing this commit builds from it.
        """
        final = self.cache.bucket("git") / "checkouts" / url_key(url) / commit
        if final.is_dir():
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        with self._lock(final.with_name(f"{commit}.lock"), f"the checkout of {commit[:12]}"):
            if final.is_dir():
                return final
            if not self._has_commit(url, commit):
                self._require_online(url, f"commit {commit}")
                self._fetch(url, commit)
                if not self._has_commit(url, commit):
                    raise self._unknown(strip_credentials(url), commit, "no such commit")
            self._make_checkout(url, commit, final)
        return final

    # -- database -----------------------------------------------------------------------------------

    def _db(self, url: str) -> Path:
        return self.cache.bucket("git") / "db" / url_key(url)

    def _has_commit(self, url: str, commit: str) -> bool:
        db = self._db(url)
        if not db.is_dir():
            return False
        done = self._run(["cat-file", "-e", f"{commit}^{{commit}}"], cwd=db, check=False)
        return done.returncode == 0

    def _cached_revision(self, url: str, revision: str | None) -> str | None:
        db = self._db(url)
        if not db.is_dir():
            return None
        if revision is None:
            return self._rev_parse(db, "refs/bale/HEAD^{commit}")
        candidates = [f"refs/tags/{revision}", f"refs/heads/{revision}"]
        if revision.startswith("refs/"):
            candidates.insert(0, revision)
        if _SHORT_SHA.match(revision.lower()):
            candidates.append(revision)
        for name in candidates:
            found = self._rev_parse(db, f"{name}^{{commit}}")
            if found is not None:
                return found
        return None

    def _rev_parse(self, db: Path, expression: str) -> str | None:
        done = self._run(["rev-parse", "--verify", "--quiet", expression], cwd=db, check=False)
        value = done.stdout.strip()
        return value if done.returncode == 0 and is_full_commit(value) else None

    def _ls_remote(self, url: str, revision: str | None) -> str | None:
        """Ask the remote which commit ``revision`` names: an annotated tag's commit, a lightweight
        tag, a branch, or a full ref (in that order of preference); None when none matches."""
        if revision is None:
            wanted = ["HEAD"]
        else:
            wanted = [f"refs/tags/{revision}^{{}}", f"refs/tags/{revision}", f"refs/heads/{revision}"]
            if revision.startswith("refs/") or revision == "HEAD":
                wanted.insert(0, revision)
        # Explicit ref names: with bare patterns the server leaves out peeled tags (``^{}``).
        done = self._run(["ls-remote", "--", url, *wanted], url=url, what="list the refs of")
        refs: dict[str, str] = {}
        for line in done.stdout.splitlines():
            sha, _, ref = line.partition("\t")
            if is_full_commit(sha):
                refs[ref.strip()] = sha
        return next((refs[name] for name in wanted if name in refs), None)

    def _fetch(self, url: str, commit: str | None) -> None:
        """Fetch branches, tags and HEAD into the database (created on first use); then ``commit``
        alone if it is still missing (a commit on no branch, which servers may still serve)."""
        self._require_online(url, f"commit {commit}" if commit else "its branches and tags")
        db = self._db(url)
        shown = strip_credentials(url)
        with self._lock(db.with_name(f"{db.name}.lock"), f"the git repository {shown}"):
            if not db.is_dir():
                self._init_db(db)
            self.reporter.debug(f"git: fetching {shown}")
            self._run(
                ["fetch", "--quiet", "--force", "--no-tags", "--", url, *_REFSPECS],
                cwd=db,
                url=url,
                what="fetch",
            )
            if commit is not None and not self._has_commit(url, commit):
                done = self._run(["fetch", "--quiet", "--", url, commit], cwd=db, check=False)
                if done.returncode != 0:
                    self.reporter.debug(f"git: fetching {commit} alone from {shown} failed")

    def _init_db(self, db: Path) -> None:
        from bale.fs.atomic import replace_dir

        db.parent.mkdir(parents=True, exist_ok=True)
        with self.cache.temp_dir() as temp:
            staged = temp / "db"
            self._run(["init", "--quiet", "--bare", str(staged)], cwd=temp)
            # The cache owns the database: no background gc racing our checkouts' alternates.
            self._run(["config", "gc.auto", "0"], cwd=staged)
            replace_dir(staged, db)

    # -- checkouts ----------------------------------------------------------------------------------

    def _make_checkout(self, url: str, commit: str, final: Path) -> None:
        from bale.fs.atomic import replace_dir

        db = self._db(url)
        with self.cache.temp_dir() as temp:
            tree = temp / commit
            # --shared borrows the database's objects (alternates): a checkout costs only its files.
            self._run(["clone", "--quiet", "--shared", "--no-checkout", str(db), str(tree)], cwd=temp)
            self._run(["checkout", "--quiet", "--detach", commit], cwd=tree)
            if (tree / ".gitmodules").is_file():
                self._submodules(url, commit, tree)
            replace_dir(tree, final)
        self.reporter.debug(f"git: checked out {strip_credentials(url)} at {commit}")

    def _submodules(self, url: str, commit: str, tree: Path) -> None:
        self._require_online(url, f"the submodules of commit {commit}")
        # Relative submodule URLs are relative to the repository's own URL, not to the cache's database.
        self._run(["remote", "set-url", "origin", url], cwd=tree)
        self._run(
            ["submodule", "update", "--quiet", "--init", "--recursive"],
            cwd=tree,
            url=url,
            what="check out the submodules of",
        )

    # -- running git --------------------------------------------------------------------------------

    def _require_online(self, url: str, what: str) -> None:
        if self.offline:
            raise OfflineError(
                f"Cannot fetch {what} of the git repository {strip_credentials(url)}: bale is offline "
                "and the cache does not have it",
                hint="run once without --offline to fetch it into the cache",
            )

    def _lock(self, path: Path, label: str) -> FileLock:
        from bale.fs.lock import FileLock

        return FileLock(path, label=label, on_wait=self.reporter.warn)

    def _run(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        url: str | None = None,
        what: str = "",
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        if self._git is None:
            self._git = _git_binary()
            self._env = _environment()
        done = subprocess.run(
            [self._git, *args],
            cwd=cwd,
            env=self._env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
        if check and done.returncode != 0:
            raise self._failure(args, done, url, what)
        return done

    def _failure(
        self, args: Sequence[str], done: subprocess.CompletedProcess[str], url: str | None, what: str
    ) -> BaleError:
        output = done.stderr.strip() or done.stdout.strip()
        if url is not None:
            output = output.replace(url, strip_credentials(url))
        lines = [line for line in output.splitlines() if line.strip()][-5:]
        context = [f"git: {line}" for line in lines]
        lowered = output.lower()
        if url is None:
            return BaleError(
                f"git {args[0]} failed in the cache (exit status {done.returncode})", context=context
            )
        shown = strip_credentials(url)
        if any(word in lowered for word in _AUTH):
            return BaleError(
                f"Cannot {what} the git repository {shown}: access was denied",
                context=context,
                hint="check the credentials git uses for this host (a credential helper, an ssh key, or "
                "user:token in the URL); bale never prompts for them",
            )
        if any(word in lowered for word in _NOT_FOUND):
            return BaleError(
                f"Cannot {what} the git repository {shown}: it was not found",
                context=context,
                hint="check the URL (git+https://host/owner/repo.git, git+ssh://git@host/owner/repo.git, "
                "git+file:///path/to/repo)",
            )
        return BaleError(
            f"Cannot {what} the git repository {shown} (git exited with status {done.returncode})",
            context=context,
        )

    def _unknown(self, shown: str, revision: str, why: str) -> BaleError:
        return BaleError(
            f"Cannot find revision {revision!r} in the git repository {shown}: {why}",
            hint="check the tag, branch or commit after @ (git ls-remote URL lists the tags and branches)",
        )
