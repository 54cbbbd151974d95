"""``bale cache remote``: what a remote cache holds, pruning old entries, and checking every payload."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import field

from bale.cache.remote import ObjectInfo, RemoteStore
from bale.cache.remote.remote import ROOT, cas_key
from bale.model.record import record

_KINDS = ("cas", "builds", "metadata")


@record
class Stats:
    """Objects and bytes per kind: ``cas`` (payloads), ``builds`` and ``metadata`` (manifests)."""

    objects: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KINDS, 0))
    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KINDS, 0))
    oldest: float | None = None
    newest: float | None = None


def _kind(info: ObjectInfo) -> str | None:
    parts = info.key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == ROOT and parts[1] in _KINDS else None


def stats(store: RemoteStore) -> Stats:
    """One listing of the store (a request per 1,000 objects on S3)."""
    result = Stats()
    for info in store.list(ROOT + "/"):
        kind = _kind(info)
        if kind is None:
            continue
        result.objects[kind] += 1
        result.bytes[kind] += info.size
        result.oldest = info.modified if result.oldest is None else min(result.oldest, info.modified)
        result.newest = info.modified if result.newest is None else max(result.newest, info.modified)
    return result


@record(frozen=True)
class Pruned:
    manifests: int
    payloads: int
    bytes: int


def prune(store: RemoteStore, *, older_than: float, now: float, dry_run: bool = False) -> Pruned:
    """Delete manifests written more than ``older_than`` seconds before ``now``, then payloads as old
    that no remaining manifest names (a downloaded wheel has none: it goes by age alone). Object
    stores keep no access time, so age is time since upload: a wheel still in use is uploaded
    again by the next machine that builds it."""
    cutoff = now - older_than
    objects = list(store.list(ROOT + "/"))
    keep: set[str] = set()
    manifests = payloads = nbytes = 0
    for info in objects:
        kind = _kind(info)
        if kind not in ("builds", "metadata"):
            continue
        if info.modified < cutoff:
            manifests += 1
            nbytes += info.size
            if not dry_run:
                store.delete(info.key)
            continue
        data = store.get(info.key)
        try:
            sha256 = json.loads(data or b"{}").get("sha256")
        except (ValueError, AttributeError):
            sha256 = None
        if isinstance(sha256, str):
            keep.add(cas_key(sha256))
    for info in objects:
        if _kind(info) == "cas" and info.modified < cutoff and info.key not in keep:
            payloads += 1
            nbytes += info.size
            if not dry_run:
                store.delete(info.key)
    return Pruned(manifests, payloads, nbytes)


@record(frozen=True)
class Problem:
    key: str
    reason: str


def verify(
    store: RemoteStore, *, delete: bool = False, on_checked: Callable[[ObjectInfo], None] | None = None
) -> tuple[int, list[Problem]]:
    """Download every payload and check it against the digest in its key; check every manifest
    names a payload that exists. Returns (objects checked, problems); ``delete`` removes bad ones."""
    objects = list(store.list(ROOT + "/"))
    present = {info.key for info in objects}
    problems: list[Problem] = []
    checked = 0
    for info in objects:
        kind = _kind(info)
        if kind is None:
            continue
        checked += 1
        data = store.get(info.key)
        if data is None:
            continue  # deleted meanwhile
        if kind == "cas":
            expected = info.key.rsplit("/", 1)[-1]
            actual = hashlib.sha256(data).hexdigest()
            if actual != expected:
                problems.append(Problem(info.key, f"its sha256 is {actual}"))
        else:
            try:
                sha256 = json.loads(data).get("sha256")
            except (ValueError, AttributeError):
                sha256 = None
            if not isinstance(sha256, str):
                problems.append(Problem(info.key, "it is not a valid manifest"))
            elif cas_key(sha256) not in present:
                problems.append(Problem(info.key, f"the payload it names ({cas_key(sha256)}) is missing"))
        if on_checked is not None:
            on_checked(info)
    if delete:
        for problem in problems:
            store.delete(problem.key)
    return checked, problems
