"""Run a task and its dependencies, in order, in the project's environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bale.errors import BaleError
from bale.project.tasks import Task


def run_tasks(
    order: Sequence[Task],
    *,
    root: Path,
    where: str,
    variables: Mapping[str, str],
    extra_args: Sequence[str] = (),
    on_start: Callable[[Task, list[str]], None] | None = None,
) -> int:
    """Run each task of ``order`` (the last one with ``extra_args`` appended), in ``root`` or the task's
    ``cwd`` under it, with ``variables`` plus the task's ``env``; stop at the first that fails.

    Returns the exit status of the last task run (a failing one's); a task killed by a signal gives
    128 + the signal's number, as a shell reports it.
    """
    import shutil
    import subprocess

    status = 0
    for index, task in enumerate(order):
        last = index == len(order) - 1
        if not task.cmd:  # only its dependencies, which ran before it
            if extra_args and last:
                raise BaleError(
                    f"The task {task.name!r} in {where} has no cmd of its own: it cannot take arguments",
                    context=[f"given: {' '.join(extra_args)}"],
                )
            continue
        argv = [*task.cmd, *(extra_args if last else ())]
        env = {**variables, **dict(task.env)}
        cwd = root / task.cwd if task.cwd else root
        if not cwd.is_dir():
            raise BaleError(f"The task {task.name!r} in {where} runs in {cwd}, which is not a directory")
        executable = shutil.which(argv[0], path=env.get("PATH")) if os.sep not in argv[0] else argv[0]
        if executable is None:
            raise BaleError(
                f"Cannot run the task {task.name!r} of {where}: no command {argv[0]!r} in the project's "
                "environment or on PATH",
                hint=f"add the package that provides {argv[0]!r} to the project (bale add --dev NAME)",
            )
        if on_start is not None:
            on_start(task, argv)
        try:
            completed = subprocess.run([executable, *argv[1:]], env=env, cwd=cwd, check=False)
        except OSError as err:
            raise BaleError(
                f"Cannot run the task {task.name!r} of {where}: {argv[0]}: {err.strerror or err}"
            ) from err
        status = completed.returncode if completed.returncode >= 0 else 128 - completed.returncode
        if status != 0:
            return status
    return status
