"""Project views: ``bale tree``, ``bale why`` and ``bale export``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cli.commands import _context, project_dir
from bale.cli.printer import Printer
from bale.cli.project import _lock_settings, _report_lock

if TYPE_CHECKING:
    from bale.context import Context
    from bale.ops.views import LoadedLock, Selection, ViewSettings


def _view_settings(args: argparse.Namespace, *, member: bool) -> ViewSettings:
    from bale.ops.views import ViewSettings

    return ViewSettings(
        lock=_lock_settings(args),
        locked=bool(args.locked),
        frozen=bool(args.frozen),
        member=getattr(args, "package", None) if member else None,
    )


def _selection(args: argparse.Namespace) -> Selection:
    from bale.ops.views import Selection

    return Selection(
        groups=tuple(args.group),
        only_groups=tuple(args.only_group),
        no_dev=bool(args.no_dev),
        all_groups=bool(args.all_groups),
        extras=tuple(args.extra),
        all_extras=bool(args.all_extras),
    )


def _load(args: argparse.Namespace, printer: Printer, ctx: Context, *, member: bool) -> LoadedLock:
    from bale.ops.views import choose_project, load_lock

    settings = _view_settings(args, member=member)
    loaded = load_lock(ctx, choose_project(project_dir(args), settings.member), settings)
    if loaded.relocked is not None:
        _report_lock(printer, loaded.relocked)
    return loaded


def _load_member_lock(args: argparse.Namespace, printer: Printer) -> LoadedLock:
    """The lock for ``why`` and ``export`` (relocked when stale), in a context of its own."""
    ctx = _context(args, printer)
    try:
        return _load(args, printer, ctx, member=True)
    finally:
        ctx.reporter.finish()
        ctx.close()


def _tree_format(args: argparse.Namespace) -> str:
    """``--format``, or ``json`` for ``--output-format json``; both given must agree."""
    chosen = getattr(args, "tree_format", None)
    wanted = getattr(args, "output_format", None)
    if chosen is not None and wanted == "json" and chosen != "json":
        from bale.errors import BaleError

        raise BaleError(f"--format {chosen} and --output-format json ask for two different outputs")
    return chosen or ("json" if wanted == "json" else "text")


def cmd_tree(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.views import TreeRequest, tree_view

    if args.depth is not None and args.depth < 0:
        from bale.errors import BaleError

        raise BaleError(f"--depth must be 0 or more, not {args.depth}")
    shape = _tree_format(args)
    ctx = _context(args, printer)
    try:
        loaded = _load(args, printer, ctx, member=False)
        request = TreeRequest(
            selection=_selection(args),
            depth=args.depth,
            invert=bool(args.invert),
            packages=tuple(args.filter_packages),
            outdated=bool(args.outdated),
            dedupe=not args.no_dedupe,
        )
        graph, options = tree_view(ctx, loaded, request, _lock_settings(args))
    finally:
        ctx.reporter.finish()
        ctx.close()
    if shape == "text":
        from bale.lock.views import tree_lines

        for line in tree_lines(graph, options):
            printer.data(line)
    elif shape == "json":
        from bale.cli.commands import print_json
        from bale.lock.tree_formats import tree_json

        print_json(printer, tree_json(graph, options))
    else:
        from bale.lock.tree_formats import tree_dot, tree_mermaid

        printer.out.write((tree_dot if shape == "dot" else tree_mermaid)(graph, options))
    return 0


def cmd_why(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.views import why

    lines, truncated = why(_load_member_lock(args, printer), args.target)
    for line in lines:
        printer.data(line)
    if truncated:
        printer.warn(f"Showing the first {len(lines)} paths; there are more")
    return 0


def cmd_export(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.commands import _command_line
    from bale.ops.views import ExportRequest, export

    if getattr(args, "script", None):
        from bale.cli.script import cmd_export_script

        return cmd_export_script(args, printer)
    if args.format.startswith(("cyclonedx", "spdx")):
        from bale.cli.licenses import cmd_export_sbom

        return cmd_export_sbom(args, printer)
    if args.wheelhouse or args.wheelhouse_platforms or args.wheelhouse_pythons or args.wheelhouse_build:
        from bale.cli.wheelhouse import cmd_export_wheelhouse

        return cmd_export_wheelhouse(args, printer)
    loaded = _load_member_lock(args, printer)
    request = ExportRequest(
        selection=_selection(args),
        format="pylock.toml" if args.format == "pylock.toml" else "requirements.txt",
        hashes=not args.no_hashes,
        header=not args.no_header,
        annotate=not args.no_annotate,
        emit_project=not args.no_emit_project,
        command=_command_line(),
    )
    text = export(loaded, request)
    if args.output_file:
        from bale.fs.atomic import write_atomic

        write_atomic(Path(args.output_file), text.encode("utf-8"))
        return 0
    printer.out.write(text)
    return 0
