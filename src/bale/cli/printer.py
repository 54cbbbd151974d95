"""All of bale's terminal output: data to stdout, messages to stderr, colour only where wanted."""

from __future__ import annotations

import os
import sys

# Not typing's constant: importing typing costs more than this module's whole job on a replayed run.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from bale.errors import BaleError


def elapsed(seconds: float) -> str:
    """A duration as the summaries show it: ``85ms``, ``1.25s``."""
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") or os.environ.get("CLICOLOR_FORCE"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


class Printer:
    """Writes messages by verbosity: -1 quiet (errors only), 0 normal, 1+ verbose."""

    def __init__(self, verbosity: int = 0, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.verbosity = verbosity
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.colour = _wants_colour(self.err)
        self.interactive = self.err.isatty() and not os.environ.get("CI") and verbosity >= 0

    def _style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def bold(self, text: str) -> str:
        return self._style(text, "1")

    def dim(self, text: str) -> str:
        return self._style(text, "2")

    def green(self, text: str) -> str:
        return self._style(text, "32")

    def red(self, text: str) -> str:
        return self._style(text, "31")

    def data(self, text: str) -> None:
        """A line of the command's result (lists, JSON, paths): stdout, shown even with -q."""
        self.out.write(text + "\n")

    def info(self, text: str) -> None:
        if self.verbosity >= 0:
            self.err.write(text + "\n")

    def warn(self, text: str) -> None:
        if self.verbosity >= 0:
            self.err.write(f"{self._style('warning', '1;33')}: {text}\n")

    def debug(self, text: str) -> None:
        if self.verbosity >= 1:
            self.err.write(self.dim(f"DEBUG {text}") + "\n")

    def error(self, err: BaleError) -> None:
        head = self._style("error", "1;31")
        lines = [f"{head}: {err.message}"]
        lines.extend(f"  {line}" for line in err.context)
        if err.hint:
            lines.append(f"{self._style('hint', '1;36')}: {err.hint}")
        self.err.write("\n".join(lines) + "\n")

    def flush(self) -> None:
        self.out.flush()
        self.err.flush()
