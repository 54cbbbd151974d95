"""Resource limits on untrusted archives and build processes, read from ``BALE_*`` environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from bale.model.record import record

from bale.errors import BaleError

UNPACKED_SIZE_VAR = "BALE_MAX_UNPACKED_SIZE"
MEMBERS_VAR = "BALE_MAX_MEMBERS"
RATIO_VAR = "BALE_MAX_COMPRESSION_RATIO"
BUILD_TIMEOUT_VAR = "BALE_BUILD_TIMEOUT"

# Generous on purpose: pip and uv set no limit, and no genuine distribution may trip these. The
# largest wheels on PyPI (torch, tensorflow, CUDA libraries) are ~0.8-2.5 GB zipped and ~2-5 GB
# unpacked, with < 30,000 members and per-member ratios below 10; deflate cannot exceed ~1,032:1,
# so a member above 200:1 is a long run of one byte, which is what a zip bomb is made of.
DEFAULT_MAX_UNPACKED_SIZE = 8 * 1024**3
DEFAULT_MAX_MEMBERS = 200_000
DEFAULT_MAX_COMPRESSION_RATIO = 200.0
# Members that unpack to less than this are exempt from the ratio (their total is bounded by the
# size limit): test fixtures and data files of zeros or repeated lines, a few MiB each, legitimately
# compress beyond 1,000:1; a bomb worth the name unpacks to gigabytes.
RATIO_FLOOR = 64 * 1024 * 1024
# A build that runs half an hour is stuck or mining: the slowest common builds (scipy, pyarrow,
# grpcio from source on 2 cores) take 10-20 minutes.
DEFAULT_BUILD_TIMEOUT = 1800.0

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


@record(frozen=True, slots=True)
class ArchiveLimits:
    """How much an archive may unpack to: total bytes, members, and bytes out per byte in per member."""

    max_unpacked_size: int = DEFAULT_MAX_UNPACKED_SIZE
    max_members: int = DEFAULT_MAX_MEMBERS
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO


def archive_limits(environ: Mapping[str, str] | None = None) -> ArchiveLimits:
    """The limits set by ``BALE_MAX_UNPACKED_SIZE`` (bytes, or with a unit: ``20GiB``, ``500M``),
    ``BALE_MAX_MEMBERS`` and ``BALE_MAX_COMPRESSION_RATIO``, with the defaults for unset ones.

    Three dictionary lookups; raises BaleError naming the variable when a value is not a number.
    """
    env = os.environ if environ is None else environ
    return ArchiveLimits(
        max_unpacked_size=_size(env, UNPACKED_SIZE_VAR, DEFAULT_MAX_UNPACKED_SIZE),
        max_members=int(_number(env, MEMBERS_VAR, DEFAULT_MAX_MEMBERS, "a whole number of members")),
        max_compression_ratio=_number(env, RATIO_VAR, DEFAULT_MAX_COMPRESSION_RATIO, "a number (e.g. 500)"),
    )


def build_timeout(environ: Mapping[str, str] | None = None) -> float:
    """Seconds one build backend process may run (``BALE_BUILD_TIMEOUT``; 0 means no limit)."""
    env = os.environ if environ is None else environ
    seconds = _number(env, BUILD_TIMEOUT_VAR, DEFAULT_BUILD_TIMEOUT, "a number of seconds", zero=True)
    return seconds if seconds > 0 else float("inf")


def format_size(size: float) -> str:
    """``size`` bytes for a person: ``8 GiB``, ``1.5 MiB``, ``512 bytes``."""
    if size < 1024:
        return f"{int(size)} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            return f"{size:.1f} {unit}".replace(".0 ", " ")
    raise AssertionError("unreachable")  # pragma: no cover


def _size(env: Mapping[str, str], var: str, default: int) -> int:
    text = env.get(var, "").strip()
    if not text:
        return default
    match = _SIZE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise BaleError(
            f"{var} must be a size in bytes, optionally with a unit (e.g. 20GiB or 500M), not {text!r}"
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _number(env: Mapping[str, str], var: str, default: float, what: str, *, zero: bool = False) -> float:
    text = env.get(var, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value != value or value < 0 or (value == 0 and not zero):  # NaN, negative or zero
        raise BaleError(f"{var} must be {what}{' (0 for no limit)' if zero else ''}, not {text!r}")
    return value


__all__ = [
    "BUILD_TIMEOUT_VAR",
    "DEFAULT_BUILD_TIMEOUT",
    "DEFAULT_MAX_COMPRESSION_RATIO",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_UNPACKED_SIZE",
    "MEMBERS_VAR",
    "RATIO_FLOOR",
    "RATIO_VAR",
    "UNPACKED_SIZE_VAR",
    "ArchiveLimits",
    "archive_limits",
    "build_timeout",
    "format_size",
]
