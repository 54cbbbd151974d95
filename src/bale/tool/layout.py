"""Where tools live: the tools dir (one environment per tool) and the bin dir their executables link into."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # packaging's name rules pull in packaging.tags (~10 ms), which a warm `bx` never needs
    from bale.model.names import NormalizedName


def tool_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``BALE_TOOL_DIR``, else ``tools`` in bale's data dir (``$XDG_DATA_HOME/bale/tools`` on Linux)."""
    given = env.get("BALE_TOOL_DIR")
    if given:
        return Path(given).expanduser().absolute()
    from bale.user_dirs import user_data_dir

    return Path(user_data_dir(env)) / "tools"


def bin_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``BALE_TOOL_BIN_DIR``, else ``XDG_BIN_HOME``, else ``~/.local/bin`` (as uv, on every platform)."""
    for name in ("BALE_TOOL_BIN_DIR", "XDG_BIN_HOME"):
        given = env.get(name)
        if given:
            return Path(given).expanduser().absolute()
    home = env.get("HOME") or env.get("USERPROFILE")
    return (Path(home) if home else Path.home()) / ".local" / "bin"


def environment_dir(name: NormalizedName, env: Mapping[str, str] = os.environ) -> Path:
    """The environment of the tool ``name``."""
    return tool_dir(env) / name


def on_path(directory: Path, env: Mapping[str, str] = os.environ) -> bool:
    """Whether ``directory`` is one of PATH's entries (compared as resolved paths)."""
    wanted = os.path.normcase(os.path.realpath(directory))
    for entry in env.get("PATH", "").split(os.pathsep):
        if entry and os.path.normcase(os.path.realpath(os.path.expanduser(entry))) == wanted:
            return True
    return False
