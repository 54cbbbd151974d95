"""The bale.toml configuration files of a run (the user's and the system's, or the one named): found,
read and checked once per process.

Nothing is read until the CLI calls ``activate`` (a library caller, or a test calling ``ops``
directly, sees no configuration file). ``configured(key)`` gives a key's value over the files, ``None``
when no file sets it or when its environment variable is set (the environment wins; whoever reads
the variable applies it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bale.errors import BaleError
from bale.model.describe import describe_value as _describe
from bale.model.record import record
from bale.project.config_keys import CONFIG_NAME, KEYS, PROJECT_ONLY, candidate_paths

if TYPE_CHECKING:
    from bale.project.model import BaleSettings

__all__ = [
    "ConfigFile",
    "Searched",
    "activate",
    "config_files",
    "configured",
    "configured_pairs",
    "project_layers",
    "read_config",
    "searched",
]


@record(frozen=True, slots=True)
class ConfigFile:
    """One bale.toml, checked: ``scope`` is ``user``, ``system`` or ``file`` (``--config-file``);
    ``values`` holds its known keys (paths made absolute, relative to the file's folder) and
    ``settings`` its ``[tool.bale]`` keys, parsed as a project's are."""

    path: Path
    scope: str
    values: dict[str, Any]
    settings: BaleSettings

    @property
    def label(self) -> str:
        """How ``bale config show`` names it: ``user bale.toml /home/me/.config/bale/bale.toml``."""
        scope = {"file": "--config-file", "user": "user", "system": "system"}[self.scope]
        return f"{scope} {CONFIG_NAME} {self.path}"


@record(frozen=True, slots=True)
class Searched:
    """A place a configuration file was looked for, and whether one was there (and read)."""

    scope: str
    path: Path
    found: bool


class _State:
    """This process's choice (``activate``) and, once read, its files (a plain class: no dataclass
    to build on the start-up path of every command)."""

    __slots__ = ("active", "disabled", "explicit", "files", "searched")

    def __init__(self, active: bool = False, explicit: Path | None = None, disabled: bool = False) -> None:
        self.active, self.explicit, self.disabled = active, explicit, disabled
        self.files: tuple[ConfigFile, ...] | None = None
        self.searched: list[Searched] = []


_state = _State()


def activate(explicit: Path | None, *, no_config: bool) -> None:
    """Use ``explicit`` instead of the user and system files, or (``no_config``) no file at all."""
    global _state
    _state = _State(active=True, explicit=explicit, disabled=no_config)


def searched() -> list[Searched]:
    """Where this run looked for configuration files (after ``config_files``)."""
    config_files()
    return list(_state.searched)


def config_files() -> tuple[ConfigFile, ...]:
    """The files in force, highest precedence first: ``--config-file``'s alone, else the user's then
    the first system file found (uv's rule)."""
    if _state.files is not None:
        return _state.files
    files: list[ConfigFile] = []
    if _state.active and not _state.disabled:
        if _state.explicit is not None:
            files.append(read_config(_state.explicit, "file"))
            _state.searched.append(Searched("file", _state.explicit, True))
        else:
            user, system = candidate_paths(os.environ)
            if user is not None:
                found = os.path.isfile(user)
                _state.searched.append(Searched("user", Path(user), found))
                if found:
                    files.append(read_config(Path(user), "user"))
            for path in system:
                found = os.path.isfile(path)
                _state.searched.append(Searched("system", Path(path), found))
                if found:
                    files.append(read_config(Path(path), "system"))
                    break
    _state.files = tuple(files)
    return _state.files


def configured(key: str) -> Any:
    """``key``'s value over the configuration files (arrays joined, the higher file's entries
    first; tables merged), or None: no file sets it, or its environment variable is set."""
    spec = KEYS[key]
    if spec.env and os.environ.get(spec.env, "").strip():
        return None
    files = config_files()
    if not files:
        return None
    from bale.project.config_merge import Layer, merge_values

    merged = merge_values([Layer(file.label, file.values) for file in files])
    found = merged.get(key)
    return None if found is None else found.value


def configured_pairs(key: str) -> tuple[str, ...]:
    """A table key (``prerelease-package = { numpy = "allow" }``) as the command line writes it
    (``numpy=allow``), to go before the command line's own: the later entry wins."""
    table = configured(key) or {}
    return tuple(f"{name}={_written(value)}" for name, value in table.items())


def _written(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    isoformat = getattr(value, "isoformat", None)  # a TOML date or date-time
    return str(isoformat() if callable(isoformat) else value)


def project_layers() -> tuple[BaleSettings, ...]:
    """The ``[tool.bale]`` keys of the files in force, highest first, for merging under a project's."""
    return tuple(file.settings for file in config_files() if file.settings.raw)


# ---------------------------------------------------------------------------------------------- reading


def read_config(path: Path, scope: str) -> ConfigFile:
    """Read and check one bale.toml: a syntax error names the file, line and column; a key only a
    project can have is an error, an unknown key a warning with a did-you-mean."""
    from bale.project.inputs import load_toml, read_utf8
    from bale.project.model import config_settings
    from bale.project.notices import Notice, emit
    from bale.project.uv_keys import closest

    path = Path(os.path.abspath(path))
    data = load_toml(path)
    text = read_utf8(path)
    problems: list[str] = []
    notices: list[Notice] = []
    for key in data:
        if key in PROJECT_ONLY:
            problems.append(
                _at(text, key)
                + f"{key}: only a project can set this key, in [tool.bale] of its pyproject.toml; "
                f"a {CONFIG_NAME} holds settings for every project"
            )
        elif key == "tool":
            problems.append(
                _at(text, key) + f"[tool]: a {CONFIG_NAME} holds the keys of [tool.bale] at its top level "
                "(write `prerelease = ...`, not `[tool.bale]`)"
            )
        elif key not in KEYS:
            guess = closest(key, KEYS)
            tail = f"; did you mean {guess!r}?" if guess else " (ignored)"
            notices.append(Notice(f"unknown key {key!r} in {path}{tail}", warning=True))
    values: dict[str, Any] = {}
    project: dict[str, Any] = {}
    for key, value in data.items():
        spec = KEYS.get(key)
        if spec is None:
            continue
        problem = _check(spec.kind, spec.choices, value)
        if problem is not None:
            problems.append(_at(text, key) + f"{key}: {problem}")
            continue
        if spec.project:
            project[key] = value
        values[key] = _absolute(spec.kind, key, value, path.parent)
    if problems:
        if len(problems) == 1:
            raise BaleError(f"{path}: {problems[0]}")
        raise BaleError(f"{path}: {len(problems)} problems", context=problems)
    settings = config_settings(path, text, project)
    if settings.exclude_newer is not None:
        values["exclude-newer"] = settings.exclude_newer
    emit(notices)
    return ConfigFile(path, scope, values, settings)


def _at(text: str, key: str) -> str:
    """``line N: `` where ``key`` is set (``key =`` or a ``[key]`` / ``[[key]]`` header), else nothing."""
    pattern = re.compile(rf"^[ \t]*(\[\[?\s*{re.escape(key)}\s*\]|\"?{re.escape(key)}\"?\s*=)", re.MULTILINE)
    match = pattern.search(text)
    return f"line {text.count(chr(10), 0, match.start()) + 1}: " if match else ""


def _check(kind: str, choices: tuple[str, ...], value: object) -> str | None:
    """What is wrong with ``value`` for a key of ``kind``; None when nothing (deeper checks of the
    ``[tool.bale]`` kinds happen as a project's are)."""
    if kind in ("string", "path"):
        if not isinstance(value, str):
            return f"expected a string, got {_describe(value)}"
        if choices and value not in choices:
            return f"expected one of {', '.join(choices)}, got {value!r}"
    elif kind == "strings" or kind == "requirements":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return f"expected an array of strings, got {_describe(value)}"
    elif kind == "boolean":
        if not isinstance(value, bool):
            return f"expected true or false, got {_describe(value)}"
    elif kind == "table" and not isinstance(value, dict):
        return f'expected a table (like {{ numpy = "allow" }}), got {_describe(value)}'
    return None


def _absolute(kind: str, key: str, value: Any, folder: Path) -> Any:
    """Paths in a configuration file are relative to its folder (the working directory varies)."""
    if key == "find-links":
        return [link if "://" in link else str(folder / os.path.expanduser(link)) for link in value]
    if kind == "path":
        return str(folder / os.path.expanduser(value))
    return value
