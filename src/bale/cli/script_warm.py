"""The warm ``bale run script.py``: a stamp says which cached environment the same run used last time.

A warm run otherwise imports the script parser (tomllib), ``ops.script``, the cache, the context and
interpreter discovery, and searches for an interpreter, only to land on the environment it used before:
about 40 ms of the 110 ms such a run took. The stamp (as the no-op sync's, ``ops.sync_stamp``) is written
after a run that found or built the environment, keyed by everything that choice depends on: the
script's metadata block, the command line, the working directory, the environment variables that steer
bale and interpreter discovery, the configuration files and bale's version. Only this module's imports
(``os``, ``json``, ``zlib``) are paid before the script runs.

A script with a lock file beside it never takes this path: the lock's freshness is checked every time.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

# `Cache.bucket("environments")` (cache.BUCKET_DIRS), spelled out so that this module imports no cache
# code; tests/scripts/test_script_warm.py checks that the two agree.
BUCKET_DIR = "environments-v1"
STAMPS = "warm"
# Environment variables that can change the interpreter or the environment chosen for the same script.
_PREFIXES = ("BALE_", "UV_", "PYENV", "CONDA_")
_NAMES = ("PATH", "VIRTUAL_ENV", "HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "PYTHONHOME")
# The run's clock, its argv (the parsed options are in the key; the script's own arguments do not
# matter) and how it prints: left out of the key.
_IGNORED_ARGS = frozenset({"cmd", "argv", "started", "quiet", "verbose", "color", "no_progress"})


def block_text(text: str) -> str | None:
    """The ``# /// script`` block's lines, or None when the file is anything but one plain block
    (two blocks, another ``# ///`` type, an unclosed block): the full parse then says what is wrong."""
    start = text.find("# /// script")
    if start == -1:
        return None
    end = text.find("\n# ///", start)
    if end == -1:
        return None
    end = text.find("\n", end + 1)
    block = text[start : len(text) if end == -1 else end]
    # Any other block marker anywhere: not the simple case.
    if text.count("# ///") != 2:
        return None
    return block


def _stat(path: str | None) -> list[int] | None:
    if not path:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [found.st_mtime_ns, found.st_size]


def _config_stats(args: argparse.Namespace) -> list[object]:
    from bale.project.config_keys import candidate_paths  # imported already by the CLI's start-up

    user, system = candidate_paths(os.environ)
    paths = [getattr(args, "config_file", None), user, *system]
    return [[str(p), _stat(str(p) if p else None)] for p in paths]


def stamp_key(args: argparse.Namespace, script: str, block: str) -> str:
    """Everything the environment chosen for ``script`` depends on, as one string."""
    from bale import __version__

    options = {k: v for k, v in vars(args).items() if not k.startswith("_") and k not in _IGNORED_ARGS}
    variables = {k: v for k, v in os.environ.items() if k.startswith(_PREFIXES) or k in _NAMES}
    parts = [
        __version__,
        os.path.abspath(script),
        os.getcwd(),
        block,
        options,
        variables,
        _config_stats(args),
    ]
    return json.dumps(parts, sort_keys=True, default=str)


def _cache_root(args: argparse.Namespace) -> str | None:
    """The cache's root as ``commands.global_settings`` finds it; None with ``--no-cache``."""
    from bale.envvars import env_flag
    from bale.project.config_files import configured

    if getattr(args, "no_cache", False) or env_flag("BALE_NO_CACHE") or configured("no-cache"):
        return None
    given = getattr(args, "cache_dir", None) or os.environ.get("BALE_CACHE_DIR", "").strip()
    given = given or configured("cache-dir")
    if given:
        return os.path.expanduser(str(given))
    from bale.cache import default_root

    return default_root()


def _stamp_path(root: str, script: str) -> str:
    # The file name only spreads stamps out; the key inside decides (a crc clash is a miss, not a hit).
    name = f"{zlib.crc32(os.fsencode(os.path.abspath(script))):08x}.json"
    return os.path.join(root, BUCKET_DIR, STAMPS, name)


def _lock_beside(script: str) -> bool:
    folder, name = os.path.split(script)
    stem = name.rsplit(".", 1)[0]
    return os.path.exists(os.path.join(folder, f"pylock.{stem}.toml"))


def warm_environment(args: argparse.Namespace, script: str, text: str) -> tuple[str, str] | None:
    """``(environment root, its python)`` when the stamp of this very run names a complete
    environment whose interpreter is still there; else None (the full path runs, and stamps)."""
    if getattr(args, "refresh", False) or _lock_beside(script):
        return None
    block = block_text(text)
    if block is None:
        return None
    root = _cache_root(args)
    if root is None:
        return None
    try:
        with open(_stamp_path(root, script), encoding="utf-8") as file:
            stamp = json.load(file)
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("key") != stamp_key(args, script, block):
        return None
    environment, python = str(stamp.get("environment")), str(stamp.get("python"))
    # The marker is written last when an environment is built; exists() follows the interpreter link.
    if not (os.path.isfile(os.path.join(environment, ".bale-complete")) and os.path.exists(python)):
        return None
    return environment, python


def write_stamp(args: argparse.Namespace, script: str, text: str, environment: Path, python: Path) -> None:
    """Remember the environment this run used (best effort: a stamp not written is a slower next run)."""
    if getattr(args, "refresh", False) or _lock_beside(script):
        return
    block = block_text(text)
    root = _cache_root(args)
    if block is None or root is None:
        return
    from pathlib import Path

    from bale.fs.atomic import write_atomic

    value = {"key": stamp_key(args, script, block), "environment": str(environment), "python": str(python)}
    path = Path(_stamp_path(root, script))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(value).encode("utf-8"))
    except OSError:
        pass
