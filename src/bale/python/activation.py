"""The text of a virtual environment's activation scripts, one per shell."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

_BASH = """\
# Use this virtual environment in the current bash or zsh session:
#     source {bin_dir}/activate
# `deactivate` undoes it.

if [ "${{BASH_SOURCE-}}" = "$0" ]; then
    echo "this script changes the calling shell: source it instead of running it" >&2
    exit 33
fi

# Leave whichever environment is active (ours or another tool's) so that their PATHs do not stack.
if typeset -f deactivate >/dev/null 2>&1; then
    deactivate nondestructive
fi

deactivate () {{
    if [ -n "${{_BALE_SAVED_PATH+set}}" ]; then
        PATH="$_BALE_SAVED_PATH"
        export PATH
        unset _BALE_SAVED_PATH
    fi
    if [ -n "${{_BALE_SAVED_PYTHONHOME+set}}" ]; then
        PYTHONHOME="$_BALE_SAVED_PYTHONHOME"
        export PYTHONHOME
        unset _BALE_SAVED_PYTHONHOME
    fi
    if [ -n "${{_BALE_SAVED_PS1+set}}" ]; then
        PS1="$_BALE_SAVED_PS1"
        export PS1
        unset _BALE_SAVED_PS1
    fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    # The shell remembers where it found commands; forget the environment's ones.
    hash -r 2>/dev/null || true
    if [ "${{1-}}" != nondestructive ]; then
        unset -f deactivate
    fi
}}

VIRTUAL_ENV={root}
export VIRTUAL_ENV
VIRTUAL_ENV_PROMPT={prompt}
export VIRTUAL_ENV_PROMPT

_BALE_SAVED_PATH="$PATH"
PATH="$VIRTUAL_ENV/{bin_name}:$PATH"
export PATH

# A PYTHONHOME would point the environment's interpreter at another installation's library.
if [ -n "${{PYTHONHOME+set}}" ]; then
    _BALE_SAVED_PYTHONHOME="$PYTHONHOME"
    unset PYTHONHOME
fi

if [ -z "${{VIRTUAL_ENV_DISABLE_PROMPT-}}" ]; then
    _BALE_SAVED_PS1="${{PS1-}}"
    PS1="($VIRTUAL_ENV_PROMPT) ${{PS1-}}"
    export PS1
fi

hash -r 2>/dev/null || true
"""

_FISH = """\
# Use this virtual environment in the current fish session:
#     source {bin_dir}/activate.fish
# `deactivate` undoes it.

function deactivate --description "Leave the virtual environment"
    if set -q _BALE_SAVED_PATH
        set -gx PATH $_BALE_SAVED_PATH
        set -e _BALE_SAVED_PATH
    end
    if set -q _BALE_SAVED_PYTHONHOME
        set -gx PYTHONHOME $_BALE_SAVED_PYTHONHOME
        set -e _BALE_SAVED_PYTHONHOME
    end
    if functions -q _bale_saved_fish_prompt
        functions -e fish_prompt
        functions -c _bale_saved_fish_prompt fish_prompt
        functions -e _bale_saved_fish_prompt
    end
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    if test "$argv[1]" != nondestructive
        functions -e deactivate
    end
end

deactivate nondestructive

set -gx VIRTUAL_ENV {root}
set -gx VIRTUAL_ENV_PROMPT {prompt}
set -gx _BALE_SAVED_PATH $PATH
set -gx PATH "$VIRTUAL_ENV/{bin_name}" $PATH

if set -q PYTHONHOME
    set -gx _BALE_SAVED_PYTHONHOME $PYTHONHOME
    set -e PYTHONHOME
end

if test -z "$VIRTUAL_ENV_DISABLE_PROMPT"; and functions -q fish_prompt
    functions -c fish_prompt _bale_saved_fish_prompt
    function fish_prompt
        set -l previous_status $status
        printf '(%s) ' $VIRTUAL_ENV_PROMPT
        # Hand the last command's status on to the original prompt, which may show it.
        echo "exit $previous_status" | source
        _bale_saved_fish_prompt
    end
end
"""

_CSH = """\
# Use this virtual environment in the current csh or tcsh session:
#     source {bin_dir}/activate.csh
# `deactivate` undoes it.

# csh aliases are one line.
alias deactivate '{csh_deactivate}'

deactivate nondestructive

setenv VIRTUAL_ENV {root}
setenv VIRTUAL_ENV_PROMPT {prompt}
set _bale_saved_path="$PATH:q"
setenv PATH "$VIRTUAL_ENV:q/{bin_name}:$PATH:q"

if (! $?VIRTUAL_ENV_DISABLE_PROMPT && $?prompt) then
    set _bale_saved_prompt="$prompt:q"
    set prompt="($VIRTUAL_ENV_PROMPT:q) $prompt:q"
endif

rehash
"""

# csh aliases are one line; this one is joined from its commands.
_CSH_DEACTIVATE = "; ".join(
    [
        'if ($?_bale_saved_path) setenv PATH "$_bale_saved_path:q"',
        "if ($?_bale_saved_path) unset _bale_saved_path",
        'if ($?_bale_saved_prompt) set prompt="$_bale_saved_prompt:q"',
        "if ($?_bale_saved_prompt) unset _bale_saved_prompt",
        "unsetenv VIRTUAL_ENV",
        "unsetenv VIRTUAL_ENV_PROMPT",
        "rehash",
        'if ("\\!:*" != "nondestructive") unalias deactivate',
    ]
)

_NU = """\
# Use this virtual environment in the current nushell session:
#     overlay use {bin_dir}/activate.nu
# `deactivate` (or `overlay hide activate`) undoes it.

export-env {{
    let root = {root}
    let bin = ($root | path join '{bin_name}')
    let path_name = if ('Path' in $env) {{ 'Path' }} else {{ 'PATH' }}
    let new_path = ($env | get $path_name | prepend $bin)
    load-env {{
        VIRTUAL_ENV: $root
        VIRTUAL_ENV_PROMPT: {prompt}
        ($path_name): $new_path
    }}
}}

export alias deactivate = overlay hide activate
"""

_POWERSHELL = """\
# Use this virtual environment in the current PowerShell session:
#     . {bin_dir}/activate.ps1
# `deactivate` undoes it.

function global:deactivate([switch] $NonDestructive) {{
    if (Test-Path variable:global:_BaleSavedPath) {{
        $env:PATH = $global:_BaleSavedPath
        Remove-Variable -Name _BaleSavedPath -Scope global
    }}
    if (Test-Path variable:global:_BaleSavedPythonHome) {{
        $env:PYTHONHOME = $global:_BaleSavedPythonHome
        Remove-Variable -Name _BaleSavedPythonHome -Scope global
    }}
    if (Test-Path function:global:_BaleSavedPrompt) {{
        Copy-Item -Path function:global:_BaleSavedPrompt -Destination function:global:prompt
        Remove-Item -Path function:global:_BaleSavedPrompt
    }}
    Remove-Item -Path env:VIRTUAL_ENV -ErrorAction SilentlyContinue
    Remove-Item -Path env:VIRTUAL_ENV_PROMPT -ErrorAction SilentlyContinue
    if (-not $NonDestructive) {{
        Remove-Item -Path function:global:deactivate
    }}
}}

deactivate -NonDestructive

$env:VIRTUAL_ENV = {root}
$env:VIRTUAL_ENV_PROMPT = {prompt}
$global:_BaleSavedPath = $env:PATH
$env:PATH = (Join-Path $env:VIRTUAL_ENV '{bin_name}') + [System.IO.Path]::PathSeparator + $env:PATH

if (Test-Path env:PYTHONHOME) {{
    $global:_BaleSavedPythonHome = $env:PYTHONHOME
    Remove-Item -Path env:PYTHONHOME
}}

if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {{
    Copy-Item -Path function:global:prompt -Destination function:global:_BaleSavedPrompt
    function global:prompt {{
        Write-Host -NoNewline "($env:VIRTUAL_ENV_PROMPT) "
        _BaleSavedPrompt
    }}
}}
"""

_BATCH_ACTIVATE = """\
@echo off
rem Use this virtual environment in the current cmd.exe session; deactivate.bat undoes it.

if defined _BALE_SAVED_PATH call "%~dp0deactivate.bat"

set "VIRTUAL_ENV={root}"
set "VIRTUAL_ENV_PROMPT={prompt}"
set "_BALE_SAVED_PATH=%PATH%"
set "PATH=%VIRTUAL_ENV%\\{bin_name};%PATH%"

if defined PYTHONHOME (
    set "_BALE_SAVED_PYTHONHOME=%PYTHONHOME%"
    set PYTHONHOME=
)

if not defined VIRTUAL_ENV_DISABLE_PROMPT (
    if not defined PROMPT set "PROMPT=$P$G"
    set "_BALE_SAVED_PROMPT=%PROMPT%"
)
if not defined VIRTUAL_ENV_DISABLE_PROMPT set "PROMPT=(%VIRTUAL_ENV_PROMPT%) %PROMPT%"
"""

_BATCH_DEACTIVATE = """\
@echo off
rem Leave the virtual environment entered with activate.bat.

if defined _BALE_SAVED_PATH set "PATH=%_BALE_SAVED_PATH%"
set _BALE_SAVED_PATH=
if defined _BALE_SAVED_PYTHONHOME set "PYTHONHOME=%_BALE_SAVED_PYTHONHOME%"
set _BALE_SAVED_PYTHONHOME=
if defined _BALE_SAVED_PROMPT set "PROMPT=%_BALE_SAVED_PROMPT%"
set _BALE_SAVED_PROMPT=
set VIRTUAL_ENV=
set VIRTUAL_ENV_PROMPT=
"""

_ACTIVATE_THIS = """\
# Use this virtual environment from inside a running Python program:
#     exec(open(path_of_this_file).read(), {{"__file__": path_of_this_file}})
# It puts the environment's site-packages first on sys.path; it cannot be undone.

import os
import site
import sys

root = {root}
os.environ["VIRTUAL_ENV"] = root
os.environ["VIRTUAL_ENV_PROMPT"] = {prompt}
os.environ["PATH"] = os.pathsep.join([os.path.join(root, {bin_name!r}), os.environ.get("PATH", "")])

known = list(sys.path)
for relative in {site_packages!r}:
    site.addsitedir(os.path.join(root, relative))
# addsitedir appends; the environment's packages must win over the running interpreter's.
added = [entry for entry in sys.path if entry not in known]
sys.path[:] = added + known
sys.prefix = sys.exec_prefix = root
"""


def _posix_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _csh_quote(text: str) -> str:
    # csh cannot escape inside single quotes: close, add a double-quoted quote, reopen.
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _powershell_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _nu_quote(text: str) -> str:
    hashes = "#"
    while f"'{hashes}" in text:
        hashes += "#"
    return f"r{hashes}'{text}'{hashes}"


def activation_scripts(
    root: str, bin_name: str, prompt: str, site_packages: Sequence[str], *, windows: bool = os.name == "nt"
) -> dict[str, str]:
    """File name -> text of each activation script for the environment at ``root``.

    ``bin_name`` is the scripts folder (``bin`` or ``Scripts``); ``site_packages`` are paths relative
    to ``root``. The batch files are only made for Windows.
    """
    bin_dir = f"{root}{os.sep}{bin_name}"

    def fill(template: str, quote: Callable[[str], str]) -> str:
        return template.format(
            root=quote(root),
            prompt=quote(prompt),
            bin_name=bin_name,
            bin_dir=bin_dir,
            site_packages=list(site_packages),
            csh_deactivate=_CSH_DEACTIVATE,
        )

    scripts = {
        "activate": fill(_BASH, _posix_quote),
        "activate.fish": fill(_FISH, _fish_quote),
        "activate.csh": fill(_CSH, _csh_quote),
        "activate.nu": fill(_NU, _nu_quote),
        "activate.ps1": fill(_POWERSHELL, _powershell_quote),
        "activate_this.py": fill(_ACTIVATE_THIS, repr),
    }
    if windows:
        # cmd.exe has no quoting inside "set" values beyond the surrounding quotes.
        scripts["activate.bat"] = fill(_BATCH_ACTIVATE, str)
        scripts["deactivate.bat"] = _BATCH_DEACTIVATE
    return scripts


def active_environment(root: str, scripts: str) -> dict[str, str]:
    """This process's environment with the venv at ``root`` active, as ``bale run`` gives it to its
    command: the venv's ``scripts`` folder first on PATH, VIRTUAL_ENV set, no PYTHONHOME."""
    variables = dict(os.environ)
    variables["VIRTUAL_ENV"] = root
    variables["PATH"] = os.pathsep.join([scripts, variables.get("PATH", "")])
    variables.pop("PYTHONHOME", None)
    return variables
