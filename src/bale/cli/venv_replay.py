"""A repeated ``bale venv --python PATH`` made before argparse or the interpreter probe are imported.

Creating the environment is a few files and links (``python.venv_files``, ~2 ms); the full command
spends most of its time importing the parser, the probe and ``packaging`` to learn the same facts about
the same interpreter again. After a full run, the facts the files were written from are kept in the
cache (marshal data); a later run with the same command line gives the same environment from them when
all of this holds, checked in this order:

- the command line, the ``BALE_*`` environment, the running bale and interpreter and the bale.toml
  files are the same (the key, as ``cli.replay`` makes it);
- ``--python`` names the same file: the same absolute path, leading (through its links) to the same
  real file, whose inode, size and mtime are unchanged; the base interpreter's too;
- the target does not exist (replacing or updating an environment is the full command's job).

Only the plain form is replayed: a target folder, ``--python`` given as a path, ``--prompt`` and
``--system-site-packages``; anything else (a version request, whose answer depends on PATH, ``--seed``,
``--clear``, output options) goes to the full command.
"""

from __future__ import annotations

import marshal
import os
import zlib

from bale.cli.replay import command_key
from bale.envvars import env_flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from bale.cli.printer import Printer

_FORMAT = 1
_BUCKET = "venv-replays-v1"
_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)


class _Request:
    __slots__ = ("cache_dir", "path", "prompt", "python", "system_site_packages", "words")

    def __init__(self) -> None:
        self.words: list[str] = ["venv"]  # the command line without the target and cache: the key
        self.path: str | None = None
        self.python: str | None = None
        self.prompt: str | None = None
        self.cache_dir: str | None = None
        self.system_site_packages = False


_VALUED = ("-p", "--python", "--prompt", "--cache-dir")


def parse(argv: Sequence[str]) -> _Request | None:
    """The request of a ``bale venv`` command line of the replayed form; None for any other."""
    words = list(argv)
    request = _Request()
    seen_command = False
    while words:
        word = words.pop(0)
        name, eq, value = word.partition("=")
        if name in _VALUED and not (eq and name == "-p"):
            if not eq:
                if not words:
                    return None
                value = words.pop(0)
            if name == "--cache-dir":
                request.cache_dir = value  # a global option: also before the command's name
                continue
            if not seen_command:
                return None
            if name == "--prompt":
                request.prompt = value
            else:
                request.python = value
            request.words += [name, value]
        elif not seen_command:
            if word != "venv":
                return None
            seen_command = True
        elif word == "--system-site-packages":
            request.system_site_packages = True
            request.words.append(word)
        elif word.startswith("-") or request.path is not None:
            return None
        else:
            request.path = word
    if not seen_command or not request.python or not _is_path(request.python):
        return None
    return request


def _is_path(text: str) -> bool:
    return any(sep in text for sep in _SEPARATORS)


def _entry_path(key: str, request: _Request) -> str:
    from bale.cache import default_root

    root = os.path.expanduser(request.cache_dir) if request.cache_dir else default_root()
    return os.path.join(root, _BUCKET, f"{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}")


def _identity(path: str) -> tuple[str, int, int, int]:
    """The real file ``path`` leads to, and its inode, size and mtime (OSError when it is gone)."""
    real = os.path.realpath(path)
    status = os.stat(real)
    return (real, status.st_ino, status.st_size, status.st_mtime_ns)


_TEXTS = ("base", "implementation", "version", "major_minor", "scripts")


def _sound(facts: object) -> bool:
    """Whether a kept entry's facts have the shape ``write_layout`` takes, folders inside the venv: a
    damaged cache file then goes to the full command instead of failing half-way."""
    if not isinstance(facts, dict) or not all(isinstance(facts.get(name), str) for name in _TEXTS):
        return False
    if not isinstance(facts.get("gil_disabled"), bool) or not isinstance(facts.get("lib64"), bool):
        return False
    folders = facts.get("site_packages")
    if not isinstance(folders, list) or not all(isinstance(folder, str) for folder in folders):
        return False
    return all(
        folder and not os.path.isabs(folder) and ".." not in folder.replace("\\", "/").split("/")
        for folder in (facts["scripts"], *folders)
    )


def _enabled() -> bool:
    return not (env_flag("BALE_NO_CACHE") or env_flag("BALE_NO_MEMO"))


def replay_venv(argv: Sequence[str]) -> int | None:
    """Create the environment ``argv`` asks for from the kept facts; None when they cannot vouch."""
    request = parse(argv)
    if request is None or not _enabled():
        return None
    key = command_key(request.words)
    try:
        with open(_entry_path(key, request), "rb") as handle:
            fmt, stored_key, python, identity, base_identity, facts, shown = marshal.load(handle)
        if fmt != _FORMAT or stored_key != key or python != os.path.abspath(str(request.python)):
            return None
        if not _sound(facts) or _identity(python) != identity or _identity(facts["base"]) != base_identity:
            return None
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None  # no entry, one from another version of bale, or the interpreter changed
    given = request.path or os.environ.get("BALE_PROJECT_ENVIRONMENT") or ".venv"  # as cmd_venv says it
    path = os.path.abspath(given)
    if os.path.lexists(path):
        return None
    from bale.python.venv_files import create_new, write_layout

    prompt = os.path.basename(os.getcwd()) if request.prompt == "." else request.prompt
    try:
        create_new(
            path,
            lambda target: write_layout(
                target, facts, root=path, prompt=prompt, system_site_packages=request.system_site_packages
            ),
        )
    except OSError:
        return None  # the full command says what is wrong
    from bale.cli.printer import Printer

    printer = Printer()
    announce(printer, shown, given, seed=False)
    activation_hint(printer, given)
    return 0


def announce(printer: Printer, interpreter: str, path: str, *, seed: bool) -> None:
    """What ``bale venv`` says before it writes the environment: the interpreter and the folder."""
    printer.info(f"Using {interpreter}")
    printer.info(f"Creating virtual environment{' with seed packages' if seed else ''} at: {path}")


def activation_hint(printer: Printer, path: str) -> None:
    """What ``bale venv`` says once the environment is there: how to activate it."""
    printer.info(
        f"Activate with: source {os.path.join(path, 'Scripts' if os.name == 'nt' else 'bin', 'activate')}"
    )


def record(argv: Sequence[str] | None, interpreter_path: str, facts: Mapping[str, Any], shown: str) -> None:
    """Keep the facts a full ``bale venv`` wrote its environment from (best effort)."""
    request = None if argv is None else parse(argv)
    if request is None or not _enabled():
        return
    from bale.fs.atomic import write_atomic

    key = command_key(request.words)
    try:
        entry = (
            _FORMAT,
            key,
            os.path.abspath(interpreter_path),
            _identity(interpreter_path),
            _identity(facts["base"]),
            dict(facts),
            shown,
        )
        path = _entry_path(key, request)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomic(path, marshal.dumps(entry))
    except (OSError, ValueError):
        return
