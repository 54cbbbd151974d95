"""Read and write a ``.python-version`` pin file."""

from __future__ import annotations

from pathlib import Path

from bale.errors import BaleError

PIN_FILE = ".python-version"


def pinned_text(path: Path) -> str | None:
    """The first line of ``path`` that is not blank or a comment (the pin), or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BaleError(f"Could not read {path}", context=[str(err)]) from err
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line
    return None


def write_pin(path: Path, request: str) -> str | None:
    """Make ``path`` pin ``request`` (one line, atomically); returns the pin it replaced, if any.

    Comment lines of an existing file are kept (a team's note above the pin); the pin line is
    replaced, as uv replaces the whole file's request.
    """
    from bale.fs.atomic import write_atomic

    previous: str | None = None
    kept: list[str] = []
    if path.is_file():
        previous = pinned_text(path)
        kept = [
            line for line in path.read_text(encoding="utf-8").splitlines() if line.strip().startswith("#")
        ]
    try:
        write_atomic(path, "".join(f"{line}\n" for line in [*kept, request]))
    except OSError as err:
        raise BaleError(f"Could not write {path}: {err.strerror or err}") from err
    return previous
