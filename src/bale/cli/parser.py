"""bale's argparse: exact option names, uv's wording for usage mistakes, options that refuse each other."""

from __future__ import annotations

import argparse
import sys

# Only argparse is imported here (``bale --version`` stays well under 60 ms; typing alone costs 3 ms):
# difflib, and the help texts of commands that are not run, are imported only where they are needed.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn


def _untranslated(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


# argparse asks gettext for a translation of each of its words, about a hundred a command (each a
# gettext.find with locale.normalize: ~5 ms); bale's messages are its own, in English, so they stay.
argparse._ = str  # type: ignore[attr-defined]
argparse.ngettext = _untranslated  # type: ignore[attr-defined]


class Retry(Exception):
    """The lazily built parser could not parse argv: build every command's options and parse again."""


class Skip:
    """Stands in for the parser of a command argv does not name: its options need not be defined.

    Defining every command's options costs more than the rest of ``bale --version``; only the names and
    help lines of the other commands are needed (for ``--help`` and for the list of valid choices).
    """

    def add_argument(self, *args: object, **kwargs: object) -> None:
        return None

    def add_argument_group(self, *args: object, **kwargs: object) -> Skip:
        return self

    def add_subparsers(self, *args: object, **kwargs: object) -> Skip:
        return self

    def add_parser(self, *args: object, **kwargs: object) -> Skip:
        return self


class Commands:
    """Wraps a subparsers action: every command is registered, only the chosen one gets its options.

    Each command's description and example come from ``cli.helptext``, keyed by its words
    (``"pip install"``), so that ``bale COMMAND --help`` says what it does and shows how.
    """

    def __init__(
        self,
        action: argparse._SubParsersAction[argparse.ArgumentParser],
        path: tuple[str, ...] | None,
        depth: int,
    ) -> None:
        self.action, self.path, self.depth = action, path, depth

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        chosen = self.path is None or (len(self.path) > self.depth and self.path[self.depth] == name)
        if chosen:
            from bale.cli.helptext import about

            words = f"{self.action._prog_prefix} {name}".split()[1:]
            description, example = about(" ".join(words))
            kwargs.setdefault("description", description)
            kwargs.setdefault("epilog", f"example:\n{example}" if example else None)
            kwargs.setdefault("formatter_class", HelpFormatter)
        if not chosen:
            # Only the name and help line: an ArgumentParser per command not run (42 of them) would
            # cost ~0.2 ms each. argv never reaches one: if it does, the guess was wrong (Retry).
            action = self.action
            if "help" in kwargs:
                action._choices_actions.append(action._ChoicesPseudoAction(name, (), kwargs["help"]))
            action._name_parser_map[name] = _Unbuilt()  # type: ignore[assignment]
            return Skip()  # type: ignore[return-value]
        parser = self.action.add_parser(name, **kwargs)
        return Nested(parser, self.path, self.depth + 1)  # type: ignore[return-value]


class _Unbuilt:
    """The parser of a command argv does not name, in a lazily built command line."""

    _actions: tuple[argparse.Action, ...] = ()
    _option_string_actions: dict[str, argparse.Action] = {}  # noqa: RUF012 - never written

    def parse_known_args(self, *args: object, **kwargs: object) -> NoReturn:
        raise Retry


class Nested:
    """A chosen command's parser, whose own subcommands are chosen the same way."""

    def __init__(self, parser: argparse.ArgumentParser, path: tuple[str, ...] | None, depth: int) -> None:
        self.parser, self.path, self.depth = parser, path, depth

    def __getattr__(self, name: str) -> object:
        return getattr(self.parser, name)

    def add_subparsers(self, **kwargs: Any) -> Commands:
        return Commands(self.parser.add_subparsers(**kwargs), self.path, self.depth)


class HelpFormatter(argparse.HelpFormatter):
    """Wraps the description's paragraphs; keeps the example's lines (``example:`` and below) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.split("\n\n"):
            if paragraph.startswith("example:") or "\n  " in paragraph:
                paragraphs.append("\n".join(indent + line for line in paragraph.splitlines()))
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


def refuse_together(parser: object, *pairs: tuple[str, str]) -> None:
    """Options (by ``dest``) that cannot be given together, refused as uv does: "the argument '--locked'
    cannot be used with '--frozen'" (the one given first is named first)."""
    target = getattr(parser, "parser", parser)  # a Nested wraps the real parser; a Skip has none
    if isinstance(target, Parser):
        target.conflicts.extend(pairs)


def _display(action: argparse.Action) -> str:
    """An option as uv names it in messages: ``--frozen``, ``--extra <EXTRA>``."""
    if not action.option_strings:  # a positional with choices: ``<SHELL>``
        return f"<{action.metavar if isinstance(action.metavar, str) else action.dest.upper()}>"
    longs = [s for s in action.option_strings if s.startswith("--")]
    name = (longs or action.option_strings)[0]
    if action.nargs == 0:
        return name
    metavar = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    return f"{name} <{metavar}>"


def _similar(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate ``word`` was probably meant to be: one it abbreviates, else the closest spelling."""
    starting = [c for c in candidates if c.startswith(word)]
    if len(starting) == 1:
        return starting[0]
    import difflib

    close = difflib.get_close_matches(word, starting or candidates, n=1, cutoff=0.7)
    return close[0] if close else None


def _is_positional(token: str) -> bool:
    return token == "-" or not token.startswith("-")


class Parser(argparse.ArgumentParser):
    """argparse with bale's rules: exact long option names (``--extra`` never means ``--extra-index-url``),
    usage errors in uv's words with a did-you-mean and the command's usage (exit 2, as uv), options
    that refuse each other (``refuse_together``) and list positionals that may be given between options
    (``bale add A --dev B`` adds both A and B, as uv does)."""

    lazy = False  # set while parsing with only the chosen command's options defined

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        kwargs["exit_on_error"] = False  # parse_known_args words argparse's errors as uv does
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self.conflicts: list[tuple[str, str]] = []

    # -- usage ----------------------------------------------------------------------------------------
    def _short_usage(self) -> str:
        """``%(prog)s [OPTIONS] PACKAGE...``: the options are listed by ``--help``, not in every error."""
        words = ["%(prog)s", "[OPTIONS]"]
        for action in self._actions:
            if action.option_strings or action.help == argparse.SUPPRESS:
                continue
            if isinstance(action, argparse._SubParsersAction):
                words.append("COMMAND")
                continue
            metavar = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
            if action.nargs in (None, 1):
                words.append(metavar)
            elif action.nargs == "?":
                words.append(f"[{metavar}]")
            elif action.nargs in ("*", argparse.REMAINDER):
                words.append(f"[{metavar}]...")
            else:
                words.append(f"{metavar}...")
        return " ".join(words)

    def format_usage(self) -> str:
        if self.usage is None:
            self.usage = self._short_usage()
        return super().format_usage()

    def format_help(self) -> str:
        if self.usage is None:
            self.usage = self._short_usage()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        if Parser.lazy:
            raise Retry
        sys.stderr.write(
            f"error: {message}\n  usage: {self.format_usage().strip().removeprefix('usage: ')}\n"
            f"hint: run `{self.prog} --help` for the options\n"
        )
        raise SystemExit(2)

    # -- parsing --------------------------------------------------------------------------------------
    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        try:
            parsed, extras = super().parse_known_args(words, namespace)
        except argparse.ArgumentError as err:
            self._argument_error(err)
        extras = self._intermix(parsed, extras)
        if extras:
            self._unexpected(extras[0], parsed)
        self._check_conflicts(parsed, words)
        return parsed, extras

    def _intermix(self, parsed: argparse.Namespace, extras: list[str]) -> list[str]:
        """Words left over after the options that belong to this command's list positional."""
        listed = [a for a in self._actions if not a.option_strings and a.nargs in ("*", "+")]
        if len(listed) != 1 or not extras:
            return extras
        leftover = [w for w in extras if not _is_positional(w)]
        if leftover:  # an unknown option comes first in the error, as it would on its own
            return leftover
        action = listed[0]
        setattr(parsed, action.dest, [*(getattr(parsed, action.dest, None) or []), *extras])
        return []

    def _argument_error(self, err: argparse.ArgumentError) -> NoReturn:
        """argparse's complaint about one option, in uv's words where uv words it differently."""
        name = err.argument_name
        named = [a for a in self._actions if a.option_strings and "/".join(a.option_strings) == name]
        action = named[0] if named else None
        if action is not None and err.message.startswith("expected "):
            self.error(f"a value is required for '{_display(action)}' but none was supplied")
        self.error(str(err))

    def _long_options(self) -> list[str]:
        return [
            s
            for a in self._actions
            if a.help != argparse.SUPPRESS
            for s in a.option_strings
            if s.startswith("--")
        ]

    def _unexpected(self, word: str, parsed: argparse.Namespace) -> NoReturn:
        message = f"unexpected argument '{word}' found"
        option = word.partition("=")[0]
        command = self._chosen(parsed)
        if command is not None and option in command._option_string_actions:
            message += f"; it is an option of `{command.prog}`: put it after the command"
        elif word.startswith("--"):
            similar = _similar(option, self._long_options())
            if similar:
                message += f"; did you mean '{similar}'?"
        self.error(message)

    def _chosen(self, parsed: argparse.Namespace) -> argparse.ArgumentParser | None:
        """The parser of the command this one handed the rest of the words to (``sync`` for ``bale``)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                name = getattr(parsed, action.dest or "", None)
                return action.choices.get(name) if isinstance(name, str) else None
        return None

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is None or value in choices:
            return
        names = [str(c) for c in choices]
        similar = _similar(str(value), names) if isinstance(value, str) else None
        if isinstance(action, argparse._SubParsersAction):
            similar = similar or _nested_command(action, str(value))
            tip = f"; did you mean '{similar}'?" if similar else ""
            self.error(f"unrecognized subcommand '{value}'{tip}\n  commands: {', '.join(names)}")
        tip = f"; did you mean '{similar}'?" if similar else ""
        self.error(
            f"invalid value '{value}' for '{_display(action)}'{tip}\n  possible values: {', '.join(names)}"
        )

    def _check_conflicts(self, parsed: argparse.Namespace, words: Sequence[str]) -> None:
        if not self.conflicts:
            return
        actions = {a.dest: a for a in self._actions if a.option_strings}
        for first_dest, second_dest in self.conflicts:
            first, second = actions.get(first_dest), actions.get(second_dest)
            if first is None or second is None or not (_given(parsed, first) and _given(parsed, second)):
                continue
            if _position(second, words) < _position(first, words):
                first, second = second, first
            self.error(f"the argument '{_display(first)}' cannot be used with '{_display(second)}'")


def _nested_command(action: argparse._SubParsersAction[argparse.ArgumentParser], word: str) -> str | None:
    """``pip install`` for ``bale install`` (or ``bale instal``): a command one level down, as uv suggests."""
    # pip's commands first, then the first command that has it (``pip install`` before ``python
    # install`` and ``tool install``): the pip interface is what `install` usually means.
    nested: dict[str, str] = {}
    ordered = sorted(action.choices.items(), key=lambda item: item[0] != "pip")
    for name, parser in ordered:
        for inner in parser._actions:
            if isinstance(inner, argparse._SubParsersAction):
                for sub in inner.choices:
                    nested.setdefault(sub, f"{name} {sub}")
    similar = _similar(word, list(nested))
    return nested[similar] if similar else None


def _given(parsed: argparse.Namespace, action: argparse.Action) -> bool:
    value = getattr(parsed, action.dest, action.default)
    return value is not argparse.SUPPRESS and value != action.default


def _position(action: argparse.Action, words: Sequence[str]) -> int:
    """Where the option first appears on the command line (``--opt``, ``--opt=V`` or ``-oV``)."""
    for index, word in enumerate(words):
        for option in action.option_strings:
            if word == option or word.startswith(option + "=" if option.startswith("--") else option):
                return index
    return len(words)
