"""The no-op sync: a stamp in the environment says "this lock, these inputs and settings were synced, and
site-packages has not changed since", so a repeated ``bale sync`` / ``bale run`` skips reading the lock.

What the full sync compares (the names and versions of the installed distributions) lives in
site-packages' entries: installing or removing a distribution, by bale or any other tool, adds or removes
a ``.dist-info`` folder and so changes the folder's mtime. The stamp is dropped whenever the sync involves
a non-editable source tree, whose files the full sync re-checks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bale.model.canonical import canonical

STAMP_FILE = ".bale-sync.json"
_FORMAT = 1


def stamp_key(
    lock_bytes: bytes, settings: Any, root: Path, pyprojects: Iterable[Path], *, located: bool
) -> str:
    """What a sync's result depends on besides the environment: the lock, the command's settings and
    the project files (versions, entry points, sources), named relative to the project ``root``. The
    root itself counts only when ``located``: when something is installed from a folder (an editable
    project, a path dependency), whose location the environment records."""
    digest = hashlib.sha256(lock_bytes)
    digest.update(json.dumps(canonical(settings), sort_keys=True).encode())
    if located:
        digest.update(os.fsencode(root))
    for path in sorted(pyprojects):
        digest.update(os.fsencode(os.path.relpath(path, root)))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _site_state(folders: Iterable[Path]) -> list[list[Any]] | None:
    state: list[list[Any]] = []
    for folder in sorted(set(folders)):
        try:
            state.append([str(folder), os.stat(folder).st_mtime_ns])
        except OSError:
            return None
    return state


def read_stamp(environment: Path, key: str) -> dict[str, Any] | None:
    """The stamp's facts when it matches ``key`` and site-packages is unchanged; else None."""
    try:
        data = json.loads((environment / STAMP_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("key") != key:
        return None
    site = data.get("site_packages")
    if not isinstance(site, list) or not all(isinstance(entry, list) and entry for entry in site):
        return None
    if _site_state(Path(entry[0]) for entry in site) != site:
        return None
    return data


def write_stamp(
    environment: Path, key: str, site_packages: Iterable[Path], *, lock_fingerprint: str | None, count: int
) -> None:
    """Record a finished sync (best effort: a stamp that cannot be written only costs speed)."""
    state = _site_state(site_packages)
    if state is None:
        return
    data = {
        "format": _FORMAT,
        "key": key,
        "site_packages": state,
        "lock_fingerprint": lock_fingerprint,
        "count": count,
    }
    from bale.fs.atomic import write_atomic

    with contextlib.suppress(OSError):
        write_atomic(environment / STAMP_FILE, json.dumps(data))


def drop_stamp(environment: Path) -> None:
    with contextlib.suppress(OSError):
        (environment / STAMP_FILE).unlink()
