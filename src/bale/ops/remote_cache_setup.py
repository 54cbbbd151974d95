"""Open the run's remote cache from its settings (``--remote-cache``, ``BALE_REMOTE_CACHE``, bale.toml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bale.cache.remote import open_store
from bale.cache.remote.remote import RemoteCache
from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.cache.cache import Cache
    from bale.ops.settings import GlobalSettings
    from bale.report import Reporter

# Seconds to wait for a connection, and for an answer, before a store counts as unavailable: a
# store that slow would cost more than the builds it saves (obstore retries twice within the latter).
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0


def timeouts() -> tuple[float, float]:
    """(connect, read) seconds; ``BALE_REMOTE_CACHE_TIMEOUT`` sets the read timeout (and caps connect)."""
    text = os.environ.get("BALE_REMOTE_CACHE_TIMEOUT", "").strip()
    if not text:
        return CONNECT_TIMEOUT, READ_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise BaleError(
            f"Invalid BALE_REMOTE_CACHE_TIMEOUT {text!r}", hint="give a number of seconds, such as 10"
        )
    return min(CONNECT_TIMEOUT, seconds), seconds


def open_remote_cache(settings: GlobalSettings, reporter: Reporter) -> RemoteCache:
    """The remote cache ``settings`` names; a BaleError for an unusable URL or a missing S3 client."""
    url = settings.remote_cache or ""
    connect, read = timeouts()
    store = open_store(url, connect_timeout=connect, read_timeout=read)
    return RemoteCache(
        store,
        readonly=settings.remote_cache_readonly,
        wheels=settings.remote_cache_wheels,
        warn=reporter.warn,
        debug=reporter.debug,
    )


def use_project_setting(
    cache: Cache, settings: GlobalSettings, reporter: Reporter, raw: Mapping[str, Any]
) -> None:
    """Open the remote cache a project's ``[tool.bale]`` names (``remote-cache``, ``-readonly``,
    ``-wheels``) when none is configured otherwise (command line, environment, bale.toml)."""
    url = raw.get("remote-cache")
    if cache.remote is not None or settings.remote_cache or not isinstance(url, str) or not url:
        return
    chosen = replace(
        settings,
        remote_cache=url,
        remote_cache_readonly=settings.remote_cache_readonly or raw.get("remote-cache-readonly") is True,
        remote_cache_wheels=settings.remote_cache_wheels or raw.get("remote-cache-wheels") is True,
    )
    cache.remote = open_remote_cache(chosen, reporter)
