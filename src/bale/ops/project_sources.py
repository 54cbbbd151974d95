"""Where a project's dependencies come from: ``[tool.bale.sources]`` and ``[[tool.bale.index]]`` turned
into requirements and index settings, the lock entries of direct sources, and the hosts a lock may use."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.errors import BaleError
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.model.requirement import RequirementSpec

if TYPE_CHECKING:
    from packaging.markers import Marker

    from bale.context import Context
    from bale.lock.pylock import DirectSource, Selected
    from bale.model.artifact import Artifact
    from bale.model.dists import IndexFile
    from bale.ops.settings import IndexSettings
    from bale.project.model import Index, Project, Source
    from bale.project.workspace import Workspace

__all__ = [
    "LockedDirect",
    "SourcedSpec",
    "allowed_hosts",
    "allowed_paths",
    "check_lock_hosts",
    "check_lock_paths",
    "check_source_version",
    "direct_artifact_from_lock",
    "index_of_files",
    "lock_direct",
    "project_index_settings",
    "with_sources",
]

# PyPI lists its files on another host than its pages.
_FILE_HOSTS = {"pypi.org": ("files.pythonhosted.org",), "test.pypi.org": ("test-files.pythonhosted.org",)}


# ---------------------------------------------------------------------------------------------- requirements


def with_sources(
    specs: Iterable[RequirementSpec],
    sources: Mapping[NormalizedName, Source],
    pyproject: Path,
    *,
    table: str = "tool.bale",
    requires_python: SpecifierSet | None = None,
) -> list[RequirementSpec]:
    """``specs`` with every requirement that ``sources`` names taken from its path, URL or repository.

    ``{ index = ... }`` sources leave the requirement as it is (the index settings pin the package).
    A requirement's extras and marker are kept; its version specifier moves to ``SourcedSpec.wanted``
    (PEP 508 has no form for both), checked once the source's version is known. A source with a
    ``marker`` must apply wherever the requirement does (within ``requires_python``), or nowhere.
    ``table`` is where the sources are written (``tool.bale`` or ``tool.uv``), for messages.
    """
    from bale.project.model import GitSource, PathSource, UrlSource

    result: list[RequirementSpec] = []
    for spec in specs:
        source = sources.get(spec.name) if spec.name is not None else None
        if source is None or spec.requirement is None:
            result.append(spec)
            continue
        where = f"{pyproject}: {table}.sources.{spec.name}"
        if source.marker is not None and not _source_applies(spec, source.marker, where, requires_python):
            result.append(spec)
            continue
        if isinstance(source, PathSource):
            result.append(_path_spec(spec, source, where))
        elif isinstance(source, UrlSource):
            url = source.url
            if source.subdirectory:
                url += f"#subdirectory={source.subdirectory}"
            result.append(_url_spec(spec, url))
        elif isinstance(source, GitSource):
            revision = source.rev or source.tag or source.branch
            url = f"git+{source.git}" + (f"@{revision}" if revision else "")
            if source.subdirectory:
                url += f"#subdirectory={source.subdirectory}"
            result.append(_url_spec(spec, url))
        else:
            result.append(spec)  # an index pin, or a workspace source the workspace has resolved
    return result


def _source_applies(
    spec: RequirementSpec, marker: Marker, where: str, requires_python: SpecifierSet | None
) -> bool:
    """Whether a source with ``marker`` applies to ``spec``: True where it covers every environment
    the requirement applies in, False where it covers none. Anything between is an error: bale takes
    a package from one place in every environment of a lock, and taking the index's elsewhere would
    quietly mix a local package with a public one of the same name."""
    from bale.markers.expr import and_, is_always_false, not_, parse, restrict_python

    assert spec.requirement is not None
    wanted = parse(spec.requirement.marker)
    chosen = parse(marker)
    if is_always_false(restrict_python(and_(wanted, not_(chosen)), requires_python)):
        return True
    if is_always_false(restrict_python(and_(wanted, chosen), requires_python)):
        return False
    required = f"where `{spec.requirement.marker}`" if spec.requirement.marker else "everywhere"
    raise BaleError(
        f"{where}.marker: the source applies only where `{marker}`, but {spec.name} is required "
        f"{required} (at {spec.origin}); bale takes a package from one source in every environment, "
        "never from an index where the marker does not hold",
        hint="give the requirement the same marker, or drop the source's marker",
    )


@record(frozen=True)
class SourcedSpec(RequirementSpec):
    """A requirement ``[tool.bale.sources]`` takes from a path, URL or repository: ``requirement`` is
    the direct reference; ``wanted`` the version bound it was written with (``lib>=2``), which the
    source's version must satisfy; ``written`` that requirement as written, for messages."""

    wanted: SpecifierSet = field(default_factory=SpecifierSet)
    written: str = ""


def _url_spec(spec: RequirementSpec, url: str, **changes: object) -> RequirementSpec:
    from dataclasses import fields

    from packaging.requirements import Requirement

    assert spec.requirement is not None
    requirement = Requirement(str(spec.requirement))
    wanted = requirement.specifier
    requirement.url = url
    requirement.specifier = SpecifierSet()
    written = Requirement(str(spec.requirement))
    written.marker = None
    values: dict[str, object] = {item.name: getattr(spec, item.name) for item in fields(RequirementSpec)}
    values.update(requirement=requirement, url=url, **changes)
    return SourcedSpec(**values, wanted=wanted, written=str(written))  # type: ignore[arg-type]


def check_source_version(spec: RequirementSpec, name: NormalizedName, version: Version, what: str) -> None:
    """A sourced requirement's version bound must hold for the version its source has (``lib>=2``
    against a tree of lib 1.0 can never be satisfied: the source is the only lib there is)."""
    if not isinstance(spec, SourcedSpec) or not spec.wanted:
        return
    if spec.wanted.contains(version, prereleases=True):
        return
    from bale.vcs import strip_credentials

    where = str(spec.path) if spec.path is not None else strip_credentials(spec.url or what)
    raise BaleError(
        f"No solution found when resolving dependencies: {spec.written} (at {spec.origin}) cannot be "
        f"satisfied, because its source takes {name} from {where}, whose version is {version}",
        hint=f"change the requirement's version bound, or point the source at a {name} that satisfies it",
    )


def _path_spec(spec: RequirementSpec, source: object, where: str) -> RequirementSpec:
    from bale.project.model import PathSource

    assert isinstance(source, PathSource)
    path = source.path
    if not path.exists():
        raise BaleError(
            f"{where}: {path} does not exist", hint="fix the path (it is relative to the pyproject.toml)"
        )
    if source.editable and not path.is_dir():
        raise BaleError(f"{where}: {path} is a file; only a folder (a source tree) can be editable")
    return _url_spec(spec, path.as_uri(), path=path, editable=source.editable)


# ---------------------------------------------------------------------------------------------- indexes


def project_index_settings(
    root: Project, sources: Iterable[Mapping[NormalizedName, Source]], base: IndexSettings, *, explicit: bool
) -> IndexSettings:
    """The indexes a project resolves against, in the order they are asked (the first that has a
    package gives all its files: no mixing of versions across indexes).

    ``--extra-index-url`` first, then the project's indexes as listed, then the default one: the
    command line's ``--index-url`` (``explicit``), else the project's ``default = true`` index, else
    ``base``'s. ``explicit = true`` indexes serve only the packages pinned to them by
    ``{ index = ... }``, which come from their index alone.
    """
    from bale.project.model import IndexSource

    indexes = root.settings.indexes
    by_name = {index.name: index for index in indexes}
    implicit = [index for index in indexes if not index.explicit]
    default = next((index for index in implicit if index.default), None)
    listed = [index.url for index in implicit if not index.default]
    index_url = base.index_url if explicit or default is None else default.url
    extra = tuple(dict.fromkeys((*base.extra_index_urls, *listed)))
    pins: dict[str, str] = {}
    for table in sources:
        for name, source in table.items():
            if isinstance(source, IndexSource) and source.index in by_name:
                pins[name] = by_name[source.index].url
    return replace(
        base.with_default_strategy(
            root.settings.raw.get("index-strategy"), f"{root.pyproject} [{root.settings.table}]"
        ),
        index_url=index_url,
        extra_index_urls=tuple(url for url in extra if url != index_url),
        pins=tuple(sorted(pins.items())),
        named=tuple((index.name, index.url) for index in indexes if index.name),
    )


def index_of_files(files: Sequence[IndexFile], index: IndexSettings) -> str | None:
    """The index URL that listed ``files`` (what the lock records as a package's ``index``); None for
    files from find-links."""
    configured = {
        _plain(url) for url in (index.index_url, *index.extra_index_urls, *(u for _, u in index.pins))
    }
    for file in files:
        if file.source and _plain(file.source) in configured:
            return file.source
    return None


def _plain(url: str) -> str:
    from bale.http.auth import split_credentials

    return split_credentials(url)[0].rstrip("/")


# ---------------------------------------------------------------------------------------------- locking


@record(frozen=True)
class LockedDirect:
    """What the lock records for a package taken from a path, URL or repository."""

    version: Version | None  # None for a directory: its version may change with the tree
    source: DirectSource


def lock_direct(
    ctx: Context, artifacts: Mapping[NormalizedName, Artifact], lock_dir: Path
) -> dict[NormalizedName, LockedDirect]:
    """The ``[packages.directory]``, ``[packages.archive]`` or ``[packages.vcs]`` of each direct artifact.

    Paths are written relative to the lock's folder. An archive is hashed: a local one in place, a
    remote wheel downloaded once (and kept unpacked in the cache for the sync that follows).
    """
    from packaging.pylock import PackageArchive, PackageDirectory, PackageVcs

    from bale.lock.pylock import strip_credentials

    locked: dict[NormalizedName, LockedDirect] = {}
    for name, artifact in artifacts.items():
        vcs = getattr(artifact, "vcs", None)
        if vcs is not None:
            source: DirectSource = PackageVcs(
                type="git",
                url=vcs.public_url,
                requested_revision=vcs.requested_revision,
                commit_id=vcs.commit_id,
                subdirectory=vcs.subdirectory,
            )
            locked[name] = LockedDirect(artifact.version, source)
            continue
        local = _local(artifact.url)
        if artifact.is_tree:
            assert local is not None
            editable = True if artifact.editable else None
            locked[name] = LockedDirect(
                None, PackageDirectory(path=_relative(local, lock_dir), editable=editable)
            )
            continue
        sha256, size = _digest(ctx, artifact, local)
        archive = PackageArchive(
            path=_relative(local, lock_dir) if local is not None else None,
            url=None if local is not None else strip_credentials(artifact.url),
            size=size,
            hashes={"sha256": sha256},
            subdirectory=artifact.subdirectory,
        )
        locked[name] = LockedDirect(artifact.version, archive)
    return locked


def _local(url: str) -> Path | None:
    from urllib.parse import unquote

    return Path(unquote(urlsplit(url).path)) if url[:5].lower() == "file:" else None


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` with forward slashes (``.`` for ``base`` itself)."""
    return Path(os.path.relpath(path, base)).as_posix()


def _digest(ctx: Context, artifact: Artifact, local: Path | None) -> tuple[str, int]:
    """The archive's sha256 and size."""
    from bale.dist.prepare import file_digests

    if local is not None:
        return file_digests(local)["sha256"], local.stat().st_size
    if artifact.is_source:
        # Already downloaded into the cache when its metadata was built: this finds it there.
        path, sha256 = ctx.database.source_archive(
            artifact.file, artifact.allowed_hashes, label=str(artifact.name)
        )
        return sha256, path.stat().st_size
    from bale.dist.prepare import unpacked_wheel

    with ctx.cache.temp_dir() as temp:
        target = temp / artifact.file.filename
        digests = ctx.http.download(
            artifact.url, target, label=f"{artifact.name}=={artifact.version}", reporter=ctx.reporter
        )
        unpacked_wheel(ctx.cache, target, digests["sha256"])
        return digests["sha256"], target.stat().st_size


# ---------------------------------------------------------------------------------------------- syncing


def direct_artifact_from_lock(ctx: Context, item: Selected, requested: bool, lock_dir: Path) -> Artifact:
    """The artifact that installs a locked directory, archive or repository entry.

    A directory is built in place (editable when the lock says so); an archive is fetched and checked
    against the lock's hashes; a repository is checked out at the locked commit.
    """
    from dataclasses import replace as change

    from bale.model.artifact import Artifact
    from bale.model.dists import FileKind, parse_filename
    from bale.model.requirement import Origin
    from bale.ops.sources import direct_source
    from bale.requirements import parse_requirement_arg

    origin = Origin(str(lock_dir / "pylock.toml"))
    if item.directory is not None:
        path = (lock_dir / item.directory.path).resolve()
        if item.directory.subdirectory:
            path = path / item.directory.subdirectory
        if not path.is_dir():
            raise BaleError(
                f"Cannot install {item.name}: the lock file takes it from {path}, which is not a folder",
                hint="fix the path in [tool.bale.sources] and run `bale lock`",
            )
        spec = parse_requirement_arg(str(path), editable=item.editable, origin=origin)
        return change(direct_source(ctx, spec), requested=requested)
    if item.vcs is not None:
        locked = item.vcs
        if locked.type != "git" or not locked.url:
            raise BaleError(
                f"Cannot install {item.name} from {origin}: bale installs {locked.type} repositories "
                "only from git URLs",
            )
        from bale.vcs import VcsInfo

        vcs = VcsInfo(locked.url, locked.requested_revision, locked.commit_id, locked.subdirectory)
        if item.version is not None:
            from bale.model.artifact import vcs_artifact

            # The commit fixes the tree: nothing runs until the install needs its wheel.
            return vcs_artifact(item.name, item.version, vcs, requested=requested)
        spec = parse_requirement_arg(f"{item.name} @ {vcs.pinned_url(public=False)}", origin=origin)
        return change(direct_source(ctx, spec), requested=requested)
    file = item.file
    assert file is not None and file.kind == "archive"
    url = file.url or (lock_dir / (file.path or "")).resolve().as_uri()
    allowed = {algorithm: frozenset({digest.lower()}) for algorithm, digest in file.hashes.items()}
    parsed = parse_filename(file.filename)
    if item.version is None or parsed is None:
        # Another tool's lock may leave the version out: read it from the file's metadata.
        hashes = tuple(f"{a}:{d}" for a, d in file.hashes.items())
        if file.subdirectory:
            url += f"#subdirectory={file.subdirectory}"
        spec = replace(parse_requirement_arg(f"{item.name} @ {url}", origin=origin), hashes=hashes)
        return change(direct_source(ctx, spec), requested=requested)
    from bale.model.dists import IndexFile

    index_file = IndexFile(
        filename=file.filename,
        url=url,
        name=item.name,
        version=item.version,
        kind=parsed.kind,
        hashes={a: d.lower() for a, d in file.hashes.items()},
        size=file.size,
        source=url,
    )
    if parsed.kind is FileKind.WHEEL and (parsed.name != item.name or parsed.version != item.version):
        raise BaleError(
            f"The lock file gives {file.filename} for {item.name} {item.version}: it is another package"
        )
    return Artifact(
        item.name,
        item.version,
        index_file,
        direct=True,
        requested=requested,
        allowed_hashes=allowed,
        subdirectory=file.subdirectory,
    )


# ---------------------------------------------------------------------------------------------- integrity


def allowed_hosts(projects: Iterable[Project], index: IndexSettings, indexes: Iterable[Index]) -> list[str]:
    """Where a lock of these projects may send the installer: the configured indexes (explicit ones
    too), find-links, and the hosts of the path, URL and repository requirements the projects name."""
    from bale.ops.project_workspace import declared_requirements
    from bale.project.model import GitSource, UrlSource

    entries: list[str] = [index.index_url, *index.extra_index_urls, *(url for _, url in index.pins)]
    entries.extend(item.url for item in indexes)
    for link in index.find_links:
        entries.append(link if "://" in link else "file:")
    for project in projects:
        for source in project.settings.sources.values():
            if isinstance(source, UrlSource):
                entries.append(source.url)
            elif isinstance(source, GitSource):
                entries.append(source.git)
        # Local paths are locked relative to the lock file (always allowed): only remote URLs count.
        entries.extend(
            _repository(spec.url)
            for spec in declared_requirements(project)
            if spec.url and not spec.url.startswith("file:")
        )
    for entry in list(entries):
        host = (urlsplit(entry).hostname or "").lower()
        entries.extend(_FILE_HOSTS.get(host, ()))
    return sorted(set(entries))


def _repository(url: str) -> str:
    """A requirement URL without its ``git+`` (or other VCS) prefix."""
    from bale.dist.sources import VCS_PREFIXES

    for prefix in VCS_PREFIXES:
        if url.startswith(prefix):
            return url[len(prefix) :]
    return url


def check_lock_hosts(lock: object, source: Path, hosts: Sequence[str]) -> None:
    """Refuse a lock that sends the installer somewhere the project does not configure (a lock file
    edited by hand or by a third party), or that fails the other integrity checks."""
    from packaging.pylock import Pylock

    from bale.lock.pylock import check_integrity

    assert isinstance(lock, Pylock)
    problems = check_integrity(lock, allowed_hosts=hosts)
    if problems:
        raise BaleError(
            f"Refusing to install from {source}: " + problems[0],
            context=problems[1:],
            hint="configure that index in [[tool.bale.index]] (or pass --index-url), or run `bale lock` "
            "again if the lock file was edited",
        )


def allowed_paths(workspace: Workspace) -> frozenset[str]:
    """The local folders and files a lock of ``workspace`` may install from (real paths): its root
    and members, and what its projects' ``{ path = ... }`` / ``file:`` sources and requirements name."""
    from bale.ops.project_workspace import declared_requirements, lock_members
    from bale.project.model import PathSource, UrlSource

    paths: set[Path] = {workspace.root.root, *(member.root for member in workspace.members.values())}
    for member in lock_members(workspace):
        for source in workspace.sources(member).values():
            if isinstance(source, PathSource):
                paths.add(source.path)
            elif isinstance(source, UrlSource) and (local := _local(source.url)) is not None:
                paths.add(local)
        for spec in declared_requirements(member):
            local = spec.path or (_local(spec.url) if spec.url else None)
            if local is not None:
                paths.add(local)
    return frozenset(os.path.realpath(path) for path in paths)


def check_lock_paths(lock: object, source: Path, allowed: Collection[str]) -> None:
    """Refuse a lock whose ``[packages.directory]`` or ``[packages.archive]`` takes a package from a
    local path the project does not name: a folder is built and installed without any hash to check,
    so an edited path would run a stranger's code (``--frozen`` too)."""
    from packaging.pylock import Pylock

    assert isinstance(lock, Pylock)
    problems: list[str] = []
    for package in lock.packages:
        where: str | None = None
        subdirectory: str | None = None
        if package.directory is not None:
            where = package.directory.path
            subdirectory = package.directory.subdirectory
        elif package.archive is not None:
            where = package.archive.path
            if where is None and package.archive.url and package.archive.url[:5].lower() == "file:":
                where = str(_local(package.archive.url))
        if where is None:
            continue
        path = Path(os.path.realpath(source.parent / where))
        candidates = {str(path), str(path / subdirectory)} if subdirectory else {str(path)}
        if candidates.isdisjoint(allowed):
            problems.append(f"{package.name} from {path}")
    if problems:
        raise BaleError(
            f"Refusing to install from {source}: it takes {problems[0]}, a path that no "
            "[tool.bale.sources] entry, path requirement or workspace member names (the lock may have "
            "been tampered with)",
            context=[f"also {problem}" for problem in problems[1:]],
            hint="run `bale lock` to lock the paths pyproject.toml names",
        )
