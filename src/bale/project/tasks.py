"""``[tool.bale.tasks]`` of pyproject.toml read into tasks, and the order a task's dependencies run in."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bale.errors import BaleError
from bale.model.record import record

__all__ = ["Task", "parse_tasks", "read_tasks", "run_order"]

_KEYS = ("cmd", "env", "depends", "help", "cwd")


@record(frozen=True, slots=True)
class Task:
    """One task: ``cmd`` (empty for a task that only runs its dependencies), extra environment
    variables, the tasks it depends on (run first, in order), a help line and a working directory
    (relative to the pyproject.toml's folder)."""

    name: str
    cmd: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    depends: tuple[str, ...] = ()
    help: str | None = None
    cwd: str | None = None
    text: str | None = None  # the command line as written, when it was given as one

    @property
    def command_line(self) -> str:
        """The command as written, or as a shell would take it (for ``bale task --list``)."""
        import shlex

        return self.text if self.text is not None else shlex.join(self.cmd)


def read_tasks(pyproject: Path) -> dict[str, Task]:
    """The tasks of ``pyproject`` (none when it has no ``[tool.bale.tasks]``)."""
    from bale.project.inputs import load_toml

    data = load_toml(pyproject)
    tool = data.get("tool")
    bale = tool.get("bale") if isinstance(tool, dict) else None
    table = bale.get("tasks") if isinstance(bale, dict) else None
    return {} if table is None else parse_tasks(table, str(pyproject))


def parse_tasks(table: object, where: str) -> dict[str, Task]:
    """``[tool.bale.tasks]`` (``where`` names its file in errors), every problem reported at once."""
    if not isinstance(table, Mapping):
        raise BaleError(f"[tool.bale.tasks] in {where} must be a table of tasks, not {_kind(table)}")
    problems: list[str] = []
    tasks: dict[str, Task] = {}
    for name, value in table.items():
        task = _task(str(name), value, problems)
        if task is not None:
            tasks[task.name] = task
    for task in tasks.values():
        problems.extend(
            f"task {task.name!r}: depends on {dep!r}, which is not a task"
            for dep in task.depends
            if dep not in table
        )
    if problems:
        raise BaleError(
            f"Invalid [tool.bale.tasks] in {where}",
            context=problems,
            hint='a task is a command line (test = "pytest -q") or a table: '
            'lint = { cmd = ["ruff", "check"], env = { KEY = "value" }, depends = ["test"], help = "..." }',
        )
    return tasks


def _task(name: str, value: object, problems: list[str]) -> Task | None:
    if isinstance(value, str):
        words = _split(name, value, problems)
        return None if words is None else Task(name, words, text=value)
    if not isinstance(value, Mapping):
        problems.append(f"task {name!r}: expected a command line or a table, not {_kind(value)}")
        return None
    count = len(problems)
    problems.extend(
        f"task {name!r}: unknown key {key!r} (expected: {', '.join(_KEYS)})"
        for key in value
        if key not in _KEYS
    )
    raw = value.get("cmd")
    cmd: tuple[str, ...] | None = ()
    if isinstance(raw, str):
        cmd = _split(name, raw, problems)
    elif isinstance(raw, list) and raw and all(isinstance(word, str) for word in raw):
        cmd = tuple(raw)
    elif raw is not None:
        problems.append(f"task {name!r}: cmd must be a command line or a non-empty list of strings")
    depends = value.get("depends", [])
    if not (isinstance(depends, list) and all(isinstance(dep, str) for dep in depends)):
        problems.append(f"task {name!r}: depends must be a list of task names")
        depends = []
    if raw is None and not depends:
        problems.append(f"task {name!r}: has neither cmd nor depends")
    env = value.get("env", {})
    if not (isinstance(env, Mapping) and all(isinstance(v, str) for v in env.values())):
        problems.append(f"task {name!r}: env must be a table of strings")
        env = {}
    help_text, cwd = value.get("help"), value.get("cwd")
    for key, given in (("help", help_text), ("cwd", cwd)):
        if given is not None and not isinstance(given, str):
            problems.append(f"task {name!r}: {key} must be a string")
    if len(problems) > count or cmd is None:
        return None
    return Task(
        name,
        cmd,
        env=tuple((str(k), v) for k, v in env.items()),
        depends=tuple(depends),
        help=help_text if isinstance(help_text, str) else None,
        cwd=cwd if isinstance(cwd, str) else None,
        text=raw if isinstance(raw, str) else None,
    )


def _split(name: str, text: str, problems: list[str]) -> tuple[str, ...] | None:
    import shlex

    try:
        words = tuple(shlex.split(text))
    except ValueError as err:  # an unclosed quote
        problems.append(f"task {name!r}: cannot split the command line {text!r}: {err}")
        return None
    if not words:
        problems.append(f"task {name!r}: the command line is empty")
        return None
    return words


def run_order(tasks: Mapping[str, Task], name: str, where: str) -> list[Task]:
    """``name`` and what it depends on, dependencies first (in the order listed), each task once.

    A cycle is an error naming the tasks in it, in the order they depend on each other.
    """
    order: list[Task] = []
    done: set[str] = set()
    path: list[str] = []

    def visit(current: str) -> None:
        if current in done:
            return
        if current in path:
            cycle = " -> ".join([*path[path.index(current) :], current])
            raise BaleError(
                f"The tasks in {where} depend on each other in a cycle: {cycle}",
                hint="remove one of these names from a task's depends",
            )
        path.append(current)
        for dep in tasks[current].depends:
            visit(dep)
        path.pop()
        done.add(current)
        order.append(tasks[current])

    visit(name)
    return order


def _kind(value: object) -> str:
    from bale.model.describe import describe_value

    return describe_value(value)
