"""The files of an environment that no package may replace or remove: interpreter, config, activation."""

from __future__ import annotations

import re

# In the scripts folder: the interpreter and its aliases (python, python3, python3.12, python3.13t,
# pythonw, python.exe, pypy3...), the activation scripts (activate, activate.fish, Activate.ps1,
# activate_this.py, deactivate.bat...) and a pyvenv.cfg, which CPython also looks for beside the
# executable. Matched against the lowercased name: case-insensitive file systems (macOS, Windows)
# would let ``Python`` replace ``python``. "python-dotenv"-style names stay allowed.
_SCRIPTS = re.compile(
    r"(?:python|pypy)[0-9.]*t?w?(?:\.exe)?|(?:de)?activate(?:\.[^/]*|_this\.py)?|pyvenv\.cfg"
)
# At the environment's top: its configuration, and the lock and sync stamp bale keeps there.
_TOP = frozenset({"pyvenv.cfg", ".lock", ".bale-sync.json"})
# bale's install journal (install/journal.py) lives in site-packages under this name.
JOURNAL_NAME = ".bale-journal"


def protected_reason(relative: str, scripts: str) -> str | None:
    """Why the file at ``relative`` (to the environment's prefix, "/"-separated, normalized) must not be
    written or deleted by a package; None when it may. ``scripts`` is the scripts folder, relative too.

    Called once per installed or removed file (thousands per install): two string splits and, for the
    few files in the top or scripts folder, one regex match.
    """
    parent, _, name = relative.rpartition("/")
    lowered = name.lower()
    if not parent:
        if lowered in _TOP:
            return (
                "it is the environment's configuration" if lowered == "pyvenv.cfg" else "bale keeps it there"
            )
        return None
    if parent.lower() == scripts.lower() and _SCRIPTS.fullmatch(lowered):
        if lowered.startswith(("python", "pypy")):
            return "it is the environment's interpreter"
        if lowered == "pyvenv.cfg":
            return "it is the environment's configuration"
        return "it is an activation script of the environment"
    if JOURNAL_NAME in relative and f"/{JOURNAL_NAME}/" in f"/{parent}/":
        return "it is bale's install journal"
    return None
