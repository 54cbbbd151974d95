"""Moving a warm cache to an offline machine: its entries into a folder with a manifest of sha256s, and back.

An export holds one object per cache entry (a file as it is, a folder as an uncompressed tar) named by
the object's sha256, plus ``manifest.json`` listing each entry's place in the cache, its packages and
that sha256. An import checks every object against the manifest before the entry enters the cache,
places each entry with one rename (readers see all of it or none), and never replaces an entry the
cache already holds whole. A damaged or tampered object is refused by its entry's name; the others
are imported.

Moved: index pages (``simple``), core metadata, downloaded and unpacked wheels, downloaded sdists and
the wheels built from them, verified provenance and the digests of URL downloads. Not moved: what
belongs to the machine (probed interpreters, script environments, resolution memos and replays keyed
by its paths) and git repositories.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import field
from pathlib import Path

from bale.cache.cache import ARCHIVE_MARKER, BUCKET_DIRS, Cache, is_sha256
from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record

__all__ = [
    "MANIFEST",
    "ExportOutcome",
    "ImportOutcome",
    "TransferEntry",
    "export_cache",
    "import_cache",
]

MANIFEST = "manifest.json"
_OBJECTS = "objects"
_FORMAT = "bale-cache-export"
_VERSION = 1
_CHUNK = 1 << 20


@record(frozen=True)
class _Layout:
    """How a bucket's entries sit in it: ``depth`` path components below the bucket, files or folders."""

    depth: int
    tree: bool
    per_package: bool  # the first component below the bucket is the package's name


# Bucket name -> layout; the buckets an export moves (see the module docstring for the others).
_LAYOUTS: dict[str, _Layout] = {
    "simple": _Layout(2, tree=False, per_package=False),  # simple-v1/<xx>/<sha256 of url+accept>
    "metadata": _Layout(2, tree=False, per_package=False),  # metadata-v1/<xx>/<digest>.metadata
    "wheels": _Layout(1, tree=True, per_package=False),  # wheels-v1/<sha256>/<file>.whl
    "archive": _Layout(1, tree=True, per_package=False),  # archive-v2/<sha256>/ (unpacked wheel)
    "builds": _Layout(2, tree=True, per_package=True),  # builds-v1/<name>/<sha256 of sdist>/
    "sdists": _Layout(2, tree=True, per_package=True),  # sdists-v1/<name>/<sha256>/<file>
    "provenance": _Layout(2, tree=False, per_package=True),  # provenance-v1/<name>/<sha256>.json
    "urls": _Layout(1, tree=False, per_package=False),  # urls-v1/<sha256 of url>.sha256
}
_BY_DIR = {BUCKET_DIRS[name]: (name, layout) for name, layout in _LAYOUTS.items()}


@record(frozen=True)
class TransferEntry:
    """One cache entry of an export: where it goes in the cache, whose it is, its object's digest."""

    path: str  # relative to the cache root, with "/" (``archive-v2/<sha256>``)
    kind: str  # "file" or "tree"
    packages: tuple[str, ...]
    sha256: str
    size: int


@record
class ExportOutcome:
    dest: Path
    entries: list[TransferEntry] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.entries)


@record
class ImportOutcome:
    imported: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # the cache held them already (kept as they were)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (entry path and packages, why)


# -- export ---------------------------------------------------------------------------------------


def export_cache(cache: Cache, dest: Path, *, packages: Collection[str] = ()) -> ExportOutcome:
    """Write the cache's entries (only those of ``packages`` when given) into ``dest``.

    Written into a temp folder beside ``dest`` and renamed into place, so a failed export leaves
    ``dest`` as it was; an earlier export at ``dest`` is replaced, any other non-empty folder refused.
    The cache is held shared meanwhile, so a ``bale cache clean`` elsewhere waits for the export.
    """
    from bale.fs.temp import make_temp_dir, remove_tree

    dest = dest.absolute()
    _check_dest(dest)
    wanted = {normalize(name) for name in packages}
    cache.hold()
    outcome = ExportOutcome(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = make_temp_dir(dest.parent, prefix=f".{dest.name}.tmp-")
    try:
        objects = temp / _OBJECTS
        objects.mkdir()
        for relative, kind, owners in _entries(cache):
            if wanted and not wanted.intersection(owners):
                continue
            digest, size = _write_object(cache.root / relative, kind, objects)
            outcome.entries.append(TransferEntry(relative, kind, tuple(sorted(owners)), digest, size))
        if wanted:
            found = {name for entry in outcome.entries for name in entry.packages}
            missing = sorted(wanted - found)
            if missing:
                raise BaleError(
                    f"The cache at {cache.root} holds nothing of {', '.join(missing)}",
                    hint="install the package once with the network (or check its name), then export",
                )
        manifest = {
            "format": _FORMAT,
            "version": _VERSION,
            "entries": [
                {
                    "path": e.path,
                    "kind": e.kind,
                    "packages": list(e.packages),
                    "sha256": e.sha256,
                    "size": e.size,
                }
                for e in outcome.entries
            ],
        }
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        from bale.fs.temp import replace_dir

        replace_dir(temp, dest)
    except BaseException:
        remove_tree(temp)
        raise
    return outcome


def _check_dest(dest: Path) -> None:
    from bale.fs.temp import check_replaceable

    check_replaceable(
        dest, "export the cache", "cache export", ours=(dest / MANIFEST).is_file(), mine="an export"
    )


def _entries(cache: Cache) -> Iterator[tuple[str, str, set[NormalizedName]]]:
    """(path relative to the root, kind, owning packages) of every whole entry, in a stable order."""
    for dirname in sorted(_BY_DIR):
        name, layout = _BY_DIR[dirname]
        bucket = cache.root / dirname
        for parts in _walk(bucket, layout.depth):
            path = bucket.joinpath(*parts)
            if layout.tree != path.is_dir() or path.is_symlink():
                continue
            if name == "archive" and not (path / ARCHIVE_MARKER).is_file():
                continue  # half placed or half deleted: not an entry
            relative = "/".join((dirname, *parts))
            yield relative, "tree" if layout.tree else "file", _owners(name, layout, path, parts)


def _walk(bucket: Path, depth: int) -> Iterator[tuple[str, ...]]:
    """Relative paths ``depth`` components below ``bucket``, skipping temp files and lock files."""
    try:
        names = sorted(os.listdir(bucket))
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in names:
        if name.startswith(".") or name.endswith(".lock"):
            continue
        if depth == 1:
            yield (name,)
        else:
            for rest in _walk(bucket / name, depth - 1):
                yield (name, *rest)


def _owners(bucket: str, layout: _Layout, path: Path, parts: tuple[str, ...]) -> set[NormalizedName]:
    # The owner finders of ``clean NAME`` for the content-addressed buckets (private there).
    from bale.cache.cache import _archive_owners, _wheel_dir_owners

    if layout.per_package:
        return {normalize(parts[0])}
    if bucket == "archive":
        return {normalize(n) for n in _archive_owners(path)}
    if bucket == "wheels":
        return {normalize(n) for n in _wheel_dir_owners(path)}
    if bucket in ("simple", "metadata"):
        return _sealed_owner(bucket, path)
    return set()  # urls-v1: a digest of a URL names no package


def _sealed_owner(bucket: str, path: Path) -> set[NormalizedName]:
    """The package of an index page (the last segment of its URL) or of a METADATA file (Name:)."""
    from bale.cache.verified import read_sealed

    payload = read_sealed(path)
    if payload is None:
        return set()
    head = payload.partition(b"\n")[0] if bucket == "simple" else b""
    if bucket == "simple":
        try:
            url = str(json.loads(head)["url"])
        except (ValueError, KeyError, TypeError):
            return set()
        segment = url.split("?", 1)[0].rstrip("/").rpartition("/")[2]
        return {normalize(segment)} if segment else set()
    for line in payload.split(b"\n", 40):
        if line.lower().startswith(b"name:"):
            return {normalize(line[5:].strip().decode("utf-8", "replace"))}
        if not line.strip():
            break
    return set()


def _write_object(source: Path, kind: str, objects: Path) -> tuple[str, int]:
    """Copy one entry into ``objects`` as ``<sha256>`` (a folder as a tar); returns digest and size."""
    temp = objects / f".part-{os.urandom(6).hex()}"
    if kind == "tree":
        with tarfile.open(temp, "w", format=tarfile.PAX_FORMAT) as archive:
            for member in _tree_members(source):
                archive.add(source / member, arcname=member, recursive=False)
    else:
        shutil.copyfile(source, temp)
    digest, size = _digest(temp)
    os.replace(temp, objects / digest)
    return digest, size


def _tree_members(root: Path) -> list[str]:
    """Relative paths of the folders and regular files under ``root``, sorted; lock files left out."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        base = Path(folder).relative_to(root)
        for name in dirs:
            found.append((base / name).as_posix())
        for name in sorted(files):
            full = Path(folder) / name
            if not name.endswith(".lock") and full.is_file() and not full.is_symlink():
                found.append((base / name).as_posix())
    return found


def _digest(path: Path) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


# -- import ---------------------------------------------------------------------------------------


def import_cache(
    cache: Cache, source: Path, *, on_refused: Callable[[str, str], None] | None = None
) -> ImportOutcome:
    """Put the entries of the export at ``source`` into ``cache``, each checked against the manifest.

    An entry whose object is missing or has another sha256 (or is not a safe tar) is refused and
    reported through ``on_refused(path, why)``; the rest are imported. An entry the cache holds whole
    already is kept as it is. Raises BaleError when ``source`` is no export bale can read.
    """
    entries = _read_manifest(source)
    outcome = ImportOutcome()
    cache.hold()
    for entry in entries:
        target = cache.root.joinpath(*entry.path.split("/"))
        if _present(cache, entry, target):
            outcome.present.append(entry.path)
            continue
        try:
            _import_entry(cache, source / _OBJECTS / entry.sha256, entry, target)
        except _Refused as refused:
            label = f"{entry.path} ({', '.join(entry.packages)})" if entry.packages else entry.path
            outcome.refused.append((label, refused.why))
            if on_refused is not None:
                on_refused(label, refused.why)
            continue
        outcome.imported.append(entry.path)
    return outcome


class _Refused(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _read_manifest(source: Path) -> list[TransferEntry]:
    path = source / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaleError(
            f"{source} holds no cache export: {MANIFEST} is missing",
            hint="export one with `bale cache export DIR` on a machine with a warm cache",
        ) from None
    except (OSError, ValueError) as err:
        raise BaleError(f"Cannot read the cache export's manifest {path}: {err}") from err
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise BaleError(f"{path} is not the manifest of a bale cache export")
    if data.get("version") != _VERSION:
        raise BaleError(
            f"{path} is a cache export of format version {data.get('version')!r}; "
            f"this bale reads version {_VERSION}",
            hint="export the cache again with the bale that will import it",
        )
    raw = data.get("entries")
    if not isinstance(raw, list):
        raise BaleError(f"{path} lists no entries")
    entries: list[TransferEntry] = []
    problems: list[str] = []
    for number, item in enumerate(raw, 1):
        try:
            entries.append(_entry(item))
        except ValueError as err:
            problems.append(f"entry {number}: {err}")
    if problems:
        raise BaleError(
            f"The cache export's manifest {path} has invalid entries",
            context=problems[:20],
            hint="export the cache again; nothing was imported",
        )
    return entries


def _entry(item: object) -> TransferEntry:
    """A manifest entry checked to name a place inside a bucket the cache moves, and nothing else."""
    if not isinstance(item, dict):
        raise ValueError("not a table")
    path, kind, digest = item.get("path"), item.get("kind"), item.get("sha256")
    if not isinstance(path, str) or not isinstance(kind, str) or not isinstance(digest, str):
        raise ValueError("path, kind and sha256 must be strings")
    if not is_sha256(digest):
        raise ValueError(f"{path}: sha256 {digest!r} is not a lower-case hex sha256 digest")
    parts = path.split("/")
    found = _BY_DIR.get(parts[0])
    if found is None:
        raise ValueError(f"{path}: not a cache bucket this bale moves ({', '.join(sorted(_BY_DIR))})")
    _, layout = found
    rest = parts[1:]
    if len(rest) != layout.depth or any(p in ("", ".", "..") or "\\" in p or p.startswith(".") for p in rest):
        raise ValueError(f"{path}: not the place of an entry in {parts[0]}")
    if kind != ("tree" if layout.tree else "file"):
        raise ValueError(f"{path}: kind {kind!r} is not what {parts[0]} holds")
    packages = item.get("packages") or []
    size = item.get("size")
    return TransferEntry(
        path,
        kind,
        tuple(str(p) for p in packages) if isinstance(packages, list) else (),
        digest,
        size if isinstance(size, int) else 0,
    )


def _present(cache: Cache, entry: TransferEntry, target: Path) -> bool:
    """Whether the cache holds this entry whole (then it is kept; a damaged one is replaced)."""
    if entry.path.startswith(BUCKET_DIRS["archive"] + "/"):
        return cache.archive_entry(target.name) is not None  # removes a tree without its marker
    if entry.kind == "tree":
        return target.is_dir()
    if entry.path.startswith((BUCKET_DIRS["simple"] + "/", BUCKET_DIRS["metadata"] + "/")):
        return target.is_file() and cache.read_sealed(target) is not None  # removes a damaged one
    return target.is_file()


def _import_entry(cache: Cache, obj: Path, entry: TransferEntry, target: Path) -> None:
    with cache.temp_dir() as work:
        payload = work / "payload"
        try:
            shutil.copyfile(obj, payload)
        except FileNotFoundError:
            raise _Refused("its file is missing from the export") from None
        digest, _ = _digest(payload)
        if digest != entry.sha256:
            raise _Refused(f"its sha256 is {digest}, the manifest says {entry.sha256}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.kind == "file":
            _check_file(entry, payload)
            try:
                # A hard link creates the name only if it is free: a good entry is never replaced.
                os.link(payload, target)
            except FileExistsError:
                pass
            except OSError:
                if not target.exists():
                    os.replace(payload, target)
            return
        tree = work / "tree"
        _untar(payload, tree)
        if entry.path.startswith(BUCKET_DIRS["archive"] + "/") and not (tree / ARCHIVE_MARKER).is_file():
            raise _Refused("the unpacked wheel has no completion marker")
        from bale.fs.atomic import replace_dir

        replace_dir(tree, target)  # another process placing the same entry first wins: same content


def _check_file(entry: TransferEntry, payload: Path) -> None:
    """Files that prove themselves are checked too: sealed pages and metadata, digest pointers."""
    if entry.path.startswith((BUCKET_DIRS["simple"] + "/", BUCKET_DIRS["metadata"] + "/")):
        from bale.cache.verified import Damaged, unseal

        try:
            unseal(payload.read_bytes(), entry.path)
        except Damaged as err:
            raise _Refused(f"it is not a whole cache file ({err.reason})") from None
    elif entry.path.startswith(BUCKET_DIRS["urls"] + "/") and not is_sha256(
        payload.read_text(encoding="ascii", errors="replace").strip()
    ):
        raise _Refused("it holds no sha256 digest")


def _untar(archive: Path, dest: Path) -> None:
    """Unpack an export's tar of one entry: folders and regular files only, every name inside ``dest``."""
    dest.mkdir()
    try:
        with tarfile.open(archive, "r:") as tar:
            for member in tar:
                parts = member.name.split("/")
                if member.name.startswith("/") or any(p in ("", "..") or "\\" in p for p in parts):
                    raise _Refused(f"it holds the unsafe path {member.name!r}")
                target = dest.joinpath(*parts)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    assert source is not None  # a regular file always has a body
                    try:
                        with source, open(target, "xb") as out:
                            shutil.copyfileobj(source, out, _CHUNK)
                    except FileExistsError:
                        raise _Refused(f"it holds {member.name!r} twice") from None
                    if member.mode & 0o111:
                        os.chmod(target, 0o755)
                else:
                    raise _Refused(f"it holds {member.name!r}, which is neither a file nor a folder")
    except tarfile.TarError as err:
        raise _Refused(f"it is not a readable tar ({err})") from None
