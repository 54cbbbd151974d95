"""Git requirements: resolve ``git+URL@rev`` to a commit, and read or build that commit once, keyed by it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.dists import FileKind, IndexFile
from bale.model.requirement import RequirementSpec
from bale.vcs import GitRequest, VcsInfo, parse_git_url, strip_credentials

if TYPE_CHECKING:
    from packaging.version import Version

    from bale.context import Context
    from bale.dist.build import Builder
    from bale.fs.lock import FileLock
    from bale.model.names import NormalizedName
    from bale.ops.prepare import Prepared
    from bale.ops.sources import Artifact


def _request(url: str, where: str) -> GitRequest:
    try:
        return parse_git_url(url)
    except ValueError as err:
        raise BaleError(f"Cannot install {strip_credentials(url)} (from {where}): {err}") from None


def git_artifact(ctx: Context, spec: RequirementSpec, url: str) -> Artifact:
    """The distribution a ``git+`` requirement names: its revision resolved to a commit, its name and
    version from the commit's metadata (cached by commit: a backend run the first time only)."""
    from bale.index.metadata import parse_metadata
    from bale.model.names import normalize
    from bale.ops.sources import _check_named

    shown = strip_credentials(url)
    if url.startswith(("hg+", "svn+", "bzr+")):
        scheme = url.split("+", 1)[0]
        raise BaleError(
            f"Cannot install {shown} (from {spec.origin}): bale checks out git repositories only, "
            f"not {scheme}",
            hint="clone the repository and install the folder (bale pip install ./folder)",
        )
    if spec.editable:
        raise BaleError(
            f"Cannot install {shown} in editable mode: bale does not make editable installs from git",
            hint="clone the repository and install the folder with -e (bale pip install -e ./folder), "
            "or drop -e to install this commit as a copy",
        )
    if spec.hashes:
        raise BaleError(
            f"Cannot check --hash of {shown} (at {spec.origin}): a git checkout is no file",
            hint="hash-checking needs files: install a built wheel or sdist instead",
        )
    request = _request(url, str(spec.origin))
    commit = ctx.git.resolve(request.url, request.revision)
    vcs = VcsInfo(request.url, request.revision, commit, request.subdirectory)
    label = f"{shown} ({commit[:12]})"
    metadata = parse_metadata(git_metadata(ctx, vcs), label)
    name, version = normalize(metadata.name), metadata.version
    _check_named(spec, name, version, label)
    return vcs_artifact(name, version, vcs)


def vcs_artifact(name: NormalizedName, version: Version, vcs: VcsInfo, *, requested: bool = True) -> Artifact:
    """The artifact of a commit already resolved (a lock file's ``[packages.vcs]``): nothing is run now;
    preparing it checks out and builds the commit, or finds its wheel in the cache."""
    from bale.ops.sources import Artifact

    file = IndexFile(
        filename=_label(vcs),
        url=vcs.pinned_url(public=False),
        name=name,
        version=version,
        kind=FileKind.SDIST,
        source=vcs.pinned_url(),
    )
    return Artifact(name, version, file, direct=True, requested=requested, vcs=vcs)


def metadata_for_url(ctx: Context, url: str) -> bytes:
    """The metadata of the commit a pinned ``git+URL@COMMIT`` names (``git_artifact``'s file URL)."""
    request = _request(url, "a resolution")
    commit = ctx.git.resolve(request.url, request.revision)
    return git_metadata(ctx, VcsInfo(request.url, request.revision, commit, request.subdirectory))


def git_metadata(ctx: Context, vcs: VcsInfo) -> bytes:
    """Core metadata of the project at ``vcs``'s commit and subdirectory, from the cache when it was
    read before (``git-v1/builds/<commit>/<subdirectory key>/METADATA``), else from its build backend."""
    entry = _entry(ctx, vcs)
    cached = entry / "METADATA"
    try:
        return cached.read_bytes()
    except FileNotFoundError:
        pass
    builder = _builder(ctx, vcs)
    from bale.fs.atomic import write_atomic

    entry.mkdir(parents=True, exist_ok=True)
    with _entry_lock(ctx, entry, vcs):
        try:
            return cached.read_bytes()
        except FileNotFoundError:
            pass
        source = source_dir(ctx, vcs)
        data = builder.source_metadata(source, isolation=ctx.build_options.isolation)
        write_atomic(cached, data)
        return data


def prepare_git(ctx: Context, artifact: Artifact) -> Prepared:
    """The wheel of a git commit, unpacked in the cache: built once per commit, subdirectory, Python
    and build options, then found through ``git-v1/builds/.../<key>.sha256`` by every later run."""
    from bale.dist.prepare import archive_for, file_sha256, unpacked_wheel
    from bale.fs.atomic import write_atomic
    from bale.ops.prepare import Prepared, _check_built

    vcs = artifact.vcs
    assert vcs is not None
    builder = _builder(ctx, vcs)
    options = ctx.build_options
    entry = _entry(ctx, vcs)
    pointer = entry / f"{_wheel_key(ctx, builder)}.sha256"
    found = _cached_wheel(ctx, pointer)
    if found is not None:
        ctx.reporter.debug(f"git: wheel of {_label(vcs)} from the cache")
        return Prepared(artifact, found[1], found[0], from_cache=True)
    entry.mkdir(parents=True, exist_ok=True)
    with _entry_lock(ctx, entry, vcs):
        found = _cached_wheel(ctx, pointer)
        if found is not None:
            return Prepared(artifact, found[1], found[0], from_cache=True)
        wheel = builder.build_wheel(
            source_dir(ctx, vcs), config_settings=options.config_settings, isolation=options.isolation
        )
        _check_built(artifact, wheel.name, _label(vcs))
        sha256 = file_sha256(wheel)
        cached = archive_for(ctx.cache, sha256) is not None
        tree = unpacked_wheel(ctx.cache, wheel, sha256)
        write_atomic(pointer, sha256)
    return Prepared(artifact, tree, sha256, from_cache=cached)


def source_dir(ctx: Context, vcs: VcsInfo) -> Path:
    """The project folder inside the commit's checkout (its subdirectory, when one is named)."""
    root = ctx.git.checkout(vcs.url, vcs.commit_id)
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


def _cached_wheel(ctx: Context, pointer: Path) -> tuple[str, Path] | None:
    from bale.cache.cache import is_sha256
    from bale.dist.prepare import archive_for

    try:
        sha256 = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    tree = archive_for(ctx.cache, sha256) if is_sha256(sha256) else None
    return (sha256, tree) if tree is not None else None


def _entry(ctx: Context, vcs: VcsInfo) -> Path:
    # A commit fixes every byte of the tree, whichever URL it came from: keyed by commit alone.
    sub = (
        "root"
        if vcs.subdirectory is None
        else "sub-" + hashlib.sha256(vcs.subdirectory.encode()).hexdigest()[:16]
    )
    return ctx.cache.bucket("git") / "builds" / vcs.commit_id / sub


def _entry_lock(ctx: Context, entry: Path, vcs: VcsInfo) -> FileLock:
    # One lock for metadata and wheel: backends write into the shared checkout (setuptools' egg-info).
    from bale.fs.lock import FileLock

    return FileLock(entry / "build.lock", label=f"the build of {_label(vcs)}", on_wait=ctx.reporter.warn)


def _builder(ctx: Context, vcs: VcsInfo) -> Builder:
    builder = ctx.builder
    if builder is None:
        raise BaleError(
            f"Cannot install {vcs.public_url} at {vcs.commit_id[:12]}: a git checkout must be built "
            "from source, and this command does not build from source"
        )
    return builder


def _wheel_key(ctx: Context, builder: Builder) -> str:
    """What makes two builds of one commit differ: the Python, build options and the environment
    the backend runs in when isolation is off."""
    python = builder.context.interpreter
    options = ctx.build_options
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


def _label(vcs: VcsInfo) -> str:
    """How messages name a commit: the repository's last path segment and a short commit id."""
    name = vcs.public_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or vcs.public_url
    where = f"/{vcs.subdirectory}" if vcs.subdirectory else ""
    return f"{name}{where}@{vcs.commit_id[:12]}"
