"""Lay out static package index trees (PEP 503 HTML + PEP 691 JSON) on disk from a list of files.

Tree layout made by ``build_simple_tree(files, root)``::

    root/simple/index.html, index.json           project list
    root/simple/<normalized>/index.html, .json   one page per project, links ``../../files/<file>``
    root/files/<file>                            the distributions
    root/files/<wheel>.metadata                  the wheel's METADATA (PEP 658/714), when metadata_files
    root/provenance/<file>.provenance            PEP 740 provenance of the files ``provenance`` names

Serve it with ``servers.StaticIndexServer(root)`` or point bale at ``file_index_url(root)``.

A find-links source needs no tree at all: it is just a folder holding the files (``--find-links DIR``).
"""

from __future__ import annotations

import html
import io
import json as json_module
import shutil
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import quote

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from tests.support.builders import sha256_bytes

__all__ = [
    "IndexFile",
    "build_simple_tree",
    "file_index_url",
    "project_of",
    "read_core_metadata",
]

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
API_VERSION = "1.1"


@dataclass(frozen=True)
class IndexFile:
    """One distribution as listed on a project page."""

    filename: str
    project: str
    version: str | None
    sha256: str
    size: int
    requires_python: str | None
    yanked: str | None  # None: not yanked; "" yanked without a reason
    metadata_sha256: str | None
    upload_time: datetime | None
    provenance: str | None = None  # the provenance object's URL relative to the project page


def project_of(filename: str) -> tuple[str, str | None]:
    """(normalized project name, version or None) parsed from a distribution file name."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
        return str(name), str(version)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return str(canonicalize_name(filename.split("-", 1)[0])), None


def read_core_metadata(path: Path) -> bytes | None:
    """METADATA of a wheel or PKG-INFO of an sdist, or None when the file cannot be read as one."""
    try:
        if path.name.endswith(".whl"):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    parts = member.split("/")
                    if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                        return archive.read(member)
            return None
        if path.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(path, "r:gz") as archive:
                for tar_member in archive.getmembers():
                    if tar_member.name.count("/") == 1 and tar_member.name.endswith("/PKG-INFO"):
                        handle = archive.extractfile(tar_member)
                        return handle.read() if handle else None
            return None
        if path.name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if member.count("/") == 1 and member.endswith("/PKG-INFO"):
                        return archive.read(member)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError):
        return None
    return None


def _requires_python_of(metadata: bytes | None) -> str | None:
    if metadata is None:
        return None
    headers = BytesHeaderParser().parse(io.BytesIO(metadata))
    value = headers.get("Requires-Python")
    return str(value) if value is not None else None


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_simple_tree(
    files: Iterable[Path | str],
    root: Path | str,
    *,
    yanked: Mapping[str, str] | None = None,
    requires_python: Mapping[str, str | None] | None = None,
    upload_times: Mapping[str, datetime] | None = None,
    metadata_files: bool = True,
    json: bool = True,
    html: bool = True,
    provenance: Mapping[str, Path | bytes] | None = None,
) -> Path:
    """Copy ``files`` under ``root/files`` and write the simple pages; return ``root``.

    ``yanked`` maps a file name to its reason ("" for none). ``requires_python`` maps a file name to its
    Requires-Python (None to hide it); other files get the value in their own metadata. ``upload_times``
    maps a file name to its upload time; files not named there get no upload-time. Calling again on
    the same root adds files and rewrites every page. ``provenance`` maps a file name to its PEP 740
    provenance object (a file or bytes), served beside the files and linked from the pages.
    """
    root = Path(root)
    files_dir = root / "files"
    files_dir.mkdir(parents=True, exist_ok=True)
    for source in files:
        source = Path(source)
        target = files_dir / source.name
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)

    yanked = dict(yanked or {})
    requires_python = dict(requires_python or {})
    upload_times = dict(upload_times or {})
    provenance_urls: dict[str, str] = {}
    for filename, content in (provenance or {}).items():
        target = root / "provenance" / f"{filename}.provenance"
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else Path(content).read_bytes())
        provenance_urls[filename] = f"../../provenance/{quote(filename)}.provenance"
    for target in (root / "provenance").glob("*.provenance"):  # those of an earlier call stay linked
        linked = target.name[: -len(".provenance")]
        provenance_urls.setdefault(linked, f"../../provenance/{quote(target.name)}")
    projects: dict[str, list[IndexFile]] = {}
    for path in sorted(files_dir.iterdir()):
        if path.name.endswith(".metadata") or not path.is_file():
            continue
        data = path.read_bytes()
        metadata = read_core_metadata(path)
        metadata_sha256 = None
        if metadata_files and path.name.endswith(".whl") and metadata is not None:
            (files_dir / (path.name + ".metadata")).write_bytes(metadata)
            metadata_sha256 = sha256_bytes(metadata)
        project, version = project_of(path.name)
        if path.name in requires_python:
            python_spec = requires_python[path.name]
        else:
            python_spec = _requires_python_of(metadata)
        projects.setdefault(project, []).append(
            IndexFile(
                filename=path.name,
                project=project,
                version=version,
                sha256=sha256_bytes(data),
                size=len(data),
                requires_python=python_spec,
                yanked=yanked.get(path.name),
                metadata_sha256=metadata_sha256,
                upload_time=upload_times.get(path.name),
                provenance=provenance_urls.get(path.name),
            )
        )

    simple = root / "simple"
    simple.mkdir(exist_ok=True)
    names = sorted(projects)
    if html:
        (simple / "index.html").write_text(_root_html(names), encoding="utf-8")
    if json:
        (simple / "index.json").write_text(_root_json(names), encoding="utf-8")
    for project, entries in projects.items():
        page_dir = simple / project
        page_dir.mkdir(exist_ok=True)
        if html:
            (page_dir / "index.html").write_text(_project_html(project, entries), encoding="utf-8")
        if json:
            (page_dir / "index.json").write_text(_project_json(project, entries), encoding="utf-8")
    return root


def file_index_url(root: Path | str) -> str:
    """``file:///.../simple`` URL of a tree made by ``build_simple_tree``."""
    return (Path(root).resolve() / "simple").as_uri()


# -- rendering --------------------------------------------------------------------------------------


def _root_html(names: list[str]) -> str:
    links = "".join(f'    <a href="{n}/">{n}</a><br/>\n' for n in names)
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        "    <title>Simple index</title>\n  </head>\n  <body>\n"
        f"{links}  </body>\n</html>\n"
    )


def _root_json(names: list[str]) -> str:
    document = {"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in names]}
    return json_module.dumps(document, indent=2) + "\n"


def _project_html(project: str, entries: list[IndexFile]) -> str:
    links = []
    for entry in entries:
        attributes = [f'href="../../files/{quote(entry.filename)}#sha256={entry.sha256}"']
        if entry.requires_python is not None:
            attributes.append(f'data-requires-python="{html.escape(entry.requires_python)}"')
        if entry.metadata_sha256 is not None:
            value = f"sha256={entry.metadata_sha256}"
            attributes.append(f'data-dist-info-metadata="{value}"')
            attributes.append(f'data-core-metadata="{value}"')
        if entry.yanked is not None:
            attributes.append(f'data-yanked="{html.escape(entry.yanked)}"')
        if entry.provenance is not None:
            attributes.append(f'data-provenance="{html.escape(entry.provenance)}"')
        links.append(f"    <a {' '.join(attributes)}>{html.escape(entry.filename)}</a><br/>\n")
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>Links for {project}</title>\n  </head>\n  <body>\n"
        f"    <h1>Links for {project}</h1>\n{''.join(links)}  </body>\n</html>\n"
    )


def _project_json(project: str, entries: list[IndexFile]) -> str:
    files = []
    for entry in entries:
        record: dict[str, object] = {
            "filename": entry.filename,
            "url": f"../../files/{quote(entry.filename)}",
            "hashes": {"sha256": entry.sha256},
        }
        if entry.requires_python is not None:
            record["requires-python"] = entry.requires_python
        record["yanked"] = False if entry.yanked is None else (entry.yanked or True)
        if entry.metadata_sha256 is not None:
            record["core-metadata"] = {"sha256": entry.metadata_sha256}
            record["dist-info-metadata"] = {"sha256": entry.metadata_sha256}
        else:
            record["core-metadata"] = False
        record["size"] = entry.size
        if entry.provenance is not None:
            record["provenance"] = entry.provenance
        if entry.upload_time is not None:
            record["upload-time"] = _iso(entry.upload_time)
        files.append(record)
    versions = sorted({e.version for e in entries if e.version is not None}, key=_version_key)
    document = {
        "meta": {"api-version": API_VERSION},
        "name": project,
        "versions": versions,
        "files": files,
    }
    return json_module.dumps(document, indent=2) + "\n"


def _version_key(text: str) -> tuple[int, object]:
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(text))
    except InvalidVersion:
        return (1, text)
