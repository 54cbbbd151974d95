"""Keep the whole output of a failed build in the cache, a few logs per package, for the error to name."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bale.cache.cache import Cache

# Enough to compare the last attempts; a log is rarely over 1 MB, so 10 stay small.
KEEP_PER_PACKAGE = 10
LOGS_DIR = "build-logs"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def write_build_log(
    cache: Cache, package: str, label: str, hook: str, header: str, output: str
) -> Path | None:
    """Write ``header`` and ``output`` to ``<cache>/build-logs/<package>/<time>-<label>-<hook>.log``.

    Outside the buckets on purpose: no reader of built wheels meets them, and ``bale cache clean``
    removes them with the rest. Older logs of the package beyond ``KEEP_PER_PACKAGE`` are deleted.
    Returns the path, or None when the cache cannot be written (the error then shows the tail only):
    a log must never hide the build's own failure.
    """
    from bale.model.names import normalize

    try:
        folder = cache.root / LOGS_DIR / normalize(package)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = _UNSAFE.sub("_", f"{stamp}-{os.getpid()}-{label}-{hook}")
        path = folder / f"{name}.log"
        path.write_text(f"{header}\n\n{output}", encoding="utf-8", errors="replace")
        _trim(folder)
    except OSError:
        return None
    return path


def _trim(folder: Path) -> None:
    logs = sorted(folder.glob("*.log"), key=lambda path: (path.stat().st_mtime, path.name))
    for old in logs[:-KEEP_PER_PACKAGE]:
        old.unlink(missing_ok=True)


__all__ = ["KEEP_PER_PACKAGE", "LOGS_DIR", "write_build_log"]
