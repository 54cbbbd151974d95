"""Wiring: builds the cache, HTTP client, index client and environments a command needs, once each."""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bale.ops.settings import GlobalSettings, IndexSettings
from bale.report import NULL_REPORTER, Reporter

if TYPE_CHECKING:
    from bale.cache.cache import Cache
    from bale.http.client import HttpClient
    from bale.index.sources import IndexClient
    from bale.python.venv import PythonEnvironment


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class Context:
    """Per-run services, created lazily so a command pays only for what it uses."""

    def __init__(self, settings: GlobalSettings, reporter: Reporter = NULL_REPORTER) -> None:
        self.settings = settings
        self.reporter = reporter
        self._temp_cache: str | None = None

    @property
    def offline(self) -> bool:
        return self.settings.offline or _env_flag("BALE_OFFLINE")

    @cached_property
    def cache(self) -> Cache:
        from bale.cache.cache import Cache

        if self.settings.no_cache or _env_flag("BALE_NO_CACHE"):
            self._temp_cache = tempfile.mkdtemp(prefix="bale-cache-")
            return Cache(Path(self._temp_cache))
        if self.settings.cache_dir is not None:
            return Cache(self.settings.cache_dir)
        return Cache.default()

    @cached_property
    def http(self) -> HttpClient:
        from bale.http.client import HttpClient

        return HttpClient(
            offline=self.offline, cache_dir=self.cache.bucket("simple-v1"), reporter=self.reporter
        )

    def index_client(self, index: IndexSettings) -> IndexClient:
        from bale.index.sources import IndexClient, IndexSources

        sources = IndexSources(
            index_urls=() if index.no_index else (index.index_url,),
            extra_index_urls=() if index.no_index else index.extra_index_urls,
            find_links=index.find_links,
            no_index=index.no_index,
        )
        return IndexClient(self.http, sources, reporter=self.reporter)

    def environment(self, python: str | None, cwd: Path | None = None) -> PythonEnvironment:
        from bale.python.venv import find_environment

        return find_environment(
            python_request=python or os.environ.get("BALE_PYTHON") or None,
            cwd=cwd or Path.cwd(),
            cache_dir=self.cache.bucket("interpreters-v1"),
        )

    def close(self) -> None:
        if self._temp_cache:
            shutil.rmtree(self._temp_cache, ignore_errors=True)
