"""``bale diff`` and ``bale lock --diff``: two locks read (files, git revisions), compared with their
licences and known vulnerabilities looked up."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.pylock import Pylock

    from bale.audit.findings import Finding
    from bale.context import Context
    from bale.lock.diff import LockDiff
    from bale.ops.project import LockSettings
    from bale.project.model import Project

__all__ = ["DiffSettings", "LockSide", "compare", "lock_sides", "revision_side"]


@record(frozen=True)
class LockSide:
    """One of the two locks: ``label`` names it for people (``HEAD:pylock.toml``, a path); ``text``
    None: there was no lock (all of the other side's packages are new); ``path``: where the lock is,
    or would be in the working tree (relative paths in it are relative to its folder)."""

    label: str
    text: str | None
    path: Path


@record(frozen=True)
class DiffSettings:
    lock: LockSettings | None = None  # the index settings licence reads check hosts against
    licenses: bool = True  # look up licences (metadata from the cache, else the lock's index)
    db: Path | None = None  # an OSV export to match against; None: the local database, if fetched
    notes: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------- reading


def lock_sides(start: Path, specs: Sequence[str]) -> tuple[LockSide, LockSide]:
    """The two locks ``bale diff [OLD] [NEW]`` names: each a file (an existing path, or a name ending
    in ``.toml``) or a git revision of the project's lock; OLD defaults to ``HEAD``, NEW to the
    project's lock in the working tree."""
    if len(specs) > 2:
        raise BaleError("bale diff takes at most two locks: OLD and NEW", hint="bale diff HEAD~1 HEAD")
    old_spec = specs[0] if specs else "HEAD"
    new_side = _side(start, specs[1]) if len(specs) == 2 else _working_tree(start)
    return _side(start, old_spec), new_side


def _is_file_spec(spec: str) -> bool:
    return Path(spec).is_file() or spec.endswith(".toml")


def _side(start: Path, spec: str) -> LockSide:
    if _is_file_spec(spec):
        path = Path(spec)
        if not path.is_file():
            raise BaleError(f"The lock file {spec} does not exist")
        return LockSide(spec, _read(path), path.absolute())
    return revision_side(_project_lock(start), spec)


def _project_lock(start: Path) -> Path:
    from bale.ops.project import lock_path
    from bale.project.workspace import find_workspace

    return lock_path(find_workspace(start).root)


def _working_tree(start: Path) -> LockSide:
    path = _project_lock(start)
    if not path.is_file():
        raise BaleError(f"There is no lock file at {path}", hint="run `bale lock` first")
    return LockSide(_relative(path), _read(path), path)


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BaleError(f"Cannot read the lock file {path}: {getattr(err, 'strerror', None) or err}") from err


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    import shutil

    git = shutil.which("git")
    if git is None:
        raise BaleError(
            "Cannot read a lock from a git revision: git is not installed (no `git` on PATH)",
            hint="compare two lock files instead: bale diff OLD.toml NEW.toml",
        )
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(
            [git, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as err:
        raise BaleError(f"Cannot run git in {cwd}: {err.strerror or err}") from err


def revision_side(lock: Path, revision: str) -> LockSide:
    """The lock at ``lock`` (a working-tree path) as git revision ``revision`` has it: ``git show
    REV:PATH`` in the repository holding it, PATH relative to the repository's top."""
    folder = lock.parent
    top = _git(["rev-parse", "--show-toplevel"], folder)
    if top.returncode != 0:
        raise BaleError(
            f"Cannot read {lock.name} at revision {revision!r}: {folder} is not inside a git repository",
            hint="name two lock files instead: bale diff OLD.toml NEW.toml",
        )
    root = Path(top.stdout.strip())
    relative = Path(os.path.relpath(lock.resolve(), root.resolve())).as_posix()
    if revision.startswith("-") or not revision:
        raise BaleError(f"{revision!r} is not a git revision")
    known = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], root)
    if known.returncode != 0:
        raise BaleError(
            f"There is no revision {revision!r} in the git repository at {root}",
            hint="name a commit, branch or tag (git log shows them), or a lock file ending in .toml",
        )
    shown = _git(["show", "--no-textconv", f"{revision}:{relative}"], root)
    if shown.returncode != 0:
        raise BaleError(
            f"Revision {revision!r} has no {relative} (in the git repository at {root})",
            hint="the lock was not committed then; name a later revision",
        )
    return LockSide(f"{revision}:{relative}", shown.stdout, lock)


# ---------------------------------------------------------------------------------------------- compare


def _parse(side: LockSide) -> Pylock:
    from packaging.pylock import Pylock
    from packaging.version import Version

    from bale.lock.pylock import read_pylock

    if side.text is None:
        return Pylock(lock_version=Version("1.0"), created_by="bale", packages=[])
    return read_pylock(side.text, source=side.label)


def compare(ctx: Context, old: LockSide, new: LockSide, settings: DiffSettings) -> LockDiff:
    """The diff of ``old`` to ``new``, with the licences of new and changed versions (unless
    ``settings.licenses`` is off) and the vulnerabilities fixed and introduced by the local database
    (or ``settings.db``); what cannot be looked up becomes a note, never an error."""
    from bale.lock.diff import diff_locks, license_keys

    old_lock, new_lock = _parse(old), _parse(new)
    notes = list(settings.notes)
    licenses = None
    if settings.licenses:
        old_keys, new_keys = license_keys(old_lock, new_lock)
        licenses = (
            _licenses(ctx, old, old_lock, old_keys, settings, notes),
            _licenses(ctx, new, new_lock, new_keys, settings, notes),
        )
    findings = _findings(ctx, old_lock, new_lock, new.path, settings, notes)
    return diff_locks(old_lock, new_lock, licenses=licenses, findings=findings, notes=notes)


def _licenses(
    ctx: Context, side: LockSide, lock: Pylock, keys: set[int], settings: DiffSettings, notes: list[str]
) -> dict[int, str]:
    """The licence text of ``keys`` in ``lock``, as ``bale licenses`` reads it (the metadata cache
    ``bale lock`` filled, else the lock's index); one note per entry that could not be read."""
    if not keys:
        return {}
    from bale.model.names import normalize
    from bale.ops.licenses import locked_licenses
    from bale.ops.project import LockSettings
    from bale.ops.views import LoadedLock

    try:
        project = _project_of(side.path)
        loaded = LoadedLock(project, side.path, side.text or "", lock)
        lookup = locked_licenses(ctx, loaded, keys, settings.lock or LockSettings())
    except BaleError as err:
        notes.append(f"licences of {side.label} not read: {err.message}")
        return {}
    for key, problem in sorted(lookup.problems.items()):
        package = lock.packages[key]
        version = f" {package.version}" if package.version is not None else ""
        notes.append(f"licence of {normalize(package.name)}{version} ({side.label}) not read: {problem}")
    return {key: declared.text for key, declared in lookup.licenses.items()}


def _project_of(path: Path) -> Project:
    from bale.project.workspace import find_workspace

    return find_workspace(path.parent).root


def _findings(
    ctx: Context, old: Pylock, new: Pylock, where: Path, settings: DiffSettings, notes: list[str]
) -> tuple[list[Finding], list[Finding]] | None:
    """Each lock's known vulnerabilities by the local database (never the network), the project's
    ignores applied; None, with a note, when there is no database."""
    from bale.audit.database import OfflineDatabase
    from bale.audit.findings import findings
    from bale.audit.ignores import triage
    from bale.ops.audit import database_file, project_ignores

    path = settings.db or database_file(ctx)
    if not path.is_file():
        if settings.db is not None:
            raise BaleError(f"The vulnerability database {settings.db} does not exist")
        notes.append("vulnerabilities not compared: no local database (`bale audit --update-db` fetches it)")
        return None
    old_pairs, new_pairs = _audited(old), _audited(new)
    try:
        index_dir = ctx.cache.bucket("osv") / "indexes" if settings.db is not None else None
        database = OfflineDatabase.open(path, index_dir=index_dir)
        advisories = database.advisories_for({name for name, _ in (*old_pairs, *new_pairs)}).by_name
        try:
            ignores, until_fixed = project_ignores(_project_of(where))
        except BaleError:
            ignores, until_fixed = (), False  # outside a project: no ignores
        today = dt.datetime.now(dt.timezone.utc).date()
        sides = []
        for pairs in (old_pairs, new_pairs):
            found, _ = findings(pairs, advisories)
            sides.append(list(triage(found, ignores, today=today, until_fixed=until_fixed).remaining))
    except BaleError as err:
        notes.append(f"vulnerabilities not compared: {err.message}")
        return None
    return sides[0], sides[1]


def _audited(lock: Pylock) -> list[tuple[NormalizedName, Version]]:
    """The entries with a registry version: folders and git checkouts are not the index's project."""
    from bale.model.names import normalize

    return sorted(
        {
            (normalize(p.name), p.version)
            for p in lock.packages
            if p.version is not None and p.directory is None and p.vcs is None
        }
    )


if TYPE_CHECKING:
    from packaging.version import Version

    from bale.model.names import NormalizedName
