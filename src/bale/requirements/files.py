"""The I/O side of requirements: files from disk or a caller's URL fetcher, arguments against the cwd."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bale.errors import BaleError
from bale.model.requirement import COMMAND_LINE, Origin, RequirementSpec
from bale.requirements.parse import (
    ReadText,
    RequirementsFile,
    parse_requirement_line,
    parse_requirements,
)

FetchUrl = Callable[[str], bytes]
"""Return the body at an http(s) URL; raise BaleError (or OSError) when it cannot."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16: its BOM starts with UTF-16-LE's
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# PEP 263's declaration, which pip also honours in requirements files.
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)


def decode_requirements(data: bytes) -> str:
    """Text of a requirements file: a BOM decides, then a ``# -*- coding: X -*-`` line, else UTF-8."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding)
    head = b"\n".join(data.split(b"\n", 2)[:2])
    declared = _CODING.search(head)
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding)
    except LookupError:
        raise BaleError(f"unknown encoding {encoding!r} declared in its first lines") from None
    except UnicodeDecodeError as exc:
        raise BaleError(
            f"not {encoding} text (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "save it as UTF-8 or declare its encoding with a `# -*- coding: NAME -*-` first line"
        ) from None


def read_local(location: str) -> str:
    """Read a local requirements file; a URL is refused, as no fetcher was given."""
    if location.startswith(("http://", "https://")):
        raise BaleError("remote requirements files are not supported here")
    return decode_requirements(Path(location).read_bytes())


def reader(fetch_url: FetchUrl | None = None) -> ReadText:
    """A ``read`` callback for the parser: local paths from disk, http(s) URLs through ``fetch_url``."""
    if fetch_url is None:
        return read_local

    def read(location: str) -> str:
        if location.startswith(("http://", "https://")):
            return decode_requirements(fetch_url(location))
        return read_local(location)

    return read


def parse_requirements_file(
    path: Path,
    *,
    read: ReadText | None = None,
    env: Mapping[str, str] = os.environ,
    is_constraints: bool = False,
) -> RequirementsFile:
    """Parse a requirements (or, with ``is_constraints``, constraints) file and everything it includes.

    Messages name files as the user wrote them (``path`` as given); relative paths inside a file resolve
    against that file's directory.
    """
    if str(path) == "-":
        from bale.requirements.parse import parse_requirements_text

        return parse_requirements_text(
            _stdin_text(),
            filename="-",
            base_dir=os.getcwd(),
            read=read or read_local,
            env=env,
            is_constraints=is_constraints,
            location="-",  # not a file in the working directory
        )
    location = os.path.abspath(path)
    return parse_requirements(
        location, filename=str(path), read=read or read_local, env=env, is_constraints=is_constraints
    )


_STDIN: list[str] = []


def _stdin_text() -> str:
    """Standard input, read once: ``-`` may be named more than once, but the stream can be read only once."""
    if not _STDIN:
        import sys

        _STDIN.append(sys.stdin.read())
    return _STDIN[0]


def parse_requirements_source(
    source: str,
    *,
    read: ReadText | None = None,
    env: Mapping[str, str] = os.environ,
    is_constraints: bool = False,
) -> RequirementsFile:
    """Like ``parse_requirements_file``, for a path or an http(s) URL (read with ``read``, see ``reader``)."""
    if source.startswith(("http://", "https://")):
        location = source
    elif source[:5].lower() == "file:":
        location = unquote(urlsplit(source).path)
    else:
        location = os.path.abspath(source)
    return parse_requirements(
        location, filename=source, read=read or read_local, env=env, is_constraints=is_constraints
    )


def parse_requirement_arg(
    text: str, *, editable: bool = False, cwd: Path | None = None, origin: Origin = COMMAND_LINE
) -> RequirementSpec:
    """A requirement given as a command-line argument; relative paths resolve against ``cwd``."""
    base = os.path.abspath(cwd) if cwd is not None else os.getcwd()
    return parse_requirement_line(text, base_dir=base, editable=editable, origin=origin)
