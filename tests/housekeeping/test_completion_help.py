"""`bale generate-shell-completion` (from the real parser) and `bale help CMD`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bale.cli.main import build_parser

DRIVE = """
source "$1"
complete_words() {
    COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _bale
    echo "${COMPREPLY[*]}"
}
complete_words bale pi
complete_words bale pip ins
complete_words bale -q --directory x pip in
complete_words bale sync --all-e
complete_words bale lock --resolution lowest
complete_words bale generate-shell-completion f
complete_words bale help to
"""


@pytest.mark.skipif(not shutil.which("bash"), reason="needs bash")
def test_the_bash_script_is_valid_and_completes_commands_and_options(run_bale, tmp_path: Path) -> None:
    result = run_bale("generate-shell-completion", "bash")
    assert result.code == 0, result
    script = tmp_path / "bale.bash"
    script.write_text(result.stdout)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    driven = subprocess.run(["bash", "-c", DRIVE, "drive", str(script)], capture_output=True, text=True)
    assert driven.stderr == ""
    assert driven.stdout.splitlines() == [
        "pip",
        "install",
        "install",
        "--all-extras",
        "lowest lowest-direct",
        "fish",
        "tool",
    ]


def test_every_command_and_option_is_in_every_script(run_bale) -> None:
    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command")
    pip = subcommands.choices["pip"]  # type: ignore[attr-defined]
    install = next(a for a in pip._actions if a.dest == "pip_command").choices["install"]
    for shell in ("bash", "zsh", "fish", "powershell"):
        script = run_bale("generate-shell-completion", shell).stdout
        for name in subcommands.choices:  # type: ignore[attr-defined]
            assert name in script, (shell, name)
        for action in install._actions:
            for option in action.option_strings:
                assert (option.lstrip("-") if shell == "fish" else option) in script, (shell, option)


def test_an_unknown_shell_is_refused(run_bale) -> None:
    result = run_bale("generate-shell-completion", "tcsh")
    assert result.code == 2
    assert result.stderr == (
        "error: bale has no completion script for the shell 'tcsh'\n"
        "hint: one of: bash, zsh, fish, powershell\n"
    )


@pytest.mark.parametrize("words", [[], ["sync"], ["pip", "install"], ["tool", "run"], ["self", "version"]])
def test_help_prints_what_command_help_prints(run_bale, words: list[str]) -> None:
    helped = run_bale("help", *words)
    direct = run_bale(*words, "--help")
    assert (helped.code, direct.code) == (0, 0), helped
    assert helped.stdout == direct.stdout
    assert helped.stdout.startswith(f"usage: {' '.join(['bale', *words])} ")


def test_help_of_an_unknown_command(run_bale) -> None:
    result = run_bale("help", "pip", "instal")
    assert result.code == 1
    assert result.stderr.startswith("error: `bale pip` has no command 'instal'\n  commands: audit, check,")
