"""The OSV test server of the audit tests, for the vulnerabilities a diff reports."""

from __future__ import annotations

from tests.audit.conftest import osv_server

__all__ = ["osv_server"]
