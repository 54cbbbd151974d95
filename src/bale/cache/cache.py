"""The cache root: versioned buckets, temp dirs for entries in progress, locks, clean, prune and size."""

from __future__ import annotations

import errno
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cache import default_root
from bale.errors import UnsafeArchiveError
from bale.fs.atomic import write_atomic
from bale.fs.lock import FileLock
from bale.fs.temp import make_temp_dir, remove_tree, temp_dir
from bale.model.record import record

# Bucket -> format version. Bump a version when an entry's layout changes: old entries become
# invisible at once and ``prune`` deletes them later.
BUCKET_VERSIONS: Mapping[str, int] = {
    "simple": 1,  # HTTP responses of index pages
    "metadata": 1,  # core metadata files (PEP 658 or read from a wheel)
    "wheels": 1,  # downloaded wheel files: wheels-v1/<sha256>/<filename>
    # unpacked wheels: archive-v2/<sha256 of the wheel>/, complete when ARCHIVE_MARKER is in it
    # (v1 trees had no marker, so a v1 tree could not tell "complete" from "half deleted").
    "archive": 2,
    "builds": 1,  # wheels built from sdists and source trees
    "sdists": 1,  # downloaded source distributions: sdists-v1/<name>/<sha256>/<filename>
    "urls": 1,  # sha256 of files downloaded from URLs that came without a hash
    "interpreters": 1,  # probed interpreter facts
    "git": 1,  # git repositories by URL, checkouts and built wheels by commit
    "resolutions": 1,  # resolution results with the digests of the pages they read (ops.memo)
    "replays": 1,  # answers of repeated commands, with the files and pages they came from (cli.replay)
    "osv": 1,  # OSV's PyPI export (bale audit --update-db) and name indexes of --db files
    "provenance": 1,  # verified PEP 740 provenance: provenance-v1/<name>/<sha256 of the file>.json
    "environments": 1,  # script and `run --with` venvs: <digest>/, inputs/<digest> (ops.script)
}
BUCKET_DIRS: Mapping[str, str] = {name: f"{name}-v{version}" for name, version in BUCKET_VERSIONS.items()}
_DIR_TO_BUCKET = {dirname: name for name, dirname in BUCKET_DIRS.items()}

TEMP_DIR_NAME = ".tmp"
# Written into an unpacked tree last, before the rename that puts the tree in place: a tree without it
# was not placed whole, or lost files since (age-based cleaners such as tmpfiles.d delete the files
# nobody reads first, and this one is only ever stat-ed). Checking it is one stat per install, where
# re-hashing a tree on every warm install would cost ~20-50 ms for numpy's 1,500 files and 30 MB.
ARCHIVE_MARKER = ".bale-complete"
# The lock installs hold shared and clean/prune exclusive (see ``Cache.hold``).
_CACHE_LOCK = "cache"
_IN_USE = "The cache is in use: waiting for other bale processes to finish..."
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


@record(frozen=True, slots=True)
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
    from bale.cache.remote.remote import RemoteCache
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

    def __init__(self, root: Path, *, warn: Callable[[str], None] | None = None) -> None:
        self.root = Path(root)
        self._made: set[str] = set()
        # Where damaged entries and lock waits are reported (the run's reporter); None: silently.
        self.warn = warn
        self._held: FileLock | None = None
        self._holding = threading.Lock()  # bucket() is called from prefetch threads
        # The run's remote cache (bale.cache.remote), consulted on a miss here; None: none configured.
        self.remote: RemoteCache | None = None

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
            self.hold()
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
        name: str = _CACHE_LOCK,
        *,
        timeout: float | None = None,
        on_wait: Callable[[str], None] | None = None,
        shared: bool = False,
    ) -> FileLock:
        """A ``FileLock`` on ``<root>/.<name>.lock``; ``"cache"`` is the one installs hold (``hold``)."""
        self._init_root()
        label = (
            f"the cache at {self.root}" if name == _CACHE_LOCK else f"{name!r} in the cache at {self.root}"
        )
        return FileLock(
            self.root / f".{name}.lock",
            timeout=timeout,
            label=label,
            on_wait=on_wait,
            shared=shared,
            wait_message=_IN_USE if name == _CACHE_LOCK else None,
            on_unsupported=self.warn,
        )

    def hold(self) -> None:
        """Hold the cache lock shared until ``release`` (or the process ends), as every run that uses
        the cache does: ``clean`` and ``prune`` take it exclusively, so they wait for running installs
        instead of deleting the trees those are linking from (and an install waits for a clean).

        Idempotent; taken on the first ``bucket`` call and by ``archive_entry``: one open and one flock
        per process (~20 µs).
        """
        if self._held is not None:
            return
        with self._holding:
            if self._held is not None:
                return
            held = self.lock(shared=True, on_wait=self.warn)
            try:
                held.acquire()
            except OSError as err:
                if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
                return  # a cache we cannot write to: no clean of ours can run on it either
            self._held = held

    def release(self) -> None:
        """Let go of the shared lock ``hold`` took (a no-op when not held)."""
        held, self._held = self._held, None
        if held is not None:
            held.release()

    # -- verified entries ---------------------------------------------------------------------------

    def archive_entry(self, sha256: str) -> Path | None:
        """``archive-v2/<sha256>`` when the cache holds that unpacked wheel whole, else None.

        Warm path: one stat of the marker. A tree without the marker is damaged: it is removed (with a
        warning) so the caller unpacks again, and ``place_archive`` can put the new tree in its place.
        """
        if not is_sha256(sha256):
            return None
        self.hold()
        path = self.bucket_path("archive") / sha256
        if os.path.isfile(path / ARCHIVE_MARKER):
            return path
        if os.path.lexists(path):
            self._damaged(path, "the unpacked wheel is incomplete (no completion marker); unpacking it again")
        return None

    def place_archive(self, tmp: Path, sha256: str) -> Path:
        """Rename the finished unpacked tree ``tmp`` to ``archive-v2/<sha256>`` and return that path.

        The marker is written into ``tmp`` first, so the rename puts a tree and its marker in place at
        once. When another process placed the same tree first, its tree is kept and ``tmp`` deleted;
        a damaged tree in the way is removed first.
        """
        from bale.fs.atomic import replace_dir

        if not is_sha256(sha256):
            raise ValueError(f"not a lower-case hex sha256 digest: {sha256!r}")
        self.hold()
        final = self.bucket("archive") / sha256
        marker = tmp / ARCHIVE_MARKER
        if not os.path.lexists(marker):
            write_atomic(marker, sha256 + "\n")
        elif not os.path.isfile(marker):
            # A wheel shipping a folder of that name would look damaged on every read, and be
            # unpacked again by every run; a file of that name marks as well as ours.
            raise UnsafeArchiveError(
                f"Refusing to use the wheel with sha256 {sha256}: it has a member named {ARCHIVE_MARKER}/, "
                "a name bale reserves in its cache",
                hint="Report it to the package's maintainers.",
            )
        if os.path.lexists(final) and not os.path.isfile(final / ARCHIVE_MARKER):
            self._discard(final)
        replace_dir(tmp, final)
        return final

    def wheel_file(self, sha256: str, filename: str) -> Path | None:
        """``wheels-v1/<sha256>/<filename>`` when the cache holds it with exactly those bytes, else None.

        The digest in the name is checked against the file on every call (one read, ~0.7 ms per MiB):
        callers read the whole file next anyway (to unpack or hash it). A damaged file is removed with
        a warning so the caller downloads it again.
        """
        if not is_sha256(sha256) or not filename or "/" in filename or "\\" in filename:
            return None
        path = self.bucket_path("wheels") / sha256 / filename
        return path if self.verified_file(path, sha256) else None

    def verified_file(self, path: Path, sha256: str) -> bool:
        """Whether the cache file ``path`` (an entry named by its digest: a downloaded wheel or sdist,
        a built wheel) exists with exactly the bytes of ``sha256``.

        One read of the file (~0.7 ms per MiB), for callers that read it whole next anyway. A damaged
        file is removed with a warning naming it, so the caller fetches or builds it again.
        """
        from bale.cache.verified import file_matches

        self.hold()
        if not os.path.isfile(path):
            return False
        if file_matches(path, sha256):
            return True
        self._damaged(path, "its sha256 is not the one in its name; downloading it again")
        return False

    def read_pointer(self, path: Path) -> str | None:
        """The sha256 a small pointer file holds (``urls-v1/<url digest>.sha256``), or None.

        A pointer that is not exactly a digest (torn, truncated, edited) is removed with a warning:
        the caller downloads the file again and writes a good pointer.
        """
        try:
            text = path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None
        if is_sha256(text):
            return text
        self._damaged(path, "it does not hold a sha256 digest; downloading the file again")
        return None

    def read_sealed(self, path: Path) -> bytes | None:
        """The payload of a sealed cache file (``cache.verified``); None when missing or damaged
        (damage is warned about and the file removed, so the caller fetches and writes it again)."""
        from bale.cache.verified import read_sealed

        return read_sealed(path, on_damaged=self.warn)

    def write_sealed(self, path: Path, payload: bytes) -> None:
        """Write ``payload`` sealed (size and sha256 in its first line) in one rename."""
        from bale.cache.verified import write_sealed

        path.parent.mkdir(parents=True, exist_ok=True)
        write_sealed(path, payload)

    def _damaged(self, path: Path, what: str) -> None:
        try:
            shown = path.relative_to(self.root)
        except ValueError:
            shown = path
        if self.warn is not None:
            self.warn(f"The cache entry {shown} is damaged: {what}")
        # A read-only cache keeps the entry: the caller still fetches afresh, into its temp dir.
        with suppress(OSError):
            self._discard(path)

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
        index pages...). Waits (as uv does) for the bale processes using the cache to finish: they hold
        its lock shared (``hold``), so no install loses the files it is linking from.
        """
        if not self.root.is_dir():
            return Removed()
        self.release()  # our own shared lock would make the exclusive one wait forever
        with self.lock(timeout=timeout, on_wait=on_wait or self.warn):
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
        self.release()  # our own shared lock would make the exclusive one wait forever
        with self.lock(timeout=timeout, on_wait=on_wait or self.warn):
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
                if is_sha256(sha_dir.name) and (archive / sha_dir.name / ARCHIVE_MARKER).is_file():
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
