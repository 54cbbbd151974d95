"""Requirements to artifacts: a registry file, or what a path or URL names (file, tree, folder, commit)."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.dist.hash_policy import hash_options, matches_hashes
from bale.errors import BaleError
from bale.model.artifact import Artifact, vcs_artifact
from bale.model.dists import SDIST_SUFFIXES, FileKind, IndexFile, parse_filename
from bale.model.names import NormalizedName
from bale.model.requirement import RequirementSpec
from bale.model.target import TargetEnv
from bale.resolver.candidates import Choice, NoCandidate, PreReleases, SelectOptions, select

if TYPE_CHECKING:
    from bale.dist.database import DistributionDatabase

VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")

SourceCheck = Callable[[RequirementSpec, NormalizedName, Version, str], None]
"""A caller's own check of the name and version a path or URL requirement's source turned out to have
(``what`` names the source); raises BaleError. The project's ``[tool.bale.sources]`` bounds are one."""


def shown(spec: RequirementSpec) -> str:
    """A requirement as messages show it: a name-less local one by its path, not its file URL."""
    if spec.requirement is None and spec.path is not None:
        return str(spec.path)
    return str(spec)


def spec_url(spec: RequirementSpec) -> str:
    """The URL a path or URL requirement points at (``file://`` for paths)."""
    url = spec.url or (spec.path.resolve().as_uri() if spec.path else None)
    if url is None:
        raise BaleError(f"{spec} names no file", context=[f"at {spec.origin}"])
    return url


def _local_path(url: str) -> Path | None:
    """The path of a ``file://`` URL (fragment dropped); None for other URLs."""
    if url[:5].lower() != "file:":
        return None
    return Path(unquote(urlsplit(url).path))


def _refuse_vcs(spec: RequirementSpec, url: str) -> None:
    """For commands that take files only: a repository must be checked out and built first."""
    if url.startswith(VCS_PREFIXES):
        from bale.vcs import strip_credentials

        raise BaleError(
            f"Cannot use {strip_credentials(url)} (from {spec.origin}): it is a version control "
            "repository, and this command does not build from source",
            hint="build a wheel first (bale pip install builds it; or python -m build) and use that file",
        )


def direct_artifact(spec: RequirementSpec, check: SourceCheck | None = None) -> Artifact:
    """A requirement naming a wheel by path or URL (no build needed: nothing but the file name is read).

    For an sdist or a source tree, use ``direct_source``, which builds their metadata.
    """
    url = spec_url(spec)
    _refuse_vcs(spec, url)
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    parsed = parse_filename(filename)
    if parsed is None or parsed.kind is not FileKind.WHEEL:
        local = _local_path(url)
        what = "a source tree" if local is not None and local.is_dir() else "not a wheel"
        raise BaleError(
            f"Cannot use {shown(spec)} (from {spec.origin}): it is {what}, and this command does not build "
            "from source",
            hint="build a wheel first (bale pip install builds it; or python -m build) and use that file",
        )
    _check_named(spec, parsed.name, parsed.version, filename, check)
    if url.startswith("file:"):
        local = Path(unquote(urlsplit(url).path))
        if not local.is_file():
            raise BaleError(f"The wheel {local} named at {spec.origin} does not exist")
    file = IndexFile(
        filename=filename, url=url, name=parsed.name, version=parsed.version, kind=FileKind.WHEEL, source=url
    )
    return Artifact(
        parsed.name, parsed.version, file, direct=True, requested=True, allowed_hashes=hash_options(spec)
    )


def _check_named(
    spec: RequirementSpec, name: NormalizedName, version: Version, what: str, check: SourceCheck | None
) -> None:
    """The file (or tree) ``what`` of ``name`` ``version`` must be the one the requirement names."""
    if spec.name is not None and name != spec.name:
        raise BaleError(f"The requirement {spec.name} at {spec.origin} points at {name}: {what}")
    if (
        spec.requirement is not None
        and spec.requirement.specifier
        and not spec.requirement.specifier.contains(version, prereleases=True)
    ):
        raise BaleError(f"{what} (version {version}) does not satisfy {spec.requirement} at {spec.origin}")
    if check is not None:
        check(spec, name, version, what)


def direct_source(
    db: DistributionDatabase, spec: RequirementSpec, check: SourceCheck | None = None
) -> Artifact:
    """A requirement naming a wheel, an sdist or a source tree by path or URL.

    Wheels are read from their file name. An sdist is downloaded into the cache (checked against
    ``--hash``) and a tree is read in place; both get their name and version from the metadata the
    database's builder prepares (cached for sdists; a backend run for trees, ~0.5-1 s). A ``git+`` URL
    is resolved to a commit and read from its checkout (see ``dist.git_builds``; cached by commit).
    ``check`` is the caller's own check of the name and version found.
    """
    url = spec_url(spec)
    if url.startswith(VCS_PREFIXES):
        return git_artifact(db, spec, url, check)
    if "#" in url:
        from bale.dist.archive_subdirectory import split_subdirectory

        base, subdirectory = split_subdirectory(url)
        if subdirectory is not None:
            return _in_subdirectory(db, spec, base, subdirectory, check)
    filename = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    if filename.endswith(".whl"):
        return direct_artifact(spec, check)
    local = _local_path(url)
    is_tree = local is not None and local.is_dir()
    if not is_tree:
        if local is not None and not local.exists():
            raise BaleError(f"Cannot install {local} (from {spec.origin}): it does not exist")
        if not filename.lower().endswith(SDIST_SUFFIXES):
            raise BaleError(
                f"Cannot install {shown(spec)} (from {spec.origin}): it is neither a wheel, a source "
                f"distribution ({', '.join(SDIST_SUFFIXES)}) nor a folder"
            )
    if spec.editable and not is_tree:
        raise BaleError(
            f"Cannot install {shown(spec)} in editable mode: editable installs need a source tree (a folder)"
        )
    hashes = hash_options(spec)
    if is_tree and hashes:
        raise BaleError(
            f"Cannot check --hash of {shown(spec)} (at {spec.origin}): it is a folder, not a file",
            hint="hash-checking needs files: install a built wheel or sdist instead",
        )
    probe = IndexFile(
        filename=filename,
        url=url,
        name=spec.name or _placeholder_name(filename),
        version=Version("0"),
        kind=FileKind.SDIST,
        source=url,
    )
    data, sha256 = db.source_metadata(probe, hashes, label=str(spec))
    from bale.index.metadata import parse_metadata
    from bale.model.names import normalize

    metadata = parse_metadata(data, filename)
    name, version = normalize(metadata.name), metadata.version
    _check_named(spec, name, version, filename, check)
    return _source_artifact(spec, filename, url, name, version, sha256, hashes, is_tree=is_tree)


def _source_artifact(
    spec: RequirementSpec,
    filename: str,
    url: str,
    name: NormalizedName,
    version: Version,
    sha256: str | None,
    hashes: dict[str, frozenset[str]],
    *,
    is_tree: bool = False,
    subdirectory: str | None = None,
) -> Artifact:
    """The artifact of a source (tree or archive) named directly, once its metadata has named it."""
    file = IndexFile(
        filename=filename,
        url=url,
        name=name,
        version=version,
        kind=FileKind.SDIST,
        hashes={"sha256": sha256} if sha256 else {},
        source=url,
    )
    return Artifact(
        name,
        version,
        file,
        direct=True,
        requested=True,
        allowed_hashes=hashes,
        is_tree=is_tree,
        editable=spec.editable,
        subdirectory=subdirectory,
    )


def _in_subdirectory(
    db: DistributionDatabase, spec: RequirementSpec, url: str, subdirectory: str, check: SourceCheck | None
) -> Artifact:
    """A project in a folder of a source archive (``URL#subdirectory=DIR``; of a local folder too): the
    archive is fetched and checked against ``--hash``, unpacked once into the cache, and the folder's
    metadata built; installing builds that folder."""
    from dataclasses import replace

    from bale.index.metadata import parse_metadata
    from bale.model.names import normalize

    local = _local_path(url)
    if local is not None and local.is_dir():
        folder = local / subdirectory
        if not folder.is_dir():
            raise BaleError(f"Cannot install {local} (from {spec.origin}): it has no folder {subdirectory!r}")
        return direct_source(
            db, replace(spec, url=folder.as_uri(), path=folder if spec.path else None), check
        )
    filename = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    where = f"{url}#subdirectory={subdirectory}"
    if local is not None and not local.exists():
        raise BaleError(f"Cannot install {local} (from {spec.origin}): it does not exist")
    if not filename.lower().endswith(SDIST_SUFFIXES):
        raise BaleError(
            f"Cannot install {where} (from {spec.origin}): a subdirectory can only be taken from a source "
            f"archive ({', '.join(SDIST_SUFFIXES)}) or a folder"
        )
    if spec.editable:
        raise BaleError(
            f"Cannot install {where} in editable mode: editable installs need a source tree (a folder)"
        )
    hashes = hash_options(spec)
    placeholder = spec.name or _placeholder_name(filename)
    probe = IndexFile(
        filename=filename, url=url, name=placeholder, version=Version("0"), kind=FileKind.SDIST, source=url
    )
    folder, sha256 = db.unpacked_folder(probe, hashes, subdirectory, label=str(spec))
    metadata = parse_metadata(db.folder_metadata(folder, placeholder, label=str(spec)), filename)
    name, version = normalize(metadata.name), metadata.version
    _check_named(spec, name, version, where, check)
    return _source_artifact(spec, filename, url, name, version, sha256, hashes, subdirectory=subdirectory)


def git_artifact(
    db: DistributionDatabase, spec: RequirementSpec, url: str, check: SourceCheck | None = None
) -> Artifact:
    """The distribution a ``git+`` requirement names: its revision resolved to a commit, its name and
    version from the commit's metadata (cached by commit: a backend run the first time only)."""
    from bale.dist.git_builds import git_request
    from bale.index.metadata import parse_metadata
    from bale.model.names import normalize
    from bale.vcs import VcsInfo, strip_credentials

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
    request = git_request(url, str(spec.origin))
    commit = db.git.resolve(request.url, request.revision)
    vcs = VcsInfo(request.url, request.revision, commit, request.subdirectory)
    label = f"{shown} ({commit[:12]})"
    metadata = parse_metadata(db.git_metadata(vcs), label)
    name, version = normalize(metadata.name), metadata.version
    _check_named(spec, name, version, label, check)
    return vcs_artifact(name, version, vcs)


def _placeholder_name(filename: str) -> NormalizedName:
    """The name an sdist's file name gives, for cache paths before its metadata is read."""
    from bale.model.names import normalize

    parsed = parse_filename(filename)
    return parsed.name if parsed is not None else normalize(filename.split("-", 1)[0] or "unnamed")


def name_sources(
    db: DistributionDatabase, specs: Iterable[RequirementSpec], check: SourceCheck | None = None
) -> list[RequirementSpec]:
    """``specs`` with every name-less path or URL requirement named from its built metadata."""
    from dataclasses import replace

    from packaging.requirements import Requirement

    named: list[RequirementSpec] = []
    for spec in specs:
        if spec.name is not None:
            named.append(spec)
            continue
        if db.builder is None:
            raise BaleError(
                f"Cannot resolve {shown(spec)} (from {spec.origin}): its name is only known after "
                "building it, and this command does not build from source",
                hint="name it: NAME @ URL",
            )
        artifact = direct_source(db, spec, check)
        requirement = Requirement(f"{artifact.name} @ {artifact.url}")
        named.append(replace(spec, name=artifact.name, requirement=requirement))
    return named


def registry_artifact(
    spec: RequirementSpec,
    specifier: SpecifierSet,
    files: list[IndexFile],
    target: TargetEnv,
    prereleases: PreReleases,
    sources_label: str,
    *,
    allow_sdist: bool = False,
    no_binary: Container[NormalizedName] = (),
    only_binary: Container[NormalizedName] = (),
) -> Artifact:
    """The best registry file for ``spec`` (a wheel, else an sdist when ``allow_sdist``), or an error
    listing every version seen and why it was refused. ``no_binary`` / ``only_binary`` (names, or
    ``ALL``) drop the wheels / sdists of the packages they hold."""
    assert spec.name is not None
    allowed = hash_options(spec)
    candidates = [
        f
        for f in files
        if (spec.name not in no_binary if f.is_wheel else spec.name not in only_binary)
        and (not allowed or matches_hashes(f.hashes, allowed) is not False)
    ]
    options = SelectOptions(prereleases=prereleases, allow_sdist=allow_sdist)
    outcome = select(candidates, specifier, target, options)
    if isinstance(outcome, Choice):
        return Artifact(
            spec.name,
            outcome.file.version,
            outcome.file,
            direct=False,
            requested=True,
            allowed_hashes=allowed,
            warning=outcome.warning,
        )
    if files and not candidates and not allowed:
        where = f" (from {spec.origin})" if spec.origin.file else ""
        why = (
            "--no-binary excludes its wheels, and it has no source distribution"
            if spec.name in no_binary
            else "it has no wheel, and --only-binary excludes its source distribution"
        )
        raise BaleError(f"No file of {spec.name}{where} can be installed: {why}")
    raise no_candidate_error(spec, specifier, outcome, files, target, sources_label, hashed=bool(allowed))


def _platform_words(target: TargetEnv) -> str:
    markers = target.markers
    machine = markers.get("platform_machine", "")
    system = markers.get("sys_platform", "")
    return f"Python {target.python_version} on {system} {machine}".rstrip()


def no_candidate_error(
    spec: RequirementSpec,
    specifier: SpecifierSet,
    outcome: NoCandidate,
    files: list[IndexFile],
    target: TargetEnv,
    sources_label: str,
    *,
    hashed: bool,
) -> BaleError:
    name = spec.name
    where = f" (from {spec.origin})" if spec.origin.file else ""
    if not files:
        return BaleError(
            f"Package {name}{where} was not found in {sources_label}",
            hint="check the name's spelling, or the index you point bale at (--index-url, --find-links)",
        )
    wanted = f"{name}{specifier}" if str(specifier) else f"any version of {name}"
    context: list[str] = []
    for rejection in outcome.rejections[:12]:
        context.append(f"{name} {rejection.version} {rejection.detail}")
    if len(outcome.rejections) > 12:
        context.append(f"... and {len(outcome.rejections) - 12} more versions")
    if outcome.matching_versions == 0:
        seen = sorted({f.version for f in files}, reverse=True)
        shown = ", ".join(str(v) for v in seen[:10]) + (" ..." if len(seen) > 10 else "")
        context.append(f"versions available: {shown}")
    hint = None
    if hashed:
        context.append("only files whose hash is listed with --hash were considered")
    if any("pre-release" in r.detail for r in outcome.rejections):
        hint = "pass --prerelease allow to consider pre-releases"
    elif any("no wheel for this platform" in r.detail for r in outcome.rejections):
        hint = f"this environment accepts wheels tagged e.g. {', '.join(str(t) for t in target.tags[:3])}"
    return BaleError(
        f"No version of {wanted}{where} can be installed into {_platform_words(target)}",
        context=context,
        hint=hint,
    )
