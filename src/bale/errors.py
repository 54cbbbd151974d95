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
