"""Turn requirements into concrete wheels to install: a registry file, a local wheel or a wheel URL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.errors import BaleError
from bale.model.dists import FileKind, IndexFile, parse_filename
from bale.model.hashes import parse_hash
from bale.model.names import NormalizedName
from bale.model.requirement import RequirementSpec
from bale.model.target import TargetEnv
from bale.resolver.candidates import Choice, NoCandidate, PreReleases, SelectOptions, select


@dataclass(frozen=True)
class Artifact:
    """A wheel chosen for installation and where to get it.

    ``file`` carries the index's facts (URL, hashes). ``direct`` is set when the user named the file
    by path or URL (PEP 610 ``direct_url.json`` is then written). ``allowed_hashes`` are the digests
    from ``--hash`` options (``algo -> {digest}``), checked after download.
    """

    name: NormalizedName
    version: Version
    file: IndexFile
    direct: bool
    requested: bool
    allowed_hashes: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, hash=False)
    warning: str | None = None

    @property
    def url(self) -> str:
        return self.file.url

    @property
    def direct_url(self) -> str | None:
        return self.file.url if self.direct else None

    def direct_url_json(self, sha256: str) -> str | None:
        if not self.direct:
            return None
        return json.dumps(
            {"url": self.file.url, "archive_info": {"hashes": {"sha256": sha256}}},
            separators=(",", ":"),
            sort_keys=True,
        )


def hash_options(spec: RequirementSpec) -> dict[str, frozenset[str]]:
    allowed: dict[str, set[str]] = {}
    for text in spec.hashes:
        algorithm, digest = parse_hash(text)
        allowed.setdefault(algorithm, set()).add(digest)
    return {algorithm: frozenset(values) for algorithm, values in allowed.items()}


def matches_hashes(file_hashes: dict[str, str] | object, allowed: dict[str, frozenset[str]]) -> bool | None:
    """True/False when the index's hashes decide it, None when the index gave none we can compare."""
    assert isinstance(file_hashes, dict) or hasattr(file_hashes, "items")
    known = False
    for algorithm, digests in allowed.items():
        value = file_hashes.get(algorithm)  # type: ignore[attr-defined]
        if value is not None:
            known = True
            if value.lower() in digests:
                return True
    return False if known else None


def direct_artifact(spec: RequirementSpec) -> Artifact:
    """A requirement naming a wheel by path or URL."""
    url = spec.url or (spec.path.resolve().as_uri() if spec.path else None)
    if url is None:
        raise BaleError(f"{spec} names no file", context=[f"at {spec.origin}"])
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    parsed = parse_filename(filename)
    if parsed is None or parsed.kind is not FileKind.WHEEL:
        raise BaleError(
            f"Cannot install {spec} from {spec.origin}: it is not a wheel",
            context=["source trees and source distributions must be built, and bale cannot build yet"],
            hint="build a wheel first (python -m build) and install that file",
        )
    if spec.name is not None and parsed.name != spec.name:
        raise BaleError(
            f"The requirement {spec.name} at {spec.origin} points at a wheel of {parsed.name}: {filename}"
        )
    if (
        spec.requirement is not None
        and spec.requirement.specifier
        and not spec.requirement.specifier.contains(parsed.version, prereleases=True)
    ):
        raise BaleError(
            f"{filename} (version {parsed.version}) does not satisfy {spec.requirement} at {spec.origin}"
        )
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


def registry_artifact(
    spec: RequirementSpec,
    specifier: SpecifierSet,
    files: list[IndexFile],
    target: TargetEnv,
    prereleases: PreReleases,
    sources_label: str,
) -> Artifact:
    """The best registry wheel for ``spec``, or an error listing every version seen and why it was refused."""
    assert spec.name is not None
    allowed = hash_options(spec)
    candidates = files
    if allowed:
        candidates = [f for f in files if matches_hashes(f.hashes, allowed) is not False]
    outcome = select(candidates, specifier, target, SelectOptions(prereleases=prereleases))
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
