"""``bale help [COMMAND...]``: the same text as ``bale COMMAND --help``."""

from __future__ import annotations

import argparse

from bale.cli.printer import Printer
from bale.errors import BaleError


def cmd_help(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.main import build_parser

    words = tuple(args.words)
    # build_parser defines only the options of the command its path names (two words deep).
    current = build_parser(words if len(words) <= 2 else None)
    for index, word in enumerate(words):
        subcommands = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = subcommands[0].choices.get(word) if subcommands else None
        if chosen is None:
            where = " ".join(("bale", *words[:index]))
            known = sorted(subcommands[0].choices) if subcommands else []
            raise BaleError(
                f"`{where}` has no command {word!r}",
                context=[f"commands: {', '.join(known)}"] if known else [],
                hint=f"`{where} --help` shows what it takes",
            )
        current = chosen
    printer.out.write(current.format_help())
    return 0
