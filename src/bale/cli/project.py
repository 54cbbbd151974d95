"""Project commands: lock, sync, run, init, add, remove."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cli.commands import _changes, _context, build_settings, index_settings, project_dir
from bale.cli.printer import Printer, elapsed, plural
from bale.cli.replay import Recorder, show_resolved
from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.ops.project import LockOutcome, LockSettings, SyncOutcome, SyncSettings
    from bale.project.model import Project


def _lock_settings(args: argparse.Namespace) -> LockSettings:
    from bale.ops.project import LockSettings

    index, explicit = index_settings(args)
    return LockSettings(
        index=index,
        explicit_index=explicit,
        upgrade=bool(getattr(args, "upgrade", False)),
        upgrade_packages=tuple(getattr(args, "upgrade_package", ()) or ()),
        build=build_settings(args),
        resolution=getattr(args, "resolution", None),
        prerelease=getattr(args, "prerelease", None),
        prerelease_package=tuple(getattr(args, "prerelease_package", ()) or ()),
        exclude_newer=getattr(args, "exclude_newer", None),
        exclude_newer_package=tuple(getattr(args, "exclude_newer_package", ()) or ()),
        fork_strategy=getattr(args, "fork_strategy", None),
        python=getattr(args, "python", None),
    )


def _project(args: argparse.Namespace) -> Project:
    """The project to lock: the workspace root when the current folder (or ``--project``'s) is inside a
    workspace member (in a per-member workspace, the member)."""
    return _member(args)[0]


def _member(args: argparse.Namespace) -> tuple[Project, Project]:
    """The workspace root and the member a command works on: ``--package``'s, else the member whose
    folder holds the current one, else the root. In a per-member workspace both are the member: it is
    locked and synced on its own (``cli.workspace_members``)."""
    from bale.ops.project_workspace import sync_targets
    from bale.project.workspace import find_workspace

    found: tuple[Project, Project] | None = getattr(args, "_workspace_member", None)
    if found is not None:  # found once per command: the search reads every member's pyproject.toml
        return found
    start = project_dir(args)
    workspace = find_workspace(start)
    package = getattr(args, "package", None)
    if workspace.per_member:
        from bale.cli.workspace_members import chosen_member

        member = chosen_member(args, workspace, start)
        found = member, member
    elif package:
        found = workspace.root, sync_targets(workspace, package)[0]
    else:
        here = workspace.member_at(start)
        found = workspace.root, here if here is not None else workspace.root
    args._workspace_member = found
    return found


def _package(args: argparse.Namespace) -> str | None:
    """``--package``, else the workspace member the current folder is in (None: the root's)."""
    root, member = _member(args)
    return None if member is root else str(member.name)


def _lock_changes(outcome: LockOutcome) -> list[tuple[str, str, str, str]]:
    """What this lock changed (only parsed when the file was rewritten: a fresh lock changed nothing)."""
    if not outcome.written or outcome.previous is None:
        return []
    from bale.cli.summary import lock_changes

    return lock_changes(outcome.previous, outcome.text)


def _report_lock(printer: Printer, outcome: LockOutcome) -> None:
    """``Resolved N packages in T``, then uv's ``Updated NAME vOLD -> vNEW`` / ``Added`` / ``Removed``."""
    show_resolved(printer, outcome.count, outcome.seconds)
    changes = _lock_changes(outcome)
    if changes:
        from bale.cli.summary import show_lock_changes

        show_lock_changes(printer, changes)


def cmd_lock(args: argparse.Namespace, printer: Printer) -> int:
    from dataclasses import replace

    from bale.ops.project import lock_path, lock_project, lock_state

    if args.script:
        from bale.cli.script import cmd_lock_script

        return cmd_lock_script(args, printer)
    if getattr(args, "merge", None):
        from bale.cli.team import cmd_lock_merge

        return cmd_lock_merge(args, printer)
    if getattr(args, "all", False):
        from bale.cli.workspace_members import cmd_lock_all

        locked_all = cmd_lock_all(args, printer)
        if locked_all is not None:
            return locked_all
    project = _project(args)
    diff, dry_run = bool(getattr(args, "diff", False)), bool(getattr(args, "dry_run", False))
    if args.check:
        state = lock_state(project)
        if state.fresh:
            printer.info(f"{state.path} is up to date")
            return 0
        if diff:  # what relocking would change, then the same error
            _dry_run_diff(args, printer, project)
        raise BaleError(
            f"The lock file {state.path} needs to be updated",
            context=list(state.changes),
            hint="run `bale lock`",
        )
    ctx = _context(args, printer)
    recorder: Recorder | None = getattr(args, "replay", None)
    lock_file = os.fspath(lock_path(project))
    # The replay finds the project and its lock from the working directory: only there is it sound.
    # A replay prints neither a diff nor a dry run's note: those runs are not recorded.
    if recorder is not None and not (diff or dry_run) and os.path.samefile(project.root, os.getcwd()):
        written = {lock_file: recorder.snapshot(lock_file)}
    else:
        recorder = None
    try:
        outcome = lock_project(ctx, project, replace(_lock_settings(args), dry_run=dry_run))
        # A replay of a run that changed the lock would say "Updated ..." again over an unchanged file.
        if recorder is not None and not _lock_changes(outcome):
            recorder.store(
                ctx,
                printer,
                inputs=outcome.inputs,
                written=written,
                anchored=True,
                warnings=outcome.warnings,
                text=outcome.text,
                count=outcome.count,
                to_stdout=False,
            )
    finally:
        ctx.reporter.finish()
        ctx.close()
    _report_lock(printer, outcome)
    _vulnerability_note(args, printer, project, outcome.text)
    if diff:
        from bale.cli.diff import show_lock_diff

        show_lock_diff(args, printer, outcome.path, outcome.previous, outcome.text, dry_run=dry_run)
    elif dry_run:
        printer.info(f"Dry run: {outcome.path.name} not written (`--diff` shows what would change)")
    return 0


def _dry_run_diff(args: argparse.Namespace, printer: Printer, project: Project) -> None:
    """``bale lock --check --diff`` of a stale lock: relock without writing, and show the diff."""
    from dataclasses import replace

    from bale.cli.diff import show_lock_diff
    from bale.ops.project import lock_project

    ctx = _context(args, printer)
    try:
        outcome = lock_project(ctx, project, replace(_lock_settings(args), dry_run=True))
    finally:
        ctx.reporter.finish()
        ctx.close()
    show_lock_diff(args, printer, outcome.path, outcome.previous, outcome.text, dry_run=True)


def _vulnerability_note(
    args: argparse.Namespace, printer: Printer, project: Project, text: str | None
) -> Path | None:
    """One line when the local vulnerability database (``bale audit --update-db``) knows of findings in
    the lock: a stat and nothing more when there is no database, and never the network. Returns the
    database's path when no line was printed and none would be while it stays as it is (the no-op
    stamp watches it), None otherwise."""
    from bale.ops.audit import database_file, lock_vulnerabilities

    ctx = _context(args, printer)
    try:
        database = database_file(ctx)
        if not database.is_file():
            return database
        if text is None:
            from bale.ops.project import lock_path

            try:
                text = lock_path(project).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
        count = lock_vulnerabilities(ctx, project, text)
    finally:
        ctx.close()
    if count:
        word = "known vulnerability" if count == 1 else "known vulnerabilities"
        printer.warn(f"{count} {word} in the lock: `bale audit`")
        return None
    return database


def _sync_settings(args: argparse.Namespace) -> SyncSettings:
    from bale.ops.project import SyncSettings

    return SyncSettings(
        lock=_lock_settings(args),
        locked=bool(getattr(args, "locked", False)),
        frozen=bool(getattr(args, "frozen", False)),
        groups=tuple(getattr(args, "group", ()) or ()),
        no_dev=bool(getattr(args, "no_dev", False)),
        all_groups=bool(getattr(args, "all_groups", False)),
        extras=tuple(getattr(args, "extra", ()) or ()),
        all_extras=bool(getattr(args, "all_extras", False)),
        inexact=bool(getattr(args, "inexact", False)),
        install_project=not getattr(args, "no_install_project", False),
        python=getattr(args, "python", None),
        package=_package(args),
        all_packages=_all_packages(args),
        only_groups=tuple(getattr(args, "only_group", ()) or ()),
    )


def _all_packages(args: argparse.Namespace) -> bool:
    """``--all-packages``, which names no member: it cannot go with ``--package``."""
    chosen = bool(getattr(args, "all_packages", False))
    if chosen and getattr(args, "package", None):
        raise BaleError("--all-packages and --package cannot be used together")
    return chosen


def _sync(
    args: argparse.Namespace, printer: Printer, project: Project, settings: SyncSettings
) -> SyncOutcome:
    from bale.ops.project import sync_project

    ctx = _context(args, printer)
    try:
        return sync_project(ctx, project, settings)
    finally:
        ctx.reporter.finish()
        ctx.close()


def _report_sync(printer: Printer, outcome: SyncOutcome, seconds: float | None = None) -> None:
    """uv's summary of a sync; ``seconds``: how long it took, shown on ``Audited`` as uv does."""
    took = f" in {elapsed(seconds)}" if seconds is not None else ""
    if outcome.created:
        printer.info(f"Created virtual environment at: {outcome.environment}")
    if outcome.lock is not None:
        _report_lock(printer, outcome.lock)
    install = outcome.install
    if install is None:
        if outcome.audited:
            printer.info(printer.dim(f"Audited {plural(outcome.audited, 'package')}{took}"))
        return
    if install.removed:
        printer.info(printer.dim(f"Uninstalled {plural(len(install.removed), 'package')}"))
    if install.installed:
        printer.info(
            printer.dim(
                f"Installed {plural(len(install.installed), 'package')} in "
                f"{elapsed(install.timings.get('install', 0.0))}"
            )
        )
    if not install.installed and not install.removed:
        printer.info(printer.dim(f"Audited {plural(install.kept, 'package')}{took}"))
    _changes(printer, install.removed, install.installed)


def cmd_sync(args: argparse.Namespace, printer: Printer) -> int:
    import time

    start = time.perf_counter()
    if getattr(args, "all_packages", False):
        from bale.cli.workspace_members import cmd_sync_all

        synced_all = cmd_sync_all(args, printer)
        if synced_all is not None:
            return synced_all
    root = _member(args)[0]
    outcome = _sync(args, printer, root, _sync_settings(args))
    _report_sync(printer, outcome, time.perf_counter() - start)
    database = _vulnerability_note(args, printer, root, outcome.lock.text if outcome.lock else None)
    if database is not None:
        answer = (("audited", _audited(outcome)),)
        _stamp_noop(args, printer, root, outcome, watched=[str(database)], answer=answer)
    if getattr(args, "output_format", None) == "json":
        _sync_json(printer, outcome)
    return 0


def _stamp_noop(
    args: argparse.Namespace,
    printer: Printer,
    project: Project,
    outcome: SyncOutcome,
    *,
    watched: list[str],
    answer: tuple[tuple[str, object], ...],
) -> None:
    """After a sync that changed nothing, let the next identical run answer before anything heavy is
    imported (see ``cli.noop``): ``watched`` files could change the answer (the vulnerability
    database adds a line); ``bale run`` prints none, its stamp holds the options and the command is
    run afresh each time."""
    argv = getattr(args, "argv", None)
    if argv is not None and argv[:1] == ["run"]:
        from bale.cli.noop import split_run

        split = split_run(argv)
        argv = split[0] if split is not None else None
    install = outcome.install
    if (
        argv is None
        or not outcome.stamped
        or outcome.created
        or outcome.lock is not None
        or printer.verbosity > 0
        or (install is not None and (install.installed or install.removed or install.warnings))
    ):
        return
    from bale.cli import noop

    root = noop.project_root(os.getcwd())
    if root is None or Path(root).resolve() != project.root.resolve():
        return  # the project was not found where the fast path looks (a member of a workspace)
    environment = noop.project_environment(root)
    if Path(environment).resolve() != outcome.environment.resolve():
        return
    from bale.ops.project import lock_path, sync_inputs

    lock = lock_path(project)
    files, located = sync_inputs(project, lock)
    noop.record(
        argv,
        environment,
        outcome.site_packages,
        started=args.started,
        inputs=[os.path.relpath(path, project.root) for path in (lock, *sorted(files))],
        watched=watched,
        located=located,
        verbosity=printer.verbosity,
        answer=answer,
    )


def _audited(outcome: SyncOutcome) -> int:
    """The packages a sync found in place."""
    return outcome.install.kept if outcome.install is not None else outcome.audited


def _sync_json(printer: Printer, outcome: SyncOutcome) -> None:
    """``bale sync --output-format json``: ``environment``, ``created``, ``lock`` (None when
    the lock was fresh, else ``path``, ``resolved``, ``written`` and ``changes``, see
    ``summary.lock_changes_json``), ``audited``, then ``installed``, ``removed`` and ``updated``."""
    from bale.cli.commands import print_json
    from bale.cli.summary import environment_json, lock_changes_json

    lock: dict[str, object] | None = None
    if outcome.lock is not None:
        lock = {
            "path": str(outcome.lock.path),
            "resolved": outcome.lock.count,
            "written": outcome.lock.written,
            "changes": lock_changes_json(_lock_changes(outcome.lock)),
        }
    install = outcome.install
    print_json(
        printer,
        {
            "environment": str(outcome.environment),
            "created": outcome.created,
            "lock": lock,
            "audited": _audited(outcome),
            **environment_json(install.removed if install else [], install.installed if install else []),
        },
    )


def cmd_run(args: argparse.Namespace, printer: Printer) -> int:
    command = list(args.cmd)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise BaleError("bale run needs a command", hint="for example: bale run python -c 'print(1)'")
    from bale.cli import script

    # A script with a PEP 723 block runs in its own cached environment, ignoring any project (as uv).
    ran = script.run_script(args, printer, command)
    if ran is not None:
        return ran
    if args.script or script.is_python_file(command[0]):  # no block: run by the env's Python
        command = ["python", *command]
    if not script.in_project(args):
        if args.with_ or args.with_requirements:
            return script.run_with(args, printer, command, None)
        return script.run_outside_project(args, printer, command)
    # Imported only now: a warm script run never needs them (ops.project alone costs ~30 ms).
    from bale.ops.project import environment_path, run_environment
    from bale.python.venv import PythonEnvironment

    project = _member(args)[0]
    if args.isolated:
        from bale.cli.run_isolated import run_isolated

        return run_isolated(args, printer, project, command)
    path = environment_path(project)
    if not args.no_sync:
        synced = _sync(args, printer, project, _sync_settings(args))
        path = synced.environment
        if not (args.with_ or args.with_requirements):
            _stamp_noop(args, printer, project, synced, watched=[], answer=())
    if args.with_ or args.with_requirements:
        return script.run_with(args, printer, command, path)
    env = PythonEnvironment.from_root(path, _context(args, printer).cache.bucket("interpreters-v1"))
    variables = run_environment(env)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, variables)
    except FileNotFoundError as err:
        from bale.cli.tasks import run_task_instead  # no such executable: a [tool.bale.tasks] task?

        ran = run_task_instead(args, printer, command, variables)
        if ran is not None:
            return ran
        raise BaleError(f"Cannot run {command[0]!r}: no such command in {env.root} or on PATH") from err
    except OSError as err:
        raise BaleError(f"Cannot run {command[0]!r}: {err.strerror or err}") from err
    return 0  # not reached


def cmd_init(args: argparse.Namespace, printer: Printer) -> int:
    from bale.project.init import PythonChoice, choose_python, init_project

    if args.script:
        from bale.cli.script import cmd_init_script

        return cmd_init_script(args, printer)
    path = Path(args.path) if args.path else Path.cwd()
    python: PythonChoice | None = None
    if not (path / "pyproject.toml").exists():  # else init_project says so, before any search
        cache_dir = _context(args, printer).cache.bucket("interpreters-v1")
        python = choose_python(path, args.python or os.environ.get("BALE_PYTHON"), cache_dir=cache_dir)
    written = init_project(path, name=args.name, kind="lib" if args.lib else "app", python=python)
    printer.info(f"Initialized project at {written[0].parent}")
    return 0


def _edit(args: argparse.Namespace, printer: Printer, adding: bool) -> int:
    """Edit pyproject.toml, lock and sync; the old text is restored when locking fails."""
    from bale.fs.atomic import write_atomic
    from bale.ops.project import lock_path, lock_project
    from bale.ops.project_add import SourceOptions, add_to_text, plan_additions, remove_from_text
    from bale.project.model import find_project
    from bale.project.workspace import discover_workspace

    project, member = _member(args)
    pyproject = member.pyproject
    original = pyproject.read_text(encoding="utf-8")
    lock_file = lock_path(project)
    original_lock = lock_file.read_bytes() if lock_file.is_file() else None

    def restore() -> None:
        """Put pyproject.toml and the lock back as they were: a failed step writes nothing."""
        write_atomic(pyproject, original.encode("utf-8"))
        if original_lock is None:
            lock_file.unlink(missing_ok=True)
        else:
            write_atomic(lock_file, original_lock)

    where = str(pyproject)
    if len(args.group) > 1:
        raise BaleError("Name one --group at most: the dependencies go into one group")
    group = args.group[0] if args.group else None
    target = {"group": group, "optional": args.optional, "dev": args.dev, "where": where}
    ctx = _context(args, printer)
    try:
        additions = []
        if adding:
            options = SourceOptions(
                index=args.index, editable=args.editable, tag=args.tag, branch=args.branch, rev=args.rev
            )
            workspace = discover_workspace(project)
            lock_settings = _lock_settings(args)
            additions = plan_additions(
                ctx, workspace, member, args.packages, options, lock_settings, cwd=Path.cwd()
            )
            from bale.ops.policy_in_force import effective_policy
            from bale.ops.typosquat import check_additions, configured_mode, typosquat_mode

            # Before anything is written: a refused look-alike leaves pyproject.toml and the lock as they are.
            policy = configured_mode(effective_policy(ctx, project.root))
            mode = typosquat_mode(bool(getattr(args, "strict", False)), policy)
            check_additions(ctx, workspace, additions, lock_settings, lock_file=lock_file, mode=mode)
            text = add_to_text(original, additions, **target)
        else:
            text = remove_from_text(original, args.packages, **target)
        write_atomic(pyproject, text.encode("utf-8"))
        try:
            outcome = lock_project(ctx, find_project(project.root), _lock_settings(args))
            if adding:
                from packaging.requirements import Requirement
                from packaging.specifiers import SpecifierSet

                from bale.project.edit import bounds

                bounded: dict[str, str] = {}
                for addition in additions:
                    version = outcome.locked.get(addition.name)
                    if not addition.bound or version is None:
                        continue
                    requirement = Requirement(addition.requirement)
                    requirement.specifier = SpecifierSet(bounds(version, args.bounds))
                    bounded[addition.name] = str(requirement)
                if bounded:
                    text = add_to_text(original, additions, bounded=bounded, **target)
                    write_atomic(pyproject, text.encode("utf-8"))
                    outcome = lock_project(ctx, find_project(project.root), _lock_settings(args))
        except BaseException:
            restore()
            raise
    finally:
        ctx.reporter.finish()
        ctx.close()
    from dataclasses import replace

    # Locked twice when versions were bounded: the changes are those since the lock before the edit.
    before = original_lock.decode("utf-8", "replace") if original_lock is not None else None
    outcome = replace(outcome, previous=before, written=outcome.written or before != outcome.text)
    _report_lock(printer, outcome)
    if args.no_sync:
        return 0

    settings = replace(_sync_settings(args), frozen=True)
    try:
        synced = _sync(args, printer, find_project(project.root), settings)
    except BaseException:
        restore()  # the environment is the old one (installs are all or nothing): so are the files
        raise
    _report_sync(printer, synced)
    return 0


def cmd_add(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.project_mutex import project_lock

    if args.script:
        from bale.cli.script import cmd_edit_script

        return cmd_edit_script(args, printer, adding=True)
    # Held from reading pyproject.toml to syncing: two `bale add` at once must not lose one's edit.
    with project_lock(_member(args)[0].root, on_wait=printer.warn):
        return _edit(args, printer, adding=True)


def cmd_remove(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.project_mutex import project_lock

    if args.script:
        from bale.cli.script import cmd_edit_script

        return cmd_edit_script(args, printer, adding=False)
    with project_lock(_member(args)[0].root, on_wait=printer.warn):
        return _edit(args, printer, adding=False)
