"""The CLI's reporter: live progress on a terminal (spinner, bars), plain lines anywhere else.

On a terminal (and without ``--no-progress``) a live area at the bottom of stderr shows a spinner while
resolving, one bar per download over ``BAR_BYTES``, one summary line for the smaller ones and each build
with its elapsed time; permanent lines (warnings, ``Built ...``) are written above it. Anywhere else the
same events are plain lines without escape codes, flushed as they happen: ``Downloading NAME (SIZE)``
and `` Downloaded NAME`` for large files, ``Building NAME==V`` and ``Built NAME==V in T`` for builds.
``-q`` shows none of it; ``-v`` adds the engines' debug lines.
"""

from __future__ import annotations

import threading
import time

from bale.cli.printer import Printer, elapsed
from bale.report import Reporter

# Redrawing more often than this costs more than it tells; 10 frames a second reads as live.
_FRAME_SECONDS = 0.1
# uv's threshold: smaller files finish before a bar would tell anything, so they share one line.
BAR_BYTES = 1024 * 1024
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_BAR_WIDTH = 30


def _size(total: int) -> str:
    """``15.8MiB``, as uv writes download sizes."""
    if total < 1024:
        return f"{total}B"
    if total < 1024 * 1024:
        return f"{total / 1024:.1f}KiB"
    return f"{total / 1048576:.1f}MiB"


class _Transfer:
    """One download in flight (mutable: updated once per chunk, under the reporter's lock).

    A plain class: a dataclass costs ~2 ms to create at import, on every run, for what a cold run uses.
    """

    __slots__ = ("label", "received", "total")

    def __init__(self, label: str, total: int | None) -> None:
        self.label = label
        self.total = total
        self.received = 0


class CliReporter(Reporter):
    """Thread-safe: every event takes the lock, and the ticker thread only redraws under it."""

    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        self._lock = threading.Lock()
        self._active: dict[str, _Transfer] = {}
        self._done = 0
        self._builds: dict[str, float] = {}  # "name==version" -> start (monotonic)
        self._resolving = 0  # resolutions running (a build's own resolution nests in another's)
        self._last_draw = 0.0
        self._drawn = 0  # lines of the live area on screen
        self._frame = 0
        self._ticker: threading.Thread | None = None

    # -- messages --------------------------------------------------------------------------------

    def warn(self, message: str) -> None:
        with self._lock:
            self._clear()
            self.printer.warn(message)
            self._flush_line()

    def debug(self, message: str) -> None:
        if self.printer.verbosity >= 1:
            with self._lock:
                self._clear()
                self.printer.debug(message)
                self._flush_line()

    def _line(self, text: str) -> None:
        """A permanent line above the live area (or a plain line), flushed now."""
        self._clear()
        self.printer.info(text)
        self._flush_line()

    def _flush_line(self) -> None:
        self.printer.err.flush()
        self._draw(force=True)

    # -- resolution ------------------------------------------------------------------------------

    def resolve_start(self) -> None:
        if not self.printer.interactive:
            return
        with self._lock:
            self._resolving += 1
            self._tick()
            self._draw(force=True)

    def resolve_done(self) -> None:
        if not self.printer.interactive:
            return
        with self._lock:
            self._resolving = max(0, self._resolving - 1)
            self._draw(force=True)

    # -- downloads -------------------------------------------------------------------------------

    def download_start(self, key: str, label: str, total: int | None) -> None:
        if self.printer.verbosity < 0:
            return
        with self._lock:
            self._active[key] = _Transfer(label, total)
            if not self.printer.interactive:
                if total is not None and total > BAR_BYTES:
                    self._line(f"Downloading {label} ({_size(total)})")
                return
            self._draw(force=True)  # once per file: a new line or name shows at once

    def download_progress(self, key: str, delta: int) -> None:
        if not self.printer.interactive:
            return
        with self._lock:
            entry = self._active.get(key)
            if entry is None:
                return
            entry.received += delta
            self._draw()

    def download_done(self, key: str) -> None:
        if self.printer.verbosity < 0:
            return
        with self._lock:
            entry = self._active.pop(key, None)
            if entry is None:
                return
            self._done += 1
            if not self.printer.interactive:
                if entry.total is not None and entry.total > BAR_BYTES:
                    self._line(f" Downloaded {entry.label}")
                return
            self._draw(force=True)

    # -- builds and installs ---------------------------------------------------------------------

    def build_start(self, name: str, version: str | None) -> None:
        label = f"{name}=={version}" if version else name
        with self._lock:
            if not self.printer.interactive:
                self._line(self.printer.dim(f"Building {label}"))
                return
            self._builds[label] = time.monotonic()
            self._tick()
            self._draw(force=True)

    def build_done(self, name: str, version: str, seconds: float) -> None:
        with self._lock:
            self._builds.pop(f"{name}=={version}", None)
            self._builds.pop(str(name), None)  # a source tree: its version was known once built
            self._line(self.printer.dim(f"Built {name}=={version} in {elapsed(seconds)}"))

    def install_progress(self, label: str, done: int, total: int) -> None:
        if not self.printer.interactive:
            return
        with self._lock:
            self._show([f"Installing {done}/{total} {label}"])

    def finish(self) -> None:
        with self._lock:
            self._active.clear()
            self._builds.clear()
            self._resolving = 0
            self._clear()

    # -- drawing (under the lock) ----------------------------------------------------------------

    def _tick(self) -> None:
        """Start the thread that animates the spinner and build timers while either is shown."""
        if self._ticker is not None and self._ticker.is_alive():
            return
        self._ticker = threading.Thread(target=self._run_ticker, name="bale-progress", daemon=True)
        self._ticker.start()

    def _run_ticker(self) -> None:
        while True:
            time.sleep(_FRAME_SECONDS)
            with self._lock:
                if not self._resolving and not self._builds:
                    return
                self._frame += 1
                self._draw(force=True)

    def _live_lines(self) -> list[str]:
        spinner = _SPINNER[self._frame % len(_SPINNER)]
        lines: list[str] = []
        now = time.monotonic()
        for label, started in self._builds.items():
            lines.append(f"{spinner} Building {label} ({elapsed(now - started)})")
        small: list[str] = []
        received = expected = 0
        for transfer in self._active.values():
            size, got = transfer.total or 0, transfer.received
            if size > BAR_BYTES:
                filled = min(_BAR_WIDTH, _BAR_WIDTH * got // size)
                bar = "=" * filled + " " * (_BAR_WIDTH - filled)
                lines.append(f"{transfer.label} [{bar}] {_size(got)}/{_size(size)}")
            else:
                small.append(transfer.label)
                received += got
                expected += size
        if small:
            sizes = f" {received / 1048576:.1f}/{expected / 1048576:.1f} MiB" if expected else ""
            names = ", ".join(small[:3])
            lines.append(f"Downloading {len(small)} ({self._done} done){sizes}: {names}")
        if self._resolving and not lines:
            lines.append(f"{spinner} Resolving dependencies...")
        return lines

    def _draw(self, force: bool = False) -> None:
        if not self.printer.interactive:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < _FRAME_SECONDS:
            return
        self._last_draw = now
        self._show(self._live_lines())

    def _show(self, lines: list[str]) -> None:
        import shutil

        width = shutil.get_terminal_size((80, 20)).columns - 1
        text = self._erase() + "\n".join(line[:width] for line in lines)
        self.printer.err.write(text)
        self.printer.err.flush()
        self._drawn = len(lines)

    def _erase(self) -> str:
        """Escape codes that clear the live area and leave the cursor at its first column."""
        if not self._drawn:
            return ""
        return "\r\x1b[2K" + "\x1b[1A\x1b[2K" * (self._drawn - 1)

    def _clear(self) -> None:
        if self._drawn:
            self.printer.err.write(self._erase())
            self.printer.err.flush()
            self._drawn = 0
