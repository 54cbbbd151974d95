"""``bale version`` (the project's version: show, set, bump) and ``bale self version`` (bale's)."""

from __future__ import annotations

import argparse

from bale.cli.printer import Printer
from bale.errors import BaleError


def cmd_version(args: argparse.Namespace, printer: Printer) -> int:
    from packaging.version import InvalidVersion, Version

    from bale.cli.project import _member
    from bale.ops.project_mutex import project_lock

    if args.value and args.bump:
        raise BaleError("Give a VERSION or --bump, not both")
    project = _member(args)[1]
    where = str(project.pyproject)
    if project.name is None:
        raise BaleError(f"{where} has no [project] table, so no version", hint="bale init makes one")
    if "version" in project.dynamic:
        raise BaleError(
            f"The version of {project.name} is dynamic in {where}: its build backend sets it, so bale "
            "cannot show or change it",
            hint='write a static `version = "..."` under [project] (and take version out of dynamic)',
        )
    if project.version is None:
        raise BaleError(f"{where} has no [project] version", hint='add `version = "0.1.0"` under [project]')
    old = project.version
    new: Version | None = None
    if args.value:
        try:
            new = Version(args.value)
        except InvalidVersion as err:
            raise BaleError(f"{args.value!r} is not a valid version (PEP 440)") from err
    elif args.bump:
        from bale.project.version_bump import bump_version

        new = bump_version(old, args.bump)
    if new is not None and not args.dry_run:
        from bale.fs.atomic import write_atomic
        from bale.project.version_bump import set_version_text

        with project_lock(_member(args)[0].root, on_wait=printer.warn):
            text = project.pyproject.read_bytes().decode("utf-8")  # CRLF kept as written
            written = args.value if args.value else str(new)
            write_atomic(project.pyproject, set_version_text(text, where, written).encode("utf-8"))
    shown = str(new if new is not None else old)
    if args.value:
        shown = args.value
    if args.output_format == "json":
        from bale.cli.commands import print_json

        print_json(printer, {"package_name": project.name, "version": shown, "commit_info": None})
    elif args.short:
        printer.data(shown)
    elif new is None:
        printer.data(f"{project.name} {old}")
    else:
        printer.data(f"{project.name} {old} => {shown}")
    if new is not None and args.dry_run:
        printer.info(f"Dry run: {where} not changed")
    return 0


def cmd_self(args: argparse.Namespace, printer: Printer) -> int:
    from bale import __version__

    if args.self_command != "version":
        raise BaleError("bale self needs a command: version", hint="bale self version")
    if args.output_format == "json":
        from bale.cli.commands import print_json

        print_json(printer, {"package_name": "bale", "version": __version__, "commit_info": None})
    else:
        printer.data(__version__ if args.short else f"bale {__version__}")
    return 0
