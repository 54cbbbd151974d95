"""Fixtures for trust tests: the CLI tests' fresh venv and the ``bale`` runner bound to it."""

from __future__ import annotations

from tests.cli.conftest import bale, venv  # noqa: F401  (re-exported fixtures)
