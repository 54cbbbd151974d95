"""The typosquatting guard: warns about, or refuses, a new name that looks like a popular package's."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.policy.typosquat import Lookalike, TyposquatMode, describe

if TYPE_CHECKING:
    from bale.context import Context
    from bale.index.sources import IndexClient
    from bale.ops.project import LockSettings
    from bale.ops.project_add import Addition
    from bale.ops.settings import IndexSettings
    from bale.policy.model import Policy
    from bale.project.workspace import Workspace

__all__ = [
    "MODES",
    "Suspect",
    "check_additions",
    "check_new_names",
    "configured_mode",
    "locked_names",
    "typosquat_mode",
]

MODES: tuple[TyposquatMode, ...] = ("warn", "deny", "off")


@record(frozen=True, slots=True)
class Suspect:
    """A checked name that looks like a popular one, with its first upload (None: the index has no
    upload times, or does not serve the name) and the sentence said about it."""

    lookalike: Lookalike
    first_upload: datetime | None
    message: str


_STRICTNESS: dict[str, int] = {"off": 0, "warn": 1, "deny": 2}


def typosquat_mode(strict: bool = False, configured: TyposquatMode | None = None) -> TyposquatMode:
    """The guard's mode: ``--strict`` (deny), else the stricter of ``BALE_TYPOSQUAT`` and ``configured``
    (a policy's ``typosquat`` key: a user's variable may tighten an organisation's rule, never loosen
    it), else warn. Raises BaleError for a ``BALE_TYPOSQUAT`` that is not a mode."""
    if strict:
        return "deny"
    value = os.environ.get("BALE_TYPOSQUAT", "").strip().lower()
    if value and value not in MODES:
        raise BaleError(
            f"BALE_TYPOSQUAT={value!r} is not a typosquatting guard mode",
            hint="set it to warn, deny or off",
        )
    chosen: list[TyposquatMode] = [mode for mode in MODES if mode in (value, configured)]
    if not chosen:
        return "warn"
    return max(chosen, key=lambda mode: _STRICTNESS[mode])


def configured_mode(policy: Policy | None) -> TyposquatMode | None:
    """The policy's ``typosquat`` key when a layer sets it (None: unset, so the default applies)."""
    return None if policy is None else policy.typosquat


def locked_names(text: str | None, *, source: str) -> frozenset[str]:
    """The package names of a ``pylock.toml`` text (none for no lock, or one that does not parse: the
    lock step reports that)."""
    if text is None:
        return frozenset()
    from bale.lock.pylock import read_pylock

    try:
        return frozenset(str(package.name) for package in read_pylock(text, source=source).packages)
    except BaleError:
        return frozenset()


def check_new_names(
    ctx: Context,
    names: Iterable[NormalizedName],
    index: IndexSettings,
    *,
    mode: TyposquatMode,
    known: Collection[str] = (),
    verb: str = "install",
    now: datetime | None = None,
) -> list[Suspect]:
    """Check each of ``names`` that is not in ``known`` (what the lock or the environment already has)
    against the popular names bale ships. ``warn`` tells the reporter about each suspect, ``deny``
    raises a BaleError naming them all (``verb`` says what was refused: "add", "install"), ``off``
    checks nothing. Call before anything is written or installed.

    Costs ~0.2 ms a new name plus reading the list once per process (~5 ms). Only a suspect's index
    page is fetched here, for its upload times: suspects are rare, and the resolution that follows
    asks for the same page (from the HTTP cache when the index allows it)."""
    fresh = [name for name in dict.fromkeys(names) if name not in known]
    if mode == "off" or not fresh:
        return []
    from bale.policy.popular import popular_names

    popular = popular_names()  # read only when a name is new: a re-install of known names costs nothing
    found = [hit for name in fresh if (hit := popular.lookalike(name)) is not None]
    if not found:
        return []
    moment = now or datetime.now(timezone.utc)
    client = ctx.index_client(index)
    client.prefetch([NormalizedName(hit.name) for hit in found])
    suspects = []
    for hit in found:
        served, first = _uploads(client, NormalizedName(hit.name))
        # A name no index serves installs nothing: its "not found" error (with its own suggestion) says it.
        if served:
            suspects.append(Suspect(hit, first, describe(hit, first, moment)))
    if mode == "deny" and suspects:
        named = ", ".join(f"`{suspect.lookalike.name}`" for suspect in suspects)
        raise BaleError(
            f"Refusing to {verb} {named}: "
            + ("the name looks" if len(suspects) == 1 else "the names look")
            + " like a popular package's, and the typosquatting guard is set to deny",
            context=[suspect.message for suspect in suspects],
            hint="check the spelling; if the name is right, run without --strict (and BALE_TYPOSQUAT=warn)",
        )
    for suspect in suspects:
        ctx.reporter.warn(suspect.message)
    return suspects


def check_additions(
    ctx: Context,
    workspace: Workspace,
    additions: Sequence[Addition],
    settings: LockSettings,
    *,
    lock_file: Path,
    mode: TyposquatMode,
) -> list[Suspect]:
    """``bale add``'s check, before pyproject.toml or the lock is written: the additions taken from an
    index by name (not paths, URLs, git or workspace members) that the lock does not list yet."""
    if mode == "off":
        return []
    named = [a.name for a in additions if a.source is None or "index" in a.source]
    if not named:
        return []
    from bale.ops.project import project_index

    index = project_index(workspace.root, settings, workspace)
    # ``--index NAME`` is not in pyproject.toml yet: its additions are looked up where they will come from.
    urls = {i.name: i.url for member in workspace.members.values() for i in member.settings.indexes}
    urls.update((i.name, i.url) for i in workspace.root.settings.indexes)
    pinned = [
        (a.name, urls[str(a.source["index"])])
        for a in additions
        if a.source and a.source.get("index") in urls
    ]
    if pinned:
        index = replace(index, pins=(*index.pins, *pinned))
    text = lock_file.read_text(encoding="utf-8", errors="replace") if lock_file.is_file() else None
    known = locked_names(text, source=str(lock_file))
    return check_new_names(ctx, named, index, mode=mode, known=known, verb="add")


def _uploads(client: IndexClient, name: NormalizedName) -> tuple[bool, datetime | None]:
    """Whether the index serves ``name`` (a failing index counts as serving it: the resolution that
    follows reports the failure), and the earliest PEP 700 ``upload-time`` among its files (None when
    none carries one)."""
    try:
        files = client.project_files(name)
    except BaleError:
        return True, None
    times = [file.upload_time for file in files if file.upload_time is not None]
    if not times:
        return bool(files), None
    return True, min(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc) for moment in times)
