"""packaging's requirement, marker, specifier and version errors, said in bale's words with a position."""

from __future__ import annotations

import re
from typing import NamedTuple

# The operators PEP 440 and PEP 508 define, longest first so that a prefix never shadows a longer one.
_OPERATORS = ("===", "==", "!=", "<=", ">=", "~=", "<", ">")
_MARKER_OPERATORS = "==, !=, <, <=, >, >=, ~=, ===, in or not in"
_OPERATOR_RUN = re.compile(r"[<>=!~]+")
_VERSION_RUN = re.compile(r"[^\s,;()\[\]]*")
_WORD = re.compile(r"""[^\s'"]+""")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
# What a user probably meant by an operator that does not exist.
_DID_YOU_MEAN = {"=": "==", "=>": ">=", "=<": "<=", "!": "!=", "=!": "!=", "~": "~=", "<>": "!="}
_MAX_SHOWN = 30


class RequirementProblem(NamedTuple):
    """What is wrong with a requirement (or marker) text, and where: [start, end], the caret under ``end``."""

    message: str
    start: int
    end: int


def explain(err: Exception, text: str | None = None) -> RequirementProblem:
    """The cause of ``err`` (raised by packaging for ``text``) in plain words.

    ``err`` is an InvalidRequirement, InvalidMarker, InvalidSpecifier or InvalidVersion; packaging's
    tokenizer error (its ``__cause__``) gives the position, which is kept, and the text when ``text``
    is None. Nothing of packaging's own vocabulary (``Expected semicolon``, ``RIGHT_BRACKET``) comes through.
    """
    cause = err.__cause__
    span = getattr(cause, "span", None)
    raw = getattr(cause, "message", None)
    if text is None:
        source = getattr(cause, "source", None)
        text = source if isinstance(source, str) else _quoted_text(str(err))
    if isinstance(span, tuple) and len(span) == 2 and isinstance(raw, str):
        return _from_syntax(raw, int(span[0]), int(span[1]), text)
    return _without_position(err, text)


def describe(err: Exception, text: str | None = None) -> str:
    """``explain`` as one line, for messages that show no caret: ``<cause> (column N)``."""
    problem = explain(err, text)
    return f"{problem.message} (column {problem.end + 1})"


def plain_reason(err: Exception) -> str:
    """Why a requirement or marker failed, for a one-line warning: packaging's parse errors in bale's
    words with the text at fault (``"foo>>1": no such comparison operator ">>" (column 4)``); any
    other error (a marker that cannot be evaluated) as its message."""
    from packaging.markers import InvalidMarker
    from packaging.requirements import InvalidRequirement
    from packaging.specifiers import InvalidSpecifier
    from packaging.version import InvalidVersion

    if isinstance(err, (InvalidRequirement, InvalidMarker, InvalidSpecifier, InvalidVersion)):
        source = getattr(err.__cause__, "source", None)
        text = source if isinstance(source, str) else _quoted_text(str(err))
        return f'"{_shown(text)}": {describe(err, text)}'
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _quoted_text(message: str) -> str:
    """The text in ``Invalid version: 'x'`` (packaging's form for errors without a position)."""
    match = re.search(r"'(.*)'", message.splitlines()[0] if message else "")
    return match.group(1) if match else message


def caret_lines(text: str, start: int, end: int, indent: str = "  ") -> list[str]:
    """The text and a caret under ``end`` (tildes from ``start``), to add to an error's context."""
    lead = "".join(char if char == "\t" else " " for char in text[:start])
    return [f"{indent}{text}", f"{indent}{lead}{'~' * max(end - start, 0)}^"]


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _without_position(err: Exception, text: str) -> RequirementProblem:
    from packaging.specifiers import InvalidSpecifier
    from packaging.version import InvalidVersion

    operator = re.search(r"[<>=!~]", text)
    where = operator.start() if operator else 0
    if isinstance(err, InvalidVersion):
        return RequirementProblem(f'invalid version "{_shown(text)}"', 0, 0)
    if isinstance(err, InvalidSpecifier):
        return _operator_problem(text, where) or RequirementProblem(
            f'invalid version specifier "{_shown(text)}"', where, where
        )
    return RequirementProblem("not a valid requirement", where, where)


def _from_syntax(raw: str, start: int, end: int, text: str) -> RequirementProblem:
    if "RIGHT_BRACKET" in raw:
        return RequirementProblem('missing closing bracket "]"', start, end)
    if "RIGHT_PARENTHESIS" in raw:
        return RequirementProblem('missing closing parenthesis ")"', start, end)
    if raw == "Expected extra name after comma":
        return RequirementProblem('missing extra name after ","', start, end)
    if raw == "Expected comma between extra names":
        return RequirementProblem("missing comma between extra names", start, end)
    if raw == "Expected URL after @":
        return RequirementProblem('missing URL after "@"', start, end)
    if raw.startswith("Expected package name"):
        found = _WORD.match(text, end)
        tail = f', not "{_shown(found.group())}"' if found else ""
        return RequirementProblem(f"a requirement starts with a project name{tail}", end, end)
    if raw == "Expected whitespace after URL":
        return RequirementProblem('a space must separate the URL from the ";" of a marker', end, end)
    if raw.startswith("Expected semicolon (after URL"):
        url = text[start:end].rstrip()
        if url.endswith(";"):
            at = start + len(url) - 1
            return RequirementProblem('a space must separate the URL from the ";" of a marker', at, at)
        after = text[end:].lstrip() if end < len(text) else ""
        word = _WORD.match(text, len(text) - len(after))
        shown = _shown(word.group()) if word else ""
        at = len(text) - len(after)
        return RequirementProblem(
            f'unexpected text "{shown}" after the URL; a marker goes after a ";"', at, at
        )
    if raw.startswith("Expected end of"):
        return _trailing(text, end, "the marker", 'join conditions with "and" or "or"')
    if raw.startswith("Expected marker operator"):
        return _marker_operator(text, end)
    if raw == "Expected a marker variable or quoted string":
        return _marker_value(text, end)
    if raw.startswith(("Expected whitespace after 'not'", "Expected 'in' after 'not'")):
        return RequirementProblem('"not" in a marker must be followed by "in"', end, end)
    if ".* suffix" in raw:
        if "pre-release" in raw:
            message = '".*" cannot follow a pre-release, post-release, dev or local version'
        else:
            message = '".*" is allowed only after "==" or "!="'
        return RequirementProblem(message, start, end)
    if raw.startswith("Local version label"):
        return RequirementProblem('a local version ("+...") is allowed only after "==" or "!="', start, end)
    if raw.startswith("Marker expression is nested"):
        return RequirementProblem("the marker nests parentheses too deeply", end, end)
    if raw.startswith("Expected comma (within version specifier)"):
        return _after_specifier(text, end)
    if raw.startswith("Expected semicolon (after name"):
        return _after_name(text, end)
    return RequirementProblem("not a valid requirement", end, end)


def _operator_problem(text: str, at: int) -> RequirementProblem | None:
    """A problem with the operator (and version) starting at ``at``, or None when there is none."""
    run = _OPERATOR_RUN.match(text, at)
    if run is None:
        return None
    written = run.group()
    operator = next((op for op in _OPERATORS if written == op), None)
    if operator is None:
        suggestion = _DID_YOU_MEAN.get(written)
        hint = f' (did you mean "{suggestion}"?)' if suggestion else ""
        return RequirementProblem(f'no such comparison operator "{written}"{hint}', at, at)
    version = _VERSION_RUN.match(text, run.end())
    assert version is not None  # the pattern matches the empty string
    if not version.group():
        return RequirementProblem(f'missing version after "{operator}"', at, run.end())
    value = version.group()
    from packaging.specifiers import InvalidSpecifier, Specifier

    try:
        Specifier(operator + value)
    except InvalidSpecifier:
        pass
    else:
        return None
    if operator == "~=" and "." not in value:
        return RequirementProblem(
            f'"~=" needs a version with at least two parts, like ~={value}.0', at, version.end()
        )
    return RequirementProblem(
        f'invalid version "{_shown(value)}" after "{operator}"', run.end(), version.end()
    )


def _after_name(text: str, end: int) -> RequirementProblem:
    rest = text[end:]
    at = end + len(rest) - len(rest.lstrip())
    following = text[at:]
    problem = _operator_problem(text, at)
    if problem is not None:
        return problem
    if following.startswith(","):
        return RequirementProblem(
            f'unexpected text "{_shown(following)}"; give one requirement per argument or line', at, at
        )
    return _trailing(
        text, end, "the project name", 'a version needs an operator such as "==", a marker a ";" before it'
    )


def _after_specifier(text: str, end: int) -> RequirementProblem:
    rest = text[end:]
    at = end + len(rest) - len(rest.lstrip())
    spaced = at > end or (end > 0 and text[end - 1] in ", ")
    if _OPERATOR_RUN.match(text, at):
        problem = _operator_problem(text, at)
        if problem is not None:
            return problem
        segment = text[:end].rstrip().rsplit(",", 1)[-1]
        first_operator = re.search(r"[<>=!~]", segment)
        previous = segment[first_operator.start() if first_operator else 0 :].strip()
        written = _VERSION_RUN.match(text, at)
        assert written is not None
        return RequirementProblem(
            f'missing comma between the version specifiers "{previous}" and "{written.group()}"', at, at
        )
    if not spaced and rest and rest[0] not in ")];":
        # The version runs on into text no version can hold (``==1.0foo``, ``==1.*.2``).
        head = text[:end]
        operator_at = max(head.rfind(op) for op in _OPERATORS)
        problem = _operator_problem(text, operator_at) if operator_at >= 0 else None
        if problem is not None:
            return problem
    return _trailing(
        text,
        end,
        "the requirement",
        'is a comma (between version specifiers) or a ";" (before a marker) missing?',
    )


def _trailing(text: str, end: int, after: str, hint: str) -> RequirementProblem:
    rest = text[end:]
    at = end + len(rest) - len(rest.lstrip())
    following = text[at:]
    if following.startswith("]"):
        return RequirementProblem('unexpected closing bracket "]"', at, at)
    if following.startswith(")"):
        return RequirementProblem('unexpected closing parenthesis ")"', at, at)
    word = _WORD.match(text, at)
    shown = _shown(word.group() if word else following)
    return RequirementProblem(f'unexpected text "{shown}" after {after}; {hint}', at, at)


def _marker_operator(text: str, end: int) -> RequirementProblem:
    rest = text[end:]
    at = end + len(rest) - len(rest.lstrip())
    word = _WORD.match(text, at)
    if word is None:
        before = text[:end].rstrip()
        return RequirementProblem(f'missing comparison operator after "{_last_word(before)}"', at, at)
    return RequirementProblem(
        f'no such comparison operator "{_shown(word.group())}" in the marker (use {_MARKER_OPERATORS})',
        at,
        at,
    )


def _marker_value(text: str, end: int) -> RequirementProblem:
    rest = text[end:]
    at = end + len(rest) - len(rest.lstrip())
    following = text[at:]
    before = text[:end].rstrip()
    if not following:
        if not before or before.endswith(";"):
            return RequirementProblem('missing marker after ";"', at, at)
        last = _last_word(before)
        if last in ("and", "or"):
            return RequirementProblem(f'missing condition after "{last}" in the marker', at, at)
        if last.endswith("("):
            return RequirementProblem('missing condition after "(" in the marker', at, at)
        comparison = _last_comparison(before)
        return RequirementProblem(f'missing value after "{comparison}" in the marker', at, at)
    if following[0] in "'\"":
        return RequirementProblem("unterminated string in the marker", at, len(text))
    name = _IDENTIFIER.match(following)
    if name is not None:
        return RequirementProblem(
            f'unknown marker variable "{_shown(name.group())}" '
            "(python_version, sys_platform, platform_machine, os_name, implementation_name, extra, ...)",
            at,
            at,
        )
    return RequirementProblem(f'unexpected "{_shown(following[:1])}" in the marker', at, at)


def _last_word(text: str) -> str:
    words = text.split()
    return words[-1] if words else ""


def _last_comparison(text: str) -> str:
    """``python_version >=`` from ``foo; os_name == "a" and python_version >=``: the comparison left open."""
    words = text.replace(";", " ; ").replace("(", " ( ").split()
    kept: list[str] = []
    for word in reversed(words):
        if word in (";", "(", "and", "or") or len(kept) == 3:
            break
        kept.insert(0, word)
    return " ".join(kept)
