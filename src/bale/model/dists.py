"""Distribution files as an index or a find-links folder advertises them, before anything is fetched."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from enum import Enum
from functools import lru_cache

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from bale.model.record import record

SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")


class FileKind(Enum):
    WHEEL = "wheel"
    SDIST = "sdist"


@record(frozen=True)
class ParsedFilename:
    """What a distribution's file name says about it (PEP 427 wheels, PEP 625 sdists).

    Wheel tags are parsed on first use: a PyPI page lists thousands of wheels, and most are never
    considered for the target (parsing every tag set up front was a third of a warm resolve).
    """

    name: NormalizedName
    version: Version
    kind: FileKind
    filename: str = ""
    build: tuple[int, str] | tuple[()] = ()

    @property
    def tags(self) -> frozenset[Tag]:
        return wheel_tags(self.filename) if self.kind is FileKind.WHEEL else frozenset()


_WHEEL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?$")
_BUILD = re.compile(r"^(\d+)(.*)$")


@lru_cache(maxsize=65536)
def _version(text: str) -> Version:
    return Version(text)


@lru_cache(maxsize=16384)
def _name(text: str) -> NormalizedName:
    return canonicalize_name(text)


@lru_cache(maxsize=65536)
def wheel_tags(filename: str) -> frozenset[Tag]:
    """The tags of a wheel file name (compressed tag sets expanded); empty when it does not parse."""
    try:
        return parse_wheel_filename(filename)[3]
    except (InvalidWheelFilename, ValueError):
        return frozenset()


def _parse_wheel(filename: str) -> ParsedFilename | None:
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6) or not _WHEEL_NAME.match(parts[0]):
        return None
    build: tuple[int, str] | tuple[()] = ()
    if len(parts) == 6:
        match = _BUILD.match(parts[2])
        if match is None:
            return None
        build = (int(match.group(1)), match.group(2))
    if not all(parts[-3:]):
        return None
    return ParsedFilename(_name(parts[0]), _version(parts[1]), FileKind.WHEEL, filename, build)


@lru_cache(maxsize=65536)
def parse_filename(filename: str) -> ParsedFilename | None:
    """Parse a wheel or sdist file name; None for anything else (or a name that does not parse)."""
    try:
        if filename.endswith(".whl"):
            return _parse_wheel(filename)
        if filename.endswith(SDIST_SUFFIXES):
            legacy = (".tar.bz2", ".tar.xz", ".tgz", ".tar")
            if filename.endswith(legacy) and not filename.endswith(".tar.gz"):
                # Legacy sdist formats: packaging only parses .tar.gz/.zip, so normalise the suffix first.
                stem = filename.rsplit(".tar", 1)[0] if ".tar" in filename else filename[: -len(".tgz")]
                name, version = parse_sdist_filename(stem + ".tar.gz")
            else:
                name, version = parse_sdist_filename(filename)
            return ParsedFilename(name, version, FileKind.SDIST, filename)
    except (InvalidSdistFilename, ValueError):
        return None
    return None


@record(frozen=True)
class IndexFile:
    """One file of one version of a project, as listed by a simple index page or a find-links folder.

    ``url`` is absolute (``https://``, ``http://`` or ``file://``) without the hash fragment; ``hashes``
    maps algorithm to lower-case hex digest. ``yanked`` is None when not yanked, else the reason ("" when
    the index gave none). ``metadata_hashes`` is None when the index does not advertise a PEP 658 file,
    else the hashes of that file (possibly empty when the index said only "true"). ``provenance`` is the
    absolute URL of the file's PEP 740 provenance object, None when the index serves none.
    """

    filename: str
    url: str
    name: NormalizedName
    version: Version
    kind: FileKind
    hashes: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    requires_python: str | None = None
    yanked: str | None = None
    upload_time: datetime | None = None
    size: int | None = None
    metadata_hashes: Mapping[str, str] | None = field(default=None, compare=False, hash=False)
    source: str = ""  # the index URL or find-links location that listed it, credentials removed
    provenance: str | None = field(default=None, compare=False, hash=False)

    @property
    def is_wheel(self) -> bool:
        return self.kind is FileKind.WHEEL

    @property
    def tags(self) -> frozenset[Tag]:
        return wheel_tags(self.filename) if self.kind is FileKind.WHEEL else frozenset()

    @property
    def is_yanked(self) -> bool:
        return self.yanked is not None
