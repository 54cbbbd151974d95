"""The offline vulnerability database: OSV's PyPI export (``all.zip``), its name index, and its update.

OSV's export holds one ``<ID>.json`` per advisory at the zip root (16,000 records; 16-30 MB).
Reading and parsing every record takes ~0.6 s and even the zip's central directory ~70 ms, so an
index is built once per export and kept beside it: package name -> the members naming it, each with
its offset, size and CRC. An audit then reads those bytes alone (100 packages: ~300 records, ~10 ms)
without opening the central directory. The index knows the zip by size and mtime, and by sha256
when those changed (a copy, a touch): a different zip is indexed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from bale.audit.osv import ECOSYSTEM, Advisory, AdvisoryError, AdvisorySet, parse_advisory
from bale.errors import BaleError
from bale.fs.atomic import write_atomic
from bale.model.names import NormalizedName, normalize
from bale.model.record import record

if TYPE_CHECKING:
    from bale.http.client import HttpClient

DEFAULT_DB_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
# A cache bucket named as ``bale.cache.cache`` names its own (``<name>-v<format>``), with the OSV
# layout below it (``<ecosystem>/all.zip``). Bump the version when the index format changes.
BUCKET = "osv-v1"
_INDEX_FORMAT = 1
# The biggest real record is ~200 kB; a member far bigger is not an advisory (or a zip bomb).
_MAX_MEMBER = 16 * 1024 * 1024
_SHOWN_BAD = 5  # damaged members named one by one in the warnings; the rest are counted
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_HINT = "fetch it again with `bale audit --update-db`"


def database_path(cache_root: Path) -> Path:
    """Where ``bale audit --update-db`` keeps OSV's PyPI export in the cache at ``cache_root``."""
    return Path(cache_root) / BUCKET / ECOSYSTEM / "all.zip"


def index_path(path: Path) -> Path:
    return path.with_name(path.name + ".index.json")


def _meta_path(path: Path) -> Path:
    """The HTTP validators (ETag, Last-Modified) and fetch time of the export at ``path``."""
    return path.with_name(path.name + ".meta.json")


@record(frozen=True, slots=True)
class _Member:
    name: str
    offset: int  # of the local header
    size: int  # compressed
    crc: int
    method: int  # 0 stored, 8 deflated


@record(frozen=True, slots=True)
class _Index:
    """Package name -> its members, as stored: ``[name, offset, size, crc, method]`` lists, made
    ``_Member`` values only for the names an audit asks about (all 16,000 at once: ~45 ms)."""

    entries: dict[str, list[Any]]
    records: int
    bad: list[str]  # "MEMBER: why", for members that are not readable OSV records
    sha256: str

    def members(self, name: str) -> list[_Member]:
        """The members naming ``name``; ValueError when the stored index is damaged."""
        try:
            return [
                _Member(str(m[0]), int(m[1]), int(m[2]), int(m[3]), int(m[4]))
                for m in self.entries.get(name, ())
            ]
        except (TypeError, ValueError, IndexError, KeyError) as err:
            raise ValueError(f"the index entry of {name} is damaged ({err})") from err

    def to_json(self, stamp: dict[str, int]) -> str:
        return json.dumps(
            {
                "format": _INDEX_FORMAT,
                "stamp": stamp,
                "sha256": self.sha256,
                "records": self.records,
                "bad": self.bad,
                "names": dict(sorted(self.entries.items())),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: Any) -> _Index | None:
        if not isinstance(data, dict) or data.get("format") != _INDEX_FORMAT:
            return None
        try:
            entries, bad = data["names"], data["bad"]
            if not isinstance(entries, dict) or not isinstance(bad, list):
                return None
            return cls(entries, int(data["records"]), [str(b) for b in bad], str(data["sha256"]))
        except (KeyError, TypeError, ValueError):
            return None


class OfflineDatabase:
    """An OSV export opened for audits. ``open`` checks that it is a zip of OSV records, at least one
    readable (an export of none is an error, never an empty database)."""

    def __init__(self, path: Path, index: _Index, where: Path) -> None:
        self.path = path
        self._index = index
        self._where = where  # the index file
        self._parsed: dict[str, Advisory | str] = {}  # member -> its advisory, or why it is unusable

    @classmethod
    def open(cls, path: Path, *, index_dir: Path | None = None) -> OfflineDatabase:
        """Open the export at ``path``. Its index is read from beside it (from ``index_dir`` instead,
        for a file bale should not write beside), built and saved first when missing or stale; a
        place that cannot be written keeps the index in memory for this run only."""
        path = Path(path)
        if not path.is_file():
            raise BaleError(
                f"No vulnerability database at {path}",
                hint="fetch OSV's with `bale audit --update-db`, or give an export with --db FILE",
            )
        where = index_path(path) if index_dir is None else _foreign_index(path, index_dir)
        return cls(path, _load_index(path, where), where)

    @property
    def records(self) -> int:
        """How many readable records the export holds."""
        return self._index.records

    def modified(self) -> dt.datetime:
        """When the data was fetched or last confirmed current (the file's mtime, UTC)."""
        return dt.datetime.fromtimestamp(self.path.stat().st_mtime, dt.timezone.utc)

    def advisories_for(self, names: Iterable[NormalizedName]) -> AdvisorySet:
        """Every record naming one of ``names``. A member that cannot be read or parsed is skipped and
        named in a warning, as is every member found damaged when the index was built (it might have
        been about any package)."""
        warnings = [f"{self.path}: skipped {line}" for line in self._index.bad[:_SHOWN_BAD]]
        if len(self._index.bad) > _SHOWN_BAD:
            warnings.append(
                f"{self.path}: skipped {len(self._index.bad) - _SHOWN_BAD} more unreadable records"
            )
        wanted = sorted({normalize(name) for name in names})
        found: dict[NormalizedName, tuple[Advisory, ...]] = {}
        with self.path.open("rb") as archive:
            for name in wanted:
                advisories: list[Advisory] = []
                for member in self._members(name):
                    parsed = self._parsed.get(member.name)
                    if parsed is None:
                        parsed = self._parsed[member.name] = self._read(archive, member)
                    if isinstance(parsed, str):
                        warnings.append(f"{self.path}: skipped {member.name}: {parsed}")
                    else:
                        advisories.append(parsed)
                if advisories:
                    found[name] = tuple(advisories)
        return AdvisorySet(found, tuple(dict.fromkeys(warnings)))

    def _members(self, name: str) -> list[_Member]:
        try:
            return self._index.members(name)
        except ValueError:
            # The stored index was damaged after it was written (it is checked as a whole only
            # against the zip): build it again, once.
            self._index = build_index(self.path)
            _write_index(self._where, self._index, _stamp(self.path))
            return self._index.members(name)

    def _read(self, archive: BinaryIO, member: _Member) -> Advisory | str:
        source = f"{self.path}:{member.name}"
        try:
            data = json.loads(_member_bytes(archive, member))
            return parse_advisory(data, source=source)
        except AdvisoryError as err:
            return err.message.removeprefix(f"{source} ").removeprefix(f"{source}: ")
        except (ValueError, OSError, zlib.error) as err:
            return str(err) or type(err).__name__


def _member_bytes(archive: BinaryIO, member: _Member) -> bytes:
    """The content of ``member`` read at its offset, checked against the index's CRC."""
    archive.seek(member.offset)
    header = archive.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise ValueError("the archive ends inside it")
    magic, _, _, method, _, _, _, _, _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if magic != b"PK\x03\x04" or method != member.method:
        raise ValueError("its local header is not where the index says (the file changed?)")
    archive.seek(name_length + extra_length, os.SEEK_CUR)
    raw = archive.read(member.size)
    if len(raw) != member.size:
        raise ValueError("the archive ends inside it")
    if method == zipfile.ZIP_STORED:
        data = raw
    elif method == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        data = inflater.decompress(raw, _MAX_MEMBER)
        if inflater.unconsumed_tail:
            raise ValueError(f"it inflates past {_MAX_MEMBER} bytes")
    else:
        raise ValueError(f"compression method {method} is not supported")
    if zlib.crc32(data) != member.crc:
        raise ValueError("its CRC does not match (the file is damaged)")
    return data


# ---------------------------------------------------------------------------------------------- index


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _write_index(where: Path, index: _Index, stamp: dict[str, int]) -> None:
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        if not where.parent.stat().st_mode & 0o222:
            return  # a folder without write bits (root could still write there): keep it as it is
        write_atomic(where, index.to_json(stamp))
    except OSError:
        pass  # a read-only place: this run keeps the index in memory, the next builds it again


def _load_index(path: Path, where: Path) -> _Index:
    stamp = _stamp(path)
    kept = _read_json(where)
    index = _Index.from_json(kept)
    kept_stamp = kept.get("stamp") if index is not None else None
    if kept_stamp == stamp and index is not None:
        return index
    same_size = isinstance(kept_stamp, dict) and kept_stamp.get("size") == stamp["size"]
    if index is not None and same_size and _sha256(path) == index.sha256:
        _write_index(where, index, stamp)  # touched or copied, not changed: ~20 ms instead of ~0.6 s
        return index
    index = build_index(path)
    _write_index(where, index, stamp)
    return index


def _foreign_index(path: Path, index_dir: Path) -> Path:
    key = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:32]
    return index_dir / f"{key}.index.json"


def build_index(path: Path, *, sha256: str | None = None) -> _Index:
    """Read every member of the export at ``path`` once: which PyPI packages each record names.

    A file that is not a zip (or is truncated) and a zip without one readable record are errors;
    unreadable members are listed in ``bad``. ``sha256``: the file's, when the caller knows it."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise BaleError(
            f"The vulnerability database {path} is not a readable zip archive ({err})", hint=_HINT
        ) from err
    names: dict[str, list[list[Any]]] = {}
    bad: list[str] = []
    records = 0
    with archive:
        members = [
            info for info in archive.infolist() if not info.is_dir() and info.filename.endswith(".json")
        ]
        for info in members:
            try:
                if info.file_size > _MAX_MEMBER:
                    raise ValueError(f"{info.file_size} bytes is too large for an advisory")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ValueError(f"compression method {info.compress_type} is not supported")
                record_names = _record_names(json.loads(archive.read(info)))
            except (ValueError, zipfile.BadZipFile, OSError, EOFError, RuntimeError, zlib.error) as err:
                bad.append(f"{info.filename}: {err}")
                continue
            records += 1
            member = [info.filename, info.header_offset, info.compress_size, info.CRC, info.compress_type]
            for name in record_names:
                names.setdefault(name, []).append(member)
    if not records:
        what = f"{len(members)} members, none a readable OSV record" if members else "no records"
        detail = [f"e.g. {bad[0]}"] if bad else []
        raise BaleError(f"The vulnerability database {path} holds {what}", context=detail, hint=_HINT)
    for found in names.values():
        found.sort(key=lambda m: str(m[0]))
    return _Index(names, records, bad, sha256 or _sha256(path))


def _record_names(data: Any) -> set[str]:
    """The PyPI package names an OSV record has entries for (the full check is ``parse_advisory``)."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValueError("not an OSV record (no id)")
    entries = data.get("affected") or []
    if not isinstance(entries, list):
        raise ValueError("its affected field is not a list")
    found: set[str] = set()
    for entry in entries:
        package = entry.get("package") if isinstance(entry, dict) else None
        if isinstance(package, dict) and package.get("ecosystem") == ECOSYSTEM:
            name = package.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ValueError("a PyPI entry without a package name")
            found.add(str(normalize(name)))
    return found


# ---------------------------------------------------------------------------------------------- update


@record(frozen=True, slots=True)
class UpdateOutcome:
    """``changed``: new data was installed; ``records`` and ``bytes``: the database's now."""

    changed: bool
    records: int
    bytes: int


def update_database(client: HttpClient, url: str, dest: Path) -> UpdateOutcome:
    """Fetch OSV's export from ``url`` into ``dest``, with a conditional request (the ETag and
    Last-Modified of the last fetch; 304: unchanged, and the data counts as fetched now).

    The download goes to a temp file beside ``dest`` and is indexed there first, which reads every
    record: a file that is not a zip, is truncated, or holds no readable record is refused and the
    old database stays as it was. Then one rename puts it in place, and the index beside it.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    meta = _read_json(_meta_path(dest)) if dest.is_file() else None
    meta = meta if isinstance(meta, dict) and meta.get("url") == url else {}
    part = dest.with_name(f".{dest.name}.{os.getpid()}-{os.urandom(4).hex()}.part")
    try:
        got = client.download_if_changed(
            url,
            part,
            etag=str(meta.get("etag") or "") or None,
            last_modified=str(meta.get("last_modified") or "") or None,
            label="OSV advisories",
        )
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        if got is None:
            os.utime(dest)  # confirmed current: the staleness warning counts from now
            database = OfflineDatabase.open(dest)
            write_atomic(_meta_path(dest), json.dumps({**meta, "fetched": now}))
            return UpdateOutcome(False, database.records, dest.stat().st_size)
        try:
            index = build_index(part, sha256=got.sha256)
        except BaleError as err:
            raise BaleError(
                f"The vulnerability database downloaded from {url} is unusable; {dest} is kept as it was",
                context=[err.message, *err.context],
                hint="try again later; if it keeps failing, check --db-url (or BALE_OSV_DB_URL)",
            ) from err
        old = _Index.from_json(_read_json(index_path(dest))) if dest.is_file() else None
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    _write_index(index_path(dest), index, _stamp(dest))
    write_atomic(
        _meta_path(dest),
        json.dumps({"url": url, "etag": got.etag, "last_modified": got.last_modified, "fetched": now}),
    )
    changed = old is None or old.sha256 != index.sha256
    return UpdateOutcome(changed, index.records, got.size)
