"""Licences of locked packages (``bale licenses``, SBOM exports): their metadata read cheaply, in parallel.

A registry package's METADATA comes from the metadata cache (what ``bale lock`` read), else its PEP 658
``.metadata`` file, else two or three range requests: the distribution database's fetcher, the one the
resolver uses. Only when a host offers neither is a whole wheel downloaded. Source trees, git
commits and sdists go through the same database (an sdist's static PKG-INFO needs no build).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

    from bale.audit.licenses import DeclaredLicense, LicenseRow
    from bale.context import Context
    from bale.lock.graph import LockGraph
    from bale.model.dists import IndexFile
    from bale.ops.project import LockSettings
    from bale.ops.views import Chosen, LoadedLock, Selection
    from bale.project.model import Project
    from bale.python.probe import Interpreter

__all__ = [
    "LicenseLookup",
    "SbomRequest",
    "license_rows",
    "locked_licenses",
    "locked_metadata",
    "project_license",
    "sbom",
    "sbom_created",
]

# Metadata requests are small and mostly wait on the network; builds of source trees run in parallel too.
_WORKERS = 16


@record(frozen=True)
class LicenseLookup:
    """Declared licences by lock key; ``problems``: the keys whose metadata could not be read, and
    why (their licence is unknown); ``versions``: the version each entry's metadata states."""

    licenses: Mapping[int, DeclaredLicense] = field(default_factory=dict)
    problems: Mapping[int, str] = field(default_factory=dict)
    versions: Mapping[int, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- metadata


def locked_metadata(
    ctx: Context, lock: Pylock, lock_dir: Path, keys: Iterable[int]
) -> dict[int, bytes | BaleError]:
    """The core metadata (METADATA / PKG-INFO bytes) of the lock entries ``keys`` (their index in
    ``lock.packages``), fetched in parallel; an entry that cannot be read gets its ``BaleError``.

    Cost per registry package: nothing when ``bale lock`` read it into this cache, else one
    ``.metadata`` request (or 2-3 range requests, the first per host probes for ``.metadata``).
    Directories, git commits and sdists need ``ctx.use_builds`` first (``locked_licenses`` does it):
    a backend runs unless the metadata is static or cached.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return {}

    def read(key: int) -> bytes | BaleError:
        try:
            return _metadata(ctx, lock.packages[key], lock_dir)
        except BaleError as err:
            return err

    workers = min(len(wanted), int(os.environ.get("BALE_CONCURRENT_DOWNLOADS", "0") or 0) or _WORKERS)
    if workers <= 1:
        return {key: read(key) for key in wanted}
    from bale.cancel import worker_pool

    with worker_pool(workers, "bale-metadata") as pool:
        futures = {key: pool.submit(read, key) for key in wanted}
        return {key: future.result() for key, future in futures.items()}


def _metadata(ctx: Context, package: Package, lock_dir: Path) -> bytes:
    from bale.model.names import normalize

    database = ctx.database
    name = normalize(package.name)
    if package.directory is not None:
        folder = (lock_dir / package.directory.path).resolve()
        if package.directory.subdirectory:
            folder = folder / package.directory.subdirectory
        if not folder.is_dir():
            raise BaleError(f"{name}: the lock file takes it from {folder}, which is not a folder")
        return database.folder_metadata(folder, name, label=f"{name} @ {folder}")
    if package.vcs is not None:
        from bale.vcs import VcsInfo

        vcs = package.vcs
        if vcs.type != "git" or not vcs.url or not vcs.commit_id:
            raise BaleError(f"{name}: bale reads {vcs.type} sources only from a git URL and commit")
        url = vcs.url.removeprefix("git+")
        return database.git_metadata(VcsInfo(url, vcs.requested_revision, vcs.commit_id, vcs.subdirectory))
    if package.wheels:
        wheel = _pick_wheel(ctx, package, lock_dir)
        return database.metadata.fetch(wheel)
    if package.sdist is not None:
        sdist = package.sdist
        file = _index_file(package, sdist.name, sdist.url, sdist.path, sdist.hashes, sdist.size, lock_dir)
        return database.source_metadata(file, _allowed(sdist.hashes), label=file.filename)[0]
    if package.archive is not None:
        archive = package.archive
        file = _index_file(package, None, archive.url, archive.path, archive.hashes, archive.size, lock_dir)
        if file.is_wheel:
            return database.metadata.fetch(file)
        label = f"{name} @ {archive.url or archive.path}"
        if archive.subdirectory:
            folder, _ = database.unpacked_folder(
                file, _allowed(archive.hashes), archive.subdirectory, label=label
            )
            return database.folder_metadata(folder, name, label=label)
        return database.source_metadata(file, _allowed(archive.hashes), label=label)[0]
    raise BaleError(f"{name}: the lock file names no file or source for it")


def _allowed(hashes: Mapping[str, str]) -> dict[str, frozenset[str]]:
    return {algorithm: frozenset({digest.lower()}) for algorithm, digest in hashes.items()}


def _pick_wheel(ctx: Context, package: Package, lock_dir: Path) -> IndexFile:
    """The wheel whose metadata is cheapest to read: one already in the metadata cache, else a
    ``none-any`` wheel, else the first by name (a version's wheels share their licence)."""
    files = [
        _index_file(package, w.name, w.url, w.path, w.hashes, w.size, lock_dir) for w in package.wheels or ()
    ]
    files.sort(key=lambda f: (not f.filename.endswith("-none-any.whl"), f.filename))
    fetcher = ctx.database.metadata
    for file in files:
        if fetcher.is_cached(file):
            return file
    return files[0]


def _index_file(
    package: Package,
    filename: str | None,
    url: str | None,
    path: str | None,
    hashes: Mapping[str, str],
    size: int | None,
    lock_dir: Path,
) -> IndexFile:
    from bale.model.dists import FileKind, IndexFile, parse_filename
    from bale.model.names import normalize

    location = url or (lock_dir / (path or "")).resolve().as_uri()
    name = filename or location.rstrip("/").rsplit("/", 1)[-1]
    parsed = parse_filename(name)
    version = package.version or (parsed.version if parsed is not None else None)
    if version is None:
        raise BaleError(f"{normalize(package.name)}: the lock file gives no version for {name}")
    kind = FileKind.WHEEL if name.endswith(".whl") else FileKind.SDIST
    return IndexFile(
        filename=name,
        url=location,
        name=normalize(package.name),
        version=version,
        kind=kind,
        hashes={k: v.lower() for k, v in hashes.items()},
        size=size,
        source=package.index or "",
    )


# ---------------------------------------------------------------------------------------------- licences


def locked_licenses(
    ctx: Context, loaded: LoadedLock, keys: Collection[int], settings: LockSettings
) -> LicenseLookup:
    """The declared licence of each lock entry in ``keys`` (see ``audit.licenses.declared_license``),
    read with ``locked_metadata`` after the checks ``bale sync`` makes before it builds or fetches
    anything a lock names (hosts and local paths the project configures). Sources build with
    ``settings.build`` and the lock's build pins."""
    from bale.audit.licenses import license_from_metadata
    from bale.ops.build_lock import locked_pins
    from bale.ops.project import project_index
    from bale.ops.project_sources import allowed_hosts, allowed_paths, check_lock_hosts, check_lock_paths
    from bale.ops.project_workspace import load_workspace, lock_members
    from bale.project.workspace import find_workspace

    lock, path = loaded.lock, loaded.path
    root = find_workspace(path.parent).root
    workspace = load_workspace(root)
    index = project_index(root, settings, workspace)
    try:
        check_lock_hosts(lock, path, allowed_hosts(lock_members(workspace), index, root.settings.indexes))
        check_lock_paths(lock, path, allowed_paths(workspace))
    except BaleError as err:  # the same refusal as `bale sync`'s, in this command's words
        message = err.message.replace("Refusing to install from", "Refusing to read the packages of", 1)
        raise BaleError(message, context=err.context, hint=err.hint, code=err.code) from err
    ctx.learn_indexes(index)  # credentials for the index hosts the locked files are on
    if any(lock.packages[key].sdist is not None or _is_source(lock.packages[key]) for key in keys):
        ctx.use_builds(
            index, _interpreter(ctx, root, settings), settings.build, pins=locked_pins(lock, source=str(path))
        )
    found = locked_metadata(ctx, lock, path.parent, keys)
    licenses: dict[int, DeclaredLicense] = {}
    problems: dict[int, str] = {}
    versions: dict[int, str] = {}
    for key, data in found.items():
        if isinstance(data, BaleError):
            problems[key] = data.message
            continue
        licenses[key] = license_from_metadata(data)
        version = _version(data)
        if version is not None:
            versions[key] = version
    return LicenseLookup(licenses, problems, versions)


def _is_source(package: Package) -> bool:
    return package.directory is not None or package.vcs is not None or package.archive is not None


def _interpreter(ctx: Context, project: Project, settings: LockSettings) -> Callable[[], Interpreter]:
    def find() -> Interpreter:
        from bale.ops.project_python import find_project_interpreter, project_python

        choice = project_python(project, settings.python)
        return find_project_interpreter(choice, ctx.cache.bucket("interpreters-v1"), note=ctx.reporter.debug)

    return find


def _version(data: bytes) -> str | None:
    from packaging.metadata import parse_email

    raw, _ = parse_email(data)
    version = raw.get("version")
    return version if isinstance(version, str) else None


def project_license(project: Project) -> DeclaredLicense:
    """The project's own licence, from its pyproject.toml: ``license`` (a PEP 639 expression, or a
    ``{ text = ... }`` table) and its ``License ::`` classifiers; unknown when ``license`` is dynamic."""
    from bale.audit.licenses import NO_LICENSE, declared_license
    from bale.project.inputs import load_toml

    try:
        table = load_toml(project.pyproject).get("project")
    except BaleError:
        return NO_LICENSE
    if not isinstance(table, dict) or "license" in (table.get("dynamic") or ()):
        return NO_LICENSE
    value = table.get("license")
    raw: dict[str, object] = {"classifiers": table.get("classifiers") or []}
    if isinstance(value, str):
        raw["license_expression"] = value
    elif isinstance(value, dict) and isinstance(value.get("text"), str):
        raw["license"] = value["text"]
    return declared_license(raw)


def selected_keys(loaded: LoadedLock, selection: Selection) -> tuple[LockGraph, Chosen, set[int]]:
    """The project's graph, the chosen groups and extras, and the lock entries they install."""
    from bale.ops.views import choose, chosen_keys, project_graph

    graph = project_graph(loaded)
    chosen = choose(loaded.project, loaded.lock, selection, str(loaded.path))
    return graph, chosen, chosen_keys(loaded, graph, chosen)


def license_rows(
    ctx: Context, loaded: LoadedLock, selection: Selection, settings: LockSettings
) -> list[LicenseRow]:
    """``bale licenses``: one row per locked package the selection installs, sorted by name."""
    from bale.audit.licenses import NO_LICENSE, LicenseRow

    graph, _, keep = selected_keys(loaded, selection)
    lookup = locked_licenses(ctx, loaded, keep, settings)
    rows = []
    for key in keep:
        node = graph.nodes[key]
        version = str(node.version) if node.version is not None else lookup.versions.get(key)
        rows.append(
            LicenseRow(node.name, version, lookup.licenses.get(key, NO_LICENSE), lookup.problems.get(key))
        )
    return sorted(rows, key=lambda row: (row.name, row.version or ""))


# ---------------------------------------------------------------------------------------------- SBOM


@record(frozen=True)
class SbomRequest:
    selection: Selection
    format: str  # "cyclonedx" (1.6), "cyclonedx1.5", "cyclonedx1.6" or "spdx" (2.3)
    created: datetime | None = None  # None: see ``sbom_created``


def sbom(ctx: Context, loaded: LoadedLock, request: SbomRequest, settings: LockSettings) -> str:
    """The lock's packages for the selection as a CycloneDX or SPDX JSON document (see ``lock.sbom``),
    with every package's declared licence (read as ``bale licenses`` reads it)."""
    from bale import __version__
    from bale.lock.graph import PROJECT
    from bale.lock.sbom import cyclonedx_document, render, sbom_packages, spdx_document

    graph, chosen, keep = selected_keys(loaded, request.selection)
    lookup = locked_licenses(ctx, loaded, keep, settings)
    for key, problem in sorted(lookup.problems.items()):
        ctx.reporter.warn(
            f"Could not read the metadata of {graph.nodes[key].name} (licence unknown): {problem}"
        )
    restricted = _with_versions(graph.restricted(keep), lookup.versions)
    licenses = {**lookup.licenses, PROJECT: project_license(loaded.project)}
    packages = sbom_packages(restricted, loaded.lock, licenses, origins=chosen.origins)
    created = request.created or sbom_created(loaded)
    if request.format == "spdx":
        document = spdx_document(packages, tool_version=__version__, created=created)
    else:
        version = "1.5" if request.format == "cyclonedx1.5" else "1.6"
        document = cyclonedx_document(
            packages, tool_version=__version__, created=created, spec_version=version
        )
    return render(document)


def _with_versions(graph: LockGraph, versions: Mapping[int, str]) -> LockGraph:
    """``graph`` with the metadata's version on the entries the lock leaves without one."""
    from packaging.version import InvalidVersion, Version

    nodes = dict(graph.nodes)
    for key, node in graph.nodes.items():
        if node.version is None and key in versions:
            try:
                nodes[key] = dataclasses.replace(node, version=Version(versions[key]))
            except InvalidVersion:
                continue
    return dataclasses.replace(graph, nodes=nodes)


def sbom_created(loaded: LoadedLock) -> datetime:
    """When the bill was made, deterministically: ``SOURCE_DATE_EPOCH`` when set (reproducible
    builds' convention), else the newest ``upload-time`` among the lock's files (a time the lock
    cannot be older than, and the same for the same lock), else the lock file's modification time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError) as err:
            raise BaleError(f"SOURCE_DATE_EPOCH must be a number of seconds, not {epoch!r}") from err
    times = [
        file.upload_time
        for package in loaded.lock.packages
        for file in (*(package.wheels or ()), package.sdist, package.archive)
        if file is not None and file.upload_time is not None
    ]
    if times:
        return max(t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc) for t in times)
    return datetime.fromtimestamp(int(loaded.path.stat().st_mtime), tz=timezone.utc)
