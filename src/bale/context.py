"""Wiring: creates the cache, HTTP and index clients, database, environments and builder of a run, once."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bale.envvars import env_flag
from bale.model.build_options import DEFAULT_BUILD_OPTIONS, BuildOptions
from bale.model.record import record
from bale.ops.settings import BuildSettings, GlobalSettings, IndexSettings
from bale.report import NULL_REPORTER, Reporter

if TYPE_CHECKING:
    from bale.cache.cache import Cache
    from bale.dist.build import Builder
    from bale.dist.build_lock import BuildPins, BuildRecorder
    from bale.dist.database import DistributionDatabase
    from bale.dist.hash_policy import HashPolicy
    from bale.http.auth import CredentialStore
    from bale.http.client import HttpClient
    from bale.index.sources import IndexClient
    from bale.model.requirement import RequirementSpec
    from bale.python.probe import Interpreter
    from bale.python.venv import PythonEnvironment
    from bale.vcs.git import GitRepositories


DEFAULT_BUILD_SETTINGS = BuildSettings()


@record(frozen=True)
class _Builds:
    """What ``use_builds`` was told: enough to create the builder when a source first needs one."""

    index: IndexSettings
    interpreter: Interpreter | Callable[[], Interpreter]  # a callable: found when a build needs it
    options: BuildOptions
    constraints: tuple[RequirementSpec, ...]
    environment: PythonEnvironment | None
    recorder: BuildRecorder | None = None
    pins: BuildPins | None = None


class Context:
    """Per-run services, created lazily so a command pays only for what it uses."""

    def __init__(self, settings: GlobalSettings, reporter: Reporter = NULL_REPORTER) -> None:
        self.settings = settings
        self.reporter = reporter
        self._temp_cache: str | None = None
        self._builds: _Builds | None = None
        self._builders: dict[tuple[object, ...], Builder] = {}
        self._builders_lock = threading.Lock()

    @property
    def offline(self) -> bool:
        return self.settings.offline or env_flag("BALE_OFFLINE")

    @cached_property
    def cache(self) -> Cache:
        from bale.cache.cache import Cache

        warn = self.reporter.warn  # damaged entries, lock waits
        if self.settings.no_cache or env_flag("BALE_NO_CACHE"):
            self._temp_cache = tempfile.mkdtemp(prefix="bale-cache-")
            cache = Cache(Path(self._temp_cache), warn=warn)
        elif self.settings.cache_dir is not None:
            cache = Cache(self.settings.cache_dir, warn=warn)
        else:
            cache = Cache(Cache.default().root, warn=warn)
        if self.settings.remote_cache and not self.offline:
            from bale.ops.remote_cache_setup import open_remote_cache

            cache.remote = open_remote_cache(self.settings, self.reporter)
        return cache

    @cached_property
    def http(self) -> HttpClient:
        from bale.http.client import HttpClient

        return HttpClient(
            offline=self.offline,
            cache_dir=self.cache.bucket("simple-v1"),
            reporter=self.reporter,
            credentials=self.credentials,
        )

    @cached_property
    def credentials(self) -> CredentialStore:
        """Credentials per index host for every request of this run (see ``learn_indexes``)."""
        from bale.http.auth import CredentialStore

        return CredentialStore()

    def learn_indexes(self, index: IndexSettings) -> None:
        """Take the credentials of ``index``'s indexes (URL, BALE_INDEX_<NAME>_* variables) for
        their hosts, so that locked files there download with them though no page is read."""
        self.credentials.add_indexes(index.credential_sources())

    @cached_property
    def database(self) -> DistributionDatabase:
        """The run's distribution database: every artifact becomes a checked wheel through it. Its
        HTTP client, git and builder are this context's, created when it first needs them."""
        from bale.dist.database import DistributionDatabase

        return DistributionDatabase(
            self.cache,
            http=lambda: self.http,
            git=lambda: self.git,
            builder=lambda: self.builder,
            build_options=lambda: self.build_options,
            reporter=self.reporter,
        )

    def use_hash_policy(self, policy: HashPolicy) -> None:
        """Make ``policy`` (hash-checking mode, for the whole graph) the database's from now on."""
        self.__dict__["database"] = self.database.with_hash_policy(policy)

    @cached_property
    def git(self) -> GitRepositories:
        """The cache's git repositories (checkouts by commit), offline when the run is."""
        from bale.vcs.git import GitRepositories

        return GitRepositories(self.cache, offline=self.offline, reporter=self.reporter)

    def index_client(self, index: IndexSettings) -> IndexClient:
        from bale.index.sources import IndexClient, IndexSources
        from bale.model.names import normalize

        self.learn_indexes(index)
        sources = IndexSources(
            index_urls=() if index.no_index else (index.index_url,),
            extra_index_urls=() if index.no_index else index.extra_index_urls,
            find_links=index.find_links,
            no_index=index.no_index,
            pins=tuple((normalize(name), url) for name, url in index.pins),
            strategy=index.search_strategy,
        )
        return IndexClient(self.http, sources, reporter=self.reporter)

    def environment(self, python: str | None, cwd: Path | None = None) -> PythonEnvironment:
        from bale.python.venv import find_environment

        return find_environment(
            python_request=python or os.environ.get("BALE_PYTHON") or None,
            cwd=cwd or Path.cwd(),
            cache_dir=self.cache.bucket("interpreters-v1"),
        )

    # -- building from source ----------------------------------------------------------------------

    def use_builds(
        self,
        index: IndexSettings,
        interpreter: Interpreter | Callable[[], Interpreter],
        build: BuildSettings = DEFAULT_BUILD_SETTINGS,
        *,
        environment: PythonEnvironment | None = None,
        recorder: BuildRecorder | None = None,
        pins: BuildPins | None = None,
    ) -> None:
        """Let this run build sdists and source trees with ``build``'s options (``--build-constraint``
        files are read now); build requirements come from ``index``, build environments from
        ``interpreter``, and ``environment`` runs the backend when isolation is off (default:
        ``interpreter``). ``recorder`` and ``pins``: see ``IndexBuildContext``. Cheap: the builder is
        created when a source first needs it (see ``builder_for``), so runs that meet only wheels
        never import it."""
        constraints: list[RequirementSpec] = []
        if build.constraint_files:
            from bale.requirements import parse_requirements_file

            for path in build.constraint_files:
                parsed = parse_requirements_file(path, is_constraints=True)
                constraints.extend([*parsed.requirements, *parsed.constraints])
        from bale.model.names import normalize

        self.learn_indexes(index)
        no_isolation = frozenset(normalize(name) for name in build.no_isolation_packages)
        options = BuildOptions(build.isolation, build.config_dict(), no_isolation)
        self._builds = _Builds(index, interpreter, options, tuple(constraints), environment, recorder, pins)
        self.__dict__.pop("builder", None)

    @property
    def can_build(self) -> bool:
        """Whether sources may be built in this run: ``use_builds`` was called, or a builder attached."""
        return self._builds is not None or self.__dict__.get("builder") is not None

    @property
    def built_anything(self) -> bool:
        """Whether this run set up a builder (for a backend's metadata or wheel): results that depend
        on a backend depend on more than index pages (see ``ops.memo``)."""
        return bool(self._builders) or self.__dict__.get("builder") is not None

    @property
    def build_options(self) -> BuildOptions:
        """Isolation and config settings for the builds of this run's packages."""
        return self._builds.options if self._builds is not None else DEFAULT_BUILD_OPTIONS

    @cached_property
    def builder(self) -> Builder | None:
        """The builder set up by ``use_builds`` (None without it); ``ops.build_context.attach_builder``
        replaces it on a copy of this context for nested builds."""
        builds = self._builds
        if builds is None:
            return None
        interpreter = builds.interpreter
        if callable(interpreter):
            interpreter = interpreter()
        return self.builder_for(
            builds.index,
            interpreter,
            isolation=builds.options.isolation,
            config_settings=builds.options.config_settings,
            build_constraints=builds.constraints,
            environment=builds.environment,
            recorder=builds.recorder,
            pins=builds.pins,
        )

    def builder_for(
        self,
        index: IndexSettings,
        interpreter: Interpreter,
        *,
        isolation: bool = True,
        config_settings: Mapping[str, str | list[str]] | None = None,
        build_constraints: Sequence[RequirementSpec] = (),
        environment: PythonEnvironment | None = None,
        recorder: BuildRecorder | None = None,
        pins: BuildPins | None = None,
    ) -> Builder:
        """A builder whose build environments come from ``interpreter`` and whose build requirements
        are resolved against ``index`` (within ``build_constraints``); one per distinct set of
        arguments, closed by ``close``. ``environment`` runs the hooks when ``isolation`` is off.
        ``isolation`` and ``config_settings`` take part in the key only: they are passed per call."""
        key = (
            index,
            os.fspath(interpreter.executable),
            isolation,
            tuple(sorted((k, str(v)) for k, v in (config_settings or {}).items())),
            tuple(str(spec) for spec in build_constraints),
            os.fspath(environment.root) if environment is not None else None,
            id(recorder),
            id(pins),
        )
        with self._builders_lock:
            builder = self._builders.get(key)
            if builder is None:
                from bale.dist.build import Builder
                from bale.ops.build_context import IndexBuildContext

                context = IndexBuildContext(
                    self,
                    index,
                    interpreter,
                    build_constraints=build_constraints,
                    recorder=recorder,
                    pins=pins,
                )
                builder = Builder(self.cache, context, reporter=self.reporter, environment=environment)
                self._builders[key] = builder
            return builder

    def close(self) -> None:
        with self._builders_lock:
            builders, self._builders = list(self._builders.values()), {}
        for builder in builders:
            builder.close()
        remote = self.__dict__["cache"].remote if "cache" in self.__dict__ else None
        if remote is not None:
            remote.flush()  # the uploads of this run's builds finish before the command returns
        if self._temp_cache:
            shutil.rmtree(self._temp_cache, ignore_errors=True)
