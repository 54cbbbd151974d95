"""Prepare chosen distributions: find wheels in the cache or download them (building sdists and source
trees into wheels first), verify and unpack them there, in parallel."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bale.context import Context
from bale.dist.prepare import file_digests
from bale.errors import BaleError, HashMismatchError
from bale.model.dists import IndexFile
from bale.model.hashes import STRONG_ALGORITHMS
from bale.ops.sources import Artifact

AllowedHashes = Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Prepared:
    artifact: Artifact
    tree: Path  # the unpacked wheel in the cache
    sha256: str
    from_cache: bool


def check_allowed_hashes(artifact: Artifact, digests: dict[str, str]) -> None:
    """``--hash`` options: the file must match one of the listed digests."""
    _check_hashes(
        artifact.allowed_hashes,
        digests,
        f"{artifact.file.filename} ({artifact.name}=={artifact.version})",
        artifact.file.source or artifact.url,
    )


def _check_hashes(allowed: AllowedHashes, digests: Mapping[str, str], what: str, source: str) -> None:
    if not allowed:
        return
    for algorithm, values in allowed.items():
        if digests.get(algorithm) in values:
            return
    algorithm = next(iter(allowed))
    raise HashMismatchError(
        f"Hash mismatch for {what}",
        context=[
            *(f"expected {a}:{d}" for a in allowed for d in sorted(allowed[a])),
            f"got      {algorithm}:{digests.get(algorithm, '(not computed)')}",
            f"from {source}",
        ],
        hint="the file differs from the one the requirements were written for; nothing was installed",
    )


def check_index_hashes(
    filename: str, hashes: Mapping[str, str], digests: Mapping[str, str], path: Path
) -> None:
    """The digests of the local file ``path`` agree with the ones the index gave for ``filename``."""
    for algorithm, digest in hashes.items():
        if algorithm in digests and digests[algorithm] != digest.lower():
            raise HashMismatchError(
                f"Hash mismatch for {filename}: the index says {algorithm}:{digest}, "
                f"the file has {algorithm}:{digests[algorithm]}",
                context=[f"file: {path}"],
            )


def _url_key_path(ctx: Context, url: str) -> Path:
    return ctx.cache.bucket("urls-v1") / (hashlib.sha256(url.encode()).hexdigest() + ".sha256")


def prepare_one(ctx: Context, artifact: Artifact) -> Prepared:
    from bale.dist.prepare import archive_for, unpacked_wheel

    if artifact.vcs is not None:
        from bale.ops.vcs import prepare_git

        return prepare_git(ctx, artifact)
    if artifact.is_source:
        return _prepare_source(ctx, artifact)
    file = artifact.file
    needed = [a for a in artifact.allowed_hashes if a in STRONG_ALGORITHMS]
    known_sha = file.hashes.get("sha256")
    remote = not file.url.startswith("file:")
    if known_sha is None and remote:
        pointer = _url_key_path(ctx, file.url)
        if pointer.is_file():
            known_sha = pointer.read_text().strip() or None
    # Warm path: the index told us the hash and the cache already has that wheel unpacked (one stat).
    if known_sha and (not needed or "sha256" in needed):
        if artifact.allowed_hashes and known_sha not in artifact.allowed_hashes.get("sha256", frozenset()):
            check_allowed_hashes(artifact, {"sha256": known_sha})
        tree = archive_for(ctx.cache, known_sha)
        if tree is not None:
            return Prepared(artifact, tree, known_sha, from_cache=True)
    if not remote:
        path = Path(unquote(urlsplit(file.url).path))
        if not path.is_file():
            raise BaleError(f"The wheel {path} for {artifact.name} does not exist")
        digests = file_digests(path, needed)
        expected = {a: d for a, d in file.hashes.items() if a in digests}
        for algorithm, digest in expected.items():
            if digests[algorithm] != digest.lower():
                raise HashMismatchError(
                    f"Hash mismatch for {file.filename}: the index says {algorithm}:{digest}, "
                    f"the file has {algorithm}:{digests[algorithm]}",
                    context=[f"file: {path}"],
                )
        check_allowed_hashes(artifact, digests)
        tree = unpacked_wheel(ctx.cache, path, digests["sha256"])
        return Prepared(artifact, tree, digests["sha256"], from_cache=False)
    temp = ctx.cache.make_temp_dir()
    try:
        target = temp / file.filename
        expected = {a: d for a, d in file.hashes.items() if a in STRONG_ALGORITHMS}
        digests = ctx.http.download(
            file.url,
            target,
            expected=expected or None,
            label=f"{artifact.name}=={artifact.version}",
            reporter=ctx.reporter,
        )
        if any(a not in digests for a in needed):
            digests = {**digests, **file_digests(target, needed)}
        check_allowed_hashes(artifact, digests)
        sha256 = digests["sha256"]
        tree = unpacked_wheel(ctx.cache, target, sha256)
        if not file.hashes.get("sha256"):
            from bale.fs.atomic import write_atomic

            write_atomic(_url_key_path(ctx, file.url), sha256)
        return Prepared(artifact, tree, sha256, from_cache=False)
    finally:
        import shutil

        shutil.rmtree(temp, ignore_errors=True)


# -- sources ---------------------------------------------------------------------------------------


def local_source(file: IndexFile) -> Path | None:
    """The local path of a ``file://`` sdist or source tree; None for a remote file."""
    if not file.url.startswith("file:"):
        return None
    return Path(unquote(urlsplit(file.url).path))


def source_archive(
    ctx: Context, file: IndexFile, allowed: AllowedHashes | None = None, *, label: str = ""
) -> tuple[Path, str]:
    """The sdist ``file`` on disk and its sha256, hashes checked (the index's, and ``allowed`` from
    ``--hash``) before any build runs its code.

    A local file is used in place (hashed each time: ~1 ms for a typical sdist). A remote one is
    downloaded once into ``sdists-v1/<name>/<sha256>/<filename>``; a later run finds it by the index's
    sha256 (or by its URL when the index gave no hash) without a request.
    """
    allowed = allowed or {}
    needed = [a for a in allowed if a in STRONG_ALGORITHMS]
    what = label or file.filename
    local = local_source(file)
    if local is not None:
        if not local.is_file():
            raise BaleError(f"The source distribution {local} for {what} does not exist")
        digests = file_digests(local, needed)
        check_index_hashes(file.filename, file.hashes, digests, local)
        _check_hashes(allowed, digests, f"{file.filename} ({what})", file.url)
        return local, digests["sha256"]
    from bale.cache.cache import is_sha256

    known_sha = (file.hashes.get("sha256") or "").lower()
    pointer = _url_key_path(ctx, file.url)
    if not known_sha and pointer.is_file():
        known_sha = pointer.read_text().strip()
    name = file.filename
    if is_sha256(known_sha):
        cached = ctx.cache.package_dir("sdists", file.name) / known_sha / name
        if cached.is_file():
            digests = {"sha256": known_sha}
            if any(a not in digests for a in needed):
                digests = file_digests(cached, needed)
            _check_hashes(allowed, digests, f"{file.filename} ({what})", file.url)
            return cached, digests["sha256"]
    from bale.fs.atomic import replace_dir, write_atomic

    with ctx.cache.temp_dir() as temp:
        staged = temp / "entry"
        staged.mkdir()
        target = staged / name
        expected = {a: d for a, d in file.hashes.items() if a in STRONG_ALGORITHMS}
        digests = ctx.http.download(
            file.url, target, expected=expected or None, label=what, reporter=ctx.reporter
        )
        if any(a not in digests for a in needed):
            digests = {**digests, **file_digests(target, needed)}
        _check_hashes(allowed, digests, f"{file.filename} ({what})", file.url)
        sha256 = digests["sha256"]
        final = ctx.cache.package_dir("sdists", file.name) / sha256
        final.parent.mkdir(parents=True, exist_ok=True)
        replace_dir(staged, final)
    if not file.hashes.get("sha256"):
        write_atomic(pointer, sha256)
    return final / name, sha256


def source_metadata(
    ctx: Context, file: IndexFile, allowed: AllowedHashes | None = None, *, label: str = ""
) -> tuple[bytes, str | None]:
    """The core metadata of an sdist or a source tree, from the context's builder, and the sdist's
    sha256 (None for a tree). Cost: see ``Builder.source_metadata`` (plus a download when cold)."""
    if file.url.startswith("git+"):
        from bale.ops.vcs import metadata_for_url

        return metadata_for_url(ctx, file.url), None
    builder = ctx.builder
    if builder is None:
        raise BaleError(
            f"Cannot read the metadata of {label or file.filename}: it is a source distribution, "
            "and this command does not build from source"
        )
    local = local_source(file)
    isolation = ctx.build_options.isolation_for(file.name)
    if local is not None and local.is_dir():
        key = (os.path.realpath(local), isolation)
        data = ctx.tree_metadata.get(key)
        if data is None:
            data = ctx.tree_metadata[key] = builder.source_metadata(local, isolation=isolation)
        return data, None
    path, sha256 = source_archive(ctx, file, allowed, label=label)
    return builder.source_metadata(path, isolation=isolation), sha256


def _prepare_source(ctx: Context, artifact: Artifact) -> Prepared:
    """Build an sdist or a source tree into a wheel (the builder caches sdists' wheels) and unpack it."""
    from bale.dist.prepare import archive_for, file_sha256, unpacked_wheel

    builder = ctx.builder
    label = f"{artifact.name}=={artifact.version}"
    if builder is None:
        raise BaleError(
            f"Cannot install {label} from {artifact.file.filename}: it must be built from source, "
            "and this command does not build from source"
        )
    file = artifact.file
    local = local_source(file)
    if local is not None and local.is_dir():
        path, archive_sha = local, None
    else:
        path, archive_sha = source_archive(ctx, file, artifact.allowed_hashes, label=label)
        if artifact.subdirectory:
            from bale.ops.archive_subdirectory import subdirectory_tree

            path = subdirectory_tree(ctx, path, archive_sha, artifact.subdirectory, artifact.name)
    options = ctx.build_options
    wheel = builder.build_wheel(
        path,
        editable=artifact.editable,
        config_settings=options.config_settings,
        isolation=options.isolation_for(artifact.name),
    )
    _check_built(artifact, wheel.name, file.filename)
    wheel_sha = file_sha256(wheel)
    cached = archive_for(ctx.cache, wheel_sha) is not None
    tree = unpacked_wheel(ctx.cache, wheel, wheel_sha)
    return Prepared(artifact, tree, archive_sha or wheel_sha, from_cache=cached)


def _check_built(artifact: Artifact, wheel_name: str, source: str) -> None:
    """The wheel a backend built must be the distribution the resolver chose (pip checks this too)."""
    from bale.model.dists import parse_filename

    parsed = parse_filename(wheel_name)
    if parsed is None:
        raise BaleError(f"Building {source} produced {wheel_name}, which is not a valid wheel file name")
    if parsed.name != artifact.name or parsed.version != artifact.version:
        raise BaleError(
            f"Building {source} produced {wheel_name}, but {artifact.name}=={artifact.version} was expected",
            context=["the package's metadata and its built wheel disagree on its name or version"],
            hint="this is a bug in the package's build configuration; report it upstream",
        )


def prepare_all(
    ctx: Context, artifacts: Sequence[Artifact], on_done: Callable[[Prepared], None] | None = None
) -> list[Prepared]:
    """Prepare every artifact; the first failure is raised once the others finish (none is half-written)."""
    if not artifacts:
        return []
    workers = min(len(artifacts), int(os.environ.get("BALE_CONCURRENT_DOWNLOADS", "0") or 0) or 16)
    results: list[Prepared] = []
    errors: list[BaseException] = []
    if workers <= 1:
        for artifact in artifacts:
            results.append(prepare_one(ctx, artifact))
        return results
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bale-prepare") as pool:
        futures = [pool.submit(prepare_one, ctx, a) for a in artifacts]
        for future in futures:
            try:
                item = future.result()
            except BaseException as exc:  # collect; re-raise the first once every worker is done
                errors.append(exc)
                continue
            results.append(item)
            if on_done:
                on_done(item)
    if errors:
        raise errors[0]
    return results
