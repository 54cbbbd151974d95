"""The one error type bale raises for user-facing failures; only the CLI renders it."""

from __future__ import annotations

from collections.abc import Sequence

# Exit codes: 1 for a user error (bad input, unreachable index, conflict), 2 for a bug in bale.
USER_ERROR = 1
INTERNAL_ERROR = 2


class BaleError(Exception):
    """A failure a user can act on.

    ``message`` is one sentence naming what failed (the package, file, URL or version at fault);
    ``context`` lines add facts (what was tried, what was seen); ``hint`` says what to do next.
    No colour codes and no trailing newline: ``cli.printer`` renders it.
    """

    def __init__(
        self,
        message: str,
        *,
        context: Sequence[str] = (),
        hint: str | None = None,
        code: int = USER_ERROR,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.context = tuple(context)
        self.hint = hint
        self.code = code

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        lines = [self.message]
        lines.extend(f"  {line}" for line in self.context)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class OfflineError(BaleError):
    """A network access was needed while ``--offline`` was set."""


class HashMismatchError(BaleError):
    """Downloaded or cached bytes do not match the expected hash."""


class UnsafeArchiveError(BaleError):
    """A wheel or sdist whose content would write outside its target, or lies about itself."""


def utf8_error(
    source: str, data: bytes, err: UnicodeDecodeError, *, hint: str, prefix: str | None = None
) -> BaleError:
    """The error for ``data`` (read from ``source``) that is not UTF-8: file, line and column of the
    first bad byte, and the line up to it. ``prefix`` replaces the ``source:line:column: `` start."""
    line_start = data.rfind(b"\n", 0, err.start) + 1
    line_no = data.count(b"\n", 0, err.start) + 1
    before = data[line_start : err.start].decode("utf-8", "replace")
    byte = f"byte 0x{data[err.start]:02x} at offset {err.start}"
    if prefix is None:
        message = f"{source}:{line_no}:{len(before) + 1}: not valid UTF-8 ({byte})"
    else:
        message = f"{prefix}not valid UTF-8 at line {line_no}, column {len(before) + 1} ({byte})"
    return BaleError(
        message, context=[before + "\N{REPLACEMENT CHARACTER}", " " * len(before) + "^"], hint=hint
    )
