"""`[tool.bale.tasks]`: `bale run NAME`, `bale task NAME`, `bale task --list`."""

from __future__ import annotations

from pathlib import Path

from tests.housekeeping.helpers import make_project

PRINT = "python -c 'import sys; print(sys.argv[1:])'"

TASKS = """
[tool.bale.tasks]
show = "python -c 'import sys; print(sys.argv[1:])'"
c = "python -c 'print(\\"c\\")'"
a = { cmd = "python -c 'print(\\"a\\")'", depends = ["c"] }
b = { cmd = ["python", "-c", "print('b')"], depends = ["c"] }
all = { depends = ["a", "b"], help = "a and b, c once" }
greet = { cmd = ["python", "-c", "import os; print(os.environ['GREETING'], os.getcwd())"], \
env = { GREETING = "hi" }, cwd = "sub" }
fail = "python -c 'raise SystemExit(3)'"
after-fail = { cmd = "python -c 'print(\\"not reached\\")'", depends = ["fail"] }
python = "false"
"""


def test_run_runs_a_task_with_its_dependencies_once_each_in_order(run_bale, tmp_path: Path) -> None:
    root = make_project(tmp_path, TASKS)
    (root / "sub").mkdir()

    shown = run_bale("run", "--offline", "show", "x", "--flag", cwd=root)
    assert shown.code == 0, shown
    assert shown.stdout == "['x', '--flag']\n"  # the extra arguments are appended
    assert "Running task show: python -c 'import sys; print(sys.argv[1:])' x --flag" in shown.stderr
    assert "unknown key" not in shown.stderr  # tasks is a [tool.bale] key bale knows

    ran = run_bale("run", "--offline", "all", cwd=root)
    assert ran.code == 0, ran
    assert ran.stdout == "c\na\nb\n"

    greet = run_bale("run", "--offline", "greet", cwd=root)
    assert greet.code == 0, greet
    assert greet.stdout == f"hi {(root / 'sub').resolve()}\n"


def test_a_failing_dependency_stops_with_its_exit_code(run_bale, tmp_path: Path) -> None:
    root = make_project(tmp_path, TASKS)
    result = run_bale("run", "--offline", "after-fail", cwd=root)
    assert result.code == 3, result
    assert "not reached" not in result.stdout
    assert "Running task after-fail" not in result.stderr


def test_an_executable_wins_over_a_task_of_the_same_name(run_bale, tmp_path: Path) -> None:
    root = make_project(tmp_path, TASKS)
    result = run_bale("run", "--offline", "python", "-c", "print('the interpreter')", cwd=root)
    assert result.code == 0, result
    assert result.stdout == "the interpreter\n"
    missing = run_bale("run", "--offline", "no-such-thing", cwd=root)
    assert missing.code == 1
    assert "Cannot run 'no-such-thing': no such command in" in missing.stderr


def test_a_cycle_is_an_error_naming_the_tasks(run_bale, tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        '[tool.bale.tasks]\nstart = { cmd = "true", depends = ["one"] }\n'
        'one = { cmd = "true", depends = ["two"] }\ntwo = { cmd = "true", depends = ["one"] }\n',
    )
    result = run_bale("run", "--offline", "start", cwd=root)
    assert result.code == 1, result
    assert result.stderr == (
        f"error: The tasks in {root / 'pyproject.toml'} depend on each other in a cycle: one -> two -> one\n"
        "hint: remove one of these names from a task's depends\n"
    )


def test_a_bad_table_names_the_file_and_each_task(run_bale, tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        '[tool.bale.tasks]\nnumber = 3\nlint = { cmd = ["ruff", 1], depends = ["nothing"] }\n'
        'quote = "echo \'unclosed"\nodd = { run = "x" }\nok = { cmd = "true", depends = ["nothing"] }\n',
    )
    result = run_bale("task", "--list", cwd=root)
    assert result.code == 1, result
    assert result.stderr.startswith(
        f"error: Invalid [tool.bale.tasks] in {root / 'pyproject.toml'}\n"
        "  task 'number': expected a command line or a table, not an integer (3)\n"
        "  task 'lint': cmd must be a command line or a non-empty list of strings\n"
        "  task 'quote': cannot split the command line \"echo 'unclosed\": No closing quotation\n"
        "  task 'odd': unknown key 'run' (expected: cmd, env, depends, help, cwd)\n"
        "  task 'odd': has neither cmd nor depends\n"
        "  task 'ok': depends on 'nothing', which is not a task\n"
        "hint: "
    ), result
    assert "Traceback" not in result.stderr


def test_task_list_and_task_name(run_bale, tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        '[tool.bale.tasks]\nshow = "' + PRINT.replace('"', '\\"') + '"\n'
        'all = { depends = ["show"], help = "everything" }\n',
    )
    listed = run_bale("task", "--list", cwd=root)
    assert listed.code == 0, listed
    assert listed.stdout == f"show  {PRINT}\nall   (show)  # everything\n"

    ran = run_bale("task", "--offline", "show", "--", "-k", "x", cwd=root)
    assert ran.code == 0, ran
    assert ran.stdout == "['-k', 'x']\n"

    unknown = run_bale("task", "--offline", "nope", cwd=root)
    assert unknown.code == 1
    assert unknown.stderr == (
        f"error: No task 'nope' in {root / 'pyproject.toml'}\n  tasks: show, all\n"
        "hint: `bale task --list` shows them\n"
    )
    argued = run_bale("task", "--offline", "all", "extra", cwd=root)
    assert argued.code == 1
    assert "has no cmd of its own: it cannot take arguments" in argued.stderr


def test_no_tasks(run_bale, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    listed = run_bale("task", "--list", cwd=root)
    assert listed.code == 0, listed
    assert listed.stdout == ""
    assert f"No tasks in {root / 'pyproject.toml'}" in listed.stderr
