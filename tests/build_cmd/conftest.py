"""Fixtures for `bale build` tests: the wheelhouse of real backends (skipped without it)."""

from __future__ import annotations

from tests.build.conftest import wheelhouse  # noqa: F401  (the fixture, with its skip logic)
