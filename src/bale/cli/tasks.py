"""``bale task``, and ``bale run NAME`` for a task: ``[tool.bale.tasks]`` in the synced environment."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from bale.cli.printer import Printer
from bale.errors import BaleError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bale.project.model import Project
    from bale.project.tasks import Task


def synced_environment(args: argparse.Namespace, printer: Printer) -> tuple[Path, dict[str, str]]:
    """Sync the project's environment (unless ``--no-sync``), as ``bale run`` does; its root and the
    process environment that makes it active (VIRTUAL_ENV, its scripts first on PATH)."""
    from bale.cli.commands import _context
    from bale.cli.project import _member, _sync, _sync_settings
    from bale.ops.project import environment_path, run_environment
    from bale.python.venv import PythonEnvironment

    project = _member(args)[0]
    path = environment_path(project)
    if not getattr(args, "no_sync", False):
        path = _sync(args, printer, project, _sync_settings(args)).environment
    elif not (path / "pyvenv.cfg").is_file():
        raise BaleError(
            f"The project's environment {path} does not exist", hint="run `bale sync` (or drop --no-sync)"
        )
    env = PythonEnvironment.from_root(path, _context(args, printer).cache.bucket("interpreters-v1"))
    return env.root, run_environment(env)


def _with_tasks(args: argparse.Namespace) -> tuple[Project, dict[str, Task]]:
    """The pyproject.toml whose tasks apply, and its tasks: the workspace member's the command works
    on, else (when it has none) the workspace root's."""
    from bale.cli.project import _member
    from bale.project.tasks import read_tasks

    root, member = _member(args)
    tasks = read_tasks(member.pyproject)
    if not tasks and member is not root:
        root_tasks = read_tasks(root.pyproject)
        if root_tasks:
            return root, root_tasks
    return member, tasks


def run_task_instead(
    args: argparse.Namespace, printer: Printer, command: Sequence[str], variables: dict[str, str]
) -> int | None:
    """``bale run NAME ARGS``: the task NAME, when NAME is no executable of the environment or PATH
    (an executable always wins); None when there is no such task, for ``bale run`` to go on."""
    name = command[0]
    if "/" in name or shutil.which(name, path=variables.get("PATH")) is not None:
        return None
    project, tasks = _with_tasks(args)
    if name not in tasks:
        return None
    return _run(printer, project, tasks, name, command[1:], variables)


def _run(
    printer: Printer,
    project: Project,
    tasks: dict[str, Task],
    name: str,
    extra_args: Sequence[str],
    variables: dict[str, str],
) -> int:
    from bale.ops.tasks import run_tasks
    from bale.project.tasks import run_order

    where = str(project.pyproject)
    order = run_order(tasks, name, where)

    def start(task: Task, argv: list[str]) -> None:
        import shlex

        printer.info(printer.dim(f"Running task {task.name}: {shlex.join(argv)}"))
        sys.stderr.flush()

    sys.stdout.flush()
    return run_tasks(
        order, root=project.root, where=where, variables=variables, extra_args=extra_args, on_start=start
    )


def cmd_task(args: argparse.Namespace, printer: Printer) -> int:
    project, tasks = _with_tasks(args)
    if args.list or not args.name:
        if not tasks:
            printer.info(f"No tasks in {project.pyproject}: add them under [tool.bale.tasks]")
            return 0
        width = max(len(name) for name in tasks)
        for task in tasks.values():
            shown = task.command_line or "(" + ", ".join(task.depends) + ")"
            line = f"{task.name.ljust(width)}  {shown}"
            printer.data(f"{line}  # {task.help}" if task.help else line)
        return 0
    if args.name not in tasks:
        known = ", ".join(tasks) if tasks else "none"
        raise BaleError(
            f"No task {args.name!r} in {project.pyproject}",
            context=[f"tasks: {known}"],
            hint="`bale task --list` shows them",
        )
    extra = list(args.task_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    _root, variables = synced_environment(args, printer)
    return _run(printer, project, tasks, args.name, extra, variables)
