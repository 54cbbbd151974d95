"""Fixtures for the HTTP and index client tests: a fast-retrying client that ignores the host's netrc."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bale.http.auth import CredentialStore
from bale.http.client import HttpClient
from bale.report import Reporter

ClientFactory = Callable[..., HttpClient]


class RecordingReporter(Reporter):
    """Keeps every event, for assertions."""

    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []
        self._lock = threading.Lock()

    def _add(self, *event: str) -> None:
        with self._lock:
            self.events.append(event)

    def warn(self, message: str) -> None:
        self._add("warn", message)

    def debug(self, message: str) -> None:
        self._add("debug", message)

    def download_start(self, key: str, label: str, total: int | None) -> None:
        self._add("start", key, label, str(total))

    def download_progress(self, key: str, delta: int) -> None:
        self._add("progress", key, str(delta))

    def download_done(self, key: str) -> None:
        self._add("done", key)

    def text(self) -> str:
        return "\n".join(" ".join(e) for e in self.events)


@pytest.fixture
def no_netrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point NETRC at a file that does not exist yet (tests may write it)."""
    path = tmp_path / "netrc"
    monkeypatch.setenv("NETRC", str(path))
    monkeypatch.delenv("BALE_HTTP_TIMEOUT", raising=False)
    return path


@pytest.fixture
def make_client(tmp_path: Path, no_netrc: Path) -> ClientFactory:
    """``make_client(**HttpClient options)``: millisecond backoff, a page cache in tmp_path, no keyring."""

    def build(**options: Any) -> HttpClient:
        options.setdefault("backoff", 0.005)
        options.setdefault("cache_dir", tmp_path / "http-cache")
        options.setdefault("credentials", CredentialStore(use_keyring=False))
        options.setdefault("read_timeout", 5.0)
        return HttpClient(**options)

    return build
