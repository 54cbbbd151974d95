"""A wheel's METADATA fetched as cheaply as the host allows: PEP 658 file, byte ranges, or the whole wheel."""

from __future__ import annotations

import hashlib
import os
import re
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.errors import BaleError, HashMismatchError, OfflineError
from bale.http.auth import redact_url
from bale.http.client import HttpClient, file_url_to_path, is_file_url
from bale.http.pool import OnceMap
from bale.index.metadata_cache import cached_metadata, metadata_path
from bale.model.dists import IndexFile
from bale.model.names import normalize
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.metadata import Metadata

# One suffix request this large holds the central directory of all but the largest wheels
# (numpy's 13 MB wheel: ~90 KiB of directory), and the whole of small wheels.
TAIL_SIZE = 64 * 1024
# The local header's extra field may differ from the central one; a little slack avoids a second request.
_LOCAL_SLACK = 512

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")

DownloadWheel = Callable[[IndexFile], Path]
"""Puts the whole wheel somewhere local (usually the wheel cache) and returns its path."""


class MetadataFetcher:
    """Fetches wheels' METADATA, remembering per host what works; thread-safe.

    Order: 1) the PEP 658/714 ``.metadata`` file when the index advertises it (hash checked);
    2) otherwise one probe of ``<url>.metadata`` per host (some mirrors serve it unadvertised);
    3) HTTP range requests: the zip's tail, then the METADATA member (usually 1-2 requests);
    4) the whole wheel via ``download`` (or into a temp file). Results are kept in ``cache_dir``
    (keyed by file URL and sha256), so a warm run makes no request.
    """

    def __init__(
        self,
        http: HttpClient,
        *,
        cache_dir: Path | None = None,
        download: DownloadWheel | None = None,
    ) -> None:
        self.http = http
        self.cache_dir = cache_dir
        self.download = download
        self._lock = threading.Lock()
        self._no_metadata_files: set[str] = set()
        self._no_ranges: set[str] = set()
        self._once: OnceMap[str, bytes] = OnceMap()

    def is_cached(self, file: IndexFile) -> bool:
        """Whether ``fetch(file)`` would be answered from the disk cache (one stat)."""
        path = self._cache_path(file)
        return path is not None and path.is_file()

    def known(self, file: IndexFile) -> bytes | None:
        """The METADATA ``fetch(file)`` gave in this process, else the one the disk cache keeps for
        ``file`` (see ``cached_metadata``); None when neither has it. No request is made."""
        found = self._once.peek(file.url)
        if found is not None or self.cache_dir is None:
            return found
        return cached_metadata(self.cache_dir, file)

    def fetch(self, file: IndexFile) -> bytes:
        """The raw METADATA bytes of ``file`` (a wheel, or any file with an advertised ``.metadata``)."""
        return self._once.get(file.url, lambda: self._fetch(file))

    def _fetch(self, file: IndexFile) -> bytes:
        if is_file_url(file.url):
            if file.metadata_hashes is not None:
                response = self.http.get(file.url + ".metadata", missing_ok=True)
                if response.ok:
                    _check_hashes(file, response.body)
                    return response.body
            _require_wheel(file)
            return read_wheel_metadata(file_url_to_path(file.url), file)
        cached = self._cache_path(file)
        if cached is not None:
            from bale.cache.verified import read_sealed

            # Sealed with size and sha256: a damaged entry is warned about and fetched again.
            kept = read_sealed(cached, on_damaged=self.http.reporter.warn)
            if kept is not None:
                return kept
        data = self._fetch_remote(file)
        if cached is not None:
            from bale.cache.verified import seal

            _write_atomic(cached, seal(data))
        return data

    def _fetch_remote(self, file: IndexFile) -> bytes:
        host = urlsplit(file.url).netloc.lower()
        metadata_url = file.url + ".metadata"
        if file.metadata_hashes is not None:
            response = self.http.get(metadata_url, missing_ok=True)
            if response.ok:
                _check_hashes(file, response.body)
                return response.body
        elif file.is_wheel and not self._known(self._no_metadata_files, host):
            body = self._probe(metadata_url)
            if body is not None:
                return body
            with self._lock:
                self._no_metadata_files.add(host)
        _require_wheel(file)
        if not self._known(self._no_ranges, host):
            data = self._via_ranges(file)
            if data is not None:
                return data
        return self._via_download(file)

    def _known(self, hosts: set[str], host: str) -> bool:
        with self._lock:
            return host in hosts

    def _probe(self, url: str) -> bytes | None:
        try:
            response = self.http.get(url, missing_ok=True)
        except OfflineError:
            raise
        except BaleError:
            return None  # e.g. S3 answers 403 for a missing key: this host simply has no .metadata files
        # A catch-all page (200 with HTML for any path) is not metadata.
        if response.ok and response.body.lstrip().startswith(b"Metadata-Version"):
            return response.body
        return None

    def _via_ranges(self, file: IndexFile) -> bytes | None:
        tail = self.http.get_suffix(file.url, TAIL_SIZE)
        if tail is None:
            with self._lock:
                self._no_ranges.add(urlsplit(file.url).netloc.lower())
            return None
        try:
            return _RangedZip(self.http, file, tail.data, tail.start).read_metadata()
        except _ZipFormatError:
            # Odd range behaviour (a proxy rewriting bodies, a zip with prepended data) looks like
            # corruption here; the whole file, hash-checked, gives the definitive answer.
            return None

    def _via_download(self, file: IndexFile) -> bytes:
        if self.download is not None:
            return read_wheel_metadata(self.download(file), file)
        import tempfile

        parent = self.cache_dir if self.cache_dir is not None else None
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=parent, prefix=".wheel-") as tmp:
            dest = Path(tmp) / file.filename
            self.http.download(file.url, dest, expected=file.hashes or None, label=file.filename)
            return read_wheel_metadata(dest, file)

    def _cache_path(self, file: IndexFile) -> Path | None:
        return None if self.cache_dir is None else metadata_path(self.cache_dir, file)


def fetch_metadata(
    client: HttpClient,
    file: IndexFile,
    *,
    cache_dir: Path | None = None,
    download: DownloadWheel | None = None,
) -> bytes:
    """One-shot ``MetadataFetcher(client, ...).fetch(file)``; keep a fetcher to reuse per-host knowledge."""
    return MetadataFetcher(client, cache_dir=cache_dir, download=download).fetch(file)


@record(frozen=True)
class CoreMetadata:
    """The METADATA fields resolution reads, with the types ``packaging.metadata.Metadata`` gives them.

    Resolution reads ``general_requires`` (parsed) and ``extra_requires``: the requirements whose whole
    marker is ``extra == "x"`` (most of a typical file: docs and test extras no resolution asks for),
    kept as text by normalized extra and parsed only when that extra is wanted. ``requires_dist``
    parses everything, in file order.
    """

    name: str
    version: Version
    requires_python: SpecifierSet | None
    provides_extra: list[str]
    requires_texts: tuple[str, ...] = ()
    general_requires: list[Requirement] = field(default_factory=list)
    extra_requires: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def requires_dist(self) -> list[Requirement]:
        return [_requirement(text) for text in self.requires_texts]


# ``name[...] (spec) ; extra == "x"`` with nothing else in the marker (the form setuptools, hatchling
# and flit write for extras).
_ONLY_EXTRA = re.compile(r"""^([^;]*?)\s*;\s*extra\s*==\s*(['"])([^'"]*)\2\s*$""")


def requirements_of_extra(texts: tuple[str, ...]) -> list[Requirement]:
    """Parse requirement texts kept aside by ``_fast_core`` (raises InvalidRequirement)."""
    return [_requirement(text) for text in texts]


_WANTED = {"name", "version", "requires-dist", "requires-python", "provides-extra"}


def _fast_core(data: bytes) -> CoreMetadata | None:
    """Read the header block by hand: ``email.parser`` costs ~0.75 ms a file, this ~0.05 ms (jupyter's
    97 files: 74 ms -> 5 ms). None when anything looks unusual: the full parser decides and names errors."""
    text = data.decode("utf-8")
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    head = text.split("\n\n", 1)[0]
    fields: dict[str, list[str]] = {}
    last: str | None = None
    for line in head.split("\n"):
        if not line:
            continue
        if line[0] in " \t":
            if last in _WANTED:
                return None  # a folded value of a field we read: rare, leave it to the full parser
            continue
        key, sep, value = line.partition(":")
        if not sep:
            return None
        last = key.strip().lower()
        if last in _WANTED:
            fields.setdefault(last, []).append(value.strip())
    names, versions = fields.get("name", []), fields.get("version", [])
    if len(names) != 1 or len(versions) != 1 or len(fields.get("requires-python", [])) > 1:
        return None
    python = fields.get("requires-python")
    general: list[Requirement] = []
    by_extra: dict[str, list[str]] = {}
    for value in fields.get("requires-dist", []):
        match = _ONLY_EXTRA.match(value) if "extra" in value else None
        if match is None:
            general.append(_requirement(value))
        else:
            by_extra.setdefault(normalize(match.group(3)), []).append(value)
    return CoreMetadata(
        name=names[0],
        version=Version(versions[0]),
        requires_python=SpecifierSet(python[0]) if python else None,
        provides_extra=[normalize(extra) for extra in fields.get("provides-extra", [])],
        requires_texts=tuple(fields.get("requires-dist", [])),
        general_requires=general,
        extra_requires={extra: tuple(texts) for extra, texts in by_extra.items()},
    )


@lru_cache(maxsize=16384)
def _requirement(text: str) -> Requirement:
    # The same requirement strings recur across versions of a package; parsing one costs ~40 us.
    return Requirement(text)


def parse_metadata(data: bytes, source: str) -> Metadata | CoreMetadata:
    """Parse METADATA leniently but check the fields resolution needs; errors name ``source`` and field."""
    try:
        fast = _fast_core(data)
    except UnicodeDecodeError as err:
        # Core metadata is UTF-8 by spec; the email parser would silently drop the fields it
        # cannot decode (a Requires-Dist among them), so this is refused, naming the file.
        from bale.errors import utf8_error

        raise utf8_error(
            source,
            data,
            err,
            prefix=f"Invalid metadata in {source}: ",
            hint="Core metadata must be UTF-8: pick another version, or report it to its maintainers.",
        ) from None
    except ValueError:
        fast = None  # the full parser below reports the problem with its field name
    if fast is not None:
        return fast
    # Only for what the fast reader leaves to it: packaging.metadata pulls in the email package (~15 ms).
    from packaging.metadata import InvalidMetadata, Metadata

    try:
        metadata = Metadata.from_email(data, validate=False)
        # Touch what the resolver reads, so a bad value fails here with its field named, not mid-solve.
        for attribute in ("name", "version", "requires_dist", "requires_python"):
            getattr(metadata, attribute)
    except InvalidMetadata as err:
        detail = str(err)
        if isinstance(err.__cause__, ValueError):  # packaging's parse error: said in bale's words
            from bale.model.requirement_errors import plain_reason

            detail = plain_reason(err.__cause__)
        raise BaleError(
            f"Invalid metadata in {source}: field {err.field}: {detail}",
            hint="The distribution's METADATA is malformed; pick another version or report it upstream.",
        ) from None
    except ValueError as err:
        raise BaleError(f"Invalid metadata in {source}: {err}") from None
    return metadata


def read_wheel_metadata(path: Path, file: IndexFile) -> bytes:
    """METADATA from a wheel on disk."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            member = _pick_metadata(archive.namelist(), file)
            return archive.read(member)
    except (zipfile.BadZipFile, OSError, KeyError) as err:
        raise BaleError(
            f"Could not read the metadata of {file.filename}: {err}",
            context=[f"file: {path}"],
            hint="The file is not a valid wheel (damaged or truncated): download it again, or report "
            "it to whoever publishes it.",
        ) from err


def _require_wheel(file: IndexFile) -> None:
    if not file.is_wheel:
        raise BaleError(
            f"{file.filename} is a source distribution: its metadata needs a build",
            context=[f"from {redact_url(file.url)}"],
        )


def _check_hashes(file: IndexFile, body: bytes) -> None:
    for algo, want in (file.metadata_hashes or {}).items():
        try:
            got = hashlib.new(algo, body).hexdigest()
        except ValueError:
            continue
        if got != want.lower():
            raise HashMismatchError(
                f"Hash mismatch for {redact_url(file.url)}.metadata",
                context=[f"expected {algo}:{want.lower()}", f"actual   {algo}:{got}"],
                hint="The index advertises a different hash for this metadata file than it serves.",
            )


def _pick_metadata(names: list[str], file: IndexFile) -> str:
    candidates = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
    if len(candidates) > 1:
        # Prefer the directory named after the project, as installers do.
        matching = [n for n in candidates if normalize(n.split("/")[0].rsplit("-", 1)[0]) == file.name]
        candidates = matching or candidates
    if len(candidates) != 1:
        found = "no" if not candidates else "several"
        raise BaleError(f"{file.filename} has {found} .dist-info/METADATA file(s)", context=candidates[:5])
    return candidates[0]


def _write_atomic(path: Path, data: bytes) -> None:
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        return  # the cache is an optimisation; a read-only cache only costs a refetch


class _ZipFormatError(BaleError):
    """The bytes read by range do not form the expected zip structure."""


@record(frozen=True, slots=True)
class _Member:
    name: str
    method: int
    crc: int
    compressed: int
    size: int
    offset: int
    extra_len: int


class _RangedZip:
    """Reads one member of a remote zip with range requests, reusing the bytes of the tail already held."""

    def __init__(self, http: HttpClient, file: IndexFile, tail: bytes, tail_start: int) -> None:
        self.http = http
        self.file = file
        self.tail = tail
        self.tail_start = tail_start

    def read_metadata(self) -> bytes | None:
        directory = self._central_directory()
        members = {m.name: m for m in _parse_central(directory, self._bad)}
        member = members[_pick_metadata(list(members), self.file)]
        header_len = _LOCAL.size + len(member.name.encode()) + member.extra_len
        raw = self._read(member.offset, header_len + member.compressed + _LOCAL_SLACK)
        if len(raw) < _LOCAL.size or raw[:4] != b"PK\x03\x04":
            raise self._bad("no local header where the central directory points")
        fields = _LOCAL.unpack_from(raw)
        start = _LOCAL.size + fields[9] + fields[10]
        if start + member.compressed > len(raw):
            raw += self._read(member.offset + len(raw), start + member.compressed - len(raw))
        payload = raw[start : start + member.compressed]
        if member.method == 0:
            data = payload
        elif member.method == 8:
            try:
                data = zlib.decompressobj(-15).decompress(payload)
            except zlib.error as err:
                raise self._bad(f"METADATA does not inflate: {err}") from None
        else:
            return None  # an exotic compression: let the whole-file path deal with it
        if len(data) != member.size or zlib.crc32(data) != member.crc:
            raise self._bad("METADATA fails its CRC check")
        return data

    def _central_directory(self) -> bytes:
        tail = self.tail
        pos = len(tail)
        while True:
            pos = tail.rfind(b"PK\x05\x06", 0, pos)
            if pos < 0:
                raise self._bad("no end of central directory record")
            if pos + _EOCD.size <= len(tail):
                comment_len = _EOCD.unpack_from(tail, pos)[7]
                if pos + _EOCD.size + comment_len == len(tail):
                    break
        _, _, _, _, entries, size, offset, _ = _EOCD.unpack_from(tail, pos)
        if entries == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
            locator = pos - _ZIP64_LOCATOR.size
            if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
                raise self._bad("no zip64 locator")
            record_at = _ZIP64_LOCATOR.unpack_from(tail, locator)[2]
            record = self._read(record_at, _ZIP64_EOCD.size)
            if record[:4] != b"PK\x06\x06":
                raise self._bad("no zip64 end of central directory record")
            size, offset = _ZIP64_EOCD.unpack_from(record)[8:10]
        return self._read(offset, size)

    def _read(self, start: int, length: int) -> bytes:
        end_of_tail = self.tail_start + len(self.tail)
        if start >= self.tail_start and start + length <= end_of_tail:
            return self.tail[start - self.tail_start : start + length - self.tail_start]
        if start >= self.tail_start and start < end_of_tail:
            return self.tail[start - self.tail_start :]  # the caller asked past the end of the file
        length = min(length, end_of_tail - start)
        got = self.http.get_range(self.file.url, start, length)
        if got is None or got.start != start:
            raise self._bad("the server stopped honouring range requests")
        return got.data

    def _bad(self, what: str) -> BaleError:
        return _ZipFormatError(
            f"{self.file.filename} is not a valid wheel: {what}", context=[redact_url(self.file.url)]
        )


def _parse_central(directory: bytes, bad: Callable[[str], BaleError]) -> list[_Member]:
    members: list[_Member] = []
    pos = 0
    while pos + _CENTRAL.size <= len(directory):
        fields = _CENTRAL.unpack_from(directory, pos)
        if fields[0] != b"PK\x01\x02":
            break
        flags, method, crc, compressed, size = fields[3], fields[4], fields[7], fields[8], fields[9]
        name_len, extra_len, comment_len, offset = fields[10], fields[11], fields[12], fields[16]
        name_start = pos + _CENTRAL.size
        raw_name = directory[name_start : name_start + name_len]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        extra = directory[name_start + name_len : name_start + name_len + extra_len]
        if 0xFFFFFFFF in (compressed, size, offset):
            size, compressed, offset = _zip64_extra(extra, size, compressed, offset, bad)
        members.append(_Member(name, method, crc, compressed, size, offset, extra_len))
        pos = name_start + name_len + extra_len + comment_len
    if not members:
        raise bad("an empty or unreadable central directory")
    return members


def _zip64_extra(
    extra: bytes, size: int, compressed: int, offset: int, bad: Callable[[str], BaleError]
) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, pos)
        if tag == 1:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, pos + 4))
            # Only the fields saturated in the fixed record are present, in this order.
            if size == 0xFFFFFFFF:
                size = values.pop(0)
            if compressed == 0xFFFFFFFF:
                compressed = values.pop(0)
            if offset == 0xFFFFFFFF:
                offset = values.pop(0)
            return size, compressed, offset
        pos += 4 + length
    raise bad("a zip64 entry without its extra field")


__all__ = [
    "DownloadWheel",
    "MetadataFetcher",
    "fetch_metadata",
    "parse_metadata",
    "read_wheel_metadata",
]
