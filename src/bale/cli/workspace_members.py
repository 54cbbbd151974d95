"""Per-member workspaces on the command line: which member a command works on, and `bale lock --all`."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from bale.errors import BaleError

if TYPE_CHECKING:
    from pathlib import Path

    from bale.cli.printer import Printer
    from bale.project.model import Project
    from bale.project.workspace import Workspace


def chosen_member(args: argparse.Namespace, workspace: Workspace, start: Path) -> Project:
    """The member of a per-member workspace a command locks, syncs or runs in (``ops.member_locks``)."""
    from bale.ops.member_locks import member_for

    package = getattr(args, "package", None)
    return member_for(workspace, package, start, all_packages=bool(getattr(args, "all_packages", False)))


def _per_member_workspace(args: argparse.Namespace) -> Workspace | None:
    from bale.cli.commands import project_dir
    from bale.project.workspace import find_workspace

    workspace = find_workspace(project_dir(args))
    return workspace if workspace.per_member else None


def cmd_lock_all(args: argparse.Namespace, printer: Printer) -> int | None:
    """``bale lock --all [--check]``: lock (or check) every member's own lock, then check that members
    depending on each other agree on every version; None when the workspace has one lock (``--all``
    then means it)."""
    from dataclasses import replace

    from bale.cli.commands import _context
    from bale.cli.printer import plural
    from bale.cli.project import _lock_settings, _report_lock
    from bale.ops.member_locks import check_member_agreement, stale_member_locks
    from bale.ops.project import lock_path, lock_project

    workspace = _per_member_workspace(args)
    if workspace is None:
        return None
    if getattr(args, "diff", False):
        raise BaleError("--diff shows one lock's change: use it with --package NAME, not --all")
    members = list(workspace.members.values())
    texts: dict[str, str] = {}
    if args.check:
        stale_member_locks(members)
    else:
        settings = replace(_lock_settings(args), dry_run=bool(getattr(args, "dry_run", False)))
        ctx = _context(args, printer)
        try:
            for member in members:
                outcome = lock_project(ctx, member, settings)
                texts[str(outcome.path)] = outcome.text
                printer.info(f"{member.name}: {os.path.relpath(lock_path(member))}")
                _report_lock(printer, outcome)
        finally:
            ctx.reporter.finish()
            ctx.close()
    pairs = check_member_agreement(workspace, texts)
    if args.check:
        printer.info(f"The locks of {len(members)} members are up to date")
    printer.info(f"Checked {plural(pairs, 'pair')} of dependent members: their locks agree")
    return 0


def cmd_sync_all(args: argparse.Namespace, printer: Printer) -> int | None:
    """``bale sync --all-packages`` in a per-member workspace: sync each member's own ``.venv`` from its
    own lock; None when the workspace has one lock (one environment holds every member then)."""
    from dataclasses import replace

    from bale.cli.project import _report_sync, _sync, _sync_settings

    workspace = _per_member_workspace(args)
    if workspace is None:
        return None
    for member in workspace.members.values():
        args._workspace_member = member, member
        settings = replace(_sync_settings(args), all_packages=False)
        printer.info(f"{member.name}: {os.path.relpath(member.root / '.venv')}")
        _report_sync(printer, _sync(args, printer, member, settings))
    return 0
