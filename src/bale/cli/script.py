"""Script commands: ``bale run script.py``, ``run --with``, and ``init/add/remove/lock/export --script``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cli.commands import _context, build_settings, index_settings, project_dir
from bale.cli.printer import Printer, elapsed, plural
from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.ops.script import EnvironmentOutcome, ScriptSettings

STDIN = "-"


def _settings(args: argparse.Namespace) -> ScriptSettings:
    from bale.ops.script import ScriptSettings

    index, explicit = index_settings(args)
    return ScriptSettings(
        index=index,
        explicit_index=explicit,
        python=getattr(args, "python", None),
        locked=bool(getattr(args, "locked", False)),
        frozen=bool(getattr(args, "frozen", False)),
        build=build_settings(args),
        exclude_newer=getattr(args, "exclude_newer", None),
    )


def _exec(program: Path | str, argv: list[str], variables: dict[str, str]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(str(program), argv, variables)
    except FileNotFoundError as err:
        raise BaleError(f"Cannot run {argv[0]!r}: no such command") from err
    except OSError as err:
        raise BaleError(f"Cannot run {argv[0]!r}: {err.strerror or err}") from err
    return 0  # not reached


def _variables(root: Path, python: Path, extra_scripts: list[Path] | None = None) -> dict[str, str]:
    """``bale run``'s process environment: the environment's scripts (then ``extra_scripts``) first
    on PATH, VIRTUAL_ENV set, no PYTHONHOME."""
    variables = dict(os.environ)
    variables["VIRTUAL_ENV"] = str(root)
    folders = [str(python.parent), *(str(p) for p in extra_scripts or [])]
    variables["PATH"] = os.pathsep.join([*folders, variables.get("PATH", "")])
    variables.pop("PYTHONHOME", None)
    return variables


def _report(printer: Printer, outcome: EnvironmentOutcome) -> None:
    if outcome.lock_written is not None:
        printer.info(f"Updated {outcome.lock_written.name}")
    if outcome.built and outcome.installed:
        took = elapsed(outcome.seconds)
        printer.info(printer.dim(f"Installed {plural(len(outcome.installed), 'package')} in {took}"))


# ------------------------------------------------------------------------------------------------- run


def is_python_file(word: str) -> bool:
    """Whether ``bale run WORD`` runs a Python file (then with the environment's ``python``)."""
    return word.endswith((".py", ".pyw")) and Path(word).is_file()


def script_to_run(args: argparse.Namespace, command: list[str]) -> tuple[str, str, bool] | None:
    """``(source, text, has block)`` when ``bale run`` runs a Python script (``--script``, ``-`` for
    standard input, or an existing ``.py`` file), else None: a command."""
    forced = bool(getattr(args, "script", False))
    first = command[0]
    if first == STDIN:
        from bale.project.script import parse_script

        text = sys.stdin.read()
        return "<stdin>", text, parse_script(text, "<stdin>", check_dependencies=False).present
    if not forced and not is_python_file(first):
        return None
    from bale.ops.script import read_script

    text, meta = read_script(Path(first), check_dependencies=False)
    return first, text, meta.present


def run_script(args: argparse.Namespace, printer: Printer, command: list[str]) -> int | None:
    """Run a script with a metadata block in its cached environment; None when ``command`` is not a
    script with a block (``cmd_run`` then runs it with the project's environment, or a bare
    interpreter outside a project)."""
    warm = _warm(args, printer, command)
    if warm is not None:
        return warm
    found = script_to_run(args, command)
    if found is None:
        return None
    source, text, present = found
    if not present:
        if source == "<stdin>":
            return _run_bare(args, printer, ["-c", text, *command[1:]])
        return None
    from bale.ops.script import script_environment
    from bale.project.script import check_dependencies, parse_script

    meta = parse_script(text, source, check_dependencies=False)
    script = Path(source) if source != "<stdin>" else Path.cwd() / "stdin.py"
    printer.info(printer.dim(f"Reading inline script metadata from `{source}`"))
    ctx = _context(args, printer)
    try:
        outcome = script_environment(
            ctx, script, meta, _settings(args), check=lambda: check_dependencies(text, source)
        )
    finally:
        ctx.reporter.finish()
        ctx.close()
    _report(printer, outcome)
    if source != "<stdin>":
        from bale.cli.script_warm import write_stamp

        write_stamp(args, source, text, outcome.root, outcome.python)
    argv = [str(outcome.python), *(["-c", text] if source == "<stdin>" else [source]), *command[1:]]
    return _exec(outcome.python, argv, _variables(outcome.root, outcome.python))


def _warm(args: argparse.Namespace, printer: Printer, command: list[str]) -> int | None:
    """The warm path of ``bale run script.py`` (see ``cli.script_warm``): run it in the environment
    the same run used last time, before anything heavy is imported; None: take the full path."""
    first = command[0]
    if not first.endswith((".py", ".pyw")):
        return None
    try:
        with open(first, "rb") as file:
            text = file.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # the full path says why
    from bale.cli.script_warm import warm_environment

    found = warm_environment(args, first, text)
    if found is None:
        return None
    root, python = Path(found[0]), Path(found[1])
    printer.info(printer.dim(f"Reading inline script metadata from `{first}`"))
    return _exec(python, [str(python), first, *command[1:]], _variables(root, python))


def _run_bare(args: argparse.Namespace, printer: Printer, python_args: list[str]) -> int:
    """A script with no metadata, outside a project: the interpreter ``--python`` (or the first) names."""
    from bale.ops.script import choose_interpreter

    ctx = _context(args, printer)
    try:
        interpreter = choose_interpreter(ctx, None, getattr(args, "python", None))
    finally:
        ctx.close()
    python = interpreter.executable
    return _exec(python, [str(python), *python_args], dict(os.environ))


def in_project(args: argparse.Namespace) -> bool:
    """Whether ``bale run`` finds a project (``--no-project``: never)."""
    if getattr(args, "no_project", False):
        return False
    from bale.project.model import find_project

    start = project_dir(args)  # a --project that names no folder is an error, not "no project"
    try:
        find_project(start)
    except BaleError:
        return False
    return True


def run_outside_project(args: argparse.Namespace, printer: Printer, command: list[str]) -> int:
    """``bale run CMD`` with no project: a ``.py`` file with the bare interpreter, anything else as
    it is (``--with`` is handled before)."""
    if command[0] in ("python", "python3"):
        return _run_bare(args, printer, command[1:])
    return _exec(command[0], command, dict(os.environ))


def run_with(args: argparse.Namespace, printer: Printer, command: list[str], base: Path | None) -> int:
    """``bale run --with PKG CMD``: CMD in a cached overlay of the packages over ``base`` (the
    project's environment, left as it is), or alone outside a project."""
    from bale.ops.script import choose_interpreter, overlay_environment
    from bale.python.venv import PythonEnvironment

    ctx = _context(args, printer)
    try:
        cache_dir = ctx.cache.bucket("interpreters-v1")
        base_env = PythonEnvironment.from_root(base, cache_dir) if base is not None else None
        interpreter = (
            base_env.interpreter
            if base_env is not None
            else choose_interpreter(ctx, None, getattr(args, "python", None))
        )
        index, _explicit = index_settings(args)
        outcome = overlay_environment(
            ctx,
            interpreter=interpreter,
            packages=list(getattr(args, "with_", ()) or ()),
            requirement_files=[Path(p) for p in getattr(args, "with_requirements", ()) or ()],
            index=index,
            build=build_settings(args),
            base_site_packages=base_env.site_packages() if base_env is not None else [],
            constraints=_pins(base_env.site_packages()) if base_env is not None else None,
        )
    finally:
        ctx.reporter.finish()
        ctx.close()
    _report(printer, outcome)
    extra = [base_env.python.parent] if base_env is not None else []
    variables = _variables(outcome.root, outcome.python, extra)
    program: Path | str = command[0]
    if command[0] in ("python", "python3") or command[0].endswith((".py", ".pyw")):
        program = outcome.python
        command = [str(outcome.python), *(command[1:] if command[0] in ("python", "python3") else command)]
    return _exec(program, command, variables)


def _pins(site_packages: list[Path]) -> list[str]:
    """The project environment's packages as ``name==version`` (it was synced from the lock, so these
    are the locked pins); packages from a path, URL or git (the project itself, editables) are left out:
    a version pin cannot name them."""
    from bale.install.installed import scan_site_packages

    return sorted(
        f"{name}=={dist.version}"
        for name, dist in scan_site_packages(site_packages).items()
        if dist.direct_url is None
    )


# ---------------------------------------------------------------------------------------------- edits


def _script_path(args: argparse.Namespace) -> Path:
    return Path(args.script)


def _write(path: Path, text: str) -> None:
    from bale.fs.atomic import write_atomic

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    write_atomic(path, text.encode("utf-8"))
    if mode is not None:
        os.chmod(path, mode & 0o7777)  # keep a shebang script executable


def cmd_init_script(args: argparse.Namespace, printer: Printer) -> int:
    """``bale init --script FILE [--python X]``: a block with requires-python at the top of FILE (a
    new file gets a small ``main``); the rest of an existing file is kept byte for byte."""
    from bale.project.script import insert_block

    path = _script_path(args)
    requires_python = _requires_python(args, printer)
    if path.exists():
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise BaleError(f"Cannot read the script {path}: {err}") from err
    else:
        text = (
            f'def main() -> None:\n    print("Hello from {path.name}!")\n\n\n'
            'if __name__ == "__main__":\n    main()\n'
        )
    _write(path, insert_block(text, str(path), requires_python))
    printer.info(f"Initialized script at `{path}`")
    return 0


def _requires_python(args: argparse.Namespace, printer: Printer) -> str:
    """``>=X.Y`` of ``--python`` (a version, a range, kept as given) or of the interpreter found."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    given: str | None = getattr(args, "python", None)
    if given and given[0] in "<>=!~":
        try:
            SpecifierSet(given)
        except InvalidSpecifier as err:
            raise BaleError(f"Invalid --python {given!r}: {err}") from err
        return given
    from bale.ops.script import choose_interpreter

    ctx = _context(args, printer)
    try:
        version = choose_interpreter(ctx, None, given).version
    finally:
        ctx.close()
    return f">={version.major}.{version.minor}"


def cmd_edit_script(args: argparse.Namespace, printer: Printer, adding: bool) -> int:
    """``bale add/remove --script FILE PKG...``: edit the block's dependencies; a lock beside the
    script is written again (or the edit undone when that fails)."""
    from bale.ops.script import read_script, script_lock_path, write_script_lock
    from bale.project.script import add_dependencies, parse_script, remove_dependencies

    path = _script_path(args)
    original, _meta = read_script(path)
    edit = add_dependencies if adding else remove_dependencies
    text = edit(original, str(path), list(args.packages))
    _write(path, text)
    verb = "Added" if adding else "Removed"
    printer.info(f"{verb} {', '.join(args.packages)} {'to' if adding else 'from'} `{path}`")
    if script_lock_path(path).is_file():
        ctx = _context(args, printer)
        try:
            write_script_lock(ctx, path, parse_script(text, str(path)), _settings(args))
        except BaseException:
            _write(path, original)
            raise
        finally:
            ctx.reporter.finish()
            ctx.close()
        printer.info(f"Updated {script_lock_path(path).name}")
    return 0


def cmd_lock_script(args: argparse.Namespace, printer: Printer) -> int:
    """``bale lock --script FILE``: a universal PEP 751 lock, ``pylock.<stem>.toml`` beside it
    (``--check``: only say whether it is up to date)."""
    from bale.ops.script import lock_is_fresh, read_script, script_lock_path, write_script_lock

    path = _script_path(args)
    _text, meta = read_script(path)
    if not meta.present:
        raise BaleError(
            f"{path} has no `# /// script` block to lock", hint=f"create one with `bale init --script {path}`"
        )
    lock = script_lock_path(path)
    if getattr(args, "check", False):
        if lock.is_file() and lock_is_fresh(lock.read_text(encoding="utf-8"), meta):
            printer.info(f"{lock} is up to date")
            return 0
        raise BaleError(f"The lock file {lock} needs to be updated", hint=f"run `bale lock --script {path}`")
    ctx = _context(args, printer)
    try:
        write_script_lock(ctx, path, meta, _settings(args))
    finally:
        ctx.reporter.finish()
        ctx.close()
    printer.info(f"Wrote {lock}")
    return 0


def cmd_export_script(args: argparse.Namespace, printer: Printer) -> int:
    """``bale export --script FILE``: the script's lock as requirements.txt or pylock.toml (locked
    first when it has none, or a stale one and neither ``--locked`` nor ``--frozen``)."""
    from bale.lock.export import to_requirements_txt
    from bale.lock.pylock import read_pylock
    from bale.ops.script import lock_is_fresh, read_script, script_lock_path, write_script_lock

    path = _script_path(args)
    _text, meta = read_script(path)
    lock = script_lock_path(path)
    text = lock.read_text(encoding="utf-8") if lock.is_file() else None
    if text is None or not (getattr(args, "frozen", False) or lock_is_fresh(text, meta)):
        if getattr(args, "locked", False) or (text is None and getattr(args, "frozen", False)):
            raise BaleError(
                f"The lock file {lock} needs to be updated", hint=f"run `bale lock --script {path}`"
            )
        ctx = _context(args, printer)
        try:
            text = write_script_lock(ctx, path, meta, _settings(args))
        finally:
            ctx.reporter.finish()
            ctx.close()
    if args.format != "pylock.toml":
        text = to_requirements_txt(
            read_pylock(text, source=str(lock)),
            hashes=not args.no_hashes,
            header=not args.no_header,
            command=f"bale export --script {path}",
            source=lock.name,
        )
    if args.output_file:
        from bale.fs.atomic import write_atomic

        write_atomic(Path(args.output_file), text.encode("utf-8"))
        return 0
    printer.out.write(text)
    return 0
