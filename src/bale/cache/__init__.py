"""The on-disk cache shared by every bale process: versioned buckets of content-addressed entries."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

CACHE_DIR_ENV = "BALE_CACHE_DIR"


def default_root(environ: Mapping[str, str] = os.environ) -> str:
    """``$BALE_CACHE_DIR``, else the platform's user cache dir for bale."""
    configured = environ.get(CACHE_DIR_ENV, "").strip()
    if configured:
        return os.path.expanduser(configured)
    from bale.user_dirs import user_cache_dir

    return user_cache_dir(environ)
