"""``bale lock --merge``: git's merge driver for pylock.toml: relock the merged pyproject.toml, preferring
both sides' pins, instead of leaving conflict markers."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path

from packaging.version import Version

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.ops.project import LockOutcome, LockSettings
from bale.project.model import Project

# ``git merge`` names the commit being merged in this variable, for the labels of conflict markers;
# the driver runs before MERGE_HEAD is written, and before the working tree holds the merged files.
_GITHEAD = re.compile(r"GITHEAD_([0-9a-f]{40}|[0-9a-f]{64})")
_MARKERS = re.compile(r"^(<{7}|>{7})( |$)", re.MULTILINE)


@record(frozen=True, slots=True)
class PinConflict:
    """Both sides pinned ``name``, at different versions; ``chosen`` (the higher) was preferred."""

    name: NormalizedName
    ours: str
    theirs: str
    chosen: str


@record
class MergeOutcome:
    lock: LockOutcome
    conflicts: list[PinConflict] = field(default_factory=list)


def merge_lock(
    ctx: Context,
    project: Project,
    settings: LockSettings,
    base: Path,
    ours: Path,
    theirs: Path,
) -> MergeOutcome:
    """Write to ``ours`` the lock of the merged pyproject.toml, each package preferred at the higher of
    the two sides' versions. On failure ``ours`` gets git's usual conflict markers and the error is
    raised: git then reports the lock as conflicted."""
    from bale.fs.atomic import write_atomic
    from bale.lock.pins import locked_pins
    from bale.ops.project import lock_project

    try:
        pyproject = merged_pyproject(project)
        mine = locked_pins(ours.read_text(encoding="utf-8"), source=f"{ours} (ours)")
        other = locked_pins(theirs.read_text(encoding="utf-8"), source=f"{theirs} (theirs)")
        preferred: dict[NormalizedName, Version] = {}
        conflicts: list[PinConflict] = []
        for name in sorted(set(mine) | set(other)):
            top_mine = max(mine.get(name, ()), default=None)
            top_other = max(other.get(name, ()), default=None)
            chosen = max(v for v in (top_mine, top_other) if v is not None)
            preferred[name] = chosen
            if top_mine is not None and top_other is not None and top_mine != top_other:
                conflicts.append(PinConflict(name, str(top_mine), str(top_other), str(chosen)))
        # Neither side's lock file is "the" previous one: both sides' pins come in as preferences alone.
        merged_settings = dataclasses.replace(
            settings,
            upgrade=True,
            upgrade_packages=(),
            dry_run=True,
            preferred=tuple((str(n), str(v)) for n, v in preferred.items()),
        )
        outcome = lock_project(ctx, project, merged_settings, pyproject_text=pyproject)
    except BaleError:
        _leave_conflict(base, ours, theirs)
        raise
    write_atomic(ours, outcome.text.encode("utf-8"), fsync=True)
    return MergeOutcome(outcome, conflicts)


def merged_pyproject(project: Project) -> str:
    """What pyproject.toml says once git has merged it: git runs the lock's driver before it writes the
    merged files to the working tree, so the three sides are merged here as git will (``git merge-file``).
    Outside a ``git merge`` (no commit being merged is known), the working tree's file as it is."""
    path = project.pyproject
    current = path.read_text(encoding="utf-8")
    other = _commit_being_merged(project.root)
    if other is None:
        text = current
    else:
        top = Path(_git(["rev-parse", "--show-toplevel"], project.root).strip())
        relative = path.resolve().relative_to(top.resolve()).as_posix()
        base_commit = _git(["merge-base", "HEAD", other], top).strip()
        theirs = _show(top, other, relative)
        base = _show(top, base_commit, relative) if base_commit else None
        if theirs is None or theirs in (current, base):
            text = current
        elif base == current:
            text = theirs
        else:
            text = _merge_file(current, base or "", theirs, path)
    if _MARKERS.search(text):
        raise BaleError(
            f"{path} has conflict markers: the lock cannot be merged before it is",
            hint="resolve pyproject.toml's conflicts, then run `bale lock` (and `git add pylock.toml`)",
        )
    return text


def _commit_being_merged(root: Path) -> str | None:
    for key in os.environ:
        found = _GITHEAD.fullmatch(key)
        if found:
            return found.group(1)
    for head in ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REBASE_HEAD"):
        done = _run(["rev-parse", "-q", "--verify", head], root)
        if done.returncode == 0:
            return done.stdout.strip()
    return None


def _show(top: Path, commit: str, relative: str) -> str | None:
    done = _run(["show", "--no-textconv", f"{commit}:{relative}"], top)
    return done.stdout if done.returncode == 0 else None


def _merge_file(current: str, base: str, theirs: str, path: Path) -> str:
    """git's three-way merge of the three texts; conflicting changes are an error naming ``path``."""
    with tempfile.TemporaryDirectory(prefix="bale-merge-") as folder:
        files = []
        for side, text in (("ours", current), ("base", base), ("theirs", theirs)):
            file = Path(folder) / side
            file.write_text(text, encoding="utf-8")
            files.append(str(file))
        done = _run(["merge-file", "-p", *files], Path(folder))
    if done.returncode != 0:
        raise BaleError(
            f"{path} conflicts too: both branches changed the same lines, so the lock cannot be merged",
            hint="resolve pyproject.toml's conflicts, then run `bale lock` (and `git add pylock.toml`)",
        )
    return done.stdout


def _leave_conflict(base: Path, ours: Path, theirs: Path) -> None:
    """``ours`` with git's conflict markers, as a merge without this driver would have left it."""
    labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
    _run(["merge-file", *labels, str(ours), str(base), str(theirs)], Path.cwd())


def _git(args: Sequence[str], cwd: Path) -> str:
    done = _run(args, cwd)
    if done.returncode != 0:
        raise BaleError(f"git {' '.join(args)} failed in {cwd}", context=done.stderr.strip().splitlines())
    return done.stdout


def _run(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise BaleError("The lock merge driver needs git, and there is no `git` on PATH")
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run([git, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def install_merge_driver(root: Path, command: str) -> list[str]:
    """``pylock.toml merge=bale`` in the repository's top ``.gitattributes`` and ``merge.bale.*`` in its
    config (local: git never runs a driver a clone did not set up itself). What changed, as lines."""
    from bale.fs.atomic import write_atomic

    top = Path(_git(["rev-parse", "--show-toplevel"], root).strip())
    attributes = top / ".gitattributes"
    existing = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
    line = "pylock.toml merge=bale"
    done: list[str] = []
    if line not in existing.splitlines():
        prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
        write_atomic(attributes, f"{prefix}{line}\n".encode())
        done.append(f"{attributes}: {line}")
    driver = f"{command} lock --merge %O %A %B %P"
    _git(["config", "merge.bale.name", "bale: relock pylock.toml from both sides"], top)
    _git(["config", "merge.bale.driver", driver], top)
    done.append(f"git config merge.bale.driver {driver!r}")
    return done
