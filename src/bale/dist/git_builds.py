"""Git commits in the database: read or build the project at a commit once, keyed by that commit."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.artifact import Artifact, Prepared, vcs_label
from bale.vcs import GitRequest, VcsInfo, parse_git_url, strip_credentials

if TYPE_CHECKING:
    from bale.dist.build import Builder
    from bale.dist.database import DistributionDatabase
    from bale.fs.lock import FileLock


def git_request(url: str, where: str) -> GitRequest:
    """``git+URL@rev#subdirectory=...`` parsed; a malformed one is a BaleError naming ``where``."""
    try:
        return parse_git_url(url)
    except ValueError as err:
        raise BaleError(f"Cannot install {strip_credentials(url)} (from {where}): {err}") from None


def metadata_for_url(db: DistributionDatabase, url: str) -> bytes:
    """The metadata of the commit a pinned ``git+URL@COMMIT`` names (a git artifact's file URL)."""
    request = git_request(url, "a resolution")
    commit = db.git.resolve(request.url, request.revision)
    return git_metadata(db, VcsInfo(request.url, request.revision, commit, request.subdirectory))


def git_metadata(db: DistributionDatabase, vcs: VcsInfo) -> bytes:
    """Core metadata of the project at ``vcs``'s commit and subdirectory, from the cache when it was
    read before (``git-v1/builds/<commit>/<subdirectory key>/METADATA``), else from its build backend."""
    entry = _entry(db, vcs)
    cached = entry / "METADATA"
    try:
        return cached.read_bytes()
    except FileNotFoundError:
        pass
    builder = _builder(db, vcs)
    from bale.fs.atomic import write_atomic

    entry.mkdir(parents=True, exist_ok=True)
    with _entry_lock(db, entry, vcs):
        try:
            return cached.read_bytes()
        except FileNotFoundError:
            pass
        source = source_dir(db, vcs)
        data = builder.source_metadata(source, isolation=db.build_options.isolation)
        write_atomic(cached, data)
        return data


def prepare_git(db: DistributionDatabase, artifact: Artifact) -> Prepared:
    """The wheel of a git commit, unpacked in the cache: built once per commit, subdirectory, Python
    and build options, then found through ``git-v1/builds/.../<key>.sha256`` by every later run."""
    from bale.dist.database import check_built
    from bale.dist.prepare import archive_for, file_sha256, unpacked_wheel
    from bale.fs.atomic import write_atomic

    vcs = artifact.vcs
    assert vcs is not None
    builder = _builder(db, vcs)
    options = db.build_options
    entry = _entry(db, vcs)
    pointer = entry / f"{_wheel_key(db, builder)}.sha256"
    found = _cached_wheel(db, pointer)
    if found is not None:
        db.reporter.debug(f"git: wheel of {vcs_label(vcs)} from the cache")
        return Prepared(artifact, found[1], found[0], from_cache=True)
    entry.mkdir(parents=True, exist_ok=True)
    with _entry_lock(db, entry, vcs):
        found = _cached_wheel(db, pointer)
        if found is not None:
            return Prepared(artifact, found[1], found[0], from_cache=True)
        wheel = builder.build_wheel(
            source_dir(db, vcs), config_settings=options.config_settings, isolation=options.isolation
        )
        check_built(artifact, wheel.name, vcs_label(vcs))
        sha256 = file_sha256(wheel)
        cached = archive_for(db.cache, sha256) is not None
        tree = unpacked_wheel(db.cache, wheel, sha256)
        write_atomic(pointer, sha256)
    return Prepared(artifact, tree, sha256, from_cache=cached)


def source_dir(db: DistributionDatabase, vcs: VcsInfo) -> Path:
    """The project folder inside the commit's checkout (its subdirectory, when one is named)."""
    root = db.git.checkout(vcs.url, vcs.commit_id)
    if vcs.subdirectory is None:
        return root
    folder = root / vcs.subdirectory
    if not folder.is_dir():
        raise BaleError(
            f"The git repository {vcs.public_url} has no folder {vcs.subdirectory!r} at commit "
            f"{vcs.commit_id}" + (f" ({vcs.requested_revision})" if vcs.requested_revision else ""),
            hint="check #subdirectory= in the URL: it is relative to the repository's root",
        )
    return folder


def _cached_wheel(db: DistributionDatabase, pointer: Path) -> tuple[str, Path] | None:
    from bale.cache.cache import is_sha256
    from bale.dist.prepare import archive_for

    try:
        sha256 = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    tree = archive_for(db.cache, sha256) if is_sha256(sha256) else None
    return (sha256, tree) if tree is not None else None


def _entry(db: DistributionDatabase, vcs: VcsInfo) -> Path:
    # A commit fixes every byte of the tree, whichever URL it came from: keyed by commit alone.
    sub = (
        "root"
        if vcs.subdirectory is None
        else "sub-" + hashlib.sha256(vcs.subdirectory.encode()).hexdigest()[:16]
    )
    return db.cache.bucket("git") / "builds" / vcs.commit_id / sub


def _entry_lock(db: DistributionDatabase, entry: Path, vcs: VcsInfo) -> FileLock:
    # One lock for metadata and wheel: backends write into the shared checkout (setuptools' egg-info).
    from bale.fs.lock import FileLock

    return FileLock(entry / "build.lock", label=f"the build of {vcs_label(vcs)}", on_wait=db.reporter.warn)


def _builder(db: DistributionDatabase, vcs: VcsInfo) -> Builder:
    builder = db.builder
    if builder is None:
        raise BaleError(
            f"Cannot install {vcs.public_url} at {vcs.commit_id[:12]}: a git checkout must be built "
            "from source, and this command does not build from source"
        )
    return builder


def _wheel_key(db: DistributionDatabase, builder: Builder) -> str:
    """What makes two builds of one commit differ: the Python, build options and the environment
    the backend runs in when isolation is off."""
    python = builder.context.interpreter
    options = db.build_options
    material = {
        "python": [python.implementation, str(python.version), python.platform, list(python.tags[:1])],
        "config": {k: v for k, v in sorted((options.config_settings or {}).items())},
        "isolation": options.isolation,
        "environment": (
            os.fspath(builder.environment.root)
            if not options.isolation and builder.environment is not None
            else None
        ),
    }
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:20]
