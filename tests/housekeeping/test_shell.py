"""`bale shell`: the user's shell with the project's environment active."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.housekeeping.helpers import make_project

SHOW = "echo \"$VIRTUAL_ENV\"; python -c 'import sys; print(sys.prefix)'; exit 7\n"
SHELLS = [shell for shell in ("/bin/bash", "/bin/sh") if os.path.exists(shell)]


@pytest.mark.parametrize("shell", SHELLS)
def test_commands_piped_into_the_shell_run_in_the_environment(run_bale, tmp_path: Path, shell: str) -> None:
    root = make_project(tmp_path)
    result = run_bale("shell", "--offline", cwd=root, env={"SHELL": shell}, input=SHOW)
    assert result.code == 7, result  # the shell's exit status is bale's
    venv = root / ".venv"
    assert result.stdout == f"{venv}\n{venv}\n"
    assert f"Starting {Path(shell).name} in {venv}" in result.stderr


def test_no_sync_without_an_environment_is_an_error(run_bale, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    result = run_bale("shell", "--no-sync", cwd=root, env={"SHELL": "/bin/sh"}, input="exit 0\n")
    assert result.code == 1
    assert result.stderr == (
        f"error: The project's environment {root / '.venv'} does not exist\n"
        "hint: run `bale sync` (or drop --no-sync)\n"
    )


def _interactive(argv: list[str], env: dict[str, str], cwd: Path, lines: list[bytes]) -> tuple[int, str]:
    """Run argv on a pseudo-terminal, typing ``lines`` one by one; its exit status and all it showed."""
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    seen = b""

    def read(until: bytes, seconds: float = 30) -> None:
        """Until ``until`` is shown once more than it has been."""
        nonlocal seen
        count = seen.count(until)
        end = time.monotonic() + seconds
        while seen.count(until) <= count and time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:  # the other side closed
                    return
                if not data:
                    return
                seen += data

    read(b"bale-test$ ")
    for line in lines:
        os.write(master, line)
        read(b"bale-test$ ", 5)
    code = process.wait(timeout=30)
    os.close(master)
    return code, seen.decode("utf-8", "replace")


@pytest.mark.skipif(not shutil.which("bash") or sys.platform == "win32", reason="needs bash and a pty")
def test_an_interactive_bash_reads_the_users_bashrc_then_activates(run_bale, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    assert run_bale("sync", "--offline", cwd=root).code == 0
    env = run_bale.env({"SHELL": shutil.which("bash") or "bash"})
    home = Path(env["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".bashrc").write_text("PS1='bale-test$ '\nexport FROM_BASHRC=yes\n")
    code, shown = _interactive(
        [sys.executable, "-m", "bale", "shell", "--offline"],
        env,
        root,
        [
            b"echo VE=$VIRTUAL_ENV rc=$FROM_BASHRC\n",
            b"deactivate; echo after=${VIRTUAL_ENV-none}\n",
            b"exit 5\n",
        ],
    )
    assert code == 5, shown
    assert "(.venv) bale-test$ " in shown  # the prompt shows the environment
    assert f"VE={root / '.venv'} rc=yes" in shown
    assert "after=none" in shown  # the activation script's deactivate works
