"""``bale shell``: the user's shell, started with the project's (synced) environment active."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from bale.cli.printer import Printer

# How each shell is told to activate the environment once the user's own start-up file has run. The
# process environment is made active too (VIRTUAL_ENV, PATH): a shell that reads no start-up file
# (commands piped into it, `sh` without ENV support) still runs inside the environment.
_KINDS = {
    "bash": "bash",
    "zsh": "zsh",
    "fish": "fish",
    "sh": "sh",
    "dash": "sh",
    "ash": "sh",
    "ksh": "sh",
    "mksh": "sh",
    "pwsh": "powershell",
    "powershell": "powershell",
}


def shell_kind(shell: str) -> str | None:
    """``bash``, ``zsh``, ``fish``, ``sh`` or ``powershell`` for a shell's path; None when unknown."""
    name = Path(shell).name.lower().removesuffix(".exe")
    return _KINDS.get(name)


def cmd_shell(args: argparse.Namespace, printer: Printer) -> int:
    import tempfile

    from bale.cli.tasks import synced_environment

    shell = os.environ.get("SHELL") or "/bin/sh"
    kind = shell_kind(shell)
    root, variables = synced_environment(args, printer)
    if kind is None:
        printer.warn(f"bale does not know the shell {shell}: its prompt will not show the environment")
    scripts = root / ("Scripts" if os.name == "nt" else "bin")
    with tempfile.TemporaryDirectory(prefix="bale-shell-") as scratch:
        argv, extra = _invocation(
            kind, shell, scripts, Path(scratch), original_path=os.environ.get("PATH", "")
        )
        printer.info(printer.dim(f"Starting {Path(shell).name} in {root} (`exit` to leave)"))
        return _wait(argv, {**variables, **extra})


def _invocation(
    kind: str | None, shell: str, scripts: Path, scratch: Path, *, original_path: str
) -> tuple[list[str], dict[str, str]]:
    """The shell's command line and the extra variables that make it source the activation script
    after the user's start-up file; files it reads go into ``scratch`` (removed when it exits)."""
    # An interactive shell starts from the user's PATH again, which the activation script then
    # extends: `deactivate` gives back exactly the PATH the user had.
    restore = f"PATH={shlex.quote(original_path)}; export PATH; unset VIRTUAL_ENV\n"
    activate = f". {shlex.quote(str(scripts / 'activate'))}\n"
    home = Path.home()
    if kind == "bash":
        rc = scratch / "bashrc"
        user = home / ".bashrc"
        rc.write_text(
            restore + f"if [ -f {shlex.quote(str(user))} ]; then . {shlex.quote(str(user))}; fi\n" + activate
        )
        return [shell, "--rcfile", str(rc)], {}
    if kind == "sh":
        rc = scratch / "env.sh"
        user_env = os.environ.get("ENV")
        lines = restore
        if user_env:
            lines += f'ENV={shlex.quote(user_env)}; export ENV; . "$ENV"\n'
        else:
            lines += "unset ENV\n"
        rc.write_text(lines + activate)
        return [shell], {"ENV": str(rc)}
    if kind == "zsh":
        user_dir = os.environ.get("ZDOTDIR") or str(home)
        quoted_user, quoted_scratch = shlex.quote(user_dir), shlex.quote(str(scratch))
        # zsh reads $ZDOTDIR/.zshenv, then (interactive) $ZDOTDIR/.zshrc: both are the user's, run
        # from ours, and .zshrc ends by activating the environment.
        (scratch / ".zshenv").write_text(
            f'ZDOTDIR={quoted_user}\n[ -f "$ZDOTDIR/.zshenv" ] && . "$ZDOTDIR/.zshenv"\n'
            f"ZDOTDIR={quoted_scratch}\n"
        )
        (scratch / ".zshrc").write_text(
            restore + f'ZDOTDIR={quoted_user}\n[ -f "$ZDOTDIR/.zshrc" ] && . "$ZDOTDIR/.zshrc"\n' + activate
        )
        return [shell], {"ZDOTDIR": str(scratch)}
    if kind == "fish":
        path = " ".join(_fish_quote(p) for p in original_path.split(os.pathsep) if p)
        init = (
            f"set -gx PATH {path}; set -e VIRTUAL_ENV; source {_fish_quote(str(scripts / 'activate.fish'))}"
        )
        return [shell, "--init-command", init], {}
    if kind == "powershell":
        script = str(scripts / "activate.ps1").replace("'", "''")
        return [shell, "-NoExit", "-Command", f". '{script}'"], {}
    return [shell], {}


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _wait(argv: list[str], env: dict[str, str]) -> int:
    """Run the shell and hand back its exit status (128 + N when signal N ended it, as a shell says).

    bale waits rather than exec'ing so that the start-up files can be removed after; Ctrl-C meant for
    the shell must not end bale meanwhile, so SIGINT and SIGQUIT are ignored until it exits.
    """
    import signal
    import subprocess
    import sys

    from bale.errors import BaleError

    sys.stdout.flush()
    sys.stderr.flush()
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _quiet_signals()}
    try:
        reset = _default_signals if os.name != "nt" else None
        process = subprocess.Popen(argv, env=env, preexec_fn=reset)
    except OSError as err:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        raise BaleError(f"Cannot start the shell {argv[0]}: {err.strerror or err}", hint="set SHELL") from err
    try:
        code = process.wait()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return code if code >= 0 else 128 - code


def _quiet_signals() -> list[int]:
    import signal

    return [signal.SIGINT, *([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])]


def _default_signals() -> None:
    """In the child, before exec: the shell gets the default SIGINT/SIGQUIT, not bale's ignoring."""
    import signal

    for sig in _quiet_signals():
        signal.signal(sig, signal.SIG_DFL)
