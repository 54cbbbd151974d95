"""Team workflows on the lock: ``bale upgrade``, ``bale outdated``, ``bale lock --merge`` (git's merge
driver) and ``bale git install-merge-driver``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from bale.cli.printer import Printer


def add_upgrade_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "packages", nargs="*", metavar="PACKAGE", help="the declared packages to upgrade (default: all)"
    )
    parser.add_argument(
        "--bounds",
        dest="widen",
        choices=["major", "minor"],
        default=None,
        help="also widen caps (<, <=, ~=, ==X.*, ==X) that keep the latest out: to below the next major "
        "(or minor) release after it; without it such a requirement is reported and kept",
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")


def add_outdated_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        dest="outdated_format",
        choices=["table", "json"],
        default="table",
        help="table (default) or json, on stdout",
    )


def add_git_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--command",
        dest="driver_command",
        metavar="CMD",
        help="how git starts bale (default: the bale running now, by its absolute path)",
    )


def cmd_upgrade(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.commands import _context
    from bale.cli.project import _lock_settings, _project
    from bale.cli.summary import lock_changes, show_lock_changes
    from bale.ops.upgrade import upgrade_project

    project = _project(args)
    ctx = _context(args, printer)
    try:
        outcome = upgrade_project(
            ctx, project, _lock_settings(args), args.packages, widen=args.widen, dry_run=args.dry_run
        )
    finally:
        ctx.reporter.finish()
        ctx.close()
    for row in outcome.ranges:
        if row.new is not None:
            printer.info(f"{row.name}: {row.old} -> {row.new}")
        elif row.held:
            printer.warn(
                f"{row.name}: {row.old} keeps the latest version, {row.latest}, out; "
                f"`--bounds major` (or minor) widens it"
            )
    if not any(row.new is not None for row in outcome.ranges):
        printer.info("Every declared range already admits the latest version")
    lock = outcome.lock
    if lock is not None:
        changes = lock_changes(lock.previous, lock.text)
        show_lock_changes(printer, changes)
        if args.dry_run:
            printer.info(f"Dry run: {project.pyproject.name} and {lock.path.name} not written")
    return 0


def cmd_outdated(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.commands import _context, print_json
    from bale.cli.project import _lock_settings, _project
    from bale.ops.project_outdated import project_outdated

    project = _project(args)
    ctx = _context(args, printer)
    try:
        rows = project_outdated(ctx, project, _lock_settings(args))
    finally:
        ctx.reporter.finish()
        ctx.close()
    if args.outdated_format == "json":
        print_json(printer, [row.as_json() for row in rows])
        return 0
    table = [("Package", "Declared", "Locked", "Compatible", "Latest")]
    for row in rows:
        declared = "-" if row.declared is None else row.declared or "*"
        table.append((row.name, declared, row.locked, row.compatible or "-", row.latest or "-"))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        printer.data("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    return 0


def cmd_lock_merge(args: argparse.Namespace, printer: Printer) -> int:
    """``bale lock --merge BASE OURS THEIRS [PATH]``: git's ``%O %A %B %P``."""
    from pathlib import Path

    from bale.cli.commands import _context
    from bale.cli.project import _lock_settings, _project
    from bale.errors import BaleError
    from bale.ops.lock_merge import merge_lock
    from bale.project.workspace import find_workspace

    files = [Path(name) for name in args.merge]
    if len(files) not in (3, 4):
        raise BaleError(
            f"--merge takes BASE OURS THEIRS [PATH] (git's %O %A %B %P), not {len(files)} files",
            hint="`bale git install-merge-driver` sets git up to call it",
        )
    for file in files[:3]:
        if not file.is_file():
            raise BaleError(f"--merge: {file} does not exist")
    project = find_workspace(files[3].absolute().parent).root if len(files) == 4 else _project(args)
    ctx = _context(args, printer)
    try:
        outcome = merge_lock(ctx, project, _lock_settings(args), *files[:3])
    finally:
        ctx.reporter.finish()
        ctx.close()
    for conflict in outcome.conflicts:
        printer.warn(
            f"{conflict.name}: ours {conflict.ours}, theirs {conflict.theirs}: preferred {conflict.chosen}"
        )
    printer.info(f"Merged {outcome.lock.path.name}: {outcome.lock.count} packages")
    return 0


def cmd_git(args: argparse.Namespace, printer: Printer) -> int:
    import os
    import shlex
    import sys

    from bale.cli.commands import project_dir
    from bale.errors import BaleError
    from bale.ops.lock_merge import install_merge_driver

    if args.git_command != "install-merge-driver":
        raise BaleError("`bale git` needs a command: install-merge-driver")
    command = args.driver_command
    if command is None:
        launcher = os.path.abspath(sys.argv[0])
        # `python -m bale` names bale/__main__.py: the interpreter then starts it the same way.
        if os.path.basename(launcher).startswith("bale") and os.access(launcher, os.X_OK):
            command = shlex.quote(launcher)
        else:
            command = f"{shlex.quote(sys.executable)} -m bale"
    for line in install_merge_driver(project_dir(args), command):
        printer.info(line)
    return 0


def add_team_parsers(
    upgrade: argparse.ArgumentParser,
    outdated: argparse.ArgumentParser,
    git: argparse.ArgumentParser,
    add_global: Callable[..., None],
    add_index: Callable[[argparse.ArgumentParser], None],
    add_build: Callable[[argparse.ArgumentParser], None],
) -> None:
    """The options of ``upgrade``, ``outdated`` and ``git install-merge-driver`` (main's helpers passed in:
    importing cli.main here would be circular)."""
    from bale.cli.parser import Parser, Skip

    for parser in (upgrade, outdated):
        if isinstance(parser, Skip):
            continue
        add_global(parser, suppress=True)
        add_index(parser)
        add_build(parser)
    if not isinstance(upgrade, Skip):
        add_upgrade_options(upgrade)
    if not isinstance(outdated, Skip):
        add_outdated_options(outdated)
    if not isinstance(git, Skip):
        add_global(git, suppress=True)
        commands = git.add_subparsers(dest="git_command", metavar="COMMAND", parser_class=Parser)
        install = commands.add_parser(
            "install-merge-driver", help="let `git merge` relock pylock.toml instead of conflicting"
        )
        add_global(install, suppress=True)
        add_git_options(install)
