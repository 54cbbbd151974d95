"""Merge-conflict markers in a lock file: found by line, so a conflicted lock is an error, never relocked."""

from __future__ import annotations

import re

from bale.errors import BaleError

__all__ = ["check_no_conflicts", "conflict_lines"]

# git's markers: seven characters at the start of a line; the opening, base (diff3) and closing ones are
# followed by a label or nothing, the separator by nothing. TOML has no line that starts so.
_MARKER = re.compile(r"^(?:(?:<{7}|\|{7}|>{7})(?:[ \t].*)?|={7}[ \t]*)\r?$")


def conflict_lines(text: str) -> list[int]:
    """The line numbers (from 1) of the merge-conflict markers in ``text``; empty when there are none."""
    if "<<<<<<<" not in text and ">>>>>>>" not in text:
        return []  # the common case: two scans, ~40 µs for a 200 kB lock
    found = [(number, line[0]) for number, line in enumerate(text.split("\n"), 1) if _MARKER.match(line)]
    # A separator alone may be text inside a multi-line string; an opening or closing marker cannot.
    if not any(kind in "<>" for _, kind in found):
        return []
    return [number for number, _ in found]


def check_no_conflicts(text: str, *, source: str) -> None:
    """Raise ``BaleError`` naming ``source`` and the marker lines when ``text`` has merge conflicts."""
    lines = conflict_lines(text)
    if not lines:
        return
    shown = ", ".join(map(str, lines[:12])) + (", ..." if len(lines) > 12 else "")
    raise BaleError(
        f"{source} has merge conflict markers (line{'s' if len(lines) > 1 else ''} {shown})",
        context=["bale does not guess which side of a conflicted lock file to keep, nor relock from scratch"],
        hint="resolve the conflict in pyproject.toml, then keep either side of the lock file "
        "(`git checkout --ours pylock.toml`) or delete it, and run `bale lock`",
    )
