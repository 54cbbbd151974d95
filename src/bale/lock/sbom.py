"""A lock's packages as a software bill of materials: CycloneDX 1.5/1.6 JSON or SPDX 2.3 JSON documents.

Everything here is a value: the lock, its graph (already restricted to one selection of groups and
extras), each package's declared licence and the creation time come in; a JSON document goes out.
Output is deterministic: components, dependencies and relationships are sorted, and the identifiers
that must be unique (``serialNumber``, ``documentNamespace``) are UUID5s of the document's own content.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from bale.lock.graph import PROJECT, LockGraph
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

    from bale.audit.licenses import DeclaredLicense

__all__ = [
    "CYCLONEDX_VERSIONS",
    "SbomArtifact",
    "SbomPackage",
    "cyclonedx_document",
    "purl",
    "render",
    "sbom_packages",
    "spdx_document",
]

CYCLONEDX_VERSIONS = ("1.5", "1.6")

# Fixed, so that the same content always gets the same UUID5s (``uuid5(NAMESPACE_URL, "bale:sbom")``).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "bale:sbom")

# pylock's hash names (hashlib's) as each format spells them; the others are left out.
_CYCLONEDX_HASHES = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
    "sha3_256": "SHA3-256",
    "sha3_384": "SHA3-384",
    "sha3_512": "SHA3-512",
    "blake2b": "BLAKE2b-512",
}
_SPDX_HASHES = {
    "md5": "MD5",
    "sha1": "SHA1",
    "sha224": "SHA224",
    "sha256": "SHA256",
    "sha384": "SHA384",
    "sha512": "SHA512",
    "sha3_256": "SHA3-256",
    "sha3_384": "SHA3-384",
    "sha3_512": "SHA3-512",
    "blake2b": "BLAKE2b-512",
}
_NOASSERTION = "NOASSERTION"


@record(frozen=True, slots=True)
class SbomArtifact:
    """One file the lock names for a package: ``url`` or ``path`` (relative to the lock's folder)."""

    kind: str  # "wheel", "sdist" or "archive"
    filename: str
    url: str | None
    path: str | None
    hashes: Mapping[str, str]
    subdirectory: str | None = None


@record(frozen=True, slots=True)
class SbomPackage:
    """A component of the bill: the project (``key`` is :data:`PROJECT`) or one lock entry."""

    key: int
    name: str
    version: str | None
    license: DeclaredLicense | None
    purl: str | None = None
    artifacts: tuple[SbomArtifact, ...] = ()
    vcs: str | None = None  # ``git+URL@COMMIT[#subdirectory=...]``
    directory: str | None = None  # relative to the lock's folder, as the lock writes it
    editable: bool = False
    marker: str | None = None
    depends_on: tuple[int, ...] = ()


# ---------------------------------------------------------------------------------------------- model


def purl(
    name: str, version: str | None, *, kind: str = "pypi", qualifiers: Mapping[str, str] | None = None
) -> str:
    """A package URL: ``pkg:pypi/<name>@<version>``, the name lower-cased with ``_`` as ``-`` (the
    purl spec's rule for PyPI), the version and qualifiers percent-encoded, qualifiers sorted."""
    normalized = name.lower().replace("_", "-") if kind == "pypi" else name
    text = f"pkg:{kind}/{quote(normalized, safe='.-_~')}"
    if version:
        text += "@" + quote(version, safe=".-_~")
    if qualifiers:
        text += "?" + "&".join(f"{k}={quote(v, safe='.-_~/:')}" for k, v in sorted(qualifiers.items()))
    return text


def sbom_packages(
    graph: LockGraph,
    lock: Pylock,
    licenses: Mapping[int, DeclaredLicense],
    *,
    origins: Sequence[str | None] | frozenset[str | None] | None = None,
) -> list[SbomPackage]:
    """The project (first) and each package of ``graph`` (by name and version), with what the lock
    says of its files and sources, its licence from ``licenses`` (by key; :data:`PROJECT` for the
    project) and the keys it depends on. Root edges whose origin is not in ``origins`` (None: any)
    are left out. A directory entry ``.`` named as the project is the project itself."""
    project = graph.project
    itself = {
        key
        for key, node in graph.nodes.items()
        if key != PROJECT
        and node.name == project.name
        and (package := lock.packages[key]).directory is not None
        and package.directory.path in (".", "./", "")
    }

    def target(key: int) -> int:
        return PROJECT if key in itself else key

    result: list[SbomPackage] = []
    for key, node in graph.nodes.items():
        if key in itself:
            continue
        edges = graph.children.get(key, ())
        if key == PROJECT:
            edges = tuple(e for e in edges if origins is None or e.origin in origins)
            edges += tuple(e for k in itself for e in graph.children.get(k, ()))
        depends = tuple(sorted({target(e.target) for e in edges} - {key}))
        version = str(node.version) if node.version is not None else None
        if key == PROJECT:
            result.append(SbomPackage(key, node.name, version, licenses.get(key), depends_on=depends))
            continue
        result.append(_package(key, lock.packages[key], node.name, version, licenses.get(key), depends))
    result.sort(key=lambda p: (p.key != PROJECT, p.name, p.version or "", p.key))
    return result


def _package(
    key: int,
    package: Package,
    name: str,
    version: str | None,
    license: DeclaredLicense | None,
    depends: tuple[int, ...],
) -> SbomPackage:
    artifacts: list[SbomArtifact] = []
    for wheel in package.wheels or ():
        artifacts.append(
            SbomArtifact(
                "wheel", wheel.name or _last(wheel.url, wheel.path), wheel.url, wheel.path, wheel.hashes
            )
        )
    if package.sdist is not None:
        sdist = package.sdist
        artifacts.append(
            SbomArtifact(
                "sdist", sdist.name or _last(sdist.url, sdist.path), sdist.url, sdist.path, sdist.hashes
            )
        )
    if package.archive is not None:
        archive = package.archive
        artifacts.append(
            SbomArtifact(
                "archive",
                _last(archive.url, archive.path),
                archive.url,
                archive.path,
                archive.hashes,
                archive.subdirectory,
            )
        )
    artifacts.sort(key=lambda a: (a.kind != "sdist", a.filename))
    vcs = None
    if package.vcs is not None and package.vcs.url:
        url = (
            package.vcs.url
            if package.vcs.url.startswith(f"{package.vcs.type}+")
            else (f"{package.vcs.type}+{package.vcs.url}")
        )
        vcs = f"{url}@{package.vcs.commit_id}" if package.vcs.commit_id else url
        if package.vcs.subdirectory:
            vcs += f"#subdirectory={package.vcs.subdirectory}"
    directory = None
    editable = False
    if package.directory is not None:
        directory = package.directory.path
        if package.directory.subdirectory:
            directory = f"{directory.rstrip('/')}/{package.directory.subdirectory}"
        editable = bool(package.directory.editable)
    if package.wheels or package.sdist is not None:
        identifier: str | None = purl(name, version)
    elif vcs is not None:
        identifier = purl(name, version, kind="generic", qualifiers={"vcs_url": vcs})
    elif package.archive is not None and package.archive.url:
        identifier = purl(name, version, kind="generic", qualifiers={"download_url": package.archive.url})
    else:
        identifier = None  # a local folder or file: a pypi purl would name an unrelated project
    marker = str(package.marker) if package.marker is not None else None
    return SbomPackage(
        key, name, version, license, identifier, tuple(artifacts), vcs, directory, editable, marker, depends
    )


def _last(url: str | None, path: str | None) -> str:
    if path:
        return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return unquote(urlsplit(url or "").path.rsplit("/", 1)[-1])


def _references(packages: Sequence[SbomPackage], shape: Any) -> dict[int, str]:
    """A unique reference per package, ``shape(package)`` made unique with ``-2``, ``-3``, ..."""
    seen: dict[str, int] = {}
    found: dict[int, str] = {}
    for package in packages:
        base = shape(package)
        count = seen.get(base, 0) + 1
        seen[base] = count
        found[package.key] = base if count == 1 else f"{base}-{count}"
    return found


def _timestamp(created: datetime) -> str:
    return created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content_uuid(document: Mapping[str, Any]) -> str:
    return str(uuid.uuid5(_NAMESPACE, json.dumps(document, sort_keys=True, separators=(",", ":"))))


def render(document: Mapping[str, Any]) -> str:
    """The document as JSON text, two-space indented, with a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------- CycloneDX


def cyclonedx_document(
    packages: Sequence[SbomPackage],
    *,
    tool_version: str,
    created: datetime,
    spec_version: str = "1.6",
) -> dict[str, Any]:
    """A CycloneDX BOM (JSON): ``metadata.component`` is the project (the first package), every other
    package a ``library`` component with its purl, hashes (one file: on the component; each file: on
    its ``distribution`` reference), declared licence and sources; ``dependencies`` lists every
    component's direct dependencies. ``serialNumber`` is a UUID5 of the rest of the document."""
    if spec_version not in CYCLONEDX_VERSIONS:
        raise ValueError(f"CycloneDX {spec_version} is not supported (only {', '.join(CYCLONEDX_VERSIONS)})")
    refs = _references(packages, lambda p: f"{p.name}@{p.version}" if p.version else p.name)
    root, *rest = packages
    component = _cyclonedx_component(root, refs, spec_version, kind="application")
    head = {
        "$schema": f"http://cyclonedx.org/schema/bom-{spec_version}.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": spec_version,
    }
    body: dict[str, Any] = {
        "version": 1,
        "metadata": {
            "timestamp": _timestamp(created),
            "tools": {"components": [{"type": "application", "name": "bale", "version": tool_version}]},
            "component": component,
        },
        "components": [
            _cyclonedx_component(p, refs, spec_version, kind="library")
            for p in sorted(rest, key=lambda p: refs[p.key])
        ],
        "dependencies": [
            {"ref": refs[p.key], "dependsOn": sorted(refs[k] for k in p.depends_on if k in refs)}
            for p in sorted(packages, key=lambda p: refs[p.key])
        ],
    }
    serial = f"urn:uuid:{_content_uuid({**head, **body})}"
    return {**head, "serialNumber": serial, **body}


def _cyclonedx_component(
    package: SbomPackage, refs: Mapping[int, str], spec_version: str, *, kind: str
) -> dict[str, Any]:
    component: dict[str, Any] = {"type": kind, "bom-ref": refs[package.key], "name": package.name}
    if package.version:
        component["version"] = package.version
    if len(package.artifacts) == 1 and _cyclonedx_hashes(package.artifacts[0].hashes):
        component["hashes"] = _cyclonedx_hashes(package.artifacts[0].hashes)
    licenses = _cyclonedx_licenses(package.license, spec_version)
    if licenses:
        component["licenses"] = licenses
    if package.purl:
        component["purl"] = package.purl
    references: list[dict[str, Any]] = []
    for artifact in package.artifacts:
        if not artifact.url:
            continue
        reference: dict[str, Any] = {
            "url": artifact.url,
            "comment": artifact.filename,
            "type": "distribution",
        }
        hashes = _cyclonedx_hashes(artifact.hashes)
        if hashes:
            reference["hashes"] = hashes
        references.append(reference)
    if package.vcs:
        references.append({"url": package.vcs, "type": "vcs"})
    if references:
        component["externalReferences"] = references
    properties = [{"name": "bale:directory", "value": package.directory}] if package.directory else []
    if package.editable:
        properties.append({"name": "bale:editable", "value": "true"})
    properties.extend(
        {"name": "bale:file", "value": artifact.path} for artifact in package.artifacts if artifact.path
    )
    properties.extend(
        {"name": "bale:subdirectory", "value": a.subdirectory} for a in package.artifacts if a.subdirectory
    )
    if package.marker:
        properties.append({"name": "bale:marker", "value": package.marker})
    if properties:
        component["properties"] = properties
    return component


def _cyclonedx_hashes(hashes: Mapping[str, str]) -> list[dict[str, str]]:
    return [
        {"alg": _CYCLONEDX_HASHES[name], "content": digest.lower()}
        for name, digest in sorted(hashes.items())
        if name in _CYCLONEDX_HASHES
    ]


def _cyclonedx_licenses(license: DeclaredLicense | None, spec_version: str) -> list[dict[str, Any]]:
    """One SPDX identifier as ``license.id``, a compound expression (or a ``LicenseRef-``) as
    ``expression``, a licence without an identifier as ``license.name``; nothing when unknown."""
    if license is None or not license.known:
        return []
    declared = {"acknowledgement": "declared"} if spec_version != "1.5" else {}
    if license.spdx is not None:
        if _single_id(license.spdx):
            return [{"license": {"id": license.spdx, **declared}}]
        return [{"expression": license.spdx, **declared}]
    return [{"license": {"name": license.name, **declared}}]


def _single_id(expression: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9.\-]+", expression) is not None and not expression.startswith(
        ("LicenseRef-", "DocumentRef-")
    )


# ---------------------------------------------------------------------------------------------- SPDX


def spdx_document(packages: Sequence[SbomPackage], *, tool_version: str, created: datetime) -> dict[str, Any]:
    """An SPDX 2.3 document (JSON): the project (the first package) is what it ``DESCRIBES``; each
    package has its purl, declared licence (``NOASSERTION`` when unknown or not an SPDX expression;
    nothing is concluded), one file's location and checksums (the sdist, else the universal or first
    wheel) and ``DEPENDS_ON`` relationships. ``documentNamespace`` ends in a UUID5 of the rest."""
    ids = _references(
        packages, lambda p: "SPDXRef-" + _spdx_id(f"{p.name}-{p.version}" if p.version else p.name)
    )
    root = packages[0]
    references: set[str] = set()
    # The project first (what the document describes), then the packages by SPDXID.
    order = [root, *sorted(packages[1:], key=lambda p: ids[p.key])]
    entries = [_spdx_package(p, ids, references) for p in order]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": ids[root.key],
        }
    ]
    relationships.extend(
        {"spdxElementId": ids[p.key], "relationshipType": "DEPENDS_ON", "relatedSpdxElement": ids[k]}
        for p in sorted(packages, key=lambda p: ids[p.key])
        for k in sorted(p.depends_on, key=lambda k: ids.get(k, ""))
        if k in ids
    )
    name = f"{root.name}-{root.version}" if root.version else root.name
    head = {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": name}
    body: dict[str, Any] = {
        "creationInfo": {"created": _timestamp(created), "creators": [f"Tool: bale-{tool_version}"]},
        "packages": entries,
        "relationships": relationships,
    }
    if references:
        # A LicenseRef- must be defined in the document; the text stays in the package's files.
        body["hasExtractedLicensingInfos"] = [
            {
                "licenseId": ref,
                "extractedText": "The licence text is in the distribution's files; it was not extracted.",
                "name": ref.removeprefix("LicenseRef-"),
            }
            for ref in sorted(references)
        ]
    namespace = f"https://spdx.org/spdxdocs/{_spdx_id(name)}-{_content_uuid({**head, **body})}"
    return {**head, "documentNamespace": namespace, **body}


def _spdx_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.\-]+", "-", text)


def _representative(package: SbomPackage) -> SbomArtifact | None:
    """The one file an SPDX package describes: the sdist, else a ``none-any`` wheel, else the first."""
    if not package.artifacts:
        return None
    for artifact in package.artifacts:
        if artifact.kind in ("sdist", "archive"):
            return artifact
    universal = [a for a in package.artifacts if a.filename.endswith("-none-any.whl")]
    return (universal or list(package.artifacts))[0]


def _spdx_package(package: SbomPackage, ids: Mapping[int, str], references: set[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"SPDXID": ids[package.key], "name": package.name}
    if package.version:
        entry["versionInfo"] = package.version
    artifact = _representative(package)
    location = _NOASSERTION
    if artifact is not None:
        entry["packageFileName"] = artifact.path or artifact.filename
        location = artifact.url or _NOASSERTION
    elif package.vcs is not None:
        location = package.vcs
    elif package.directory is not None:
        entry["packageFileName"] = package.directory
    entry["downloadLocation"] = location
    entry["filesAnalyzed"] = False
    if artifact is not None:
        checksums = [
            {"algorithm": _SPDX_HASHES[name], "checksumValue": digest.lower()}
            for name, digest in sorted(artifact.hashes.items())
            if name in _SPDX_HASHES
        ]
        if checksums:
            entry["checksums"] = checksums
    entry["licenseConcluded"] = _NOASSERTION
    declared = package.license.spdx if package.license is not None else None
    entry["licenseDeclared"] = declared or _NOASSERTION
    if declared:
        references.update(re.findall(r"LicenseRef-[A-Za-z0-9.\-]+", declared))
    elif package.license is not None and package.license.name:
        entry["licenseComments"] = f"{package.license.source}: {package.license.name}"
    entry["copyrightText"] = _NOASSERTION
    if package.purl:
        entry["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": package.purl,
            }
        ]
    entry["primaryPackagePurpose"] = "APPLICATION" if package.key == PROJECT else "LIBRARY"
    return entry
