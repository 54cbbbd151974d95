"""The cache root: versioned buckets, temp dirs for entries in progress, locks, clean, prune and size."""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cache import default_root
from bale.fs.atomic import write_atomic
from bale.fs.lock import FileLock
from bale.fs.temp import make_temp_dir, remove_tree, temp_dir

# Bucket -> format version. Bump a version when an entry's layout changes: old entries become
# invisible at once and ``prune`` deletes them later.
BUCKET_VERSIONS: Mapping[str, int] = {
    "simple": 1,  # HTTP responses of index pages
    "metadata": 1,  # core metadata files (PEP 658 or read from a wheel)
    "wheels": 1,  # downloaded wheel files: wheels-v1/<sha256>/<filename>
    "archive": 1,  # unpacked wheels: archive-v1/<sha256 of the wheel>/
    "builds": 1,  # wheels built from sdists and source trees
    "sdists": 1,  # downloaded source distributions: sdists-v1/<name>/<sha256>/<filename>
    "urls": 1,  # sha256 of files downloaded from URLs that came without a hash
    "interpreters": 1,  # probed interpreter facts
    "git": 1,  # git repositories by URL, checkouts and built wheels by commit
    "resolutions": 1,  # resolution results with the digests of the pages they read (ops.memo)
    "replays": 1,  # answers of repeated commands, with the files and pages they came from (cli.replay)
}
BUCKET_DIRS: Mapping[str, str] = {name: f"{name}-v{version}" for name, version in BUCKET_VERSIONS.items()}
_DIR_TO_BUCKET = {dirname: name for name, dirname in BUCKET_DIRS.items()}

TEMP_DIR_NAME = ".tmp"
# A temp dir untouched this long belongs to a crashed run: no unpack or build idles for an hour.
STALE_TEMP_AGE = 3600.0
_KEEP_AT_ROOT = frozenset({"CACHEDIR.TAG", ".gitignore"})
_VERSIONED = re.compile(r"^([a-z][a-z0-9_]*)-v(\d+)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by bale.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


@dataclass(frozen=True, slots=True)
class Removed:
    """What ``clean`` or ``prune`` deleted: how many cache entries and how many bytes they held."""

    entries: int = 0
    bytes: int = 0

    def __add__(self, other: Removed) -> Removed:
        return Removed(self.entries + other.entries, self.bytes + other.bytes)


def is_sha256(text: str) -> bool:
    """True for a lower-case hex sha256 digest (the only names content-addressed entries may have)."""
    return len(text) == 64 and _SHA256.match(text) is not None


def _bucket_dir(name: str) -> str:
    dirname = BUCKET_DIRS.get(name)
    if dirname is not None:
        return dirname
    if name in _DIR_TO_BUCKET:
        return name
    raise ValueError(f"unknown cache bucket {name!r} (known: {', '.join(BUCKET_DIRS)})")


if TYPE_CHECKING:
    from bale.model.names import NormalizedName


def normalize(name: str) -> NormalizedName:
    """PEP 503 name; imported on use, since packaging.utils pulls in the tags module (~8 ms)."""
    from bale.model.names import normalize as canonical

    return canonical(name)


class Cache:
    """One cache directory shared by concurrent bale processes.

    Entries are built in a temp dir inside the root and renamed into their bucket, so a reader that
    finds an entry sees all of it; removal renames an entry away before deleting it, for the same
    reason. Content-addressed entries (``wheels``, ``archive``) never change once in place.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._made: set[str] = set()

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> Cache:
        """``$BALE_CACHE_DIR``, else the platform's user cache dir for bale."""
        return cls(Path(default_root(os.environ if environ is None else environ)))

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    # -- layout -------------------------------------------------------------------------------------

    def bucket_path(self, name: str) -> Path:
        """The directory of bucket ``name`` (``"archive"`` or ``"archive-v1"``), without creating it."""
        return self.root / _bucket_dir(name)

    def bucket(self, name: str) -> Path:
        """The directory of bucket ``name``, created on first use in this process."""
        dirname = _bucket_dir(name)
        path = self.root / dirname
        if dirname not in self._made:
            self._init_root()
            path.mkdir(parents=True, exist_ok=True)
            self._made.add(dirname)
        return path

    def package_dir(self, bucket: str, package: str) -> Path:
        """``<bucket>/<normalized package>``: where per-package entries of the other buckets go.

        ``clean(package)`` removes this directory in every bucket, so keying entries under it
        (``simple-v1/<name>/<index digest>.json``) is what makes them cleanable by package.
        """
        return self.bucket(bucket) / normalize(package)

    def _init_root(self) -> None:
        if "" in self._made:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            # Backup tools (and rsync --exclude-caches) skip directories carrying this tag.
            write_atomic(tag, _CACHEDIR_TAG)
            write_atomic(self.root / ".gitignore", "*\n")
        self._made.add("")

    # -- temp dirs and locks ------------------------------------------------------------------------

    @property
    def temp_root(self) -> Path:
        """Where entries are built before their rename; on the cache's filesystem by construction."""
        return self.root / TEMP_DIR_NAME

    def temp_dir(self) -> AbstractContextManager[Path]:
        """A fresh empty dir inside the cache, removed on exit unless renamed into a bucket meanwhile."""
        self._init_root()
        return temp_dir(self.temp_root)

    def make_temp_dir(self) -> Path:
        """Like ``temp_dir`` for callers that manage the lifetime themselves (prune removes leftovers)."""
        self._init_root()
        return make_temp_dir(self.temp_root)

    def lock(
        self,
        name: str = "cache",
        *,
        timeout: float | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> FileLock:
        """A ``FileLock`` on ``<root>/.<name>.lock`` for writes that must not interleave (clean, prune)."""
        self._init_root()
        label = f"the cache at {self.root}" if name == "cache" else f"{name!r} in the cache at {self.root}"
        return FileLock(self.root / f".{name}.lock", timeout=timeout, label=label, on_wait=on_wait)

    # -- maintenance --------------------------------------------------------------------------------

    def size(self) -> int:
        """Bytes held by files under the root (symlinks are not followed)."""
        return _tree_size(self.root) if self.root.is_dir() else 0

    def clean(
        self,
        package: str | None = None,
        *,
        timeout: float | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> Removed:
        """Remove every entry, or only the entries of ``package`` (any spelling of its name).

        Entries are counted per bucket item (one unpacked wheel, one downloaded wheel, one package's
        index pages...). Processes reading the cache meanwhile may find entries gone and fetch again.
        """
        if not self.root.is_dir():
            return Removed()
        with self.lock(timeout=timeout, on_wait=on_wait):
            removed = self._clean_all() if package is None else self._clean_package(normalize(package))
        self._made.clear()
        return removed

    def _clean_all(self) -> Removed:
        removed = Removed()
        for entry in _scandir(self.root):
            if entry.name in _KEEP_AT_ROOT or entry.name.endswith(".lock"):
                continue
            if entry.name == TEMP_DIR_NAME:
                # Temp dirs need no rename first: no reader looks inside them.
                for item in _scandir(Path(entry.path)):
                    removed += Removed(0, _tree_size(Path(item.path)))
                    remove_tree(Path(item.path))
            elif entry.is_dir(follow_symlinks=False):
                count = sum(1 for _ in _scandir(Path(entry.path)))
                removed += Removed(count, 0) + self._discard(Path(entry.path), count=0)
            else:
                removed += self._discard(Path(entry.path), count=0)
        return removed

    def _clean_package(self, name: NormalizedName) -> Removed:
        removed = Removed()
        for sha_dir in _scandir(self.bucket_path("archive")):
            if sha_dir.is_dir(follow_symlinks=False) and name in _archive_owners(Path(sha_dir.path)):
                removed += self._discard(Path(sha_dir.path))
        for sha_dir in _scandir(self.bucket_path("wheels")):
            if sha_dir.is_dir(follow_symlinks=False) and name in _wheel_dir_owners(Path(sha_dir.path)):
                removed += self._discard(Path(sha_dir.path))
        for bucket in BUCKET_DIRS:
            if bucket in ("archive", "wheels"):
                continue
            per_package = self.bucket_path(bucket) / name
            if os.path.lexists(per_package):
                removed += self._discard(per_package)
        return removed

    def prune(
        self,
        *,
        stale_after: float = STALE_TEMP_AGE,
        now: float | None = None,
        timeout: float | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> Removed:
        """Remove what no run will use: temp dirs of crashed runs (untouched for ``stale_after``
        seconds), buckets of older format versions, and downloaded wheels whose unpacked tree exists.
        """
        if not self.root.is_dir():
            return Removed()
        current = time.time() if now is None else now
        removed = Removed()
        with self.lock(timeout=timeout, on_wait=on_wait):
            for entry in _scandir(self.temp_root):
                try:
                    age = current - entry.stat(follow_symlinks=False).st_mtime
                except FileNotFoundError:
                    continue
                if age >= stale_after:
                    removed += self._discard(Path(entry.path))
            for entry in _scandir(self.root):
                match = _VERSIONED.match(entry.name)
                if match is None or not entry.is_dir(follow_symlinks=False):
                    continue
                known = BUCKET_VERSIONS.get(match.group(1))
                # Only older versions: a newer bale sharing this cache still uses its newer buckets.
                if known is not None and int(match.group(2)) < known:
                    count = sum(1 for _ in _scandir(Path(entry.path)))
                    removed += Removed(count, 0) + self._discard(Path(entry.path), count=0)
            archive = self.bucket_path("archive")
            for sha_dir in _scandir(self.bucket_path("wheels")):
                if is_sha256(sha_dir.name) and (archive / sha_dir.name).is_dir():
                    removed += self._discard(Path(sha_dir.path))
        return removed

    def _discard(self, path: Path, *, count: int = 1) -> Removed:
        """Rename ``path`` out of its bucket, then delete it: an interrupted delete never leaves a
        half-removed entry under its real name, where readers would take it for complete."""
        nbytes = _tree_size(path)
        if path.parent != self.temp_root:
            target = make_temp_dir(self.temp_root, prefix=".del-")
            moved = target / "entry"
            try:
                os.rename(path, moved)
            except FileNotFoundError:
                remove_tree(target)
                return Removed()
            path = target
        remove_tree(path)
        return Removed(count, nbytes)


def _scandir(path: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _tree_size(path: Path) -> int:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size
    total = 0
    stack = [os.fspath(path)]
    while stack:
        for entry in _scandir(Path(stack.pop())):
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    total += entry.stat(follow_symlinks=False).st_size
            except FileNotFoundError:
                continue
    return total


def _archive_owners(sha_dir: Path) -> set[str]:
    """Normalized names of the ``*.dist-info`` dirs at the top of an unpacked wheel."""
    return {
        normalize(entry.name[: -len(".dist-info")].rpartition("-")[0] or entry.name[: -len(".dist-info")])
        for entry in _scandir(sha_dir)
        if entry.name.endswith(".dist-info")
    }


def _wheel_dir_owners(sha_dir: Path) -> set[str]:
    """Normalized project names of the wheel files stored in one ``wheels-v1/<sha256>`` dir."""
    return {
        normalize(entry.name.partition("-")[0]) for entry in _scandir(sha_dir) if entry.name.endswith(".whl")
    }
