"""Each command: turn parsed arguments into settings, call one use case, print its outcome."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bale.cli.printer import Printer, elapsed, plural
from bale.cli.replay import Recorder, show_resolved
from bale.envvars import env_flag
from bale.errors import BaleError
from bale.ops.settings import (
    DEFAULT_INDEX_URL,
    BuildSettings,
    GlobalSettings,
    IndexSettings,
    InstallSettings,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bale.ops.install import InstallOutcome


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def global_settings(args: argparse.Namespace) -> GlobalSettings:
    from bale.project.config_files import configured  # CLI > environment > bale.toml

    cache_dir = getattr(args, "cache_dir", None) or _env("BALE_CACHE_DIR") or configured("cache-dir")
    return GlobalSettings(
        cache_dir=Path(cache_dir).expanduser() if cache_dir else None,
        no_cache=bool(getattr(args, "no_cache", False))
        or env_flag("BALE_NO_CACHE")
        or bool(configured("no-cache")),
        offline=bool(getattr(args, "offline", False))
        or env_flag("BALE_OFFLINE")
        or bool(configured("offline")),
        verbosity=(getattr(args, "verbose", 0) or 0) - (getattr(args, "quiet", 0) or 0),
        policy=getattr(args, "policy", None),
        remote_cache=getattr(args, "remote_cache", None)
        or _env("BALE_REMOTE_CACHE")
        or configured("remote-cache"),
        remote_cache_readonly=bool(getattr(args, "remote_cache_readonly", False))
        or env_flag("BALE_REMOTE_CACHE_READONLY")
        or bool(configured("remote-cache-readonly")),
        remote_cache_wheels=env_flag("BALE_REMOTE_CACHE_WHEELS") or bool(configured("remote-cache-wheels")),
    )


def index_settings(args: argparse.Namespace) -> tuple[IndexSettings, bool]:
    """CLI > BALE_* environment > bale.toml > default; the flag says whether --index-url was given
    explicitly (a bale.toml's index-url is not: a project's default index wins over it)."""
    from bale.project.config_files import configured

    explicit = getattr(args, "index_url", None) or _env("BALE_INDEX_URL")
    extra = list(getattr(args, "extra_index_url", []) or []) or (_env("BALE_EXTRA_INDEX_URL") or "").split()
    extra = extra or list(configured("extra-index-url") or [])
    find_links = list(getattr(args, "find_links", []) or []) or (_env("BALE_FIND_LINKS") or "").split()
    find_links = find_links or list(configured("find-links") or [])
    resolved_links = tuple(_absolute_link(link) for link in find_links)
    # A project's own index-strategy sits between the environment and a bale.toml's: only the pip
    # interface (which reads no project) takes a bale.toml's here; projects get it merged in.
    strategy = _index_strategy(args) or (
        configured("index-strategy") if getattr(args, "command", None) == "pip" else None
    )
    return IndexSettings(
        index_url=explicit or configured("index-url") or DEFAULT_INDEX_URL,
        extra_index_urls=tuple(extra),
        find_links=resolved_links,
        no_index=bool(getattr(args, "no_index", False))
        or env_flag("BALE_NO_INDEX")
        or bool(configured("no-index")),
        strategy=strategy,
    ), bool(explicit)


def _index_strategy(args: argparse.Namespace) -> str | None:
    """``--index-strategy``, else ``BALE_INDEX_STRATEGY`` (as uv's UV_INDEX_STRATEGY), else None."""
    from bale.ops.settings import checked_strategy

    given = getattr(args, "index_strategy", None)
    if given:
        return str(given)
    env = _env("BALE_INDEX_STRATEGY")
    return checked_strategy(env.strip(), "BALE_INDEX_STRATEGY") if env else None


def build_settings(args: argparse.Namespace) -> BuildSettings:
    """``--no-build-isolation``, ``-C KEY=VALUE`` and ``--build-constraint`` (CLI > BALE_* environment)."""
    from bale.project.config_files import configured

    pairs: list[tuple[str, str]] = []
    for text in getattr(args, "config_settings", []) or []:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise BaleError(
                f"Invalid --config-settings {text!r}: expected KEY=VALUE",
                hint="for example: -C editable_mode=compat",
            )
        pairs.append((key.strip(), value))
    files = list(getattr(args, "build_constraint", []) or [])
    files = files or (_env("BALE_BUILD_CONSTRAINT") or "").split()
    no_isolation = bool(getattr(args, "no_build_isolation", False)) or env_flag("BALE_NO_BUILD_ISOLATION")
    no_isolation = no_isolation or bool(configured("no-build-isolation"))
    return BuildSettings(
        isolation=not no_isolation,
        config_settings=tuple(pairs),
        constraint_files=tuple(Path(f) for f in files),
        no_isolation_packages=tuple(getattr(args, "no_build_isolation_package", []) or []),
    )


def _absolute_link(link: str) -> str:
    if "://" in link:
        return link
    return str(Path(link).expanduser().resolve())


def _enter_directory(args: argparse.Namespace) -> None:
    """``--directory DIR``: run as if started in DIR, so every relative path is relative to it (as uv)."""
    directory = getattr(args, "directory", None)
    if not directory:
        return
    try:
        os.chdir(Path(directory).expanduser())
    except FileNotFoundError as err:
        raise BaleError(f"The directory {directory} given to --directory does not exist") from err
    except NotADirectoryError as err:
        raise BaleError(f"{directory}, given to --directory, is not a directory") from err
    except OSError as err:
        raise BaleError(f"Cannot enter the directory {directory}: {err.strerror or err}") from err


def project_dir(args: argparse.Namespace) -> Path:
    """Where the project is looked for: ``--project DIR`` (or BALE_PROJECT), else the working directory.

    Unlike ``--directory`` it moves nothing else: other relative paths stay relative to the working
    directory, and ``bale run`` runs its command there.
    """
    given = getattr(args, "project", None) or _env("BALE_PROJECT")
    if not given:
        return Path.cwd()
    path = Path(given).expanduser().absolute()
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a directory"
        raise BaleError(f"The project directory {given} {what}", hint="--project names a project's folder")
    return path


def config_options(args: argparse.Namespace) -> tuple[Path | None, bool]:
    """``--config-file FILE`` (or BALE_CONFIG_FILE) and ``--no-config`` (or BALE_NO_CONFIG).

    Parsed and checked here for the settings that read configuration files; a file that is named but
    missing is an error, as in uv, rather than settings silently not applied.
    """
    given = getattr(args, "config_file", None) or _env("BALE_CONFIG_FILE")
    path = Path(given).expanduser() if given else None
    if path is not None and not path.is_file():
        raise BaleError(f"The config file {given} does not exist", hint="--config-file names a bale.toml")
    return path, bool(getattr(args, "no_config", False)) or env_flag("BALE_NO_CONFIG")


def run(args: argparse.Namespace, printer: Printer) -> int:
    _enter_directory(args)
    from bale.project.config_files import activate

    config_file, no_config = config_options(args)
    activate(config_file, no_config=no_config)  # read when a setting is first asked for
    handlers: dict[str, Callable[[argparse.Namespace, Printer], int]] = {
        "venv": cmd_venv,
        "python": cmd_python,
        "pip": cmd_pip,
        "cache": cmd_cache,
        "lock": _project_command("cmd_lock"),
        "sync": _project_command("cmd_sync"),
        "run": _project_command("cmd_run"),
        "init": _project_command("cmd_init"),
        "import": _command("bale.cli.migrate", "cmd_import"),
        "add": _project_command("cmd_add"),
        "remove": _project_command("cmd_remove"),
        "tree": _command("bale.cli.views", "cmd_tree"),
        "why": _command("bale.cli.views", "cmd_why"),
        "export": _command("bale.cli.views", "cmd_export"),
        "licenses": _command("bale.cli.licenses", "cmd_licenses"),
        "audit": _command("bale.cli.audit", "cmd_audit"),
        "diff": _command("bale.cli.diff", "cmd_diff"),
        "policy": _command("bale.cli.policy", "cmd_policy"),
        "build": _command("bale.cli.dist", "cmd_build"),
        "publish": _command("bale.cli.dist", "cmd_publish"),
        "config": _command("bale.cli.config", "cmd_config"),
        "tool": _command("bale.cli.tool", "cmd_tool"),
        "upgrade": _command("bale.cli.team", "cmd_upgrade"),
        "outdated": _command("bale.cli.team", "cmd_outdated"),
        "git": _command("bale.cli.team", "cmd_git"),
        "shell": _command("bale.cli.shell", "cmd_shell"),
        "task": _command("bale.cli.tasks", "cmd_task"),
        "version": _command("bale.cli.version", "cmd_version"),
        "self": _command("bale.cli.version", "cmd_self"),
        "generate-shell-completion": _command("bale.cli.completion", "cmd_completion"),
        "help": _command("bale.cli.help", "cmd_help"),
    }
    return handlers[args.command](args, printer)


def _command(module: str, name: str) -> Callable[[argparse.Namespace, Printer], int]:
    """A handler imported only when its command runs (keeps start-up fast)."""

    def handler(args: argparse.Namespace, printer: Printer) -> int:
        import importlib

        command: Callable[[argparse.Namespace, Printer], int] = getattr(importlib.import_module(module), name)
        return command(args, printer)

    return handler


def _project_command(name: str) -> Callable[[argparse.Namespace, Printer], int]:
    def handler(args: argparse.Namespace, printer: Printer) -> int:
        from bale.cli import project

        command: Callable[[argparse.Namespace, Printer], int] = getattr(project, name)
        return command(args, printer)

    return handler


def _context(args: argparse.Namespace, printer: Printer):  # type: ignore[no-untyped-def]
    from bale.cli.progress import CliReporter
    from bale.context import Context

    return Context(global_settings(args), CliReporter(printer))


# --- venv and python ---------------------------------------------------------------------------------------


def cmd_venv(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.venv_replay import activation_hint, announce, record
    from bale.ops.python_default import command_interpreter
    from bale.python.venv import create_venv, venv_facts

    ctx = _context(args, printer)
    given = args.path or _env("BALE_PROJECT_ENVIRONMENT") or ".venv"
    # In a project: its .python-version within requires-python (uv's choice); else the nearest pin.
    interpreter = command_interpreter(
        args.python or _env("BALE_PYTHON"), Path.cwd(), ctx.cache.bucket("interpreters-v1")
    )
    implementation = "CPython" if interpreter.implementation == "cpython" else interpreter.implementation
    shown = f"{implementation} {interpreter.version} interpreter at: {interpreter.executable}"
    announce(printer, shown, given, seed=args.seed)
    create_venv(
        Path(given),
        interpreter,
        prompt=args.prompt,
        seed=args.seed,
        clear=args.clear,
        allow_existing=args.allow_existing,
        system_site_packages=args.system_site_packages,
    )
    activation_hint(printer, given)
    if args.python:
        record(args.argv, args.python, venv_facts(interpreter), shown)
    return 0


def cmd_python(args: argparse.Namespace, printer: Printer) -> int:
    return _command("bale.cli.python_cmd", "cmd_python")(args, printer)


# --- pip ---


def cmd_pip(args: argparse.Namespace, printer: Printer) -> int:
    handlers: dict[str, Callable[[argparse.Namespace, Printer], int]] = {
        "install": pip_install,
        "sync": pip_install,
        "uninstall": pip_uninstall,
        "list": pip_list,
        "show": pip_show,
        "freeze": pip_freeze,
        "check": pip_check,
        "download": pip_download,
        "compile": pip_compile,
        "tree": pip_tree,
        "audit": _command("bale.cli.audit", "cmd_pip_audit"),
    }
    if args.pip_command is None:
        raise BaleError(
            "bale pip needs a command: install, sync, uninstall, list, show, freeze, check, download",
            hint="bale pip --help",
        )
    return handlers[args.pip_command](args, printer)


def _stdin_file(paths: list[str]) -> tuple[Path, ...]:
    """Requirement file arguments; ``-`` stays ``-`` and means standard input (errors then say ``-:LINE``)."""
    return tuple(Path(text) for text in paths)


def pip_install(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.install import install
    from bale.project.config_files import configured, configured_pairs

    start = time.perf_counter()
    index, explicit = index_settings(args)
    exact = args.pip_command == "sync"
    settings = InstallSettings(
        packages=tuple(getattr(args, "packages", ()) or ()),
        requirement_files=_stdin_file(args.src_files if exact else args.requirement),
        constraint_files=tuple(Path(p) for p in args.constraint),
        editables=tuple(getattr(args, "editable", ()) or ()),
        python=args.python,
        index=index,
        explicit_index=explicit,
        exact=exact,
        no_deps=exact or args.no_deps,
        reinstall=args.reinstall,
        reinstall_packages=tuple(args.reinstall_package),
        upgrade=getattr(args, "upgrade", False),
        upgrade_packages=tuple(getattr(args, "upgrade_package", ()) or ()),
        dry_run=args.dry_run,
        require_hashes=args.require_hashes or env_flag("BALE_REQUIRE_HASHES"),
        compile_bytecode=args.compile_bytecode
        or env_flag("BALE_COMPILE_BYTECODE")
        or bool(configured("compile-bytecode")),
        link_mode=args.link_mode or configured("link-mode"),
        prerelease=args.prerelease or configured("prerelease"),
        prerelease_package=(*configured_pairs("prerelease-package"), *args.prerelease_package),
        allow_empty=getattr(args, "allow_empty_requirements", False),
        no_binary=tuple(args.no_binary),
        only_binary=tuple(args.only_binary),
        build=build_settings(args),
        # None: BALE_TYPOSQUAT and the policy decide (bale.ops.install reads the policy).
        typosquat="off" if exact else ("deny" if getattr(args, "strict", False) else None),
    )
    ctx = _context(args, printer)
    try:
        outcome = install(ctx, settings)
    finally:
        ctx.reporter.finish()
        ctx.close()
    printer.info(printer.dim(f"Using Python {outcome.python_version} environment at: {outcome.environment}"))
    for warning in outcome.warnings:
        printer.warn(warning)
    total = time.perf_counter() - start
    printer.info(
        printer.dim(
            f"Resolved {plural(outcome.resolved, 'package')} in "
            f"{elapsed(outcome.timings.get('resolve', total))}"
        )
    )
    if outcome.dry_run:
        if not outcome.installed and not outcome.removed:
            printer.info("Would make no changes")
        else:
            printer.info(f"Would install {plural(len(outcome.installed), 'package')}")
        _changes(printer, outcome.removed, outcome.installed)
        if wants_json(args):
            _install_json(printer, outcome)
        return 0
    if outcome.prepared:
        printer.info(
            printer.dim(
                f"Prepared {plural(outcome.prepared, 'package')} in "
                f"{elapsed(outcome.timings.get('prepare', 0.0))}"
            )
        )
    if outcome.removed:
        printer.info(printer.dim(f"Uninstalled {plural(len(outcome.removed), 'package')}"))
    if outcome.installed:
        printer.info(
            printer.dim(
                f"Installed {plural(len(outcome.installed), 'package')} in "
                f"{elapsed(outcome.timings.get('install', 0.0))}"
            )
        )
    if not outcome.installed and not outcome.removed:
        printer.info(printer.dim("Audited " + plural(outcome.kept, "package") + " in " + elapsed(total)))
        _stamp_noop(args, printer, outcome)
    _changes(printer, outcome.removed, outcome.installed)
    if wants_json(args):
        _install_json(printer, outcome)
    return 0


def _stamp_noop(args: argparse.Namespace, printer: Printer, outcome: InstallOutcome) -> None:
    """Let the next identical run answer before anything heavy is imported (see ``cli.noop``)."""
    argv = getattr(args, "argv", None)
    if argv is None or not outcome.pure or outcome.warnings or outcome.prepared or printer.verbosity > 0:
        return
    from bale.cli import noop

    if noop.pip_environment(argv) != str(outcome.environment):
        return  # found by a search (a version, .venv): the next run may find another
    # Files named on the command line are in the stamp's key; those they include are found from the
    # working directory's view of them, so the stamp then holds in this directory only.
    named = {os.path.abspath(word) for word in argv}
    included = [path for path in outcome.input_files if path not in named]
    noop.record(
        argv,
        str(outcome.environment),
        outcome.site_packages,
        started=args.started,
        inputs=included,
        located=bool(included),
        verbosity=printer.verbosity,
        answer=(
            ("info", f"Using Python {outcome.python_version} environment at: {outcome.environment}"),
            ("resolved", outcome.resolved),
            ("audited", outcome.kept),
        ),
    )


def _install_json(printer: Printer, outcome: InstallOutcome) -> None:
    """``bale pip install --output-format json``: ``environment``, ``python``, ``dry_run``, ``resolved``,
    then ``installed``, ``removed`` and ``updated`` (see ``summary.environment_json``)."""
    from bale.cli.summary import environment_json

    print_json(
        printer,
        {
            "environment": str(outcome.environment),
            "python": outcome.python_version,
            "dry_run": outcome.dry_run,
            "resolved": outcome.resolved,
            **environment_json(outcome.removed, outcome.installed),
        },
    )


def _changes(printer: Printer, removed: list[tuple[str, str]], installed: list[tuple[str, str]]) -> None:
    from bale.cli.summary import show_environment_changes

    show_environment_changes(printer, removed, installed)


def wants_json(args: argparse.Namespace) -> bool:
    """``--output-format json``: one JSON document on stdout, the human lines still on stderr."""
    return getattr(args, "output_format", None) == "json"


def print_json(printer: Printer, value: object) -> None:
    """One JSON document on stdout, keys in the order built (documented per command), indented."""
    printer.data(json.dumps(value, indent=2))


def pip_compile(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.compile import CompileSettings, compile_requirements
    from bale.project.config_files import configured, configured_pairs

    index, explicit = index_settings(args)
    output = Path(args.output_file) if args.output_file else None
    settings = CompileSettings(
        src_files=_stdin_file(args.src_files),
        output=output,
        output_format=args.format,
        index=index,
        explicit_index=explicit,
        constraint_files=tuple(Path(p) for p in args.constraint),
        override_files=tuple(Path(p) for p in args.override),
        extras=tuple(args.extra),
        all_extras=args.all_extras,
        groups=tuple(args.group),
        python=args.python,
        python_version=args.python_version,
        python_platform=args.python_platform,
        universal=args.universal,
        generate_hashes=args.generate_hashes,
        resolution=args.resolution or _env("BALE_RESOLUTION") or configured("resolution") or "highest",
        prerelease=args.prerelease or configured("prerelease"),
        prerelease_package=(*configured_pairs("prerelease-package"), *args.prerelease_package),
        exclude_newer=args.exclude_newer or configured("exclude-newer"),
        exclude_newer_package=(*configured_pairs("exclude-newer-package"), *args.exclude_newer_package),
        fork_strategy=args.fork_strategy,
        upgrade=args.upgrade,
        upgrade_packages=tuple(args.upgrade_package),
        annotate=not args.no_annotate,
        header=not args.no_header,
        no_binary=tuple(args.no_binary),
        only_binary=tuple(args.only_binary),
        command=_command_line(),
        build=build_settings(args),
    )
    ctx = _context(args, printer)
    recorder: Recorder | None = getattr(args, "replay", None)
    written = (
        {os.path.abspath(output): recorder.snapshot(os.path.abspath(output))} if recorder and output else {}
    )
    try:
        outcome = compile_requirements(ctx, settings)
        if recorder is not None:
            recorder.store(
                ctx,
                printer,
                inputs=outcome.inputs,
                written=written,
                anchored=False,
                warnings=outcome.warnings,
                text=outcome.text,
                count=outcome.count,
                to_stdout=outcome.output is None,
            )
    finally:
        ctx.reporter.finish()
        ctx.close()
    show_resolved(printer, outcome.count, outcome.seconds)
    if outcome.output is None:
        printer.out.write(outcome.text)
    return 0


def _command_line() -> str:
    """The command as the user typed it, for the output's header; credentials in URLs are masked."""
    import shlex

    from bale.http.auth import redact_url

    words = [redact_url(w) if "://" in w else w for w in sys.argv[1:]]
    return "bale " + " ".join(shlex.quote(w) for w in words)


def pip_uninstall(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.uninstall import uninstall

    ctx = _context(args, printer)
    outcome = uninstall(
        ctx, list(args.packages), [Path(p) for p in args.requirement], args.python, dry_run=args.dry_run
    )
    for name in outcome.missing:
        printer.warn(f"Skipping {name}: it is not installed")
    if outcome.removed:
        verb = "Would uninstall" if args.dry_run else "Uninstalled"
        printer.info(printer.dim(f"{verb} {plural(len(outcome.removed), 'package')}"))
        _changes(printer, outcome.removed, [])
    return 0


def _filtered(args: argparse.Namespace, rows: list) -> list:  # type: ignore[type-arg]
    from packaging.utils import canonicalize_name

    excluded = {canonicalize_name(n) for n in getattr(args, "exclude", []) or []}
    result = []
    for row in rows:
        if canonicalize_name(row.name) in excluded:
            continue
        if getattr(args, "exclude_editable", False) and row.editable_location:
            continue
        if getattr(args, "editable", False) and args.pip_command == "list" and not row.editable_location:
            continue
        result.append(row)
    return result


def pip_list(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.inspect import listed, snapshot

    ctx = _context(args, printer)
    env, dists = snapshot(ctx, args.python)
    rows = _filtered(args, listed(dists.values()))
    if args.outdated:
        from bale.ops.outdated import outdated

        index, _ = index_settings(args)
        rows = outdated(ctx, env, rows, index)
    if args.format == "json" or wants_json(args):
        items = []
        for row in rows:
            item: dict[str, str] = {"name": row.name, "version": row.version}
            if row.editable_location:
                item["editable_project_location"] = row.editable_location
            if args.outdated:
                item["latest_version"] = row.latest or ""
                item["latest_filetype"] = row.latest_kind or ""
            items.append(item)
        printer.data(json.dumps(items))
        return 0
    if args.format == "freeze":
        from bale.ops.inspect import freeze_lines

        for line in freeze_lines(rows):
            printer.data(line)
        return 0
    headers = ["Package", "Version"] + (["Latest", "Type"] if args.outdated else [])
    if any(r.editable_location for r in rows):
        headers.append("Editable project location")
    table = []
    for row in rows:
        cells = [row.name, row.version]
        if args.outdated:
            cells += [row.latest or "", row.latest_kind or ""]
        if "Editable project location" in headers:
            cells.append(row.editable_location or "")
        table.append(cells)
    if not table:
        return 0
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
    printer.data(" ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    printer.data(" ".join("-" * w for w in widths))
    for cells in table:
        printer.data(" ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    return 0


def pip_freeze(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.inspect import freeze_lines, listed, snapshot

    ctx = _context(args, printer)
    _, dists = snapshot(ctx, args.python)
    for line in freeze_lines(_filtered(args, listed(dists.values()))):
        printer.data(line)
    return 0


def pip_show(args: argparse.Namespace, printer: Printer) -> int:
    from bale.model.names import normalize
    from bale.ops.inspect import show, snapshot

    ctx = _context(args, printer)
    _, dists = snapshot(ctx, args.python)
    missing = [p for p in args.packages if normalize(p) not in dists]
    if wants_json(args):
        shown = []
        for name in dict.fromkeys(normalize(p) for p in args.packages):
            if name not in dists:
                continue
            info = show(dists[name], dists, files=args.files)
            item: dict[str, object] = {key.lower().replace("-", "_"): value for key, value in info.fields}
            for key in ("requires", "required_by"):
                text = item.get(key)
                item[key] = [part for part in str(text).split(", ") if part]
            if args.files:
                item["files"] = list(info.files)
            shown.append(item)
        print_json(printer, shown)
        if missing:
            printer.warn(f"Package(s) not found: {', '.join(missing)}")
            return 1
        return 0
    first = True
    for name in args.packages:
        dist = dists.get(normalize(name))
        if dist is None:
            continue
        if not first:
            printer.data("---")
        first = False
        info = show(dist, dists, files=args.files)
        for key, value in info.fields:
            printer.data(f"{key}: {value}")
        if args.files:
            printer.data("Files:")
            for path in info.files:
                printer.data(f"  {path}")
    if missing:
        printer.warn(f"Package(s) not found: {', '.join(missing)}")
        return 1
    return 0


def pip_tree(args: argparse.Namespace, printer: Printer) -> int:
    from bale.install.installed import requires
    from bale.model.names import normalize
    from bale.ops.inspect import listed, snapshot
    from bale.ops.tree import Node, edges, render

    ctx = _context(args, printer)
    env, dists = snapshot(ctx, args.python)
    rows = {normalize(row.name): row for row in listed(dists.values())}
    nodes = {name: Node(name, row.name, row.version) for name, row in rows.items()}
    graph = edges(
        {name: requires(dist) for name, dist in dists.items()}, env.interpreter.target().markers, nodes
    )
    wanted = [normalize(p) for p in args.package]
    missing = [p for p in wanted if p not in nodes]
    if missing:
        raise BaleError(f"Package(s) not installed: {', '.join(missing)}")
    for line in render(graph, nodes, invert=args.invert, depth=args.depth, packages=wanted or None):
        printer.data(line)
    return 0


def pip_check(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.inspect import check, damaged, snapshot

    ctx = _context(args, printer)
    env, dists = snapshot(ctx, args.python)
    problems = check(dists, dict(env.interpreter.target().markers))
    broken = damaged(dists)
    for line in problems + broken:
        printer.data(line)
    if broken:
        printer.info(
            f"Found {plural(len(broken), 'package')} with missing files; repair with "
            "`bale pip install --reinstall NAME`"
        )
    if problems:
        printer.info(
            f"Found {plural(len(problems), 'broken requirement')} among "
            f"{plural(len(dists), 'installed package')}"
        )
    if problems or broken:
        return 1
    printer.info(f"Checked {plural(len(dists), 'package')}: no broken requirements found")
    return 0


def pip_download(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.download import download

    index, explicit = index_settings(args)
    ctx = _context(args, printer)
    try:
        saved = download(
            ctx,
            packages=list(args.packages),
            requirement_files=[Path(p) for p in args.requirement],
            dest=Path(args.dest),
            python=args.python,
            index=index,
            explicit_index=explicit,
            no_deps=args.no_deps,
            require_hashes=args.require_hashes,
            no_binary=tuple(args.no_binary),
            only_binary=tuple(args.only_binary),
            build=build_settings(args),
        )
    finally:
        ctx.reporter.finish()
        ctx.close()
    for path, cached in saved:
        printer.info(f"{'Saved' if not cached else 'Kept'} {path}")
    return 0


# --- cache ---


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f}{unit}" if unit != "B" else f"{int(size)}B"
        size /= 1024
    return f"{size:.1f}GiB"


def cmd_cache(args: argparse.Namespace, printer: Printer) -> int:
    ctx = _context(args, printer)
    cache = ctx.cache
    command = args.cache_command
    if command == "remote":
        from bale.cli.remote_cache import cmd_cache_remote

        return cmd_cache_remote(args, printer, ctx)
    if command == "dir":
        printer.data(str(cache.root))
        return 0
    if command == "size":
        size = cache.size()
        printer.data(_human(size) if args.human else str(size))
        return 0
    if command == "clean":
        if args.packages:
            total_entries = total_bytes = 0
            for name in args.packages:
                removed = cache.clean(name)
                total_entries += removed.entries
                total_bytes += removed.bytes
                entries = "1 entry" if removed.entries == 1 else f"{removed.entries} entries"
                printer.info(f"Removed {entries} for {name} ({_human(removed.bytes)})")
            return 0
        removed = cache.clean(None)
        printer.info(f"Cleaned {cache.root}: removed {removed.entries} entries ({_human(removed.bytes)})")
        return 0
    if command == "prune":
        removed = cache.prune()
        printer.info(f"Pruned {cache.root}: removed {removed.entries} entries ({_human(removed.bytes)})")
        return 0
    if command in ("export", "import"):
        from bale.cli.cache_transfer import cmd_cache_transfer

        return cmd_cache_transfer(args, printer, cache)
    raise BaleError("bale cache needs a command: dir, clean, prune or size", hint="bale cache --help")
