"""bale's user cache and data folders, as platformdirs names them, without importing it where the
rule is a line of its own (every POSIX system): ``import platformdirs`` costs ~20 ms, and every
command that has no ``BALE_CACHE_DIR`` asks for the cache folder before it does anything else."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

_APP = "bale"


def user_cache_dir(environ: Mapping[str, str] = os.environ) -> str:
    """``$XDG_CACHE_HOME/bale``, else ``~/.cache/bale`` (``~/Library/Caches/bale`` on macOS)."""
    if os.name == "posix":
        default = "~/Library/Caches" if sys.platform == "darwin" else "~/.cache"
        return os.path.join(_xdg(environ, "XDG_CACHE_HOME", default), _APP)
    import platformdirs

    return str(platformdirs.user_cache_dir(_APP, appauthor=False))


def user_data_dir(environ: Mapping[str, str] = os.environ) -> str:
    """``$XDG_DATA_HOME/bale``, else ``~/.local/share/bale`` (``~/Library/Application Support/bale``
    on macOS)."""
    if os.name == "posix":
        default = "~/Library/Application Support" if sys.platform == "darwin" else "~/.local/share"
        return os.path.join(_xdg(environ, "XDG_DATA_HOME", default), _APP)
    import platformdirs

    return str(platformdirs.user_data_dir(_APP, appauthor=False))


def _xdg(environ: Mapping[str, str], name: str, default: str) -> str:
    # platformdirs' rule (4.14, Linux and macOS alike): the variable when it is an absolute path.
    value = environ.get(name, "")
    return value if os.path.isabs(value) else os.path.expanduser(default)
