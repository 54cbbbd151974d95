"""``pip download``: the files an install would fetch (wheels, else sdists), saved into a folder."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bale.context import Context
from bale.dist.hash_policy import hash_options
from bale.dist.sources import registry_artifact
from bale.errors import BaleError
from bale.model.artifact import Artifact
from bale.model.hashes import STRONG_ALGORITHMS
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.model.requirement import RequirementSpec
from bale.model.target import TargetEnv
from bale.ops.install import (
    Inputs,
    applicable_requirements,
    binary_set,
    check_hash_mode,
    gather_inputs,
    sources_label,
)
from bale.ops.settings import BuildSettings, IndexSettings, InstallSettings
from bale.resolver.candidates import PreReleases

# Files are fetched in parallel like an install's: mostly waiting on sockets, which release the GIL.
_WORKERS = 8


@record(frozen=True)
class _Download:
    """One file to save: where it comes from and the digests it must have."""

    url: str
    filename: str
    label: str
    hashes: Mapping[str, str] = field(default_factory=dict)  # the index's
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)  # --hash options

    @classmethod
    def of(cls, artifact: Artifact) -> _Download:
        return cls(
            artifact.url,
            artifact.file.filename,
            f"{artifact.name}=={artifact.version}",
            dict(artifact.file.hashes),
            dict(artifact.allowed_hashes),
        )


def download(
    ctx: Context,
    *,
    packages: list[str],
    requirement_files: list[Path],
    dest: Path,
    python: str | None,
    index: IndexSettings,
    explicit_index: bool,
    no_deps: bool,
    require_hashes: bool,
    no_binary: Sequence[str] = (),
    only_binary: Sequence[str] = (),
    build: BuildSettings | None = None,
) -> list[tuple[Path, bool]]:
    """Save into ``dest`` the file of each requirement (and, unless ``no_deps``, of each dependency)
    that an install for the target interpreter would use: its best wheel, else its sdist (always
    the sdist for ``no_binary`` names). Returns (path, already there) per file, in name order.

    Resolving dependencies may build the metadata of sdists (with ``build``'s options); nothing is
    built into a wheel. A source tree or a git URL is resolved, not saved (it is no file to copy).
    """
    settings = InstallSettings(
        packages=tuple(packages),
        requirement_files=tuple(requirement_files),
        python=python,
        index=index,
        explicit_index=explicit_index,
        no_deps=no_deps,
        require_hashes=require_hashes,
        no_binary=tuple(no_binary),
        only_binary=tuple(only_binary),
        build=build or BuildSettings(),
    )
    inputs = gather_inputs(settings)
    if not inputs.requirements:
        raise BaleError("Nothing to download: name packages or pass -r FILE")
    check_hash_mode(inputs.requirements, inputs.require_hashes)
    from bale.python.discover import find_interpreter

    interpreter = find_interpreter(python, cwd=Path.cwd(), cache_dir=ctx.cache.bucket("interpreters-v1"))
    target = interpreter.target()
    # Cheap until an sdist shows up: its metadata is then built to learn its dependencies.
    ctx.use_builds(inputs.index, interpreter, settings.build)
    specs = applicable_requirements(inputs.requirements, dict(target.markers), ctx)
    if no_deps:
        downloads = _named_files(ctx, inputs, specs, target)
    else:
        downloads = _resolved_files(ctx, inputs, specs, target)
    dest.mkdir(parents=True, exist_ok=True)
    if len(downloads) <= 1:
        return [_save(ctx, item, dest) for item in downloads]
    from bale.cancel import worker_pool

    with worker_pool(min(_WORKERS, len(downloads)), "bale-get") as pool:
        return list(pool.map(lambda item: _save(ctx, item, dest), downloads))


def _prereleases(inputs: Inputs) -> PreReleases:
    return PreReleases.ALLOW if inputs.pre else PreReleases.IF_NECESSARY


def _named_files(
    ctx: Context, inputs: Inputs, specs: list[RequirementSpec], target: TargetEnv
) -> list[_Download]:
    """``--no-deps``: the best file of each requirement, chosen without resolving."""
    client = ctx.index_client(inputs.index)
    client.prefetch([s.name for s in specs if s.name and s.url is None and s.path is None])
    no_binary, only_binary = binary_set(inputs.no_binary), binary_set(inputs.only_binary)
    label = sources_label(inputs.index)
    downloads: list[_Download] = []
    for spec in specs:
        if spec.name is None or spec.url is not None or spec.path is not None:
            direct = _direct_file(ctx, spec)
            if direct is not None:
                downloads.append(direct)
            continue
        specifier = spec.requirement.specifier if spec.requirement else None
        assert specifier is not None
        artifact = registry_artifact(
            spec,
            specifier,
            client.project_files(spec.name),
            target,
            _prereleases(inputs),
            label,
            allow_sdist=True,
            no_binary=no_binary,
            only_binary=only_binary,
        )
        if artifact.warning:
            ctx.reporter.warn(artifact.warning)
        downloads.append(_Download.of(artifact))
    return downloads


def _resolved_files(
    ctx: Context, inputs: Inputs, specs: list[RequirementSpec], target: TargetEnv
) -> list[_Download]:
    """The file of every package in the resolution of ``specs``, in name order."""
    from bale.ops.request import ResolveRequest
    from bale.ops.resolve import resolve

    request = ResolveRequest(
        requirements=specs,
        target=target,
        index=inputs.index,
        constraints=inputs.constraints,
        prereleases=_prereleases(inputs),
        no_binary=binary_set(inputs.no_binary),
        only_binary=binary_set(inputs.only_binary),
    )
    resolved = resolve(ctx, request)
    hashes: dict[NormalizedName, dict[str, frozenset[str]]] = {
        spec.name: hash_options(spec) for spec in specs if spec.name is not None and spec.hashes
    }
    downloads: list[_Download] = []
    for name, version in sorted(resolved.resolution.versions.items()):
        direct = resolved.direct_artifacts.get(name)
        if direct is not None:
            if direct.is_tree or direct.vcs is not None:
                ctx.reporter.debug(f"download: {direct.url} is not a file: only its dependencies are saved")
                continue
            downloads.append(_Download.of(direct))
            continue
        file = resolved.file_for(name)
        artifact = Artifact(
            name, version, file, direct=False, requested=True, allowed_hashes=hashes.get(name, {})
        )
        downloads.append(_Download.of(artifact))
    return downloads


def _direct_file(ctx: Context, spec: RequirementSpec) -> _Download | None:
    """A requirement given by path or URL: the file it names (wheel or sdist); None for a folder or git."""
    from bale.dist.sources import spec_url

    url = spec_url(spec)
    if url.startswith("git+"):
        ctx.reporter.warn(f"{spec} is a git URL, not a file: nothing to download for it")
        return None
    if url.startswith("file:"):
        local = Path(unquote(urlsplit(url).path))
        if local.is_dir():
            ctx.reporter.warn(f"{local} is a source tree, not a file: nothing to download for it")
            return None
        if not local.is_file():
            raise BaleError(f"The file {local} named at {spec.origin} does not exist")
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return _Download(url, filename, str(spec.name or filename), {}, hash_options(spec))


def _save(ctx: Context, item: _Download, dest: Path) -> tuple[Path, bool]:
    """Copy or download ``item`` into ``dest``, checking its digests; a file already there with the
    right digests is kept (True)."""
    from bale.dist.hash_policy import check_index_hashes
    from bale.dist.prepare import file_digests

    final = dest / item.filename
    needed = list(item.allowed)
    if final.is_file():
        digests = file_digests(final, needed)
        expected = item.hashes.get("sha256")
        if expected is None or digests["sha256"] == expected:
            _check(item, digests)
            return final, True
    if item.url.startswith("file:"):
        source = Path(unquote(urlsplit(item.url).path))
        digests = file_digests(source, needed)
        check_index_hashes(item.filename, item.hashes, digests, source)
        _check(item, digests)
        partial = final.with_name(final.name + ".part")
        shutil.copyfile(source, partial)
        partial.replace(final)
        return final, False
    expected_hashes = {a: d for a, d in item.hashes.items() if a in STRONG_ALGORITHMS}
    digests = ctx.http.download(
        item.url, final, expected=expected_hashes or None, label=item.label, reporter=ctx.reporter
    )
    try:
        _check(item, {**digests, **file_digests(final, needed)})
    except BaleError:
        final.unlink(missing_ok=True)
        raise
    return final, False


def _check(item: _Download, digests: Mapping[str, str]) -> None:
    """``--hash`` options: the file must match one of the listed digests."""
    from bale.dist.hash_policy import check_digests

    what = f"{item.filename} ({item.label})"
    check_digests(item.allowed, digests, what, item.url, outcome="it was not saved")
