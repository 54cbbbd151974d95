"""Read-through and write-back against a remote store: keys, verification, uploads in the background.

Layout under the store's root (every payload content-addressed, every pointer small JSON)::

    v1/cas/<sha256[:2]>/<sha256>                   wheels (built or downloaded) and METADATA files
    v1/builds/<sdist sha256>/<build key>.json      manifest of the wheel built from that sdist
    v1/metadata/<sdist sha256>.json                pointer to the sdist's METADATA in cas/

A payload is checked against the sha256 its key names after every download: a mismatch is refused
(one warning naming the key) and never enters the local cache. The first failure to reach the store
(after its timeouts and retries) is reported once and ends remote use for the run: local work goes
on as if no remote cache were configured.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bale.cache.remote import RemoteStore, StoreUnavailable

ROOT = "v1"
MANIFEST_FORMAT = 1
T = TypeVar("T")


def cas_key(sha256: str) -> str:
    return f"{ROOT}/cas/{sha256[:2]}/{sha256}"


def build_manifest_key(sdist_sha256: str, build_key: str) -> str:
    return f"{ROOT}/builds/{sdist_sha256}/{build_key}.json"


def metadata_key(sdist_sha256: str) -> str:
    return f"{ROOT}/metadata/{sdist_sha256}.json"


def build_key(*, tag: str, config: object, pins: list[str] | None) -> str:
    """What a built wheel depends on besides its sdist: the interpreter, ABI and platform (the first
    of the interpreter's wheel tags, ``cp312-cp312-manylinux_2_39_x86_64``), the PEP 517 config
    settings, and the locked build dependencies (None when the run has no lock for this sdist)."""
    material = {"tag": tag, "config": config or {}, "pins": pins}
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_sha256(text: object) -> bool:
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class RemoteCache:
    """The run's remote cache; thread-safe (prepare and build run on worker threads).

    ``readonly``: never writes (for untrusted CI jobs). ``wheels``: downloaded wheels are shared too.
    ``warn`` reports the one "unavailable" warning and refused objects. Uploads run on one
    background thread, so an install never waits for them; ``flush`` (called when the run's context
    closes) waits for the queue to drain, and the thread is not a daemon, so the interpreter waits
    for it at exit as well.
    """

    def __init__(
        self,
        store: RemoteStore,
        *,
        readonly: bool = False,
        wheels: bool = False,
        warn: Callable[[str], None] | None = None,
        debug: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.readonly = readonly
        self.wheels = wheels
        self._warn = warn or (lambda message: None)
        self._debug = debug or (lambda message: None)
        self._lock = threading.Lock()
        self._down: str | None = None
        self._refused: set[str] = set()
        self._uploads: queue.Queue[Callable[[], None]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self.hits = 0
        self.uploaded = 0

    @property
    def available(self) -> bool:
        return self._down is None

    # -- guarded access -----------------------------------------------------------------------------

    def _guard(self, call: Callable[[], T]) -> T | None:
        if self._down is not None:
            return None
        try:
            return call()
        except StoreUnavailable as err:
            self._unavailable(str(err))
            return None

    def _unavailable(self, why: str) -> None:
        with self._lock:
            if self._down is not None:
                return
            self._down = why
        self._warn(
            f"The remote cache {self.store.url} is unavailable ({why}); continuing without it "
            "(builds and downloads are done locally)"
        )

    def _verified(self, key: str, sha256: str) -> bytes | None:
        """The payload at ``key`` if its sha256 is ``sha256``; a mismatch is refused with a warning."""
        data = self._guard(lambda: self.store.get(key))
        if data is None:
            return None
        actual = _sha256(data)
        if actual != sha256:
            with self._lock:
                self._refused.add(key)
            self._warn(
                f"Refused the remote cache object {key}: its sha256 is {actual}, not the {sha256} its "
                "key names (damaged or tampered with); not used, the work is done locally"
            )
            if not self.readonly:  # no reader can ever use it: a key names exactly one content
                self._enqueue(lambda: self.store.delete(key))
            return None
        return data

    def _manifest(self, key: str) -> dict[str, Any] | None:
        raw = self._guard(lambda: self.store.get(key))
        if raw is None:
            return None
        try:
            manifest = json.loads(raw)
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict) or not _is_sha256(manifest.get("sha256")):
            with self._lock:
                self._refused.add(key)
            self._warn(f"Refused the remote cache object {key}: it is not a valid manifest; not used")
            return None
        return manifest

    # -- built wheels ---------------------------------------------------------------------------------

    def fetch_built(self, sdist_sha256: str, key: str) -> tuple[str, bytes] | None:
        """(wheel file name, bytes) of the wheel built from the sdist with ``key``, verified; or None."""
        manifest = self._manifest(build_manifest_key(sdist_sha256, key))
        if manifest is None:
            return None
        name = manifest.get("wheel")
        if not isinstance(name, str) or "/" in name or "\\" in name or not name.endswith(".whl"):
            self._warn(
                f"Refused the remote cache object {build_manifest_key(sdist_sha256, key)}: bad wheel name"
            )
            return None
        data = self._verified(cas_key(manifest["sha256"]), manifest["sha256"])
        if data is None:
            return None
        self.hits += 1
        self._debug(f"remote cache: {name} built from {sdist_sha256[:12]} fetched")
        return name, data

    def offer_built(self, sdist_sha256: str, key: str, wheel: Path, manifest: dict[str, Any]) -> None:
        """Upload a wheel just built (in the background) with its manifest; no-op when readonly."""
        if self.readonly or self._down is not None:
            return

        def upload() -> None:
            data = wheel.read_bytes()
            sha256 = _sha256(data)
            self._put_blob(sha256, data)
            record = {
                **manifest,
                "format": MANIFEST_FORMAT,
                "wheel": wheel.name,
                "sha256": sha256,
                "size": len(data),
            }
            self.store.put(build_manifest_key(sdist_sha256, key), _json(record))

        self._enqueue(upload)

    # -- metadata of sdists ---------------------------------------------------------------------------

    def fetch_metadata(self, sdist_sha256: str) -> bytes | None:
        """The core metadata of the sdist with that sha256, verified; None when the store lacks it."""
        manifest = self._manifest(metadata_key(sdist_sha256))
        if manifest is None:
            return None
        data = self._verified(cas_key(manifest["sha256"]), manifest["sha256"])
        if data is not None:
            self.hits += 1
        return data

    def offer_metadata(self, sdist_sha256: str, data: bytes, sdist: str) -> None:
        if self.readonly or self._down is not None:
            return

        def upload() -> None:
            sha256 = _sha256(data)
            self._put_blob(sha256, data)
            record = {
                "format": MANIFEST_FORMAT,
                "sha256": sha256,
                "size": len(data),
                "sdist": sdist,
                **_origin(),
            }
            self.store.put(metadata_key(sdist_sha256), _json(record))

        self._enqueue(upload)

    # -- downloaded wheels ----------------------------------------------------------------------------

    def fetch_wheel(self, sha256: str) -> bytes | None:
        """The downloaded wheel with that sha256 (only with ``wheels``), verified; or None."""
        if not self.wheels or not _is_sha256(sha256):
            return None
        data = self._verified(cas_key(sha256), sha256)
        if data is not None:
            self.hits += 1
        return data

    def offer_wheel(self, sha256: str, path: Path) -> None:
        if not self.wheels or self.readonly or self._down is not None or not _is_sha256(sha256):
            return
        data = path.read_bytes()  # read now: the caller's temp dir goes away after unpacking
        self._enqueue(lambda: self._put_blob(sha256, data))

    # -- uploads --------------------------------------------------------------------------------------

    def _put_blob(self, sha256: str, data: bytes) -> None:
        key = cas_key(sha256)
        with self._lock:
            refused = key in self._refused
        # A blob already there is the same bytes (content-addressed), unless this run refused it.
        if refused or self.store.head(key) is None:
            self.store.put(key, data)

    def _enqueue(self, upload: Callable[[], None]) -> None:
        # The worker ends when the queue is empty (checked under the lock, as this put is), so an
        # idle run holds no thread and the interpreter's exit never waits on an empty queue.
        with self._lock:
            self._uploads.put(upload)
            if self._worker is None:
                self._worker = threading.Thread(target=self._drain, name="bale-remote-upload", daemon=False)
                self._worker.start()

    def _drain(self) -> None:
        while True:
            with self._lock:
                try:
                    upload = self._uploads.get_nowait()
                except queue.Empty:
                    self._worker = None
                    return
            try:
                if self._down is None:
                    self._guard(upload)
                    if self._down is None:
                        self.uploaded += 1
            except OSError as err:  # the local file vanished (a concurrent `cache clean`): skip it
                self._debug(f"remote cache: upload skipped: {err}")
            finally:
                self._uploads.task_done()

    def flush(self) -> None:
        """Wait until every upload queued so far is done (or abandoned: the store went away)."""
        self._uploads.join()

    close = flush


def _origin() -> dict[str, Any]:
    from bale import __version__

    return {"bale_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, indent=1).encode() + b"\n"


def manifest_origin() -> dict[str, Any]:
    """The fields every manifest carries: which bale wrote it, and when."""
    return _origin()
