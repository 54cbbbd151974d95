"""The remote cache in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, R2, GCS's S3 API), via obstore.

obstore (Rust's object_store) was chosen over boto3 by measurement (bench/remote_cache.py, moto's
server on 127.0.0.1): importing it costs 12 ms against boto3's 155 ms (plus ~60 ms to create a
client), and small objects (64 KiB) go 1.5-2x faster; large ones (8 MiB) run at the server's speed
with either. It reads the usual AWS_* variables (keys, AWS_ENDPOINT_URL, AWS_REGION) itself and has
its own connect and request timeouts and bounded retries with backoff.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bale.cache.remote import ObjectInfo, StoreUnavailable
from bale.errors import BaleError

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config, S3Store

EXTRA = "bale[s3]"


def _import_obstore() -> Any:
    try:
        import obstore
    except ImportError as err:
        raise BaleError(
            "The remote cache is an s3:// URL, but the S3 client bale uses (obstore) is not installed",
            hint=f"install bale with the S3 extra: pip install '{EXTRA}' (or use a file:// remote cache)",
        ) from err
    return obstore


class S3ObjectStore:
    """Objects under ``prefix`` in ``bucket``. Every call raises ``StoreUnavailable`` on failure
    (after obstore's retries: 2, with backoff, within ``read_timeout``), never a library error.

    The client is created on the first call: a run whose local cache has everything (a warm
    install) never imports obstore (12 ms) nor reads credentials.
    """

    def __init__(
        self, url: str, bucket: str, prefix: str | None, connect_timeout: float, read_timeout: float
    ) -> None:
        self.url = url
        self._bucket, self._prefix = bucket, prefix
        self._timeouts = (connect_timeout, read_timeout)
        self._lock = threading.Lock()
        self._made: tuple[Any, S3Store] | None = None

    @classmethod
    def from_url(cls, url: str, *, connect_timeout: float, read_timeout: float) -> S3ObjectStore:
        parts = urlsplit(url)
        if not parts.netloc:
            raise BaleError(f"The remote cache URL {url!r} names no bucket", hint="use s3://bucket/prefix")
        if importlib.util.find_spec("obstore") is None:
            _import_obstore()  # the error naming the extra
        return cls(url, parts.netloc, parts.path.strip("/") or None, connect_timeout, read_timeout)

    def _client(self) -> tuple[Any, S3Store]:
        with self._lock:
            if self._made is None:
                self._made = self._create()
            return self._made

    def _create(self) -> tuple[Any, S3Store]:
        obstore = _import_obstore()
        from obstore.store import S3Store

        connect_timeout, read_timeout = self._timeouts
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
        client: ClientConfig = {
            "connect_timeout": timedelta(seconds=connect_timeout),
            "timeout": timedelta(seconds=read_timeout),
        }
        if endpoint.startswith("http://"):
            client["allow_http"] = True  # MinIO or a test server on a private network
        config: S3Config = {}
        if endpoint:
            config["endpoint"] = endpoint
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            config["region"] = region
        if endpoint and not os.environ.get("AWS_VIRTUAL_HOSTED_STYLE_REQUEST"):
            config["virtual_hosted_style_request"] = False  # MinIO and moto serve path-style URLs
        try:
            store = S3Store(
                self._bucket,
                prefix=self._prefix,
                config=config,
                client_options=client,
                retry_config={
                    "max_retries": 2,
                    "retry_timeout": timedelta(seconds=read_timeout),
                    "backoff": {
                        "init_backoff": timedelta(milliseconds=100),
                        "max_backoff": timedelta(seconds=2),
                    },
                },
            )
        except obstore.exceptions.BaseError as err:  # a bad AWS_* setting: the store is unusable
            raise StoreUnavailable(f"cannot configure the S3 client: {err}") from err
        return obstore, store

    def _call(self, what: str, key: str, call: Any) -> Any:
        obstore, store = self._client()
        try:
            return call(obstore, store)
        except FileNotFoundError:
            return None
        except obstore.exceptions.NotFoundError:
            return None
        except Exception as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise StoreUnavailable(f"{what} {key}: {first}") from err

    def get(self, key: str) -> bytes | None:
        result = self._call("get", key, lambda o, s: bytes(o.get(s, key).bytes()))
        return result if isinstance(result, bytes) else None

    def put(self, key: str, data: bytes) -> None:
        self._call("put", key, lambda o, s: o.put(s, key, data))

    def head(self, key: str) -> ObjectInfo | None:
        meta = self._call("head", key, lambda o, s: o.head(s, key))
        return None if meta is None else _info(meta)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        def pages(o: Any, s: S3Store) -> list[Any]:
            return [meta for batch in o.list(s, prefix or None) for meta in batch]

        for meta in self._call("list", prefix or "/", pages) or []:
            yield _info(meta)

    def delete(self, key: str) -> None:
        self._call("delete", key, lambda o, s: o.delete(s, key))


def _info(meta: Any) -> ObjectInfo:
    modified = meta.get("last_modified")
    return ObjectInfo(str(meta["path"]), int(meta["size"]), modified.timestamp() if modified else 0.0)
