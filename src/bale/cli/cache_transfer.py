"""``bale cache export DIR [--package NAME]...`` and ``bale cache import DIR``: arguments in, summary out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cli.printer import Printer
from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.cache.cache import Cache


def add_cache_export_options(export: argparse.ArgumentParser) -> None:
    export.add_argument("dest", metavar="DIR", help="the folder to write (new, or an earlier export)")
    export.add_argument(
        "--package",
        dest="transfer_packages",
        action="append",
        default=[],
        metavar="NAME",
        help="only this package's entries (its pages, metadata, wheels, sdists and builds)",
    )


def add_cache_import_options(import_: argparse.ArgumentParser) -> None:
    import_.add_argument("source", metavar="DIR", help="a folder `bale cache export` wrote")


def cmd_cache_transfer(args: argparse.Namespace, printer: Printer, cache: Cache) -> int:
    from bale.cache.transfer import export_cache, import_cache
    from bale.cli.commands import _human

    if args.cache_command == "export":
        outcome = export_cache(cache, Path(args.dest), packages=args.transfer_packages)
        count = len(outcome.entries)
        printer.info(
            f"Exported {count} cache entr{'y' if count == 1 else 'ies'} ({_human(outcome.size)}) "
            f"to {outcome.dest}"
        )
        printer.info(f"On the other machine: bale cache import {outcome.dest}")
        return 0
    source = Path(args.source)
    result = import_cache(cache, source, on_refused=lambda path, why: printer.warn(f"Refused {path}: {why}"))
    printer.info(
        f"Imported {len(result.imported)} entries into {cache.root} "
        f"({len(result.present)} already there, {len(result.refused)} refused)"
    )
    if result.refused:
        names = ", ".join(path for path, _ in result.refused[:5])
        more = f" and {len(result.refused) - 5} more" if len(result.refused) > 5 else ""
        raise BaleError(
            f"{len(result.refused)} entr{'y' if len(result.refused) == 1 else 'ies'} of the cache export "
            f"{source} did not match its manifest and were not imported: {names}{more}",
            hint="the export was changed or damaged on the way; export it again (the rest is imported)",
        )
    return 0
