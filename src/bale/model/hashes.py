"""Artifact hashes: which algorithms bale trusts and how to compare them."""

from __future__ import annotations

from collections.abc import Mapping

# Algorithms accepted from indexes, requirement files and lock files, strongest first.
# md5/sha1 never satisfy a hash check on their own: they are too weak to vouch for bytes.
STRONG_ALGORITHMS: tuple[str, ...] = ("sha512", "sha384", "sha256", "sha224")

Hashes = Mapping[str, str]


def parse_hash(text: str) -> tuple[str, str]:
    """Split ``sha256:abc...`` or ``sha256=abc...`` into (algorithm, lower-case hex digest)."""
    for sep in (":", "="):
        if sep in text:
            algo, _, digest = text.partition(sep)
            return algo.strip().lower(), digest.strip().lower()
    raise ValueError(f"not a hash (expected ALGORITHM:DIGEST): {text!r}")


def best_algorithm(hashes: Hashes) -> str | None:
    """The strongest algorithm present in ``hashes``, or None when none is strong enough."""
    for algo in STRONG_ALGORITHMS:
        if algo in hashes:
            return algo
    return None


def hashes_agree(expected: Hashes, actual: Hashes) -> bool:
    """True when every algorithm both sides know gives the same digest, and they share one."""
    shared = [a for a in expected if a in actual]
    return bool(shared) and all(expected[a].lower() == actual[a].lower() for a in shared)
