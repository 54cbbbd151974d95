"""The resolver's Provider over package indexes (one target, or universal): versions, files, metadata."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from bale.errors import BaleError, OfflineError
from bale.http.pool import OnceMap, shared_executor
from bale.model.dates import as_utc
from bale.model.dists import IndexFile
from bale.model.record import record
from bale.model.requirement_errors import plain_reason
from bale.report import NULL_REPORTER, Reporter
from bale.resolver.candidates import (
    Choice,
    PreReleases,
    SelectOptions,
    group_by_version,
    python_allows,
    select,
)
from bale.resolver.provider import (
    Dependencies,
    PackageId,
    Unavailable,
    UnavailableKind,
    requirement_dependencies,
)

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from packaging.requirements import Requirement

    from bale.index.metadata import MetadataFetcher
    from bale.index.sources import IndexClient
    from bale.markers import MarkerExpr
    from bale.model.target import TargetEnv
    from bale.resolver.provider import Provider

__all__ = ["ALL", "AllPackages", "IndexProvider", "ProviderOptions", "UniversalScope"]


class AllPackages:
    """``:all:`` in ``--no-binary`` / ``--only-binary``: every package is in it."""

    __slots__ = ()

    def __contains__(self, name: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALL"


ALL = AllPackages()

NOT_FOUND_REASON = "was not found in the package index"

SourceMetadata = Callable[[IndexFile], bytes]
"""The METADATA of an sdist (or a source tree pinned by path), from a build backend when it must."""


@record(frozen=True)
class ProviderOptions:
    """What narrows the files a provider offers.

    ``exclude_newer``: only files uploaded strictly before this moment count (as uv: "uploaded prior
    to"); a file from a remote index without an upload time is then left out, with a warning, since
    its age cannot be checked, while local files (``file://``) are kept. ``no_binary`` /
    ``only_binary``: packages whose wheels / source distributions may not be used. ``allow_sdist``:
    whether a source distribution may be chosen at all (the provider then needs ``source_metadata``);
    when both kinds fit a version, its wheel is chosen.
    ``direct``: packages pinned to one file (a URL or path requirement); their only version is that
    file's and no index is asked. ``speculate``: when a project page arrives, fetch the metadata of
    the version the solver will most likely pick, then the pages of its dependencies.
    """

    exclude_newer: datetime | None = None
    # uv's ``--exclude-newer-package NAME=DATE``: a cutoff of its own for a package (None: no cutoff).
    exclude_newer_package: Mapping[NormalizedName, datetime | None] = field(default_factory=dict)
    no_binary: frozenset[NormalizedName] | AllPackages = frozenset()
    only_binary: frozenset[NormalizedName] | AllPackages = frozenset()
    allow_sdist: bool = False
    direct: Mapping[NormalizedName, IndexFile] = field(default_factory=dict)
    speculate: bool = True
    # A package policy's rules (bale.policy): each answers the reason that completes "<name> <version>
    # ..." in the solver's explanation, or None. Files are judged as a page is read (a version whose
    # every file is refused stays listed, so the explanation can name the rule), metadata as it is read.
    refuse_version: Callable[[NormalizedName, Version], str | None] | None = None
    refuse_file: Callable[[IndexFile], str | None] | None = None
    refuse_metadata: Callable[[NormalizedName, Version, bytes], str | None] | None = None


@record(frozen=True)
class UniversalScope:
    """Resolve for every environment at once (``--universal``) instead of one target.

    ``requires_python``: the interpreters to cover; a version whose ``Requires-Python`` does not admit
    all of them (lower bounds only) is unusable. ``fork_marker``: limit to the environments where this
    holds (None: all). Dependencies that cannot apply there are dropped; the others carry their marker.
    """

    requires_python: SpecifierSet
    fork_marker: MarkerExpr | None = None


@record(frozen=True)
class _Project:
    """One package's usable files, grouped by version."""

    files: tuple[IndexFile, ...]
    by_version: Mapping[Version, tuple[IndexFile, ...]]
    versions: tuple[Version, ...]  # newest first
    yanked: Mapping[Version, str]
    # Versions whose every file a policy rule refuses, with the reason (they have no files here).
    refused: Mapping[Version, str] = field(default_factory=dict)


@record(frozen=True)
class _PythonBlocked:
    """Every file of a version declares a ``Requires-Python`` that excludes the target."""

    requires_python: SpecifierSet


@record(frozen=True)
class _Metadata:
    """What resolution reads from one version's METADATA."""

    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: frozenset[NormalizedName]
    # Requirements under a bare ``extra == "x"`` marker, unparsed until extra x is asked for.
    extra_requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def requirements(self, extra: str | None) -> Sequence[Requirement]:
        """The requirements that can apply with ``extra`` (all the marker-filtering is the caller's)."""
        texts = self.extra_requires.get(extra, ()) if extra is not None else ()
        if not texts:
            return self.requires_dist
        from bale.index.metadata import requirements_of_extra

        return (*self.requires_dist, *requirements_of_extra(texts))


class IndexProvider:
    """A :class:`bale.resolver.provider.Provider` backed by an index client and a metadata fetcher.

    Thread-safe; every answer is computed once and kept, so it is stable for a whole resolution.
    ``prefetch`` fetches project pages on the pool and, with ``options.speculate``, the metadata of
    each project's likely version, so the solver's later calls rarely wait. Cost of a call that was
    not prefetched: one page fetch (``available_versions``) or one metadata fetch (``dependencies``).
    The metadata of a chosen sdist comes from ``source_metadata`` (a download, and a backend run unless
    its PKG-INFO is static); it is never fetched speculatively, so no build runs for a guess.
    """

    def __init__(
        self,
        client: IndexClient,
        metadata: MetadataFetcher,
        target: TargetEnv | UniversalScope,
        *,
        options: ProviderOptions = ProviderOptions(),
        executor: Executor | None = None,
        reporter: Reporter = NULL_REPORTER,
        source_metadata: SourceMetadata | None = None,
    ) -> None:
        self.client = client
        self.metadata = metadata
        self.source_metadata = source_metadata
        # Exactly one is set: a concrete target, or the scope of a universal resolution.
        self.target: TargetEnv | None = None if isinstance(target, UniversalScope) else target
        self.scope: UniversalScope | None = target if isinstance(target, UniversalScope) else None
        self.options = options
        self.reporter = reporter
        self._executor = executor
        self._cutoff = as_utc(options.exclude_newer) if options.exclude_newer is not None else None
        self._projects: OnceMap[NormalizedName, _Project | Unavailable] = OnceMap()
        self._choices: OnceMap[tuple[NormalizedName, Version], IndexFile | _PythonBlocked | Unavailable] = (
            OnceMap()
        )
        self._metadata: OnceMap[tuple[NormalizedName, Version], _Metadata | _PythonBlocked | Unavailable] = (
            OnceMap()
        )
        self._lock = threading.Lock()
        self._requested: set[NormalizedName] = set()
        self._closed = False
        self._fork: MarkerExpr | None = None

    # -- Provider ----------------------------------------------------------------------------------

    @property
    def python_version(self) -> Version | None:
        """The target's Python; None in universal mode (Requires-Python is checked here instead)."""
        return self.target.python_version if self.target is not None else None

    def available_versions(self, package: PackageId) -> Sequence[Version] | Unavailable:
        project = self._project(package.name)
        if isinstance(project, Unavailable):
            return project
        return project.versions

    def yanked(self, package: PackageId) -> Mapping[Version, str]:
        project = self._project(package.name)
        return {} if isinstance(project, Unavailable) else project.yanked

    def dependencies(self, package: PackageId, version: Version) -> Dependencies | Unavailable:
        found = self._read_metadata(package.name, version)
        if isinstance(found, Unavailable):
            self.reporter.debug(f"rejected {package.name} {version}: it {found.reason}")
            return found
        if isinstance(found, _PythonBlocked):
            needs = found.requires_python
            here = f", not {self.target.python_version}" if self.target is not None else ""
            self.reporter.debug(f"rejected {package.name} {version}: requires Python {needs}{here}")
            # Handed to the solver as Requires-Python so its explanation and hints name the Python version.
            return Dependencies((), found.requires_python)
        if self.target is None:
            return self._universal_dependencies(package, version, found, self._universal_fork())
        python = self.target.python_version
        if package.extra is None and not python_allows(found.requires_python, python):
            wanted = found.requires_python
            self.reporter.debug(f"rejected {package.name} {version}: requires Python {wanted}, not {python}")
        extra = package.extra
        try:
            dependencies = requirement_dependencies(
                found.requirements(extra), self.target.markers, extra=extra
            )
        except ValueError as err:  # InvalidRequirement included
            # A marker that parses but cannot be evaluated (``os_name ~= "x"``): the metadata is broken.
            reason = plain_reason(err)
            self.reporter.warn(f"Skipping {package.name} {version}: a Requires-Dist fails: {reason}")
            return Unavailable(f"has invalid metadata: requires-dist: {reason}", UnavailableKind.METADATA)
        if extra is not None and extra not in found.provides_extra and not dependencies:
            self.reporter.warn(f"{package.name} {version} does not have an extra named {extra}")
        return Dependencies(dependencies, found.requires_python)

    def for_fork(self, marker: MarkerExpr) -> Provider:
        """A view of this universal provider for the environments where ``marker`` holds (see
        ``bale.resolver.universal.ForkableProvider``); it shares every cache with this one."""
        if self.scope is None:
            raise ValueError("for_fork needs a provider in universal mode (a UniversalScope)")
        return _ForkView(self, self._universal_fork() & marker)

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        fresh: list[NormalizedName] = []
        with self._lock:
            if self._closed:
                return
            for name in names:
                if name not in self._requested:
                    self._requested.add(name)
                    fresh.append(name)
        if not fresh:
            return
        executor = self._executor or shared_executor()
        for name in fresh:
            if self._all_local(name):
                continue
            executor.submit(self._prefetch_one, name)

    def _all_local(self, name: NormalizedName) -> bool:
        """Whether the page and the likely version's metadata are already on disk.

        Then the solver's own calls read them at once, and a worker thread would only contend for the GIL:
        on a warm jupyter resolve, skipping those threads saves ~30 ms of ~150.
        """
        if name in self.options.direct or not self.client.is_local(name):
            return False
        try:
            project = self._project(name)
            if isinstance(project, Unavailable):
                return True
            version = self._likely_version(name, project)
            if version is None:
                return True
            choice = self._choice(name, version)
            return not isinstance(choice, IndexFile) or self.metadata.is_cached(choice)
        except Exception:  # prefetching is a hint: the solver's own call reports any problem
            return False

    def close(self) -> None:
        """Stop speculating: prefetches not started yet return at once (call when the solver is done).

        Answers already computed stay available; later calls compute on demand.
        """
        with self._lock:
            self._closed = True

    # -- for the installer and the lock -----------------------------------------------------------

    def files(self, name: NormalizedName) -> tuple[IndexFile, ...]:
        """Every file of ``name`` this provider may offer (after ``exclude_newer``); () if unavailable."""
        project = self._project(name)
        return () if isinstance(project, Unavailable) else project.files

    def chosen_file(self, name: NormalizedName, version: Version) -> IndexFile:
        """The file the installer should fetch for ``name==version`` (what ``dependencies`` read)."""
        choice = self._choice(name, version)
        if isinstance(choice, IndexFile):
            return choice
        reason = (
            f"requires Python {choice.requires_python}"
            if isinstance(choice, _PythonBlocked)
            else choice.reason
        )
        raise BaleError(f"{name} {version} cannot be installed: it {reason}")

    # -- projects ---------------------------------------------------------------------------------

    def _project(self, name: NormalizedName) -> _Project | Unavailable:
        return self._projects.get(name, lambda: self._load_project(name))

    def _load_project(self, name: NormalizedName) -> _Project | Unavailable:
        direct = self.options.direct.get(name)
        if direct is not None:
            return _group((direct,))
        try:
            listed = self.client.project_files(name)
        except OfflineError as err:
            return Unavailable(f"is not available offline ({err.message})", UnavailableKind.OFFLINE)
        if not listed:
            return Unavailable(NOT_FOUND_REASON, UnavailableKind.NOT_FOUND)
        cutoff = self._cutoff_for(name)
        files = self._before_cutoff(name, listed, cutoff)
        if not files:
            assert cutoff is not None
            stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
            return Unavailable(
                f"has no files uploaded before {stamp} (--exclude-newer)", UnavailableKind.OTHER
            )
        sources = ", ".join(sorted({f.source for f in files if f.source}))
        self.reporter.debug(f"{name}: {len(files)} files from {sources or 'the given files'}")
        if self.options.refuse_file is None:
            return _group(files, index_order=self.client.index_order)
        return self._refusing(name, files)

    def _refusing(self, name: NormalizedName, files: Sequence[IndexFile]) -> _Project:
        """The project without the files a policy refuses; a version left with none stays listed."""
        assert self.options.refuse_file is not None
        kept: list[IndexFile] = []
        refused: dict[Version, str] = {}
        for file in files:
            why = self.options.refuse_file(file)
            if why is None:
                kept.append(file)
            else:
                self.reporter.debug(f"rejected {file.filename}: it {why}")
                refused.setdefault(file.version, why)
        for file in kept:
            refused.pop(file.version, None)
        project = _group(kept, index_order=self.client.index_order)
        if not refused:
            return project
        listed = [*project.versions, *sorted(refused, reverse=True)]
        versions = (
            IndexOrder(listed)
            if isinstance(project.versions, IndexOrder)
            else tuple(sorted(listed, reverse=True))
        )
        return _Project(project.files, project.by_version, versions, project.yanked, refused)

    def _cutoff_for(self, name: NormalizedName) -> datetime | None:
        per_package = self.options.exclude_newer_package
        if name in per_package:
            value = per_package[name]
            return as_utc(value) if value is not None else None
        return self._cutoff

    def _before_cutoff(
        self, name: NormalizedName, files: Sequence[IndexFile], cutoff: datetime | None
    ) -> tuple[IndexFile, ...]:
        if cutoff is None:
            return tuple(files)
        kept: list[IndexFile] = []
        undated: list[IndexFile] = []
        for file in files:
            if file.upload_time is None:
                # A local file has no upload time by nature; a remote one's age cannot be checked.
                if file.url[:5].lower() == "file:":
                    kept.append(file)
                else:
                    undated.append(file)
            elif as_utc(file.upload_time) < cutoff:
                kept.append(file)
        if undated:
            more = f" (and {len(undated) - 1} more files of {name})" if len(undated) > 1 else ""
            self.reporter.warn(
                f"{undated[0].filename} has no upload time, so --exclude-newer leaves it out{more}"
            )
        return tuple(kept)

    # -- files ------------------------------------------------------------------------------------

    def _choice(self, name: NormalizedName, version: Version) -> IndexFile | _PythonBlocked | Unavailable:
        return self._choices.get((name, version), lambda: self._choose(name, version))

    def _choose(self, name: NormalizedName, version: Version) -> IndexFile | _PythonBlocked | Unavailable:
        project = self._project(name)
        if isinstance(project, Unavailable):
            return project
        refusal = project.refused.get(version)
        if refusal is None and self.options.refuse_version is not None:
            refusal = self.options.refuse_version(name, version)
        if refusal is not None:
            return Unavailable(refusal, UnavailableKind.OTHER)
        files = project.by_version.get(version)
        if not files:
            return Unavailable("is not listed by the package index", UnavailableKind.OTHER)
        usable = [f for f in files if self._binary_allowed(name, f)]
        if self.target is None:
            return self._choose_universal(name, version, files, usable)
        # Every file excludes this Python: the solver's Requires-Python cause explains that best.
        python = self.target.python_version
        if all(not python_allows(f.requires_python, python) for f in files):
            spec = _first_valid_spec(files)
            if spec is not None:
                return _PythonBlocked(spec)
        options = SelectOptions(prereleases=PreReleases.ALLOW, allow_sdist=self.options.allow_sdist)
        # An exact pin of this one version: select() then also takes a yanked version, with a warning.
        choice = select(usable, SpecifierSet(f"=={version}"), self.target, options) if usable else None
        if isinstance(choice, Choice):
            if choice.warning:
                self.reporter.warn(choice.warning)
            source = choice.file.source or "a file"
            self.reporter.debug(f"{name} {version}: {choice.file.filename} from {source}")
            return choice.file
        detail = choice.rejections[0].detail if choice is not None and choice.rejections else ""
        return Unavailable(self._no_file_reason(name, files, usable, detail), UnavailableKind.NO_WHEEL)

    def _stand_in_wheel(self, name: NormalizedName, version: Version) -> IndexFile | None:
        """A wheel of ``version`` for another platform or Python, whose metadata stands in for the
        sdist's when this environment must build from source: all files of a version are taken to
        share one metadata, as the universal mode (and uv) take them. So a solver that walks down old
        versions (numba before it had wheels for this Python) reads small ``.metadata`` files instead
        of building each sdist, which for old releases often fails on this Python anyway. The sdist
        is still what gets installed; its build is checked when it runs."""
        project = self._project(name)
        if isinstance(project, Unavailable) or name in self.options.no_binary:
            return None
        wheels = [f for f in project.by_version.get(version, ()) if f.is_wheel]
        if not wheels:
            return None
        chosen = _metadata_wheel(wheels)
        self.reporter.debug(f"{name} {version}: the metadata of {chosen.filename} (no wheel fits here)")
        return chosen

    def _binary_allowed(self, name: NormalizedName, file: IndexFile) -> bool:
        if file.is_wheel:
            return name not in self.options.no_binary
        return name not in self.options.only_binary

    def _no_file_reason(
        self, name: NormalizedName, files: Sequence[IndexFile], usable: Sequence[IndexFile], detail: str
    ) -> str:
        has_wheels = any(f.is_wheel for f in files)
        if name in self.options.no_binary and has_wheels:
            if not any(not f.is_wheel for f in files):
                return (
                    "has no usable file: --no-binary excludes its wheels, and it has no source distribution"
                )
            if not self.options.allow_sdist:
                return (
                    "has no usable file: --no-binary excludes its wheels, and this command does not "
                    "build from source"
                )
        if not usable and name in self.options.only_binary:
            return "has no wheel, and --only-binary excludes its source distribution"
        return detail or "has no installable files"

    # -- metadata ---------------------------------------------------------------------------------

    def _read_metadata(
        self, name: NormalizedName, version: Version
    ) -> _Metadata | _PythonBlocked | Unavailable:
        return self._metadata.get((name, version), lambda: self._load_metadata(name, version))

    def _load_metadata(
        self, name: NormalizedName, version: Version
    ) -> _Metadata | _PythonBlocked | Unavailable:
        from bale.index.metadata import CoreMetadata, parse_metadata

        file = self._choice(name, version)
        if not isinstance(file, IndexFile):
            return file
        if _needs_source_metadata(file):
            file = self._stand_in_wheel(name, version) or file
        try:
            if _needs_source_metadata(file):
                if self.source_metadata is None:
                    return Unavailable(
                        "has only a source distribution here, and this command does not build from source",
                        UnavailableKind.NO_WHEEL,
                    )
                data = self.source_metadata(file)
            else:
                data = self.metadata.fetch(file)
        except OfflineError as err:
            return Unavailable(f"is not available offline ({err.message})", UnavailableKind.OFFLINE)
        try:
            parsed = parse_metadata(data, file.filename)
        except BaleError as err:
            problem = _metadata_problem(err.message, file.filename)
            self.reporter.warn(f"Skipping {name} {version}: {file.filename} has invalid metadata: {problem}")
            return Unavailable(f"has invalid metadata: {problem}", UnavailableKind.METADATA)
        found_name = canonicalize_name(parsed.name)
        if found_name != name or parsed.version != version:
            named = f"{parsed.name} {parsed.version}"
            self.reporter.warn(f"Skipping {name} {version}: the metadata of {file.filename} names {named}")
            return Unavailable(
                f"has inconsistent metadata: {file.filename} says it is {named}",
                UnavailableKind.METADATA,
            )
        if self.options.refuse_metadata is not None:
            refusal = self.options.refuse_metadata(name, version, data)
            if refusal is not None:
                self.reporter.debug(f"rejected {name} {version}: it {refusal}")
                return Unavailable(refusal, UnavailableKind.OTHER)
        if isinstance(parsed, CoreMetadata):
            requires, by_extra = tuple(parsed.general_requires), parsed.extra_requires
        else:
            requires, by_extra = tuple(parsed.requires_dist or ()), {}
        return _Metadata(
            requires_dist=requires,
            requires_python=parsed.requires_python,
            provides_extra=frozenset(canonicalize_name(e) for e in parsed.provides_extra or ()),
            extra_requires=by_extra,
        )

    # -- prefetching ------------------------------------------------------------------------------

    def _prefetch_one(self, name: NormalizedName) -> None:
        # Errors stay in the once-maps for the solver's own call; a prefetch never raises.
        try:
            if self._closed:
                return
            project = self._project(name)
            if isinstance(project, Unavailable) or not self.options.speculate or self._closed:
                return
            version = self._likely_version(name, project)
            if version is None:
                return
            choice = self._choice(name, version)
            if isinstance(choice, IndexFile) and _needs_source_metadata(choice):
                return  # a build for a guess could run long after the solver is done
            found = self._read_metadata(name, version)
            if isinstance(found, _Metadata):
                # The likely version's dependencies are likely next: fetch their pages too.
                if self.target is None:
                    # Markers are not evaluated here: the marker algebra's tables are not meant to be
                    # shared between threads. Requirements of extras are skipped by their text.
                    names = (
                        canonicalize_name(r.name)
                        for r in found.requires_dist
                        if r.marker is None or "extra" not in str(r.marker)
                    )
                    self.prefetch(dict.fromkeys(names))
                    return
                wanted_here = requirement_dependencies(found.requires_dist, self.target.markers)
                self.prefetch(dict.fromkeys(d.package.name for d in wanted_here))
        except Exception:
            return

    def _likely_version(self, name: NormalizedName, project: _Project) -> Version | None:
        """The version the solver will most likely pick: the newest usable final release."""
        usable = [f for f in project.files if self._binary_allowed(name, f)]
        refuse = self.options.refuse_version
        if refuse is not None:
            usable = [f for f in usable if refuse(name, f.version) is None]
        if self.target is None:
            return self._likely_universal_version(project, usable)
        options = SelectOptions(prereleases=PreReleases.IF_NECESSARY, allow_sdist=self.options.allow_sdist)
        choice = select(usable, SpecifierSet(), self.target, options)
        return choice.file.version if isinstance(choice, Choice) else None

    # -- universal mode ---------------------------------------------------------------------------

    def _universal_fork(self) -> MarkerExpr:
        """The environments this provider answers for: the scope's interpreters and fork marker."""
        from bale.markers import python_marker

        fork = self._fork
        if fork is None:
            assert self.scope is not None
            fork = python_marker(self.scope.requires_python)
            if self.scope.fork_marker is not None:
                fork = fork & self.scope.fork_marker
            self._fork = fork
        return fork

    def _universal_dependencies(
        self, package: PackageId, version: Version, found: _Metadata, fork: MarkerExpr
    ) -> Dependencies | Unavailable:
        from bale.resolver.universal import marker_dependencies

        # Requires-Python is the fork driver's to judge (it may split the fork on it): reported as is.
        extra = package.extra
        try:
            dependencies = marker_dependencies(found.requirements(extra), fork, extra=extra)
        except ValueError as err:  # InvalidRequirement included
            reason = plain_reason(err)
            self.reporter.warn(f"Skipping {package.name} {version}: a Requires-Dist fails: {reason}")
            return Unavailable(f"has invalid metadata: requires-dist: {reason}", UnavailableKind.METADATA)
        if extra is not None and extra not in found.provides_extra and not dependencies:
            self.reporter.warn(f"{package.name} {version} does not have an extra named {extra}")
        return Dependencies(dependencies, found.requires_python)

    def _choose_universal(
        self, name: NormalizedName, version: Version, files: Sequence[IndexFile], usable: Sequence[IndexFile]
    ) -> IndexFile | Unavailable:
        """Any platform's wheel will do: all wheels of a version are taken to share one metadata (uv
        reads one too). A pure-Python wheel is preferred, then the first by file name."""
        live = [f for f in usable if not f.is_yanked]
        if usable and not live:
            # The solver asks about a yanked version only when it is pinned exactly: use it, with a warning.
            live = list(usable)
            reason = usable[0].yanked or ""
            self.reporter.warn(f"{name}=={version} is yanked" + (f" (reason: {reason})" if reason else ""))
        wheels = [f for f in live if f.is_wheel]
        if wheels:
            return _metadata_wheel(wheels)
        sdists = sorted((f for f in live if not f.is_wheel), key=lambda f: f.filename)
        if sdists and self.options.allow_sdist:
            return sdists[0]
        detail = (
            "has only a source distribution here, and this command does not build from source"
            if sdists
            else ""
        )
        return Unavailable(self._no_file_reason(name, files, usable, detail), UnavailableKind.NO_WHEEL)

    def _likely_universal_version(self, project: _Project, usable: Sequence[IndexFile]) -> Version | None:
        """The newest final release with a live file this provider may use."""
        versions = {f.version for f in usable if not f.is_yanked and (f.is_wheel or self.options.allow_sdist)}
        finals = [v for v in versions if not v.is_prerelease]
        return max(finals or versions, default=None)


class _ForkView:
    """One fork of a universal :class:`IndexProvider`: the same caches, dependencies for ``fork``."""

    def __init__(self, provider: IndexProvider, fork: MarkerExpr) -> None:
        self.provider = provider
        self.fork = fork

    @property
    def python_version(self) -> Version | None:
        return None

    def available_versions(self, package: PackageId) -> Sequence[Version] | Unavailable:
        return self.provider.available_versions(package)

    def yanked(self, package: PackageId) -> Mapping[Version, str]:
        return self.provider.yanked(package)

    def dependencies(self, package: PackageId, version: Version) -> Dependencies | Unavailable:
        found = self.provider._read_metadata(package.name, version)
        if isinstance(found, Unavailable):
            return found
        assert isinstance(found, _Metadata), "universal mode never blocks a file on one Python"
        return self.provider._universal_dependencies(package, version, found, self.fork)

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        self.provider.prefetch(names)


def _needs_source_metadata(file: IndexFile) -> bool:
    """An sdist without PEP 658 metadata: only a build backend (or its static PKG-INFO) can tell."""
    return not file.is_wheel and file.metadata_hashes is None


def _metadata_wheel(wheels: Sequence[IndexFile]) -> IndexFile:
    """The wheel whose metadata speaks for its version, the same on every machine: a pure-Python
    wheel, else the first by file name."""
    return min(wheels, key=lambda f: (not _is_pure(f), f.filename))


def _is_pure(file: IndexFile) -> bool:
    return any(tag.abi == "none" and tag.platform == "any" for tag in file.tags)


class IndexOrder(tuple[Version, ...]):
    """Versions in the order to try them, not newest first: the first index's newest to oldest, then
    the next index's (``--index-strategy unsafe-first-match``). The solver keeps this order."""

    in_priority_order = True


def _group(files: Sequence[IndexFile], *, index_order: bool = False) -> _Project:
    by_version = {version: tuple(items) for version, items in group_by_version(files).items()}
    yanked = {
        version: items[0].yanked or ""
        for version, items in by_version.items()
        if all(f.is_yanked for f in items)
    }
    versions: tuple[Version, ...] = tuple(sorted(by_version, reverse=True))
    if index_order:
        # ``files`` come index by index; a version belongs to the index that listed it first.
        rank: dict[str, int] = {}
        first: dict[Version, int] = {}
        for file in files:
            first.setdefault(file.version, rank.setdefault(file.source or "", len(rank)))
        versions = IndexOrder(sorted(versions, key=lambda v: first.get(v, len(rank))))
    return _Project(tuple(files), by_version, versions, yanked)


def _first_valid_spec(files: Iterable[IndexFile]) -> SpecifierSet | None:
    from packaging.specifiers import InvalidSpecifier

    for file in files:
        if file.requires_python:
            try:
                return SpecifierSet(file.requires_python)
            except InvalidSpecifier:
                continue
    return None


def _metadata_problem(message: str, source: str) -> str:
    """``field: problem`` out of parse_metadata's message (which starts "Invalid metadata in SOURCE:")."""
    prefix = f"Invalid metadata in {source}: "
    text = message[len(prefix) :] if message.startswith(prefix) else message
    return text.removeprefix("field ")
