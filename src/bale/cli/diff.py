"""``bale diff [OLD] [NEW]`` and ``bale lock --diff``: what a lock change does, printed for review."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cli.commands import _context, project_dir
from bale.cli.printer import Printer

if TYPE_CHECKING:
    from bale.lock.diff import LockDiff
    from bale.ops.diff import DiffSettings, LockSide


def _settings(args: argparse.Namespace) -> DiffSettings:
    from bale.cli.project import _lock_settings
    from bale.ops.diff import DiffSettings

    db = getattr(args, "diff_db", None)
    return DiffSettings(
        lock=_lock_settings(args),
        licenses=not getattr(args, "no_licenses", False),
        db=Path(db) if db else None,
    )


def _show(args: argparse.Namespace, printer: Printer, old: LockSide, new: LockSide) -> LockDiff:
    from bale.lock.diff_format import render_diff
    from bale.ops.diff import compare

    ctx = _context(args, printer)
    try:
        diff = compare(ctx, old, new, _settings(args))
    finally:
        ctx.reporter.finish()
        ctx.close()
    printer.out.write(
        render_diff(diff, getattr(args, "diff_format", None) or "text", old=old.label, new=new.label)
    )
    return diff


def cmd_diff(args: argparse.Namespace, printer: Printer) -> int:
    """Exit 0, also when the locks differ; with ``--exit-code`` 1 when they do (as ``git diff``)."""
    from bale.ops.diff import lock_sides

    old, new = lock_sides(project_dir(args), [spec for spec in (args.old, args.new) if spec is not None])
    diff = _show(args, printer, old, new)
    return 1 if args.exit_code and diff.changed else 0


def show_lock_diff(
    args: argparse.Namespace, printer: Printer, path: Path, before: str | None, after: str, *, dry_run: bool
) -> bool:
    """``bale lock --diff``: the lock ``before`` (None: there was none) against ``after``, as written
    or, in a dry run (``--dry-run``, ``--check``), as it would be; True when they differ."""
    from bale.ops.diff import LockSide

    name = path.name
    old = LockSide(f"{name} (before)" if before is not None else f"{name} (none)", before, path)
    new = LockSide(f"{name} (dry run)" if dry_run else name, after, path)
    return _show(args, printer, old, new).changed
