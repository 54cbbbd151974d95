"""The distribution database: every kind of artifact becomes a checked, prepared wheel or its metadata."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from bale.dist.hash_policy import (
    NO_HASH_POLICY,
    HashPolicy,
    check_digests,
    check_index_hashes,
    needed_algorithms,
)
from bale.errors import BaleError
from bale.model.artifact import AllowedHashes, Artifact, Prepared
from bale.model.build_options import DEFAULT_BUILD_OPTIONS, BuildOptions
from bale.model.dists import IndexFile
from bale.model.hashes import STRONG_ALGORITHMS
from bale.report import NULL_REPORTER, Reporter

if TYPE_CHECKING:
    from bale.cache.cache import Cache
    from bale.dist.build import Builder
    from bale.http.client import HttpClient
    from bale.index.metadata import MetadataFetcher
    from bale.vcs import VcsInfo
    from bale.vcs.git import GitRepositories


class _Shared:
    """What every view of one run's database shares: memos of metadata and what resolution read."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # Metadata of source trees prepared in this run, by (real path, isolation): a tree is asked
        # for it to be named, then by the resolver, and each answer is a backend run (~0.1-1 s).
        self.tree_metadata: dict[tuple[str, bool], bytes] = {}
        self.fetcher: MetadataFetcher | None = None


class DistributionDatabase:
    """Turns artifacts (registry wheels and sdists, URLs, paths, git commits, archive subdirectories)
    into wheels unpacked in the cache, checked on the way, or into their core metadata.

    Every check of the pipeline is made here, once: the ``hash_policy`` for the whole graph (before
    anything is fetched, then on every file's bytes), the index's hashes, the wheel's own METADATA
    against the metadata resolution read, the built wheel's name against the artifact's. Its services
    are given explicitly: the ``cache``; the HTTP client, the git repositories and the builder as
    functions called on first use (a run that only links cached wheels never creates them: the
    builder's imports alone are ~30 ms); ``build_options`` for this run's own packages.
    """

    def __init__(
        self,
        cache: Cache,
        *,
        http: Callable[[], HttpClient],
        git: Callable[[], GitRepositories],
        builder: Callable[[], Builder | None],
        build_options: Callable[[], BuildOptions] = lambda: DEFAULT_BUILD_OPTIONS,
        hash_policy: HashPolicy = NO_HASH_POLICY,
        reporter: Reporter = NULL_REPORTER,
        _shared: _Shared | None = None,
    ) -> None:
        self.cache = cache
        self._http = http
        self._git = git
        self._builder = builder
        self._build_options = build_options
        self.hash_policy = hash_policy
        self.reporter = reporter
        self._shared = _shared or _Shared()

    # -- views and services ------------------------------------------------------------------------

    def with_hash_policy(self, policy: HashPolicy) -> DistributionDatabase:
        """This database with another hash policy (memos shared)."""
        return DistributionDatabase(
            self.cache,
            http=self._http,
            git=self._git,
            builder=self._builder,
            build_options=self._build_options,
            hash_policy=policy,
            reporter=self.reporter,
            _shared=self._shared,
        )

    def with_builder(self, builder: Builder) -> DistributionDatabase:
        """This database building with ``builder`` (a nested build's), with default build options and
        hash policy: build requirements are built isolated and are not hash-checked (as pip and uv)."""
        return DistributionDatabase(
            self.cache,
            http=self._http,
            git=self._git,
            builder=lambda: builder,
            reporter=self.reporter,
            _shared=self._shared,
        )

    @property
    def http(self) -> HttpClient:
        return self._http()

    @property
    def git(self) -> GitRepositories:
        return self._git()

    @property
    def builder(self) -> Builder | None:
        """The builder for sources, None when this run does not build from source."""
        return self._builder()

    @property
    def build_options(self) -> BuildOptions:
        return self._build_options()

    @property
    def metadata(self) -> MetadataFetcher:
        """The run's fetcher of wheels' METADATA (PEP 658, range requests, whole file): resolution reads
        through it, and ``prepare`` checks each wheel against what it read."""
        shared = self._shared
        with shared.lock:
            if shared.fetcher is None:
                from bale.index.metadata import MetadataFetcher

                shared.fetcher = MetadataFetcher(self.http, cache_dir=self.cache.bucket("metadata-v1"))
            return shared.fetcher

    # -- preparing wheels --------------------------------------------------------------------------

    def prepare_all(
        self, artifacts: Sequence[Artifact], on_done: Callable[[Prepared], None] | None = None
    ) -> list[Prepared]:
        """Prepare every artifact (in parallel); the hash policy admits them all before anything is
        fetched, and the first failure is raised once the others finish (none is half-written)."""
        if not artifacts:
            return []
        self.hash_policy.admit(artifacts)
        workers = min(len(artifacts), int(os.environ.get("BALE_CONCURRENT_DOWNLOADS", "0") or 0) or 16)
        results: list[Prepared] = []
        errors: list[BaseException] = []
        if workers <= 1:
            for artifact in artifacts:
                item = self.prepare(artifact)
                results.append(item)
                if on_done:
                    on_done(item)
            return results
        from bale.cancel import worker_pool

        # Ctrl-C (KeyboardInterrupt in this thread, from future.result()) leaves at once: the pool
        # cancels the queued downloads instead of waiting for every one to finish.
        with worker_pool(workers, "bale-prepare") as pool:
            # A wheel already unpacked in the cache costs a stat and a small read: done here, since
            # handing 97 of them to threads cost 11-15 ms of GIL hand-overs against 4-5 ms in one thread.
            futures = [None if self._unpacked(a) else pool.submit(self.prepare, a) for a in artifacts]
            for artifact, future in zip(artifacts, futures, strict=True):
                try:
                    item = self.prepare(artifact) if future is None else future.result()
                except Exception as exc:  # collect; re-raise the first once every worker is done
                    errors.append(exc)
                    continue
                results.append(item)
                if on_done:
                    on_done(item)
        if errors:
            raise errors[0]
        return results

    def _unpacked(self, artifact: Artifact) -> bool:
        """Whether ``artifact`` is a registry wheel whose tree the cache holds (``prepare``'s warm path)."""
        from bale.dist.prepare import archive_for

        sha256 = artifact.file.hashes.get("sha256")
        if not sha256 or artifact.vcs is not None or artifact.is_source:
            return False
        try:
            return archive_for(self.cache, sha256) is not None
        except Exception:  # a malformed digest from the index: prepare() says what is wrong
            return False

    def prepare(self, artifact: Artifact) -> Prepared:
        """The artifact's wheel unpacked in the cache, checked (see the class); built first for a
        source. Warm path for a registry wheel whose index gave its sha256: one stat and one read."""
        if artifact.vcs is not None:
            from bale.dist.git_builds import prepare_git

            return prepare_git(self, artifact)
        if artifact.is_source:
            return self._prepare_source(artifact)
        prepared = self._prepare_wheel(artifact)
        from bale.dist.metadata_check import check_wheel_metadata

        check_wheel_metadata(artifact.file, prepared.tree, self.believed_metadata(artifact.file))
        return prepared

    def believed_metadata(self, file: IndexFile) -> bytes | None:
        """The METADATA resolution read for ``file``: in this run, else the one the metadata cache
        keeps from an earlier resolution (a lock's); None when unknown. Creates no HTTP client."""
        fetcher = self._shared.fetcher
        if fetcher is not None:
            return fetcher.known(file)
        from bale.index.metadata_cache import cached_metadata

        return cached_metadata(self.cache.bucket_path("metadata-v1"), file)

    def _prepare_wheel(self, artifact: Artifact) -> Prepared:
        from bale.dist.prepare import archive_for, file_digests, unpacked_wheel

        file = artifact.file
        needed = needed_algorithms(artifact.allowed_hashes)
        known_sha = file.hashes.get("sha256")
        remote = not file.url.startswith("file:")
        if known_sha is None and remote:
            known_sha = self.cache.read_pointer(self._url_key_path(file.url))  # a damaged one: None
        # Warm path: the index told us the hash and the cache already has that wheel unpacked (one stat).
        if known_sha and (not needed or "sha256" in needed):
            if artifact.allowed_hashes and known_sha not in artifact.allowed_hashes.get(
                "sha256", frozenset()
            ):
                self.hash_policy.check(artifact, {"sha256": known_sha})
            tree = archive_for(self.cache, known_sha)
            if tree is not None:
                self.reporter.debug(f"cache: {artifact.label} is unpacked at {tree}")
                return Prepared(artifact, tree, known_sha, from_cache=True)
        if not remote:
            path = Path(unquote(urlsplit(file.url).path))
            if not path.is_file():
                raise BaleError(f"The wheel {path} for {artifact.name} does not exist")
            digests = file_digests(path, needed)
            check_index_hashes(file.filename, file.hashes, digests, path)
            self.hash_policy.check(artifact, digests)
            tree = unpacked_wheel(self.cache, path, digests["sha256"])
            return Prepared(artifact, tree, digests["sha256"], from_cache=False)
        with self.cache.temp_dir() as temp:
            target = temp / file.filename
            expected = {a: d for a, d in file.hashes.items() if a in STRONG_ALGORITHMS}
            shared = self.cache.remote  # remote-cache-wheels: a far index's wheels from a near store
            fetched = shared.fetch_wheel(known_sha) if shared is not None and known_sha else None
            if fetched is not None:
                target.write_bytes(fetched)  # verified against known_sha by fetch_wheel
                digests = file_digests(target, needed) if needed else {"sha256": known_sha or ""}
            else:
                digests = self.http.download(
                    file.url, target, expected=expected or None, label=artifact.label, reporter=self.reporter
                )
            if any(a not in digests for a in needed):
                digests = {**digests, **file_digests(target, needed)}
            self.hash_policy.check(artifact, digests)
            sha256 = digests["sha256"]
            if shared is not None and fetched is None:
                shared.offer_wheel(sha256, target)
            tree = unpacked_wheel(self.cache, target, sha256)
        if not file.hashes.get("sha256"):
            from bale.fs.atomic import write_atomic

            write_atomic(self._url_key_path(file.url), sha256)
        return Prepared(artifact, tree, sha256, from_cache=False)

    def _prepare_source(self, artifact: Artifact) -> Prepared:
        """Build an sdist or a source tree into a wheel (the builder caches sdists' wheels) and unpack it."""
        from bale.dist.prepare import archive_for, file_sha256, unpacked_wheel

        builder = self.builder
        if builder is None:
            raise BaleError(
                f"Cannot install {artifact.label} from {artifact.file.filename}: it must be built from "
                "source, and this command does not build from source"
            )
        file = artifact.file
        local = local_source(file)
        if local is not None and local.is_dir():
            path, archive_sha = local, None
        else:
            path, archive_sha = self.source_archive(file, artifact.allowed_hashes, label=artifact.label)
            if artifact.subdirectory:
                from bale.dist.archive_subdirectory import subdirectory_tree

                path = subdirectory_tree(self.cache, path, archive_sha, artifact.subdirectory, artifact.name)
        options = self.build_options
        wheel = builder.build_wheel(
            path,
            editable=artifact.editable,
            config_settings=options.config_settings,
            isolation=options.isolation_for(artifact.name),
        )
        check_built(artifact, wheel.name, file.filename)
        wheel_sha = file_sha256(wheel)
        cached = archive_for(self.cache, wheel_sha) is not None
        tree = unpacked_wheel(self.cache, wheel, wheel_sha)
        return Prepared(artifact, tree, archive_sha or wheel_sha, from_cache=cached)

    # -- sources -----------------------------------------------------------------------------------

    def source_archive(
        self, file: IndexFile, allowed: AllowedHashes | None = None, *, label: str = ""
    ) -> tuple[Path, str]:
        """The sdist ``file`` on disk and its sha256, hashes checked (the index's, and ``allowed`` from
        ``--hash``) before any build runs its code.

        A local file is used in place (hashed each time: ~1 ms for a typical sdist). A remote one is
        downloaded once into ``sdists-v1/<name>/<sha256>/<filename>``; a later run finds it by the
        index's sha256 (or by its URL when the index gave no hash) without a request.
        """
        from bale.dist.prepare import file_digests

        allowed = allowed or {}
        needed = needed_algorithms(allowed)
        what = f"{file.filename} ({label or file.filename})"
        local = local_source(file)
        if local is not None:
            if not local.is_file():
                raise BaleError(
                    f"The source distribution {local} for {label or file.filename} does not exist"
                )
            digests = file_digests(local, needed)
            check_index_hashes(file.filename, file.hashes, digests, local)
            check_digests(allowed, digests, what, file.url)
            return local, digests["sha256"]
        from bale.cache.cache import is_sha256

        known_sha = (file.hashes.get("sha256") or "").lower()
        pointer = self._url_key_path(file.url)
        if not known_sha:
            known_sha = self.cache.read_pointer(pointer) or ""  # a damaged one: refetched
        name = file.filename
        if is_sha256(known_sha):
            cached = self.cache.package_dir("sdists", file.name) / known_sha / name
            if cached.is_file():
                digests = {"sha256": known_sha}
                if any(a not in digests for a in needed):
                    digests = file_digests(cached, needed)
                check_digests(allowed, digests, what, file.url)
                return cached, digests["sha256"]
        from bale.fs.atomic import replace_dir, write_atomic

        with self.cache.temp_dir() as temp:
            staged = temp / "entry"
            staged.mkdir()
            target = staged / name
            expected = {a: d for a, d in file.hashes.items() if a in STRONG_ALGORITHMS}
            digests = self.http.download(
                file.url, target, expected=expected or None, label=label or name, reporter=self.reporter
            )
            if any(a not in digests for a in needed):
                digests = {**digests, **file_digests(target, needed)}
            check_digests(allowed, digests, what, file.url)
            sha256 = digests["sha256"]
            final = self.cache.package_dir("sdists", file.name) / sha256
            final.parent.mkdir(parents=True, exist_ok=True)
            replace_dir(staged, final)
        if not file.hashes.get("sha256"):
            write_atomic(pointer, sha256)
        return final / name, sha256

    def source_metadata(
        self, file: IndexFile, allowed: AllowedHashes | None = None, *, label: str = ""
    ) -> tuple[bytes, str | None]:
        """The core metadata of an sdist, a source tree or a pinned ``git+URL@COMMIT``, from the
        builder, and the sdist's sha256 (None otherwise). Cost: see ``Builder.source_metadata`` (plus
        a download when cold); a tree's answer is kept for the run."""
        if file.url.startswith("git+"):
            from bale.dist.git_builds import metadata_for_url

            return metadata_for_url(self, file.url), None
        builder = self.builder
        if builder is None:
            raise BaleError(
                f"Cannot read the metadata of {label or file.filename}: it is a source distribution, "
                "and this command does not build from source"
            )
        local = local_source(file)
        isolation = self.build_options.isolation_for(file.name)
        if local is not None and local.is_dir():
            key = (os.path.realpath(local), isolation)
            memo = self._shared.tree_metadata
            data = memo.get(key)
            if data is None:
                data = memo[key] = builder.source_metadata(local, isolation=isolation)
            return data, None
        from bale.cache.cache import is_sha256

        known = (file.hashes.get("sha256") or "").lower()
        if is_sha256(known) and local is None and not allowed:
            # The index names the digest, and the metadata built from that content is cached: the
            # archive (downloaded or not) is not read. With --hash the archive is checked as before.
            cached = builder.cached_source_metadata(file.filename, known)
            if cached is not None:
                return cached, known
        path, sha256 = self.source_archive(file, allowed, label=label)
        return builder.source_metadata(path, isolation=isolation), sha256

    def folder_metadata(self, folder: Path, name: str, *, label: str) -> bytes:
        """The core metadata of the project in ``folder`` (built once per run, see ``source_metadata``)."""
        from packaging.version import Version

        from bale.model.dists import FileKind
        from bale.model.names import normalize

        url = folder.as_uri()
        tree = IndexFile(
            filename=folder.name,
            url=url,
            name=normalize(name),
            version=Version("0"),
            kind=FileKind.SDIST,
            source=url,
        )
        return self.source_metadata(tree, label=label)[0]

    def unpacked_folder(
        self, file: IndexFile, allowed: AllowedHashes, subdirectory: str, *, label: str
    ) -> tuple[Path, str]:
        """The folder ``subdirectory`` of the source archive ``file`` (fetched into the cache and
        checked against the index's and ``allowed`` hashes first) and the archive's sha256."""
        from bale.dist.archive_subdirectory import subdirectory_tree

        archive, sha256 = self.source_archive(file, allowed, label=label)
        return subdirectory_tree(self.cache, archive, sha256, subdirectory, file.name), sha256

    def artifact_metadata(self, artifact: Artifact) -> bytes:
        """The metadata of an archive's subdirectory artifact, for the resolver (its file's URL names
        the whole archive, whose root is not the project)."""
        assert artifact.subdirectory is not None
        label = f"{artifact.file.url}#subdirectory={artifact.subdirectory}"
        folder, _ = self.unpacked_folder(
            artifact.file, artifact.allowed_hashes, artifact.subdirectory, label=label
        )
        return self.folder_metadata(folder, artifact.name, label=label)

    def git_metadata(self, vcs: VcsInfo) -> bytes:
        """Core metadata of the project at ``vcs``'s commit (cached by commit; see ``dist.git_builds``)."""
        from bale.dist.git_builds import git_metadata

        return git_metadata(self, vcs)

    def _url_key_path(self, url: str) -> Path:
        return self.cache.bucket("urls-v1") / (hashlib.sha256(url.encode()).hexdigest() + ".sha256")


def local_source(file: IndexFile) -> Path | None:
    """The local path of a ``file://`` sdist or source tree; None for a remote file."""
    if not file.url.startswith("file:"):
        return None
    return Path(unquote(urlsplit(file.url).path))


def check_built(artifact: Artifact, wheel_name: str, source: str) -> None:
    """The wheel a backend built must be the distribution the resolver chose (pip checks this too)."""
    from bale.model.dists import parse_filename

    parsed = parse_filename(wheel_name)
    if parsed is None:
        raise BaleError(f"Building {source} produced {wheel_name}, which is not a valid wheel file name")
    if parsed.name != artifact.name or parsed.version != artifact.version:
        raise BaleError(
            f"Building {source} produced {wheel_name}, but {artifact.label} was expected",
            context=["the package's metadata and its built wheel disagree on its name or version"],
            hint="this is a bug in the package's build configuration; report it upstream",
        )
