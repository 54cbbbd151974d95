"""``bale export --wheelhouse DIR [--platform P]... [--python V]...``: arguments in, a summary out."""

from __future__ import annotations

import argparse
from pathlib import Path

from bale.cli.commands import _context
from bale.cli.printer import Printer
from bale.errors import BaleError


def cmd_export_wheelhouse(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.views import _load
    from bale.ops.wheelhouse import WheelhouseRequest, build_wheelhouse

    if not args.wheelhouse:
        raise BaleError(
            "--platform, --python and --build choose what goes into a wheelhouse: add --wheelhouse DIR"
        )
    if args.output_file:
        raise BaleError("--wheelhouse writes a folder: leave out -o/--output-file")
    ctx = _context(args, printer)
    try:
        loaded = _load(args, printer, ctx, member=True)
        host = None
        if args.wheelhouse_build:
            from bale.cli.project import _lock_settings
            from bale.ops.wheelhouse_build import build_host

            host = build_host(ctx, loaded.project, _lock_settings(args))
        request = WheelhouseRequest(
            dest=Path(args.wheelhouse),
            platforms=tuple(args.wheelhouse_platforms),
            pythons=tuple(args.wheelhouse_pythons),
            build=host,
        )
        outcome = build_wheelhouse(ctx, loaded.path, loaded.text, request)
    finally:
        ctx.reporter.finish()
        ctx.close()
    wheels = sum(1 for f in outcome.files if f.kind == "wheel")
    sdists = len(outcome.files) - wheels
    what = f"{wheels} wheel{'s' * (wheels != 1)}, {sdists} sdist{'s' * (sdists != 1)}"
    if args.wheelhouse_build:
        what += f" ({len(outcome.built)} wheel{'s' * (len(outcome.built) != 1)} built here)"
    printer.info(f"Wrote a wheelhouse of {what} to {outcome.dest}")
    printer.info(f"Install with: bale pip install -r {outcome.dest / 'pylock.toml'} --offline")
    return 0
