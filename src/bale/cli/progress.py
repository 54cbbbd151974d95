"""The CLI's reporter: warnings and debug lines, and a live download line when stderr is a terminal."""

from __future__ import annotations

import threading
import time

from bale.cli.printer import Printer
from bale.report import Reporter

# Redrawing more often than this costs more than it tells; 10 frames a second reads as live.
_FRAME_SECONDS = 0.1


class CliReporter(Reporter):
    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        self._lock = threading.Lock()
        self._active: dict[str, tuple[str, int | None, int]] = {}
        self._done = 0
        self._last_draw = 0.0
        self._drawn = False

    def warn(self, message: str) -> None:
        with self._lock:
            self._clear()
            self.printer.warn(message)

    def debug(self, message: str) -> None:
        if self.printer.verbosity >= 1:
            with self._lock:
                self._clear()
                self.printer.debug(message)

    def download_start(self, key: str, label: str, total: int | None) -> None:
        if not self.printer.interactive:
            return
        with self._lock:
            self._active[key] = (label, total, 0)
            self._draw()

    def download_progress(self, key: str, delta: int) -> None:
        if not self.printer.interactive:
            return
        with self._lock:
            label, total, done = self._active.get(key, (key, None, 0))
            self._active[key] = (label, total, done + delta)
            self._draw()

    def download_done(self, key: str) -> None:
        if not self.printer.interactive:
            return
        with self._lock:
            if self._active.pop(key, None) is not None:
                self._done += 1
            self._draw(force=True)

    def install_progress(self, label: str, done: int, total: int) -> None:
        if not self.printer.interactive:
            return
        with self._lock:
            self._write(f"Installing {done}/{total} {label}")

    def build_done(self, name: str, version: str, seconds: float) -> None:
        took = f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"
        with self._lock:
            self._clear()
            self.printer.info(self.printer.dim(f"Built {name}=={version} in {took}"))

    def finish(self) -> None:
        with self._lock:
            self._clear()

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < _FRAME_SECONDS:
            return
        self._last_draw = now
        if not self._active:
            self._clear()
            return
        received = sum(done for _, _, done in self._active.values())
        expected = sum(total or 0 for _, total, _ in self._active.values())
        names = ", ".join(label for label, _, _ in list(self._active.values())[:3])
        size = f" {received / 1048576:.1f}/{expected / 1048576:.1f} MiB" if expected else ""
        self._write(f"Downloading {len(self._active)} ({self._done} done){size}: {names}")

    def _write(self, text: str) -> None:
        import shutil

        width = shutil.get_terminal_size((80, 20)).columns - 1
        self.printer.err.write("\r\x1b[2K" + text[:width])
        self.printer.err.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.printer.err.write("\r\x1b[2K")
            self.printer.err.flush()
            self._drawn = False
