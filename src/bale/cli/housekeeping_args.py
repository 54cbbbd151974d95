"""The options of ``bale shell``, ``task``, ``version``, ``self``, ``generate-shell-completion``, ``help``."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from bale.cli.parser import Commands

    Adder = Callable[..., None]

BUMPS = ("major", "minor", "patch", "stable", "alpha", "beta", "rc", "post", "dev")
SHELLS = ("bash", "zsh", "fish", "powershell")


def add_housekeeping(
    commands: Commands, add_global: Adder, add_index: Adder, add_build: Adder, parser_class: type
) -> None:
    """Register the commands on ``commands`` (main.build_parser's), with main's shared option adders."""
    shell = commands.add_parser("shell", help="start a shell with the project's environment active")
    task = commands.add_parser("task", help="run or list the project's tasks ([tool.bale.tasks])")
    for sub in (shell, task):
        add_global(sub, suppress=True)
        add_index(sub)
        add_build(sub)
        _add_sync(sub)
    task.add_argument("--list", action="store_true", help="list the tasks: name, command and help")
    task.add_argument("name", nargs="?", metavar="NAME", help="the task to run")
    task.add_argument("task_args", nargs=argparse.REMAINDER, metavar="ARGS", help="appended to its command")

    version = commands.add_parser("version", help="show or bump the project's version")
    add_global(version, suppress=True)
    version.add_argument("value", nargs="?", metavar="VERSION", help="set the version to this")
    version.add_argument(
        "--bump",
        action="append",
        default=[],
        choices=BUMPS,
        help="bump this part (repeatable: --bump minor --bump beta gives 1.3.0b1 from 1.2.3)",
    )
    version.add_argument("--short", action="store_true", help="print the version alone")
    version.add_argument("--dry-run", action="store_true", help="print the new version, write nothing")
    version.add_argument("--package", metavar="NAME", help="a workspace member instead of the root project")
    _add_format(version)

    self_ = commands.add_parser("self", help="bale itself")
    add_global(self_, suppress=True)
    # A chosen command's parser (cli.parser.Nested) hands out a Commands, as build_parser's do.
    self_commands: Commands = self_.add_subparsers(  # type: ignore[assignment]
        dest="self_command", metavar="COMMAND", parser_class=parser_class
    )
    self_version = self_commands.add_parser("version", help="print bale's version")
    add_global(self_version, suppress=True)
    self_version.add_argument("--short", action="store_true", help="print the version alone")
    _add_format(self_version)

    completion = commands.add_parser(
        "generate-shell-completion", help="print a shell's completion script for bale"
    )
    add_global(completion, suppress=True)
    # Checked by the command, not by choices: argparse would refuse a value before naming a bad option.
    completion.add_argument("shell_name", metavar="SHELL", help=", ".join(SHELLS))

    help_ = commands.add_parser("help", help="show a command's help (as `bale COMMAND --help`)")
    add_global(help_, suppress=True)
    help_.add_argument("words", nargs="*", metavar="COMMAND", help="the command: `pip install`, `sync`")


def _add_sync(parser: argparse.ArgumentParser) -> None:
    """The options of the sync that comes first, as ``bale run`` has them."""
    parser.add_argument("-p", "--python", help="the interpreter for a new .venv [env: BALE_PYTHON]")
    parser.add_argument("--no-sync", action="store_true", help="do not sync the environment first")
    parser.add_argument("--locked", action="store_true", help="fail if pylock.toml is out of date")
    parser.add_argument("--frozen", action="store_true", help="use pylock.toml as it is")
    parser.add_argument("--group", action="append", default=[], metavar="GROUP", help="also this group")
    parser.add_argument("--no-dev", action="store_true", help="leave out the dev group")
    parser.add_argument("--all-groups", action="store_true", help="every dependency group")
    parser.add_argument("--extra", action="append", default=[], metavar="EXTRA", help="also this extra")
    parser.add_argument("--all-extras", action="store_true", help="every extra")
    parser.add_argument("--package", metavar="NAME", help="a workspace member instead of the root project")


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output-format",
        choices=["text", "json"],
        default="text",
        help="text (default), or json: one JSON document on stdout",
    )
