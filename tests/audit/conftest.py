"""``osv_server``: OSV services on 127.0.0.1 for the test, stopped after it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.osv_server import SHARED_ZIP, OsvServer


@pytest.fixture
def osv_server() -> Iterator[Callable[..., OsvServer]]:
    """``osv_server(advisories=None, *, shared_zip=False)``: a started server holding ``advisories``
    (OSV dicts) and, with ``shared_zip``, the 2,661 PyPA records of the shared data (skips the test
    when that is not beside the clone)."""
    servers: list[OsvServer] = []

    def start(advisories: list[dict[str, Any]] | None = None, *, shared_zip: bool = False) -> OsvServer:
        if shared_zip and not SHARED_ZIP.is_file():
            pytest.skip(f"the shared OSV data is not at {SHARED_ZIP}")
        server = OsvServer(advisories or (), shared_zip=shared_zip).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
