"""``bale cache remote stats | prune | verify``: the command line of the remote cache."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.cli.printer import Printer
    from bale.context import Context

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def add_remote_cache_options(parser: argparse.ArgumentParser, add_global: Callable[..., None]) -> None:
    """The ``stats``, ``prune`` and ``verify`` subcommands under ``bale cache remote``; ``add_global``
    adds the options every command takes (``cli.main._add_global``)."""
    # The lazy parser chooses two words deep (``cache remote``): the third level is defined in full.
    from bale.cli.helptext import about
    from bale.cli.parser import HelpFormatter

    real: argparse.ArgumentParser = getattr(parser, "parser", parser)
    subs = real.add_subparsers(dest="remote_command", metavar="COMMAND", parser_class=type(real))

    def command(name: str, text: str) -> argparse.ArgumentParser:
        description, example = about(f"cache remote {name}")
        return subs.add_parser(
            name,
            help=text,
            description=description,
            epilog=f"example:\n{example}",
            formatter_class=HelpFormatter,
        )

    stats = command("stats", "objects and bytes the remote cache holds, by kind")
    prune = command("prune", "delete entries uploaded longer ago than --older-than")
    prune.add_argument("--older-than", metavar="AGE", help="an age: 30d, 12h, 2w (required)")
    prune.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    verify = command("verify", "download every object and check its sha256")
    verify.add_argument("--delete", action="store_true", help="delete the objects that fail the check")
    for sub in (stats, prune, verify):
        add_global(sub, suppress=True)


def parse_age(text: str) -> float:
    """Seconds in ``30d`` (s, m, h, d, w; a bare number is days)."""
    match = _AGE.match(text)
    if match is None:
        raise BaleError(
            f"Invalid age {text!r} for --older-than", hint="use a number and a unit: 30d, 12h, 2w"
        )
    return float(match.group(1)) * _UNIT[match.group(2) or "d"]


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f}{unit}" if unit != "B" else f"{int(size)}B"
        size /= 1024
    return f"{size:.1f}TiB"


def cmd_cache_remote(args: argparse.Namespace, printer: Printer, ctx: Context) -> int:
    from bale.cache.remote import StoreUnavailable
    from bale.cache.remote import maintenance as m

    remote = ctx.cache.remote
    if remote is None:
        raise BaleError(
            "No remote cache is configured",
            hint="give --remote-cache s3://bucket/prefix (or BALE_REMOTE_CACHE, remote-cache in bale.toml)",
        )
    store = remote.store
    command = getattr(args, "remote_command", None)
    try:
        if command == "stats":
            found = m.stats(store)
            printer.data(f"remote cache: {store.url}")
            labels = {
                "cas": "payloads (wheels, metadata)",
                "builds": "build manifests",
                "metadata": "metadata manifests",
            }
            for kind, label in labels.items():
                printer.data(f"{label}: {found.objects[kind]} ({_human(found.bytes[kind])})")
            return 0
        if command == "prune":
            if remote.readonly:
                raise BaleError("Cannot prune the remote cache: it is configured read-only")
            if not args.older_than:
                raise BaleError(
                    "bale cache remote prune needs --older-than AGE", hint="for example --older-than 30d"
                )
            pruned = m.prune(
                store, older_than=parse_age(args.older_than), now=time.time(), dry_run=args.dry_run
            )
            verb = "Would remove" if args.dry_run else "Removed"
            printer.info(
                f"{verb} {pruned.manifests} manifests and {pruned.payloads} payloads "
                f"({_human(pruned.bytes)}) from {store.url}"
            )
            return 0
        if command == "verify":
            if args.delete and remote.readonly:
                raise BaleError("Cannot delete from the remote cache: it is configured read-only")
            checked, problems = m.verify(store, delete=args.delete)
            for problem in problems:
                printer.data(f"bad: {problem.key}: {problem.reason}")
            done = "deleted" if args.delete else "left in place"
            summary = f"Checked {checked} objects in {store.url}: {len(problems)} bad"
            printer.info(summary + (f" ({done})" if problems else ""))
            return 1 if problems and not args.delete else 0
    except StoreUnavailable as err:
        raise BaleError(f"The remote cache {store.url} is unavailable: {err}") from err
    raise BaleError(
        "bale cache remote needs a command: stats, prune or verify", hint="bale cache remote --help"
    )
