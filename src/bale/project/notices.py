"""Notes on how a pyproject.toml was read (which table, which keys ignored), passed to one listener.

Reading a project is not an engine with a reporter of its own: the CLI registers a listener once
(``listen``) and every file's notes reach it once per process, however often the file is read (one
``bale sync`` reads the project three times). Without a listener, notes are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bale.model.record import record

__all__ = ["Notice", "emit", "listen"]


@record(frozen=True, slots=True)
class Notice:
    """One line for the user: a ``warning`` (something may not be what they meant) or information."""

    text: str
    warning: bool = False


_listener: Callable[[Notice], None] | None = None
_shown: set[Notice] = set()


def listen(listener: Callable[[Notice], None] | None) -> None:
    """Send notices to ``listener`` from now on (None: drop them); forgets which were shown."""
    global _listener
    _listener = listener
    _shown.clear()


def emit(notices: Iterable[Notice]) -> None:
    """Pass each notice not passed before to the listener."""
    for notice in notices:
        if notice in _shown:
            continue
        _shown.add(notice)
        if _listener is not None:
            _listener(notice)
