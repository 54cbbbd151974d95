"""``bale tool``: install, list, uninstall tools and show where they live."""

from __future__ import annotations

import argparse

from bale.cli.printer import Printer
from bale.errors import BaleError


def cmd_tool(args: argparse.Namespace, printer: Printer) -> int:
    command = getattr(args, "tool_command", None)
    if command == "install":
        return _install(args, printer)
    if command == "uninstall":
        return _uninstall(args, printer)
    if command == "list":
        return _list(args, printer)
    if command == "run":
        return _run(args, printer)
    if command == "upgrade":
        return _upgrade(args, printer)
    if command == "audit":
        from bale.cli.tool_audit import cmd_tool_audit

        return cmd_tool_audit(args, printer)
    if command == "update-shell":
        from bale.tool.layout import bin_dir, on_path
        from bale.tool.shell import update_shell

        directory = bin_dir()
        if on_path(directory):
            printer.info(f"{directory} is already on your PATH")
            return 0
        path, changed = update_shell(directory)
        if changed:
            printer.info(f"Added {directory} to PATH in {path}; restart your shell to apply it")
        else:
            printer.info(f"{path} already adds {directory} to PATH; restart your shell to apply it")
        return 0
    if command == "dir":
        from bale.tool.layout import bin_dir, tool_dir

        printer.data(str(bin_dir() if args.bin else tool_dir()))
        return 0
    raise BaleError("bale tool needs a command: install, list, uninstall or dir", hint="bale tool --help")


def _install(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.commands import _context, index_settings
    from bale.ops.tool import ToolInstallRequest, install_tool
    from bale.tool.layout import on_path

    index, _ = index_settings(args)
    request = ToolInstallRequest(
        requirement=args.package,
        with_=tuple(args.with_),
        python=args.python,
        force=args.force,
        editable=args.editable,
        index=index,
    )
    ctx = _context(args, printer)
    try:
        outcome = install_tool(ctx, request)
    finally:
        ctx.reporter.finish()
        ctx.close()
    if outcome.already:
        printer.info(f"`{outcome.name}` is already installed")
        return 0
    names = ", ".join(e.name for e in outcome.entrypoints)
    printer.info(f"Installed {outcome.name} {outcome.version}: executables {names} in {outcome.bin_dir}")
    if not on_path(outcome.bin_dir):
        printer.warn(
            f"{outcome.bin_dir} is not on your PATH; add it with `bale tool update-shell`, "
            f'or run: export PATH="{outcome.bin_dir}:$PATH"'
        )
    return 0


def _uninstall(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.tool import uninstall_tool

    for name in args.names:
        removed = uninstall_tool(name)
        links = ", ".join(e.name for e in removed.receipt.entrypoints)
        printer.info(f"Uninstalled {removed.receipt.name} {removed.version or ''}".rstrip() + f" ({links})")
    return 0


def _list(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.tool import list_tools

    tools = list_tools()
    if not tools:
        printer.info("No tools installed")
        return 0
    for tool in tools:
        where = f" ({tool.environment})" if args.show_paths else ""
        printer.data(f"{tool.receipt.name} v{tool.version or '?'}{where}")
        for entry in tool.receipt.entrypoints:
            shown = f" ({entry.install_path})" if args.show_paths else ""
            printer.data(f"- {entry.name}{shown}")
    return 0


def _run(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.commands import _context, index_settings
    from bale.ops.tool import ToolRunRequest, exec_tool, prepare_run

    index, _ = index_settings(args)
    request = ToolRunRequest(
        command=args.tool_cmd,
        from_=args.from_,
        with_=tuple(args.with_),
        python=args.python,
        refresh=args.refresh,
        index=index,
    )
    ctx = _context(args, printer)
    try:
        executable = prepare_run(ctx, request)
    finally:
        ctx.reporter.finish()
        ctx.close()
    return exec_tool(executable, list(args.tool_args))


def _upgrade(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.commands import _context
    from bale.ops.tool import list_tools, upgrade_tool

    if args.all and args.names:
        raise BaleError("Name tools to upgrade, or pass --all, not both")
    names = [str(t.receipt.name) for t in list_tools()] if args.all else list(args.names)
    if not names:
        if args.all:
            printer.info("No tools installed")
            return 0
        raise BaleError("bale tool upgrade needs a tool's name, or --all", hint="bale tool upgrade black")
    ctx = _context(args, printer)
    try:
        for name in names:
            before, outcome = upgrade_tool(ctx, name)
            if before == outcome.version:
                printer.info(f"Nothing to upgrade: {outcome.name} {outcome.version} is the newest allowed")
            else:
                printer.info(f"Upgraded {outcome.name} {before} -> {outcome.version}")
    finally:
        ctx.reporter.finish()
        ctx.close()
    return 0
