"""``BALE_*`` environment variables read as flags; import-free, as the replayed start-up path reads them."""

from __future__ import annotations

import os


def env_flag(name: str) -> bool:
    """A boolean ``BALE_*`` environment variable: 1, true, yes or on (any case) turn it on."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
