"""``bale python``: list, find, pin, install, uninstall and dir."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bale.cli.printer import Printer, elapsed
from bale.errors import BaleError


def add_python_subcommands(commands: Any, add_global: Callable[..., None]) -> None:
    """The options of ``python pin | install | uninstall | dir`` and list's ``--only-installed``."""
    pin = commands.add_parser("pin", help="pin the project's (or folder's) Python in .python-version")
    add_global(pin, suppress=True)
    pin.add_argument("request", nargs="?", help="3.12, >=3.11, cpython3.12, a path; none: print the pin")
    install = commands.add_parser("install", help="download and install managed Pythons")
    add_global(install, suppress=True)
    install.add_argument(
        "targets", nargs="*", metavar="VERSION", help="3.12, 3.12.1, >=3.11 (default: the pin)"
    )
    install.add_argument(
        "--mirror", metavar="URL", help="the python-build-standalone mirror [env: BALE_PYTHON_INSTALL_MIRROR]"
    )
    install.add_argument("--reinstall", action="store_true", help="replace an installed build of the version")
    uninstall = commands.add_parser("uninstall", help="remove managed Pythons")
    add_global(uninstall, suppress=True)
    uninstall.add_argument("targets", nargs="*", metavar="VERSION", help="3.12, 3.12.1, >=3.11")
    uninstall.add_argument("--all", action="store_true", help="every managed Python")
    directory = commands.add_parser("dir", help="print where managed Pythons are installed")
    add_global(directory, suppress=True)


def add_list_options(python_list: Any) -> None:
    python_list.add_argument(
        "--only-installed", action="store_true", help="leave out the mirror's downloads (found Pythons only)"
    )


def cmd_python(args: argparse.Namespace, printer: Printer) -> int:
    command = getattr(args, "python_command", None)
    handlers: dict[str, Callable[[argparse.Namespace, Printer], int]] = {
        "list": _list,
        "find": _find,
        "pin": _pin,
        "install": _install,
        "uninstall": _uninstall,
        "dir": _dir,
    }
    if command not in handlers:
        raise BaleError(
            "bale python needs a command: list, find, pin, install, uninstall or dir", hint="bale python list"
        )
    return handlers[command](args, printer)


def _cache_dir(args: argparse.Namespace, printer: Printer) -> Path:
    from bale.cli.commands import _context

    return Path(_context(args, printer).cache.bucket("interpreters-v1"))


def _find(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.python_default import command_interpreter

    found = command_interpreter(args.request, Path.cwd(), _cache_dir(args, printer))
    printer.data(str(found.executable))
    return 0


def _list(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.commands import _context, print_json, wants_json
    from bale.python.discover import list_interpreters

    ctx = _context(args, printer)
    interpreters = list_interpreters(cache_dir=ctx.cache.bucket("interpreters-v1"))
    rows: list[dict[str, str | None]] = [
        {
            "key": f"{i.implementation}-{i.version}",
            "version": str(i.version),
            "implementation": i.implementation,
            "path": str(i.executable),
        }
        for i in interpreters
    ]
    mirror = os.environ.get("BALE_PYTHON_INSTALL_MIRROR")
    if mirror and not getattr(args, "only_installed", False):
        have = {str(i.version) for i in interpreters if i.implementation == "cpython"}
        try:
            rows.extend(_downloads(mirror, ctx.http, have))
        except BaleError as err:
            printer.warn(f"{err.message}; showing the installed Pythons only")
    if wants_json(args):
        # Keys as uv's `python list --output-format json` names them (those bale knows).
        print_json(printer, rows)
        return 0
    for row in rows:
        printer.data(f"{row['key']:<24} {row['path'] or '<download available>'}")
    return 0


def _downloads(mirror: str, http: Any, have: set[str]) -> list[dict[str, str | None]]:
    """The newest release's builds for this platform whose version nothing found here has."""
    from bale.python.install import mirror_listing
    from bale.python.managed import host_platform
    from bale.python.mirror import all_builds

    target = host_platform()
    for _release, _entries, builds in all_builds(mirror_listing(mirror, http)):
        ours = sorted({b.version for b in builds if b.triple == target.triple}, reverse=True)
        if ours:
            return [
                {"key": f"cpython-{v}", "version": str(v), "implementation": "cpython", "path": None}
                for v in ours
                if str(v) not in have
            ]
    return []


def _pin(args: argparse.Namespace, printer: Printer) -> int:
    cwd = Path.cwd()
    if not args.request:
        from bale.ops.python_pin import nearest_project
        from bale.python.discover import find_python_version_file
        from bale.python.pin import pinned_text

        project = nearest_project(cwd)
        file = find_python_version_file(cwd, stop=project.root if project is not None else None)
        text = pinned_text(file) if file is not None else None
        if file is None or text is None:
            raise BaleError(
                f"No Python is pinned: no .python-version in {cwd} or a parent"
                if file is None
                else f"No Python is pinned: {file} names none",
                hint="pin one with `bale python pin 3.12`",
            )
        printer.data(text)
        return 0
    from bale.ops.python_pin import pin

    pinned = pin(args.request, cwd, _cache_dir(args, printer))
    name = os.path.relpath(pinned.file, cwd) if pinned.file.parent == cwd else str(pinned.file)
    if pinned.previous is not None and pinned.previous != pinned.request:
        printer.info(f"Updated `{name}` from `{pinned.previous}` -> `{pinned.request}`")
    else:
        printer.info(f"Pinned `{name}` to `{pinned.request}`")
    printer.info(
        printer.dim(f"It selects Python {pinned.interpreter.version} at {pinned.interpreter.executable}")
    )
    return 0


def _install(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.commands import _context
    from bale.python.discover import PythonRequest, find_python_version_file, read_python_version_file
    from bale.python.install import check_installable, choose_build, install, installed_match, mirror_listing
    from bale.python.managed import host_platform, install_dir

    ctx = _context(args, printer)
    cache_dir = ctx.cache.bucket("interpreters-v1")
    directory = install_dir()
    target = host_platform()
    requests = [PythonRequest.parse(text) for text in args.targets]
    if not requests:
        pin_file = find_python_version_file(Path.cwd())
        requests = [read_python_version_file(pin_file) if pin_file is not None else PythonRequest("any")]
    for request in requests:
        check_installable(request)
    mirror = args.mirror or os.environ.get("BALE_PYTHON_INSTALL_MIRROR")
    listing = None
    for request in requests:
        present = installed_match(request, directory, target) if not args.reinstall else None
        if present is not None:
            printer.info(f"{request} is already installed: {present.name} at {present.path}")
            continue
        listing = listing or mirror_listing(mirror, ctx.http)
        started = time.monotonic()
        build, entries = choose_build(request, listing, target)
        done = install(
            build, entries, listing, ctx.http, directory, target, cache_dir, reinstall=args.reinstall
        )
        if not done.verified:
            printer.warn(
                f"The mirror publishes no sha256 for {build.filename}: the download was not verified"
            )
        printer.info(f"Installed Python {build.version} in {elapsed(time.monotonic() - started)}")
        printer.info(f" + {done.python.name} ({done.interpreter.executable})")
    return 0


def _uninstall(args: argparse.Namespace, printer: Printer) -> int:
    from bale.python.discover import PythonRequest
    from bale.python.install import uninstall
    from bale.python.managed import install_dir

    directory = install_dir()
    if not args.targets and not args.all:
        raise BaleError("Name the Pythons to uninstall, or pass --all", hint="bale python uninstall 3.12")
    requests: list[PythonRequest | None] = (
        [None] if args.all else [PythonRequest.parse(t) for t in args.targets]
    )
    for request in requests:
        removed = uninstall(request, directory)
        if not removed and request is not None:
            raise BaleError(
                f"No managed Python matching {request} is installed in {directory}",
                hint="`bale python list --only-installed` shows what is installed",
            )
        for python in removed:
            printer.info(f"Uninstalled Python {python.version}\n - {python.name}")
    return 0


def _dir(args: argparse.Namespace, printer: Printer) -> int:
    from bale.python.managed import install_dir

    printer.data(str(install_dir()))
    return 0
