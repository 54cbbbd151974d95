"""The resolution memo: a resolution's result, kept with the digests of the index pages it read.

A resolution is a function of its inputs (requirements, settings, target, preferences) and of the index
pages it reads; the metadata it reads is immutable (files are named by URL and hash). So when the same
inputs come again while every page it read is still fresh in the page cache with the same content, the
answer is the same, and is read back instead of recomputed: a repeated ``bale lock`` or ``bale pip
compile`` with a warm cache then costs a few file reads. A result is kept only when the run read nothing
that the page cache cannot vouch for: no missing page, no local folder or file index, no source build.
``BALE_NO_MEMO=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import Any

from bale import __version__
from bale.context import Context
from bale.envvars import env_flag
from bale.model.canonical import canonical

_FORMAT = 1


class ResolutionMemo:
    """One resolution's memo entry, keyed by ``kind`` and its inputs (``parts``)."""

    def __init__(self, ctx: Context, kind: str, parts: Any) -> None:
        self.ctx = ctx
        from bale.lock.fingerprint import without_credentials

        # Without index credentials: the answer does not depend on them, and the digest names a file.
        key = without_credentials(json.dumps([_FORMAT, __version__, kind, canonical(parts)], sort_keys=True))
        digest = hashlib.sha256(key.encode()).hexdigest()
        self.path = ctx.cache.bucket("resolutions-v1") / digest[:2] / f"{digest}.json"
        self.enabled = not env_flag("BALE_NO_MEMO")
        # After ``lookup`` found the answer or ``store`` kept it: the answer is vouched for by the pages
        # in ``ctx.http.pages_seen`` alone, and ``warnings`` are what it showed.
        self.vouched = False
        self.warnings: list[str] = []
        self._unwatch: Callable[[], None] | None = None

    def lookup(self) -> dict[str, Any] | None:
        """The stored result when every page it was computed from is unchanged and fresh; its warnings
        are shown again. None otherwise (then call ``watch`` and ``store``)."""
        if not self.enabled:
            return None
        try:
            data = json.loads(self.path.read_bytes())
            pages = data["pages"]
            payload = data["payload"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(payload, dict):
            return None
        http = self.ctx.http
        for url, accept, digest in pages:
            if http.fresh_page_digest(url, accept) != digest:
                return None
        # The answer rests on these pages as if this run had read them.
        for url, accept, digest in pages:
            http.pages_seen[(url, accept)] = digest
        self.warnings = [str(warning) for warning in data.get("warnings", ())]
        for warning in self.warnings:
            self.ctx.reporter.warn(warning)
        self.vouched = True
        return payload

    def watch(self) -> None:
        """Collect the warnings shown from now on, to show them again with the stored result."""
        reporter = self.ctx.reporter
        original = reporter.warn

        def warn(message: str) -> None:
            self.warnings.append(message)
            original(message)

        # An instance attribute: every holder of this reporter goes through it.
        setattr(reporter, "warn", warn)  # noqa: B010

        def unwatch() -> None:
            reporter.__dict__.pop("warn", None)

        self._unwatch = unwatch

    def store(self, payload: dict[str, Any]) -> None:
        """Keep ``payload`` if this run's pages all came from the page cache's reach (best effort)."""
        if self._unwatch is not None:
            self._unwatch()
        if not self.enabled or "http" not in self.ctx.__dict__:
            return
        http = self.ctx.http
        if not http.pages_complete or self.ctx.built_anything:
            return
        pages = sorted([url, accept, digest] for (url, accept), digest in http.pages_seen.copy().items())
        data = {"pages": pages, "warnings": self.warnings, "payload": payload}
        self.vouched = True
        from bale.fs.atomic import write_atomic

        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(data))
