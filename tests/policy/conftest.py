"""The OSV server fixture of the audit tests, for the ``max-vulnerability`` rule."""

from __future__ import annotations

from tests.audit.conftest import osv_server

__all__ = ["osv_server"]
