"""The requirements.txt syntax pip accepts, turned into values; every problem is placed at file:line:col."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote, urljoin, urlsplit

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.model.dists import SDIST_SUFFIXES, FileKind, parse_filename
from bale.model.names import NormalizedName, normalize
from bale.model.record import record
from bale.model.requirement import COMMAND_LINE, Origin, RequirementSpec

ReadText = Callable[[str], str]
"""Return the text at a location (an absolute path or a URL); raise OSError or BaleError when it cannot."""

# pip expands only this form, and only upper-case names, so `$HOME` or `${home}` in a URL stay literal.
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")
# A comment starts at `#` at the start of a line or after whitespace; `x.whl#sha256=...` keeps its fragment.
_COMMENT = re.compile(r"(?:^|\s)#")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DIRECT_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@")
_PROJECT_NAME = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")
_NAME_WITH_EXTRAS = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?$")
_TRAILING_EXTRAS = re.compile(r"^(.+)(\[[^\]]*\])$")
_URL_MARKER = re.compile(r"\s;|;\s")
_HEX = re.compile(r"^[0-9a-f]+$")
# A shell-like word: unquoted runs and quoted strings, side by side; a lone quote is captured as an error.
_WORD = re.compile(r"""(?:[^\s'"]|"[^"]*"|'[^']*')+|(['"])""")
_QUOTED = re.compile(r""""([^"]*)"|'([^']*)'""")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVE_SUFFIXES = (".whl", *SDIST_SUFFIXES)
HASH_LENGTHS: Mapping[str, int] = {"sha256": 64, "sha384": 96, "sha512": 128}


def config_settings_mapping(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """``KEY=VALUE`` pairs as PEP 517 ``config_settings``: a key given more than once maps to a list."""
    result: dict[str, str | list[str]] = {}
    for key, value in pairs:
        previous = result.get(key)
        if previous is None:
            result[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            result[key] = [previous, value]
    return result


@record(frozen=True, slots=True)
class RequirementOptions:
    """What a requirement line says that RequirementSpec has no field for.

    ``extras`` and ``marker`` are set only for a requirement without a name (a directory, or an archive whose
    name must come from building it): a named one carries them in its ``Requirement``.
    """

    config_settings: tuple[tuple[str, str], ...] = ()
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None

    def config_settings_dict(self) -> dict[str, str | list[str]]:
        """The PEP 517 ``config_settings`` form: a key given more than once maps to a list of values."""
        return config_settings_mapping(self.config_settings)


NO_OPTIONS = RequirementOptions()


@record(frozen=True, slots=True)
class RequirementsFile:
    """A requirements file with everything it includes: requirements in order, constraints, index options.

    ``find_links`` holds absolute paths (relative ones resolved against the directory of the file naming them)
    or URLs. ``only_binary``/``no_binary`` hold normalized names or ``:all:``, applied in order as pip does
    (``:none:`` clears). ``files`` lists every location read (absolute paths or URLs; ``-`` for standard
    input), the top file first.
    """

    requirements: tuple[RequirementSpec, ...] = ()
    constraints: tuple[RequirementSpec, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    require_hashes: bool = False
    only_binary: frozenset[str] = frozenset()
    no_binary: frozenset[str] = frozenset()
    pre: bool = False
    prefer_binary: bool = False
    trusted_hosts: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    options: Mapping[Origin, RequirementOptions] = field(default_factory=dict, hash=False)

    def options_for(self, spec: RequirementSpec) -> RequirementOptions:
        """The line options of one of this file's requirements (empty when the line had none)."""
        return self.options.get(spec.origin, NO_OPTIONS)


def pinned_version(spec: RequirementSpec) -> Version | None:
    """The one version a requirement allows: a wheel's file name says it, or a single ``==X`` / ``===X``."""
    if spec.url is not None:
        parsed = parse_filename(_url_basename(spec.url))
        if parsed is not None and parsed.kind is FileKind.WHEEL:
            return parsed.version
    if spec.requirement is None:
        return None
    specifiers = list(spec.requirement.specifier)
    if len(specifiers) != 1:
        return None
    if specifiers[0].operator not in ("==", "===") or specifiers[0].version.endswith("*"):
        return None
    try:
        return Version(specifiers[0].version)
    except InvalidVersion:
        return None


def parse_requirements(
    location: str,
    *,
    filename: str | None = None,
    read: ReadText,
    env: Mapping[str, str],
    is_constraints: bool = False,
) -> RequirementsFile:
    """Read and parse the file at ``location`` (an absolute path or a URL), shown to users as ``filename``."""
    display = filename if filename is not None else location
    try:
        text = read(location)
    except (OSError, BaleError) as exc:
        raise BaleError(f"Cannot read requirements file {display}", context=[_reason(exc)]) from exc
    return _Parser(read, env, display).run(text, display, location, is_constraints)


def parse_requirements_text(
    text: str,
    *,
    filename: str,
    base_dir: str,
    read: ReadText,
    env: Mapping[str, str],
    is_constraints: bool = False,
    location: str | None = None,
) -> RequirementsFile:
    """Parse the ``text`` of a file shown as ``filename``; relative references resolve against ``base_dir``.

    ``base_dir`` is an absolute directory or a URL; ``location`` (what cycles are detected by) defaults to the
    file's name inside ``base_dir``. Nested ``-r``/``-c`` files are read through ``read``.
    """
    if location is None:
        leaf = filename.rsplit("/", 1)[-1]
        location = urljoin(base_dir, leaf) if _is_url(base_dir) else posixpath.join(base_dir, leaf)
    return _Parser(read, env, filename).run(text, filename, location, is_constraints, base=base_dir)


def parse_requirement_line(
    text: str, *, base_dir: str, editable: bool = False, origin: Origin = COMMAND_LINE
) -> RequirementSpec:
    """One requirement as a command-line argument gives it: a PEP 508 string, a path or a URL."""
    stripped = text.strip()
    offset = text.index(stripped) if stripped else 0
    try:
        if not stripped:
            raise _Problem("expected a requirement", 0)
        parsed = _parse_editable(stripped, base_dir) if editable else _parse_requirement(stripped, base_dir)
    except _Problem as problem:
        start, end = problem.start + offset, problem.end + offset
        where = "" if origin == COMMAND_LINE else f" at {origin}"
        raise BaleError(
            f"Invalid requirement {text!r}{where}: {problem.message}",
            context=[f"  {text}", f"  {_caret(text, start, end)}"],
        ) from None
    return RequirementSpec(parsed.name, parsed.requirement, origin, parsed.url, parsed.path, editable)


# ---------------------------------------------------------------------------------------------- lines
# Internal records are NamedTuples: defining one costs a tenth of a frozen dataclass (0.05 ms vs 0.5 ms);
# with eight of them that took importing this module from 5 ms to under 3 ms.


class _Piece(NamedTuple):
    """The part of one physical line that a logical line holds, with a map back to what was written."""

    lineno: int
    source: str
    start: int  # offset in the logical line
    end: int
    # (expanded start, expanded end, source start, source end) of each ${VAR} replaced, relative to the piece
    substitutions: tuple[tuple[int, int, int, int], ...]

    def source_column(self, offset: int) -> int:
        relative = min(max(offset - self.start, 0), self.end - self.start)
        delta = 0
        for expanded_start, expanded_end, source_start, source_end in self.substitutions:
            if relative < expanded_start:
                break
            if relative < expanded_end:
                return source_start  # inside a variable's value: point at the ${VAR} that produced it
            delta = source_end - expanded_end
        return relative + delta


class _Line(NamedTuple):
    text: str
    pieces: tuple[_Piece, ...]

    @property
    def lineno(self) -> int:
        return self.pieces[0].lineno

    def locate(self, offset: int) -> tuple[_Piece, int]:
        for piece in self.pieces:
            if offset < piece.end:
                return piece, piece.source_column(offset)
        last = self.pieces[-1]
        return last, last.source_column(offset)


def _expand(content: str, env: Mapping[str, str]) -> tuple[str, tuple[tuple[int, int, int, int], ...]]:
    if "${" not in content:
        return content, ()
    parts: list[str] = []
    substitutions: list[tuple[int, int, int, int]] = []
    position = 0  # in content
    length = 0  # of the expanded text so far
    for match in _VARIABLE.finditer(content):
        value = env.get(match.group(1))
        if value is None:
            continue
        before = content[position : match.start()]
        parts.append(before)
        length += len(before)
        substitutions.append((length, length + len(value), match.start(), match.end()))
        parts.append(value)
        length += len(value)
        position = match.end()
    parts.append(content[position:])
    return "".join(parts), tuple(substitutions)


def _logical_lines(text: str, env: Mapping[str, str]) -> Iterator[_Line]:
    """Join continuation lines, drop comments and blank lines, expand ``${VAR}``.

    Comments are removed from each physical line before joining, so a backslash inside a comment never
    continues a line, and a comment line ends a continued one (as in pip).
    """
    pieces: list[_Piece] = []
    parts: list[str] = []
    length = 0
    for lineno, source in enumerate(text.splitlines(), start=1):
        comment = _COMMENT.search(source)
        content = source[: comment.start()] if comment else source
        continued = comment is None and content.endswith("\\")
        if continued:
            content = content[:-1]
        expanded, substitutions = _expand(content, env)
        pieces.append(_Piece(lineno, source, length, length + len(expanded), substitutions))
        parts.append(expanded)
        length += len(expanded)
        if not continued:
            joined = "".join(parts)
            if joined.strip():
                yield _Line(joined, tuple(pieces))
            pieces, parts, length = [], [], 0
    joined = "".join(parts)
    if joined.strip():
        yield _Line(joined, tuple(pieces))


# ---------------------------------------------------------------------------------------------- tokens


class _Token(NamedTuple):
    value: str
    start: int
    end: int


class _Problem(Exception):
    """A problem at [start, end] of the text being parsed; the caret goes under ``end``."""

    def __init__(self, message: str, start: int, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = start if end is None else end

    def shifted(self, offset: int) -> _Problem:
        return _Problem(self.message, self.start + offset, self.end + offset)


def _options_start(text: str) -> int:
    """Where options begin: the first word starting with ``-`` outside quotes (a marker may quote a dash)."""
    quote_char: str | None = None
    at_word_start = True
    for index, char in enumerate(text):
        if quote_char is not None:
            if char == quote_char:
                quote_char = None
            continue
        if char.isspace():
            at_word_start = True
            continue
        if at_word_start and char == "-":
            return index
        at_word_start = False
        if char in "'\"":
            quote_char = char
    return len(text)


def _split_words(text: str, start: int) -> list[_Token]:
    """Split option text into words the way a shell would (quotes group, and are removed)."""
    tokens: list[_Token] = []
    for match in _WORD.finditer(text, start):
        if match.group(1):
            raise _Problem("unterminated quote", match.start())
        word = match.group()
        if "'" in word or '"' in word:
            word = _QUOTED.sub(lambda quoted: quoted.group(1) or quoted.group(2) or "", word)
        tokens.append(_Token(word, match.start(), match.end()))
    return tokens


class _OptionSpec(NamedTuple):
    name: str  # the long spelling, used in messages
    takes_value: bool
    per_requirement: bool = False


_OPTIONS: dict[str, _OptionSpec] = {}
for _names, _takes_value, _per_requirement in (
    (("-r", "--requirement"), True, False),
    (("-c", "--constraint"), True, False),
    (("-e", "--editable"), True, False),
    (("-i", "--index-url"), True, False),
    (("--extra-index-url",), True, False),
    (("-f", "--find-links"), True, False),
    (("--no-index",), False, False),
    (("--pre",), False, False),
    (("--prefer-binary",), False, False),
    (("--only-binary",), True, False),
    (("--no-binary",), True, False),
    (("--trusted-host",), True, False),
    (("--require-hashes",), False, False),
    (("--hash",), True, True),
    (("-C", "--config-settings"), True, True),
):
    for _name in _names:
        _OPTIONS[_name] = _OptionSpec(_names[-1], _takes_value, _per_requirement)


class _Option(NamedTuple):
    spec: _OptionSpec
    written: str  # as the user spelled it
    start: int  # of the option word
    value: str = ""
    value_start: int = 0


def _parse_options(tokens: list[_Token]) -> list[_Option]:
    options: list[_Option] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        word = token.value
        if not word.startswith("-") or word == "-":
            raise _Problem(f"unexpected argument {word!r}", token.start)
        if word.startswith("--"):
            written, equals, inline = word.partition("=")
        else:
            written, inline = word[:2], word[2:]
            equals = "=" if inline else ""
        spec = _OPTIONS.get(written)
        if spec is None:
            raise _Problem(f"unknown option {written}", token.start)
        if not spec.takes_value:
            if equals:
                raise _Problem(f"option {written} takes no value", token.start)
            options.append(_Option(spec, written, token.start))
        elif equals:
            options.append(_Option(spec, written, token.start, inline, token.end - len(inline)))
        elif index < len(tokens):
            options.append(_Option(spec, written, token.start, tokens[index].value, tokens[index].start))
            index += 1
        else:
            raise _Problem(f"option {written} needs a value", token.end)
    return options


# ---------------------------------------------------------------------------------------------- requirements


class _Parsed(NamedTuple):
    name: NormalizedName | None
    requirement: Requirement | None
    url: str | None = None
    path: Path | None = None
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None


def _is_url(text: str) -> bool:
    return bool(_SCHEME.match(text)) or text[:5].lower() == "file:"


def _url_basename(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _file_url_path(url: str) -> str:
    return unquote(urlsplit(url).path)


def _path_url(path: str) -> str:
    return "file://" + quote(path)


def _syntax_problem(exc: Exception, source: str, offset: int = 0) -> _Problem:
    """packaging's error in bale's words, at the position packaging's tokenizer found it."""
    from bale.model.requirement_errors import explain

    problem = explain(exc, source)
    return _Problem(problem.message, offset + problem.start, offset + problem.end)


def _parse_marker(text: str, offset: int) -> Marker:
    try:
        return Marker(text)
    except InvalidMarker as exc:
        raise _syntax_problem(exc, text, offset) from None


def _parse_extras(text: str, offset: int) -> frozenset[str]:
    extras = set()
    for item in text[1:-1].split(","):
        if not item.strip():
            continue
        if not _PROJECT_NAME.match(item.strip()):
            raise _Problem(f"invalid extra name {item.strip()!r}", offset)
        extras.add(item.strip())
    return frozenset(extras)


def _fragment_name(url: str) -> tuple[str | None, frozenset[str]]:
    """The project name (and extras) an ``#egg=`` fragment gives."""
    fragment = urlsplit(url).fragment
    for item in fragment.split("&"):
        key, _, value = item.partition("=")
        if key != "egg":
            continue
        match = _NAME_WITH_EXTRAS.match(value)
        if match is None or not _PROJECT_NAME.match(match.group(1)):
            raise _Problem(f"invalid project name in #egg={value}", url.index("#"))
        extras = _parse_extras(match.group(2), url.index("#")) if match.group(2) else frozenset()
        return match.group(1), extras
    return None, frozenset()


def _name_from_filename(basename: str, offset: int, length: int) -> NormalizedName | None:
    """The name a wheel or sdist file name gives; None for a directory, or an sdist name that won't parse."""
    if not basename.endswith(_ARCHIVE_SUFFIXES):
        return None
    parsed = parse_filename(basename)
    if parsed is None and basename.endswith(".whl"):
        raise _Problem(f"invalid wheel file name {basename}", offset, offset + length)
    return parsed.name if parsed else None


def _named(
    name: str | None, url: str, path: Path | None, extras: frozenset[str], marker: Marker | None
) -> _Parsed:
    """A path or URL requirement; a named one also gets its PEP 508 form ``name[extras] @ url ; marker``."""
    if name is None:
        return _Parsed(None, None, url, path, extras, marker)
    text = name + (f"[{','.join(sorted(extras))}]" if extras else "") + f" @ {url}"
    if marker is not None:
        text += f" ; {marker}"
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        raise _Problem(f"not a valid URL: {url}", 0, len(url)) from None
    return _Parsed(normalize(name), requirement, url, path)


def _parse_url(text: str, *, marker_allowed: bool = True) -> _Parsed:
    """A bare URL, maybe followed by `` ; marker`` (a URL may hold `;`, so a space must set it apart)."""
    separator = _URL_MARKER.search(text)
    marker: Marker | None = None
    url_text = text
    if separator is not None and marker_allowed:
        semicolon = separator.start() + separator.group().index(";")
        url_text = text[: separator.start()].rstrip()
        marker_text = text[semicolon + 1 :]
        marker = _parse_marker(marker_text.strip(), len(text) - len(marker_text.lstrip()))
    if any(char.isspace() for char in url_text):
        first = next(i for i, char in enumerate(url_text) if char.isspace())
        raise _Problem("expected `;` and a marker after the URL", first)
    egg, extras = _fragment_name(url_text)
    path = Path(_file_url_path(url_text)) if url_text[:5].lower() == "file:" else None
    if url_text.startswith(_VCS_PREFIXES):
        return _named(egg, url_text, None, extras, marker)
    is_dir = url_text.endswith("/")
    from_file = None if is_dir else _name_from_filename(_url_basename(url_text), 0, len(url_text))
    return _named(from_file or egg, url_text, path, extras, marker)


def _looks_like_path(text: str) -> bool:
    head = text.split(";", 1)[0].strip()
    return head.startswith((".", "/")) or "/" in head or head.endswith(_ARCHIVE_SUFFIXES)


def _parse_path(text: str, base: str) -> _Parsed:
    head, semicolon, marker_text = text.partition(";")
    marker = None
    if semicolon:
        marker = _parse_marker(marker_text.strip(), len(text) - len(marker_text.lstrip()))
    written = head.strip()
    extras: frozenset[str] = frozenset()
    match = _TRAILING_EXTRAS.match(written)
    if match is not None:
        written = match.group(1)
        extras = _parse_extras(match.group(2), len(written))
    fragment = ""
    if "#" in written and "=" in written.rsplit("#", 1)[1]:
        written, fragment = written.rsplit("#", 1)
        fragment = "#" + fragment
    if _is_url(base):
        return _parse_url(urljoin(base, written) + fragment + (f" ; {marker}" if marker else ""))
    absolute = posixpath.normpath(posixpath.join(base, written))
    url = _path_url(absolute) + fragment
    egg, egg_extras = _fragment_name(url)
    is_dir = written.endswith("/")
    from_file = None if is_dir else _name_from_filename(posixpath.basename(absolute), 0, len(written))
    return _named(from_file or egg, url, Path(absolute), extras | egg_extras, marker)


def _parse_pep508(text: str, base: str) -> _Parsed:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise _syntax_problem(exc, text) from None
    name = normalize(requirement.name)
    url = requirement.url
    if url is None:
        return _Parsed(name, requirement)
    at = text.index("@") + 1
    url_offset = at + len(text[at:]) - len(text[at:].lstrip())
    if _is_url(url):
        path = Path(_file_url_path(url)) if url[:5].lower() == "file:" else None
        return _Parsed(name, requirement, url, path)
    # `name @ ./dir` is no PEP 508 URL, but what it means is plain: a path relative to the file naming it.
    if _is_url(base):
        return _Parsed(name, requirement, urljoin(base, url))
    if url.startswith("~") or not url:
        raise _Problem(f"expected a URL or a path after @, got {url!r}", url_offset)
    absolute = posixpath.normpath(posixpath.join(base, url))
    return _Parsed(name, requirement, _path_url(absolute), Path(absolute))


def _parse_requirement(text: str, base: str) -> _Parsed:
    """One requirement as written: PEP 508, ``name @ URL``, a bare URL, or a local path."""
    if _is_url(text):
        return _parse_url(text)
    if not _DIRECT_REFERENCE.match(text) and _looks_like_path(text):
        return _parse_path(text, base)
    return _parse_pep508(text, base)


def _parse_editable(text: str, base: str) -> _Parsed:
    """An editable is always a local directory or a VCS URL, never a PEP 508 name."""
    if _is_url(text) and text[:5].lower() != "file:":
        if not text.startswith(_VCS_PREFIXES):
            raise _Problem("an editable requirement must be a local directory or a VCS URL (git+https://)", 0)
        return _parse_url(text, marker_allowed=False)
    if _is_url(text):
        fragment = urlsplit(text).fragment
        parsed = _parse_path(_file_url_path(text) + (f"#{fragment}" if fragment else ""), "/")
    else:
        parsed = _parse_path(text, base)
    if parsed.marker is not None:
        raise _Problem("an editable requirement cannot have a marker", text.index(";"))
    if parsed.url is not None and _url_basename(parsed.url).endswith(_ARCHIVE_SUFFIXES):
        raise _Problem("an editable requirement must be a local directory, not an archive", 0, len(text))
    return parsed


# ---------------------------------------------------------------------------------------------- the parser


class _Report(NamedTuple):
    """One problem, placed in a file: rendered as a header, the line as written, and a caret."""

    file: str
    lineno: int
    message: str
    column: int | None = None  # 0-based, in ``source``
    source: str = ""
    tilde_from: int | None = None

    def lines(self) -> list[str]:
        if self.column is None:
            return [f"{self.file}:{self.lineno}: {self.message}"]
        start = self.column if self.tilde_from is None else self.tilde_from
        return [
            f"{self.file}:{self.lineno}:{self.column + 1}: {self.message}",
            f"  {self.source}",
            f"  {_caret(self.source, start, self.column)}",
        ]


def _caret(source: str, start: int, end: int) -> str:
    # Keep tabs where the source has them so the caret lines up however the terminal expands them.
    indent = "".join(char if char == "\t" else " " for char in source[:start])
    return indent + "~" * max(end - start, 0) + "^"


def _reason(exc: OSError | BaleError) -> str:
    if isinstance(exc, BaleError):
        return exc.message
    return exc.strerror or str(exc)


class _Frame(NamedTuple):
    """A file being parsed: how it is shown, where it is, and the line including the next file."""

    display: str
    location: str
    base: str
    constraints: bool


def _binary_update(target: set[str], other: set[str], value: str, start: int) -> None:
    """pip's rule for --no-binary/--only-binary: names move between the two sets, :all: and :none: reset."""
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        if item == ":all:":
            target.clear()
            other.clear()
            target.add(":all:")
        elif item == ":none:":
            target.clear()
        elif _PROJECT_NAME.match(item):
            name = normalize(item)
            other.discard(name)
            target.add(name)
        else:
            raise _Problem(f"invalid project name {item!r} (expected names, :all: or :none:)", start)


class _Parser:
    """Walks a file and the files it includes, collecting values and problems (all of them, not the first)."""

    def __init__(self, read: ReadText, env: Mapping[str, str], top_display: str) -> None:
        self.read = read
        self.env = env
        self.top_display = top_display
        self.stack: list[tuple[_Frame, int]] = []
        self.reports: list[_Report] = []
        self.requirements: list[RequirementSpec] = []
        self.constraints: list[RequirementSpec] = []
        self.options: dict[Origin, RequirementOptions] = {}
        self.index_url: str | None = None
        self.extra_index_urls: list[str] = []
        self.find_links: list[str] = []
        self.trusted_hosts: list[str] = []
        self.flags: set[str] = set()
        self.only_binary: set[str] = set()
        self.no_binary: set[str] = set()
        self.files: dict[str, None] = {}

    def run(
        self, text: str, display: str, location: str, constraints: bool, base: str | None = None
    ) -> RequirementsFile:
        if base is None:
            base = location if _is_url(location) else posixpath.dirname(location)
        self.files[location] = None
        self._parse_file(text, _Frame(display, location, base, constraints))
        if self.reports:
            context = [line for report in self.reports for line in report.lines()]
            raise BaleError(f"Invalid requirements in {self.top_display}", context=context)
        return RequirementsFile(
            requirements=tuple(self.requirements),
            constraints=tuple(self.constraints),
            index_url=self.index_url,
            extra_index_urls=tuple(dict.fromkeys(self.extra_index_urls)),
            find_links=tuple(dict.fromkeys(self.find_links)),
            no_index="--no-index" in self.flags,
            require_hashes="--require-hashes" in self.flags,
            only_binary=frozenset(self.only_binary),
            no_binary=frozenset(self.no_binary),
            pre="--pre" in self.flags,
            prefer_binary="--prefer-binary" in self.flags,
            trusted_hosts=tuple(dict.fromkeys(self.trusted_hosts)),
            files=tuple(self.files),
            options=self.options,
        )

    def _parse_file(self, text: str, frame: _Frame) -> None:
        for line in _logical_lines(text, self.env):
            try:
                self._parse_line(line, frame)
            except _Problem as problem:
                self._report(frame, line, problem)

    def _report(self, frame: _Frame, line: _Line, problem: _Problem) -> None:
        piece, column = line.locate(problem.end)
        start_piece, start_column = line.locate(problem.start)
        tilde_from = start_column if start_piece is piece else None
        report = _Report(frame.display, piece.lineno, problem.message, column, piece.source, tilde_from)
        self.reports.append(report)

    def _parse_line(self, line: _Line, frame: _Frame) -> None:
        text = line.text
        split = _options_start(text)
        requirement_text = text[:split].strip()
        requirement_start = split - len(text[:split].lstrip()) if requirement_text else split
        options = _parse_options(_split_words(text, split))
        origin = Origin(frame.display, line.lineno)
        per_requirement = [option for option in options if option.spec.per_requirement]
        editables = [option for option in options if option.spec.name == "--editable"]
        if requirement_text:
            misplaced = next((option for option in options if not option.spec.per_requirement), None)
            if misplaced is not None:
                raise _Problem(
                    f"option {misplaced.written} cannot follow a requirement; put it on a line of its own",
                    misplaced.start,
                )
        elif per_requirement and not editables:
            first = per_requirement[0]
            raise _Problem(f"{first.written} on a line with no requirement", first.start)
        if len(editables) > 1:
            raise _Problem("only one editable requirement per line", editables[1].start)
        hashes = [_check_hash(option) for option in per_requirement if option.spec.name == "--hash"]
        settings = [_config_setting(option) for option in per_requirement if option.spec.name != "--hash"]
        if requirement_text:
            self._add_requirement(frame, origin, requirement_text, requirement_start, hashes, settings)
            return
        if editables:
            if hashes:
                raise _Problem("--hash cannot be used with an editable requirement", editables[0].start)
            self._add_editable(frame, origin, editables[0], settings)
        for option in options:
            if not option.spec.per_requirement and option.spec.name != "--editable":
                try:
                    self._apply_option(line, frame, option)
                except _Problem as problem:
                    self._report(frame, line, problem)

    def _add_requirement(
        self,
        frame: _Frame,
        origin: Origin,
        text: str,
        start: int,
        hashes: list[str],
        settings: list[tuple[str, str]],
    ) -> None:
        try:
            parsed = _parse_requirement(text, frame.base)
        except _Problem as problem:
            raise problem.shifted(start) from None
        if frame.constraints:
            _check_constraint(parsed, start, len(text))
        spec = RequirementSpec(
            parsed.name, parsed.requirement, origin, parsed.url, parsed.path, hashes=tuple(hashes)
        )
        self._store(frame, spec, parsed, settings)

    def _add_editable(
        self, frame: _Frame, origin: Origin, option: _Option, settings: list[tuple[str, str]]
    ) -> None:
        if frame.constraints:
            raise _Problem("editable requirements cannot be constraints", option.start)
        try:
            parsed = _parse_editable(option.value, frame.base)
        except _Problem as problem:
            raise problem.shifted(option.value_start) from None
        spec = RequirementSpec(parsed.name, parsed.requirement, origin, parsed.url, parsed.path, True)
        self._store(frame, spec, parsed, settings)

    def _store(
        self, frame: _Frame, spec: RequirementSpec, parsed: _Parsed, settings: list[tuple[str, str]]
    ) -> None:
        (self.constraints if frame.constraints else self.requirements).append(spec)
        if settings or parsed.extras or parsed.marker is not None:
            self.options[spec.origin] = RequirementOptions(tuple(settings), parsed.extras, parsed.marker)

    def _apply_option(self, line: _Line, frame: _Frame, option: _Option) -> None:
        name, value = option.spec.name, option.value
        if name in ("--requirement", "--constraint"):
            self._include(line, frame, option, constraints=frame.constraints or name == "--constraint")
        elif name == "--index-url":
            self.index_url = value
        elif name == "--extra-index-url":
            self.extra_index_urls.append(value)
        elif name == "--find-links":
            self.find_links.append(self._resolve_local(frame, value))
        elif name == "--trusted-host":
            self.trusted_hosts.append(value)
        elif name == "--only-binary":
            _binary_update(self.only_binary, self.no_binary, value, option.value_start)
        elif name == "--no-binary":
            _binary_update(self.no_binary, self.only_binary, value, option.value_start)
        else:
            self.flags.add(name)

    @staticmethod
    def _resolve_local(frame: _Frame, value: str) -> str:
        if _is_url(value):
            return value
        if _is_url(frame.base):
            return urljoin(frame.base, value)
        return posixpath.normpath(posixpath.join(frame.base, value))

    def _include(self, line: _Line, frame: _Frame, option: _Option, *, constraints: bool) -> None:
        reference = option.value
        if reference[:5].lower() == "file:":
            location = display = _file_url_path(reference)
        else:
            location = self._resolve_local(frame, reference)
            display = self._display(frame.display, reference)
        self.stack.append((frame, line.lineno))
        try:
            chain = [index for index, (entry, _) in enumerate(self.stack) if entry.location == location]
            if chain:
                steps = [f"{entry.display}:{lineno}" for entry, lineno in self.stack[chain[0] :]]
                cycle = " -> ".join([*steps, self.stack[chain[0]][0].display])
                self.reports.append(_Report(frame.display, line.lineno, f"files include each other: {cycle}"))
                return
            try:
                text = self.read(location)
            except (OSError, BaleError) as exc:
                message = f"cannot read {display}: {_reason(exc)}"
                self.reports.append(_Report(frame.display, line.lineno, message))
                return
            self.files[location] = None
            base = location if _is_url(location) else posixpath.dirname(location)
            self._parse_file(text, _Frame(display, location, base, constraints))
        finally:
            self.stack.pop()

    @staticmethod
    def _display(parent: str, reference: str) -> str:
        """How an included file is named in messages: relative to where the user's top file was named."""
        if _is_url(reference) or reference.startswith("/"):
            return reference
        if _is_url(parent):
            return urljoin(parent, reference)
        return posixpath.normpath(posixpath.join(posixpath.dirname(parent), reference))


def _check_hash(option: _Option) -> str:
    algorithm, colon, digest = option.value.partition(":")
    algorithm = algorithm.lower()
    if not colon or not digest:
        raise _Problem(f"--hash needs ALGORITHM:DIGEST, got {option.value!r}", option.value_start)
    expected = HASH_LENGTHS.get(algorithm)
    if expected is None:
        raise _Problem(
            f"unsupported hash algorithm {algorithm!r} (use sha256, sha384 or sha512)", option.value_start
        )
    digest = digest.lower()
    if len(digest) != expected or not _HEX.match(digest):
        raise _Problem(
            f"a {algorithm} digest is {expected} hexadecimal digits, got {digest!r}",
            option.value_start + len(algorithm) + 1,
        )
    return f"{algorithm}:{digest}"


def _config_setting(option: _Option) -> tuple[str, str]:
    key, equals, value = option.value.partition("=")
    if not equals or not key:
        raise _Problem(f"{option.written} needs KEY=VALUE, got {option.value!r}", option.value_start)
    return key, value


def _check_constraint(parsed: _Parsed, start: int, length: int) -> None:
    """pip's rule: a constraint names a project, with no extras (they would constrain nothing)."""
    if parsed.name is None:
        raise _Problem("a constraint must name a project (NAME==VERSION, NAME @ URL)", start, start + length)
    if parsed.extras or (parsed.requirement is not None and parsed.requirement.extras):
        raise _Problem("constraints cannot have extras", start, start + length)
