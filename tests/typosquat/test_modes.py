"""The guard's mode (flag, environment, configured default) and the names a lock already holds."""

from __future__ import annotations

import pytest

from bale.errors import BaleError
from bale.ops.typosquat import locked_names, typosquat_mode

LOCK = """\
lock-version = "1.0"
created-by = "bale"

[[packages]]
name = "reqeusts"
version = "1.0"

[[packages.wheels]]
name = "reqeusts-1.0-py3-none-any.whl"
url = "https://files.example/reqeusts-1.0-py3-none-any.whl"
hashes = { sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
"""


def test_strict_wins_then_the_environment_then_the_configured_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BALE_TYPOSQUAT", raising=False)
    assert typosquat_mode() == "warn"
    assert typosquat_mode(configured="off") == "off"
    assert typosquat_mode(strict=True, configured="off") == "deny"
    monkeypatch.setenv("BALE_TYPOSQUAT", " Deny ")
    assert typosquat_mode(configured="off") == "deny"
    monkeypatch.setenv("BALE_TYPOSQUAT", "off")
    assert typosquat_mode() == "off"
    assert typosquat_mode(strict=True) == "deny"
    monkeypatch.setenv("BALE_TYPOSQUAT", "block")
    with pytest.raises(BaleError, match="BALE_TYPOSQUAT='block' is not a typosquatting guard mode"):
        typosquat_mode()


def test_locked_names_reads_the_packages_and_forgives_a_broken_lock() -> None:
    assert locked_names(LOCK, source="pylock.toml") == {"reqeusts"}
    assert locked_names(None, source="pylock.toml") == frozenset()
    assert locked_names("lock-version = [", source="pylock.toml") == frozenset()
