"""``pip download --no-deps``: the wheels that would be installed, saved into a folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from bale.context import Context
from bale.errors import BaleError
from bale.ops.install import applicable_requirements, check_hash_mode, gather_inputs, sources_label
from bale.ops.settings import IndexSettings, InstallSettings
from bale.ops.sources import Artifact, direct_artifact, registry_artifact
from bale.resolver.candidates import PreReleases


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
) -> list[tuple[Path, bool]]:
    """Save each requirement's best wheel for the target interpreter into ``dest``; (path, already there)."""
    if not no_deps:
        raise BaleError(
            "bale pip download resolves dependencies only with the resolver, which is not part of "
            "this version",
            hint="pass --no-deps to download exactly the named packages",
        )
    settings = InstallSettings(
        packages=tuple(packages),
        requirement_files=tuple(requirement_files),
        python=python,
        index=index,
        explicit_index=explicit_index,
        no_deps=True,
        require_hashes=require_hashes,
    )
    inputs = gather_inputs(settings)
    if not inputs.requirements:
        raise BaleError("Nothing to download: name packages or pass -r FILE")
    check_hash_mode(inputs.requirements, inputs.require_hashes)
    from bale.python.discover import find_interpreter

    interpreter = find_interpreter(python, cwd=Path.cwd(), cache_dir=ctx.cache.bucket("interpreters-v1"))
    target = interpreter.target()
    specs = applicable_requirements(inputs.requirements, dict(target.markers), ctx)
    client = ctx.index_client(inputs.index)
    client.prefetch([s.name for s in specs if s.name and s.url is None and s.path is None])
    artifacts: list[Artifact] = []
    for spec in specs:
        if spec.name is None or spec.url is not None or spec.path is not None:
            artifacts.append(direct_artifact(spec))
            continue
        specifier = spec.requirement.specifier if spec.requirement else None
        assert specifier is not None
        artifacts.append(
            registry_artifact(
                spec,
                specifier,
                client.project_files(spec.name),
                target,
                PreReleases.ALLOW if inputs.pre else PreReleases.IF_NECESSARY_OR_EXPLICIT,
                sources_label(inputs.index),
            )
        )
    dest.mkdir(parents=True, exist_ok=True)
    saved: list[tuple[Path, bool]] = []
    from bale.dist.prepare import file_digests
    from bale.ops.prepare import check_allowed_hashes

    for artifact in artifacts:
        final = dest / artifact.file.filename
        if final.is_file():
            digests = file_digests(final, list(artifact.allowed_hashes))
            expected = artifact.file.hashes.get("sha256")
            if expected is None or digests["sha256"] == expected:
                check_allowed_hashes(artifact, digests)
                saved.append((final, True))
                continue
        if artifact.url.startswith("file:"):
            from urllib.parse import unquote, urlsplit

            source = Path(unquote(urlsplit(artifact.url).path))
            digests = file_digests(source, list(artifact.allowed_hashes))
            check_allowed_hashes(artifact, digests)
            tmp = final.with_name(final.name + ".part")
            shutil.copyfile(source, tmp)
            tmp.replace(final)
        else:
            expected_hashes = {
                a: d for a, d in artifact.file.hashes.items() if a in ("sha256", "sha384", "sha512")
            }
            digests = ctx.http.download(
                artifact.url,
                final,
                expected=expected_hashes or None,
                label=f"{artifact.name}=={artifact.version}",
                reporter=ctx.reporter,
            )
            try:
                check_allowed_hashes(
                    artifact, {**digests, **file_digests(final, list(artifact.allowed_hashes))}
                )
            except BaleError:
                final.unlink(missing_ok=True)
                raise
        saved.append((final, False))
    return saved
