"""``bale import``: arguments in, the import's report out."""

from __future__ import annotations

import argparse
from pathlib import Path

from bale.cli.commands import _context
from bale.cli.printer import Printer, plural
from bale.errors import BaleError


def cmd_import(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.project import _lock_settings
    from bale.ops.migrate import ImportSettings, detect, import_project

    root = Path(args.path).absolute() if args.path else Path.cwd()
    if not root.is_dir():
        raise BaleError(f"{args.path} is not a folder", hint="PATH names the project's folder")
    tool = args.import_from or detect(root)
    settings = ImportSettings(
        root=root, tool=tool, dry_run=args.dry_run, remove_old=args.remove_old, lock=_lock_settings(args)
    )
    ctx = _context(args, printer)
    try:
        outcome = import_project(ctx, settings)
    finally:
        ctx.reporter.finish()
        ctx.close()
    imported = outcome.imported
    groups = len(imported.groups)
    if imported.keep_project_table:  # poetry 2, pdm, uv: [project] already lists the dependencies
        what = f"{plural(groups, 'dependency group')} (and [project] as written)"
    else:
        what = _count(len(imported.dependencies), "dependency", "dependencies")
        what += f" and {plural(groups, 'dependency group')}" if groups else ""
    printer.info(f"Imported {what} from {tool} ({', '.join(imported.files)})")
    for note in imported.notes:
        printer.warn(f"note: {note}")
    if imported.system:
        printer.warn("The environment also needs, from outside Python's index (not imported):")
        for line in imported.system:
            printer.warn(f"  {line}")
    if args.dry_run:
        printer.data(outcome.text.rstrip("\n"))
        if imported.preferences:
            printer.info(
                f"Would keep the {plural(len(imported.preferences), 'locked version')} of "
                f"{imported.lock_file} where they still fit"
            )
        printer.info("Dry run: nothing written")
        return 0
    if outcome.lock is not None:
        from bale.cli.replay import show_resolved

        show_resolved(printer, outcome.lock.count, outcome.lock.seconds)
    printer.info(
        f"Wrote {outcome.pyproject.name} and {outcome.lock.path.name if outcome.lock else 'no lock'}"
    )
    if imported.preferences:
        total = len(imported.preferences)
        printer.info(f"Kept {outcome.kept} of {plural(total, 'locked version')} from {imported.lock_file}")
        for moved in outcome.moved:
            where = f"-> {moved.new}" if moved.new is not None else "-> (removed)"
            printer.info(f"  {moved.name} {moved.old} {where}: {moved.why}")
    for path in outcome.removed:
        printer.info(f"Removed {path.name}")
    return 0


def _count(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
