"""bale's own reading of the user folders agrees with platformdirs, which it avoids importing."""

from __future__ import annotations

import os
import sys

import platformdirs
import pytest

from bale.user_dirs import user_cache_dir, user_data_dir


@pytest.mark.parametrize("value", [None, "", "  ", "relative/dir", "/tmp/xdg-here", " /tmp/padded "])
def test_cache_and_data_dirs_match_platformdirs(value: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME"):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert user_cache_dir() == platformdirs.user_cache_dir("bale", appauthor=False)
    assert user_data_dir() == platformdirs.user_data_dir("bale", appauthor=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rule is Linux's")
def test_the_environment_given_wins_over_the_process_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "/tmp/process")
    assert user_data_dir({"XDG_DATA_HOME": "/tmp/given"}) == "/tmp/given/bale"
    assert user_cache_dir({}) == os.path.expanduser("~/.cache/bale")
