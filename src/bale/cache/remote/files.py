"""The remote cache in a shared folder (``file:///mnt/share/bale``): an NFS or SMB mount, or a local dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bale.cache.remote import ObjectInfo, StoreUnavailable


class FileStore:
    """Objects as files under ``root``; a put writes a temp file beside its target and renames it, so
    a reader on another machine never sees half an object (rename is atomic on NFS too)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()

    @classmethod
    def from_url(cls, url: str) -> FileStore:
        return cls(Path(unquote(urlsplit(url).path)))

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"invalid remote cache key {key!r}")
        return self.root.joinpath(*parts)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreUnavailable(f"{self._path(key)}: {err.strerror or err}") from err

    def put(self, key: str, data: bytes) -> None:
        from bale.fs.atomic import write_atomic

        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
        except OSError as err:
            raise StoreUnavailable(f"{path}: {err.strerror or err}") from err

    def head(self, key: str) -> ObjectInfo | None:
        try:
            st = self._path(key).stat()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreUnavailable(f"{self._path(key)}: {err.strerror or err}") from err
        return ObjectInfo(key, st.st_size, st.st_mtime)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        if not self.root.is_dir():
            raise StoreUnavailable(f"{self.root} is not a directory")
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            base = "" if rel == "." else rel + "/"
            for name in filenames:
                key = base + name
                if name.startswith(".") or not key.startswith(prefix):
                    continue  # temp files of puts in progress start with a dot
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except FileNotFoundError:
                    continue
                yield ObjectInfo(key, st.st_size, st.st_mtime)

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            raise StoreUnavailable(f"{self._path(key)}: {err.strerror or err}") from err
