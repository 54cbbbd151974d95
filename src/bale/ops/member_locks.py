"""The locks of a per-member workspace taken together: each member's freshness, and agreement between
members that depend on each other."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from bale.errors import BaleError

if TYPE_CHECKING:
    from pathlib import Path

    from packaging.version import Version

    from bale.model.names import NormalizedName
    from bale.project.model import Project
    from bale.project.workspace import Workspace

__all__ = ["check_member_agreement", "disagreements", "member_for", "stale_member_locks"]


def member_for(
    workspace: Workspace, package: str | None, start: Path, *, all_packages: bool = False
) -> Project:
    """The member of a per-member workspace a command works on: ``package`` (``--package``), else the
    one whose folder holds ``start``. There is no workspace-wide lock or environment to fall back on."""
    from bale.ops.project_workspace import sync_targets

    members = ", ".join(workspace.members) or "none"
    if all_packages:
        raise BaleError(
            f"--all-packages: each member of the workspace at {workspace.root.root} has its own "
            '.venv ([tool.bale.workspace] lock = "per-member"), so there is no environment holding them all',
            hint=f"name one with --package NAME (members: {members}); `bale sync --all-packages` syncs each",
        )
    if package:
        return sync_targets(workspace, package)[0]
    here = workspace.member_at(start)
    if here is None:
        raise BaleError(
            f"{workspace.root.pyproject} declares a lock per member ([tool.bale.workspace] lock = "
            '"per-member"): there is no lock or environment for the workspace as a whole',
            hint=f"run the command in a member's folder, or name one with --package NAME (members: "
            f"{members}); `bale lock --all` locks every member",
        )
    return here


def stale_member_locks(members: Iterable[Project]) -> None:
    """Refuse, naming every one, the members whose own lock is missing or stale (``lock --all --check``)."""
    from bale.ops.project import lock_state

    stale: list[str] = []
    for member in members:
        state = lock_state(member)
        if not state.fresh:
            stale.extend(f"{member.name} ({state.path}): {change}" for change in state.changes)
    if stale:
        raise BaleError(
            "The lock files of some workspace members need to be updated",
            context=stale,
            hint="run `bale lock --all`",
        )


def check_member_agreement(workspace: Workspace, texts: Mapping[str, str] | None = None) -> int:
    """Check that each member and every member it depends on lock the same versions of the packages
    both locks hold: the dependent's environment runs the other member's code with its own lock's
    versions, so a difference means the other member is tested with versions it is not used with.

    ``texts``: lock texts by path, in place of the files (a dry run writes none); returns how many
    pairs were compared. Every disagreement is reported at once."""
    from bale.lock.pylock import read_pylock
    from bale.ops.project import lock_path, read_lock_text
    from bale.project.workspace import member_view

    given = texts or {}
    versions: dict[NormalizedName, dict[NormalizedName, set[Version]]] = {}
    paths: dict[NormalizedName, str] = {}
    for name, member in workspace.members.items():
        path = lock_path(member)
        text = given.get(str(path))
        if text is None:
            if not path.is_file():
                raise BaleError(
                    f"{path} does not exist: member {name!r} has no lock", hint="run `bale lock --all`"
                )
            text = read_lock_text(path)
        lock = read_pylock(text, source=str(path))
        versions[name] = _versions((p.name, p.version) for p in lock.packages)
        paths[name] = os.path.relpath(path)
    problems: list[str] = []
    pairs = 0
    for name, member in workspace.members.items():
        for other in sorted(member_view(workspace, member).members):
            if other == name:
                continue
            pairs += 1
            for package, ours, theirs in disagreements(
                versions[name], versions[other], skip=workspace.members
            ):
                problems.append(
                    f"{package}: {_listing(ours)} for {name} ({paths[name]}), {_listing(theirs)} for "
                    f"{other} ({paths[other]}), which {name} depends on"
                )
    if problems:
        first = problems[0].split(":", 1)[0]
        raise BaleError(
            f"Workspace members that depend on each other lock different versions of {len(problems)} "
            f"package{'s' if len(problems) != 1 else ''}",
            context=problems,
            hint="constrain the package in one member's pyproject.toml so that both resolve the same "
            f"version, or relock with `bale lock --all --upgrade-package {first}`",
        )
    return pairs


def disagreements(
    ours: Mapping[NormalizedName, set[Version]],
    theirs: Mapping[NormalizedName, set[Version]],
    *,
    skip: Iterable[NormalizedName] = (),
) -> list[tuple[NormalizedName, set[Version], set[Version]]]:
    """The packages both locks hold at different versions (a universal lock may hold several versions
    of one package, for different environments: the sets must be equal), sorted by name."""
    skipped = set(skip)
    return [
        (name, ours[name], theirs[name])
        for name in sorted(ours.keys() & theirs.keys())
        if name not in skipped and ours[name] != theirs[name]
    ]


def _versions(packages: Iterable[tuple[str, Version | None]]) -> dict[NormalizedName, set[Version]]:
    """Each package's locked versions; a package locked from a folder or a URL without one has none."""
    from bale.model.names import normalize

    found: dict[NormalizedName, set[Version]] = {}
    for name, version in packages:
        if version is not None:
            found.setdefault(normalize(name), set()).add(version)
    return {name: chosen for name, chosen in found.items() if chosen}


def _listing(versions: set[Version]) -> str:
    return ", ".join(str(v) for v in sorted(versions))
