"""``bale generate-shell-completion SHELL``: a completion script made from the whole argparse parser."""

from __future__ import annotations

import argparse
from dataclasses import field

from bale.cli.printer import Printer
from bale.errors import BaleError
from bale.model.record import record


@record
class Node:
    """One command (``""`` for bale itself, ``"pip install"``): what may follow its name."""

    commands: list[tuple[str, str]] = field(default_factory=list)  # (name, help)
    options: list[tuple[str, str]] = field(default_factory=list)  # (--option or -o, help)
    values: dict[str, list[str]] = field(default_factory=dict)  # option -> the values it takes
    takes_value: list[str] = field(default_factory=list)  # options whose value is any word


def command_tree(parser: argparse.ArgumentParser) -> dict[str, Node]:
    """Every command of ``parser`` by its words after ``bale``, each with its subcommands, options and
    the values of options (and positionals) that have choices."""
    tree: dict[str, Node] = {}

    def walk(path: str, current: argparse.ArgumentParser) -> None:
        node = tree.setdefault(path, Node())
        for action in current._actions:
            if action.help == argparse.SUPPRESS:
                continue
            if isinstance(action, argparse._SubParsersAction):
                helps = {pseudo.dest: pseudo.help or "" for pseudo in action._choices_actions}
                for name, sub in action.choices.items():
                    node.commands.append((name, helps.get(name, "")))
                    walk(f"{path} {name}".strip(), sub)
            elif action.option_strings:
                for option in action.option_strings:
                    node.options.append((option, _line(action.help)))
                    if action.choices is not None:
                        node.values[option] = [str(choice) for choice in action.choices]
                    elif action.nargs != 0:
                        node.takes_value.append(option)
            elif (
                action.choices is not None
            ):  # a positional with fixed values: `bale generate-shell-completion`
                node.commands.extend((str(choice), "") for choice in action.choices)

    walk("", parser)
    from bale.cli.housekeeping_args import SHELLS

    if "generate-shell-completion" in tree:
        tree["generate-shell-completion"].commands.extend((shell, "") for shell in SHELLS)
    # `bale help COMMAND` takes the commands' names.
    if "help" in tree:
        tree["help"].commands.extend(tree[""].commands)
    return tree


def _line(text: str | None) -> str:
    """A help text on one line, without argparse's %(default)s-style placeholders' percent signs."""
    return " ".join((text or "").split()).replace("%%", "%")


def cmd_completion(args: argparse.Namespace, printer: Printer) -> int:
    from bale.cli.housekeeping_args import SHELLS
    from bale.cli.main import build_parser

    if args.shell_name not in SHELLS:
        raise BaleError(
            f"bale has no completion script for the shell {args.shell_name!r}",
            hint=f"one of: {', '.join(SHELLS)}",
            code=2,
        )
    tree = command_tree(build_parser())
    render = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script, "powershell": powershell_script}
    printer.out.write(render[args.shell_name](tree))
    return 0


# ------------------------------------------------------------------------------------------------ bash


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def bash_script(tree: dict[str, Node]) -> str:
    """Works with bash 3.2 too (no associative arrays): one ``case`` per question."""
    commands, options, values, valued = [], [], [], []
    for path, node in tree.items():
        if node.commands:
            commands.append(
                f"        {_sh(path)}) echo {_sh(' '.join(name for name, _ in node.commands))} ;;"
            )
        if node.options:
            options.append(f"        {_sh(path)}) echo {_sh(' '.join(o for o, _ in node.options))} ;;")
        for option, choices in node.values.items():
            values.append(f"        {_sh(path + '|' + option)}) echo {_sh(' '.join(choices))} ;;")
        if node.takes_value:
            valued.append(f"        {_sh(path)}) echo {_sh(' '.join(node.takes_value))} ;;")

    def function(name: str, cases: list[str]) -> str:
        return f'{name}() {{\n    case "$1" in\n' + "\n".join(cases) + "\n    esac\n}\n"

    return (
        "# bash completion for bale (`bale generate-shell-completion bash`): made from bale's own parser.\n"
        '# Load it with: eval "$(bale generate-shell-completion bash)"\n\n'
        + function("_bale_commands", commands)
        + function("_bale_options", options)
        + function("_bale_values", values)
        + function("_bale_valued", valued)
        + """
_bale() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i skip=""
    [ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        if [ -n "$skip" ]; then skip=""; continue; fi
        case "$word" in
            -*=*) continue ;;
            -*)
                case " $(_bale_valued "$path") $(_bale_valued "") " in *" $word "*) skip=1 ;; esac
                continue ;;
        esac
        case " $(_bale_commands "$path") " in
            *" $word "*) path="${path:+$path }$word" ;;
        esac
    done
    local choices
    choices="$(_bale_values "$path|$prev")"
    [ -z "$choices" ] && choices="$(_bale_values "|$prev")"
    if [ -n "$choices" ]; then
        COMPREPLY=($(compgen -W "$choices" -- "$cur"))
        return 0
    fi
    if [ -n "$skip" ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        return 0
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_bale_options "$path")" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(_bale_commands "$path")" -- "$cur"))
        [ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0
}

complete -o filenames -F _bale bale
"""
    )


def zsh_script(tree: dict[str, Node]) -> str:
    """zsh runs the bash script through its bashcompinit layer: one source of truth for both."""
    return (
        "#compdef bale\n# zsh completion for bale (`bale generate-shell-completion zsh`).\n"
        '# Load it with: eval "$(bale generate-shell-completion zsh)"\n'
        "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n\n"
        + bash_script(tree)
    )


# ------------------------------------------------------------------------------------------------ fish


def _fish(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish_script(tree: dict[str, Node]) -> str:
    cases = []
    for path, node in tree.items():
        if node.commands:
            names = " ".join(_fish(name) for name, _ in node.commands)
            cases.append(f"        case {_fish(path)}\n            printf '%s\\n' {names}")
    lines = [
        "# fish completion for bale (`bale generate-shell-completion fish`): made from bale's own parser.",
        "# Load it with: bale generate-shell-completion fish | source",
        "function __bale_commands",
        "    switch $argv[1]",
        *cases,
        "    end",
        "end",
        "function __bale_at --description 'whether the command line is at this bale command'",
        "    set -l path",
        "    for word in (commandline -opc)[2..-1]",
        "        if contains -- $word (__bale_commands (string join ' ' $path))",
        "            set path $path $word",
        "        end",
        "    end",
        '    test "$(string join \' \' $path)" = "$argv[1]"',
        "end",
        "complete -c bale -f",
    ]
    for path, node in tree.items():
        at = f"-n {_fish('__bale_at ' + _fish(path))}"
        for name, text in node.commands:
            lines.append(f"complete -c bale {at} -a {_fish(name)} -d {_fish(text)}")
        for option, text in node.options:
            flag = f"-l {_fish(option[2:])}" if option.startswith("--") else f"-s {_fish(option[1:])}"
            choices = node.values.get(option)
            extra = (
                f" -x -a {_fish(' '.join(choices))}"
                if choices
                else (" -r" if option in node.takes_value else "")
            )
            lines.append(f"complete -c bale {at} {flag}{extra} -d {_fish(text)}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ powershell


def _ps(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def powershell_script(tree: dict[str, Node]) -> str:
    entries = []
    for path, node in tree.items():
        words = [name for name, _ in node.commands] + [option for option, _ in node.options]
        entries.append(f"    {_ps(path)} = @({', '.join(_ps(w) for w in words)})")
    return (
        "# PowerShell completion for bale (`bale generate-shell-completion powershell`).\n"
        "# Load it with: bale generate-shell-completion powershell | Out-String | Invoke-Expression\n"
        "Register-ArgumentCompleter -Native -CommandName bale -ScriptBlock {\n"
        "    param($wordToComplete, $commandAst, $cursorPosition)\n"
        "    $words = @{\n" + "\n".join(entries) + "\n    }\n"
        "    $path = ''\n"
        "    foreach ($element in ($commandAst.CommandElements | Select-Object -Skip 1)) {\n"
        "        if ($element.Extent.EndOffset -ge $cursorPosition) { break }\n"
        "        $word = $element.ToString()\n"
        "        if (-not $word.StartsWith('-') -and $words[$path] -contains $word) {\n"
        "            $path = ($path + ' ' + $word).Trim()\n"
        "        }\n"
        "    }\n"
        '    $words[$path] | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {\n'
        "        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)\n"
        "    }\n"
        "}\n"
    )
