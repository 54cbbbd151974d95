"""Fixtures for the provider tests: a provider over a local index, with a recording reporter."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.tags import Tag
from packaging.version import Version

from bale.http.auth import CredentialStore
from bale.http.client import HttpClient
from bale.index.metadata import MetadataFetcher
from bale.index.provider import IndexProvider, ProviderOptions
from bale.index.sources import IndexClient, IndexSources
from bale.model.target import TargetEnv
from bale.report import Reporter


class RecordingReporter(Reporter):
    """Keeps warnings, for assertions."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self._lock = threading.Lock()

    def warn(self, message: str) -> None:
        with self._lock:
            self.warnings.append(message)


def linux_target(python: str = "3.11.4") -> TargetEnv:
    """A fixed CPython on x86_64 manylinux_2_17 Linux, whatever runs the tests."""
    from bale.model.platforms import synthetic_target

    return synthetic_target(Version(python), "x86_64-manylinux_2_17", None)


MakeProvider = Callable[..., IndexProvider]


@pytest.fixture
def reporter() -> RecordingReporter:
    return RecordingReporter()


@pytest.fixture
def executor() -> Any:
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="test-provider")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def make_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reporter: RecordingReporter, executor: Any
) -> MakeProvider:
    """``make_provider(index_url_or_None, target=..., offline=False, find_links=(), **ProviderOptions)``."""
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.delenv("BALE_HTTP_TIMEOUT", raising=False)

    def build(
        index: str | None,
        *,
        target: TargetEnv | None = None,
        offline: bool = False,
        find_links: tuple[str, ...] = (),
        **options: Any,
    ) -> IndexProvider:
        http = HttpClient(
            backoff=0.005,
            retries=1,
            read_timeout=5.0,
            offline=offline,
            cache_dir=tmp_path / "http-cache",
            credentials=CredentialStore(use_keyring=False),
        )
        sources = IndexSources(index_urls=(index,) if index else (), find_links=find_links)
        client = IndexClient(http, sources, executor=executor)
        fetcher = MetadataFetcher(http, cache_dir=tmp_path / "metadata")
        return IndexProvider(
            client,
            fetcher,
            target or linux_target(),
            options=ProviderOptions(**options),
            executor=executor,
            reporter=reporter,
        )

    return build


def host_target() -> TargetEnv:
    """The running interpreter's target, straight from packaging."""
    from packaging.tags import sys_tags

    tags: tuple[Tag, ...] = tuple(sys_tags())
    return TargetEnv(Version(default_environment()["python_full_version"]), default_environment(), tags)
