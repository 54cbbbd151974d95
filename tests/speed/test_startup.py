"""`bale --version` imports nothing it does not use; `bale venv` from bale's own Python runs no process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bale import __version__
from bale.cli.main import main


def _modules_after(argv: list[str]) -> tuple[str, set[str]]:
    """What ``bale ARGV`` prints, and the modules it imported, in a fresh interpreter."""
    code = (
        "import io, sys\n"
        "before = set(sys.modules)\n"
        "out, sys.stdout = sys.stdout, io.StringIO()\n"
        f"sys.argv = ['bale', *{argv!r}]\n"
        "from bale.cli.entry import entry\n"
        "try:\n"
        "    entry()\n"
        "except SystemExit:\n"
        "    pass\n"
        "printed, sys.stdout = sys.stdout.getvalue(), out\n"
        "print(repr(printed)); print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    printed, modules = done.stdout.splitlines()
    return eval(printed), set(modules.split())


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_is_answered_before_argparse_and_the_replay_check(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    printed, modules = _modules_after([flag])
    # The same words argparse prints for the option (cli.main still defines it: `bale -q --version`).
    with pytest.raises(SystemExit):
        main([flag])
    assert printed == capsys.readouterr().out == f"bale {__version__}\n"
    assert not modules & {"argparse", "typing", "re", "contextlib", "bale.cli.replay", "bale.cli.main"}


def test_other_commands_still_pass_the_replay_check() -> None:
    _, modules = _modules_after(["--version", "--quiet"])
    assert {"bale.cli.replay", "bale.cli.main", "argparse"} <= modules


def test_a_venv_from_the_running_interpreter_runs_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    monkeypatch.setenv("BALE_CACHE_DIR", str(tmp_path / "cache"))  # empty: nothing known in advance
    monkeypatch.chdir(tmp_path)

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"bale venv ran a process: {args}")

    monkeypatch.setattr(subprocess, "run", no_process)
    monkeypatch.setattr(subprocess, "Popen", no_process)
    assert main(["venv", "v", "--python", base]) == 0
    monkeypatch.undo()
    assert "Activate with: source v/bin/activate" in capsys.readouterr().err
    done = subprocess.run(
        [tmp_path / "v" / "bin" / "python", "-c", "import sys; print(sys.prefix, sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [str(tmp_path / "v"), sys.base_prefix]


@pytest.mark.parametrize(("script", "argv"), [("bale", ["--quiet", "--version"]), ("bx", ["--help"])])
def test_commands_run_with_rare_cycle_collections(script: str, argv: list[str]) -> None:
    from bale.cli.entry import GC_THRESHOLDS

    module, function = ("entry", "entry") if script == "bale" else ("bx", "bx")
    call = f"from bale.cli.{module} import {function} as run"
    code = (
        "import gc, io, sys\n"
        "default = gc.get_threshold()\n"
        f"sys.argv = [{script!r}, *{argv!r}]\n"
        "sys.stdout = io.StringIO()\n"
        f"{call}\n"
        "try:\n"
        "    run()\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stdout = sys.__stdout__\n"
        "print(default, gc.get_threshold())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    default, tuned = done.stdout.strip().split(") (")
    assert default + ")" != str(GC_THRESHOLDS)
    assert "(" + tuned == str(GC_THRESHOLDS)
