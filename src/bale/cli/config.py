"""``bale config show``: every setting in force, and the place it comes from."""

from __future__ import annotations

import argparse
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bale.cli.printer import Printer
from bale.errors import BaleError
from bale.project.config_keys import CONFIG_NAME, KEYS, Key


def cmd_config(args: argparse.Namespace, printer: Printer) -> int:
    if getattr(args, "config_command", None) != "show":
        raise BaleError("bale config needs a command: show", hint="bale config show")
    from bale.project.config_files import config_files, searched

    files = config_files()
    places = searched()
    project = _project_table(args)
    rows = {key: _effective(spec, args, project, files) for key, spec in KEYS.items()}
    if args.output_format == "json":
        payload = {
            "files": [{"scope": s.scope, "path": str(s.path), "found": s.found} for s in places],
            "project": str(project[0]) if project else None,
            "settings": {
                key: {"value": _json(value), "source": sources[0][0], "origins": [o for _, o in sources]}
                for key, (value, sources) in rows.items()
                if sources
            },
        }
        printer.data(json.dumps(payload, indent=2))
        return 0
    if not places:
        why = "--no-config or BALE_NO_CONFIG" if _disabled(args) else "none"
        printer.data(f"# {CONFIG_NAME} files: {why}")
    for place in places:
        printer.data(f"# {place.scope} {CONFIG_NAME}: {place.path}{'' if place.found else ' (not found)'}")
    if project:
        printer.data(f"# project: {project[0]} [{project[1]}] (applies to project commands)")
    for key, (value, sources) in rows.items():
        if not sources:
            continue
        printer.data(f"{key} = {_toml(value)}  # {', '.join(origin for _, origin in sources)}")
    return 0


def _disabled(args: argparse.Namespace) -> bool:
    from bale.envvars import env_flag

    return bool(getattr(args, "no_config", False)) or env_flag("BALE_NO_CONFIG")


def _project_table(args: argparse.Namespace) -> tuple[Path, str, dict[str, Any]] | None:
    """The pyproject.toml whose settings project commands use (the workspace root's), its table's
    name and the keys of it a bale.toml may also set; None outside a project."""
    from bale.cli.commands import project_dir
    from bale.project.inputs import load_toml
    from bale.project.model import PYPROJECT, settings_table
    from bale.project.workspace import find_workspace

    start = project_dir(args).resolve()
    if not any((directory / PYPROJECT).is_file() for directory in (start, *start.parents)):
        return None
    try:
        root = find_workspace(start).root
    except BaleError as err:
        if err.message.startswith(f"No {PYPROJECT} found"):  # only folders without a [project]
            return None
        raise
    chosen = settings_table(load_toml(root.pyproject))
    if chosen is None:
        return root.pyproject, "tool.bale", {}
    name, table = chosen
    return root.pyproject, f"tool.{name}", {k: v for k, v in table.items() if k in KEYS and KEYS[k].project}


def _effective(
    spec: Key,
    args: argparse.Namespace,
    project: tuple[Path, str, dict[str, Any]] | None,
    files: tuple[Any, ...],
) -> tuple[Any, list[tuple[str, str]]]:
    """The value in force and its sources, as (kind, how the user would name it), highest first (uv's
    order): a command line or environment value replaces the others; the project's and the files'
    arrays and tables are joined."""
    given = _from_command_line(spec, args)
    if given is not None:
        return given, [("command line", spec.option or spec.name)]
    if spec.env:
        text = os.environ.get(spec.env, "").strip()
        if text:
            return _from_environment(spec, text), [("environment", f"env {spec.env}")]
    from bale.project.config_merge import Layer, merge_values

    layers: list[Layer] = []
    kinds: dict[str, str] = {}
    if project is not None and spec.name in project[2]:
        origin = f"{project[0]} [{project[1]}]"
        layers.append(Layer(origin, {spec.name: project[2][spec.name]}))
        kinds[origin] = "project"
    for file in files:
        if spec.name in file.values:
            layers.append(Layer(file.label, {spec.name: file.values[spec.name]}))
            kinds[file.label] = file.scope
    merged = merge_values(layers).get(spec.name)
    if merged is not None:
        return merged.value, [(kinds[origin], origin) for origin in merged.origins]
    default = _default(spec)
    return default, ([("default", "default")] if default is not None else [])


def _from_command_line(spec: Key, args: argparse.Namespace) -> Any:
    if spec.option is None:
        return None
    value = getattr(args, spec.option.removeprefix("--").replace("-", "_"), None)
    if value in (None, False, []):
        return None
    if spec.kind == "path":
        return str(Path(value).expanduser())
    return value


def _from_environment(spec: Key, text: str) -> Any:
    if spec.kind == "boolean":
        from bale.envvars import env_flag

        return env_flag(spec.env or "")
    if spec.kind == "strings":
        return text.split()
    return text


def _default(spec: Key) -> Any:
    if spec.name == "cache-dir":
        from bale.cache import default_root

        return default_root({})
    return spec.default


def _toml(value: Any) -> str:
    """A value as it would be written in a bale.toml."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    return json.dumps(str(value))


def _key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() else json.dumps(key)


def _json(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return value
