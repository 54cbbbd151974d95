"""``bale licenses`` and ``bale export --format cyclonedx|spdx``: locked packages' licences, printed."""

from __future__ import annotations

import argparse
from pathlib import Path

from bale.cli.commands import _context
from bale.cli.printer import Printer
from bale.cli.project import _lock_settings
from bale.cli.views import _load, _selection


def cmd_licenses(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.licenses import license_rows

    ctx = _context(args, printer)
    try:
        loaded = _load(args, printer, ctx, member=True)
        rows = license_rows(ctx, loaded, _selection(args), _lock_settings(args))
    finally:
        ctx.reporter.finish()
        ctx.close()
    shape = args.licenses_format
    if shape == "json":
        from bale.audit.licenses import licenses_json
        from bale.cli.commands import print_json

        print_json(printer, licenses_json(rows))
    elif shape == "csv":
        from bale.audit.licenses import licenses_csv

        printer.out.write(licenses_csv(rows))
    else:
        from bale.audit.licenses import licenses_table

        for line in licenses_table(rows):
            printer.data(line)
    for row in rows:
        if row.problem is not None:
            printer.warn(f"Could not read the metadata of {row.name}: {row.problem}")
    unknown = [row for row in rows if not row.license.known]
    if unknown:
        from bale.audit.formats import plural

        names = ", ".join(f"{row.name} {row.version}" if row.version else row.name for row in unknown)
        printer.warn(f"{plural(len(unknown), 'package')} with an unknown licence (UNKNOWN): {names}")
    return 0


def cmd_export_sbom(args: argparse.Namespace, printer: Printer) -> int:
    """``bale export --format cyclonedx|cyclonedx1.5|cyclonedx1.6|spdx``."""
    from bale.ops.licenses import SbomRequest, sbom

    ctx = _context(args, printer)
    try:
        loaded = _load(args, printer, ctx, member=True)
        request = SbomRequest(selection=_selection(args), format=args.format)
        text = sbom(ctx, loaded, request, _lock_settings(args))
    finally:
        ctx.reporter.finish()
        ctx.close()
    if args.output_file:
        from bale.fs.atomic import write_atomic

        write_atomic(Path(args.output_file), text.encode("utf-8"))
        return 0
    printer.out.write(text)
    return 0
