"""Prepare chosen wheels: find them in the cache or download, verify and unpack them there, in parallel."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bale.context import Context
from bale.errors import BaleError, HashMismatchError
from bale.model.hashes import STRONG_ALGORITHMS
from bale.ops.sources import Artifact


@dataclass(frozen=True, slots=True)
class Prepared:
    artifact: Artifact
    tree: Path  # the unpacked wheel in the cache
    sha256: str
    from_cache: bool


def _file_digests(path: Path, algorithms: Sequence[str]) -> dict[str, str]:
    hashers = {a: hashlib.new(a) for a in dict.fromkeys(("sha256", *algorithms))}
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {a: h.hexdigest() for a, h in hashers.items()}


def _check_allowed(artifact: Artifact, digests: dict[str, str]) -> None:
    """``--hash`` options: the file must match one of the listed digests."""
    allowed = artifact.allowed_hashes
    if not allowed:
        return
    for algorithm, values in allowed.items():
        if digests.get(algorithm) in values:
            return
    algorithm = next(iter(allowed))
    raise HashMismatchError(
        f"Hash mismatch for {artifact.file.filename} ({artifact.name}=={artifact.version})",
        context=[
            *(f"expected {a}:{d}" for a in allowed for d in sorted(allowed[a])),
            f"got      {algorithm}:{digests.get(algorithm, '(not computed)')}",
            f"from {artifact.file.source or artifact.url}",
        ],
        hint="the file differs from the one the requirements were written for; nothing was installed",
    )


def _url_key_path(ctx: Context, url: str) -> Path:
    return ctx.cache.bucket("urls-v1") / (hashlib.sha256(url.encode()).hexdigest() + ".sha256")


def prepare_one(ctx: Context, artifact: Artifact) -> Prepared:
    from bale.dist.prepare import archive_for, unpacked_wheel

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
            _check_allowed(artifact, {"sha256": known_sha})
        tree = archive_for(ctx.cache, known_sha)
        if tree is not None:
            return Prepared(artifact, tree, known_sha, from_cache=True)
    if not remote:
        path = Path(unquote(urlsplit(file.url).path))
        if not path.is_file():
            raise BaleError(f"The wheel {path} for {artifact.name} does not exist")
        digests = _file_digests(path, needed)
        expected = {a: d for a, d in file.hashes.items() if a in digests}
        for algorithm, digest in expected.items():
            if digests[algorithm] != digest.lower():
                raise HashMismatchError(
                    f"Hash mismatch for {file.filename}: the index says {algorithm}:{digest}, "
                    f"the file has {algorithm}:{digests[algorithm]}",
                    context=[f"file: {path}"],
                )
        _check_allowed(artifact, digests)
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
            digests = {**digests, **_file_digests(target, needed)}
        _check_allowed(artifact, digests)
        sha256 = digests["sha256"]
        tree = unpacked_wheel(ctx.cache, target, sha256)
        if not file.hashes.get("sha256"):
            from bale.fs.atomic import write_atomic

            write_atomic(_url_key_path(ctx, file.url), sha256)
        return Prepared(artifact, tree, sha256, from_cache=False)
    finally:
        import shutil

        shutil.rmtree(temp, ignore_errors=True)


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
