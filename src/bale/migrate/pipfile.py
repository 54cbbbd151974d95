"""A Pipfile (pipenv) and its Pipfile.lock as an Imported value."""

from __future__ import annotations

from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bale.migrate.imported import Imported, ImportedIndex, at, problem

__all__ = ["from_pipfile", "pipfile_lock_preferences"]

_MARKER_KEYS = (
    "os_name", "sys_platform", "platform_machine", "platform_python_implementation", "platform_release",
    "platform_system", "platform_version", "python_version", "python_full_version", "implementation_name",
    "implementation_version",
)  # fmt: skip
_KEYS = {"version", "extras", "markers", "index", "path", "editable", "git", "ref", "subdirectory", "file"}
_NOT_CATEGORIES = {"source", "requires", "pipenv", "scripts"}


def _specifier(value: str) -> str:
    value = value.strip()
    if value in ("*", ""):
        return ""
    if value[0].isdigit():
        return f"=={value}"  # pipenv reads a bare version as an exact one
    return value


def _entry(name: str, value: Any, where: str, imported: Imported) -> str:
    if isinstance(value, str):
        value = {"version": value}
    if not isinstance(value, dict):
        raise problem(where, f"{name}: expected a version string or a table, got {value!r}")
    unknown = sorted(set(value) - _KEYS - set(_MARKER_KEYS))
    if unknown:
        raise problem(where, f"{name}: Pipfile keys bale cannot translate: {', '.join(unknown)}")
    specifier = _specifier(str(value.get("version", "*")))
    markers = [str(value["markers"])] if value.get("markers") else []
    markers += [f"{key} {str(value[key]).strip()}" for key in _MARKER_KEYS if key in value]
    if len(markers) > 1:
        markers = [f"({m})" if " or " in m else m for m in markers]
    marker = " and ".join(markers)
    extras = value.get("extras") or []
    extra_text = f"[{','.join(extras)}]" if extras else ""
    source: dict[str, Any] | None = None
    if "path" in value:
        source = {"path": str(value["path"])}
    elif "git" in value:
        git = str(value["git"]).removeprefix("git+")
        source = {"git": git}
        if "ref" in value:
            source["rev"] = str(value["ref"])
        if "subdirectory" in value:
            source["subdirectory"] = str(value["subdirectory"])
    elif "file" in value:
        file = str(value["file"])
        source = {"url": file} if "://" in file else {"path": file}
    elif "index" in value:
        source = {"index": str(canonicalize_name(str(value["index"])))}
    if source is not None and value.get("editable") and "path" in source:
        source["editable"] = True
    if source is not None:
        key = str(canonicalize_name(name))
        if imported.sources.get(key, source) != source:
            raise problem(where, f"{name}: two different sources; bale takes a package from one source")
        imported.sources[key] = source
        if "index" not in source:
            specifier = ""
    text = f"{name}{extra_text}{specifier}" + (f"; {marker}" if marker else "")
    try:
        Requirement(text)
    except InvalidRequirement as error:
        raise problem(where, f"{name}: translated to {text!r}, which is not PEP 508: {error}") from None
    return text


def from_pipfile(data: dict[str, Any], text: str, file: str = "Pipfile") -> Imported:
    """The project a Pipfile (parsed TOML, ``text`` for line numbers) describes."""
    imported = Imported(tool="pipenv", files=[file])
    sources = data.get("source", [])
    for position, source in enumerate(sources if isinstance(sources, list) else []):
        where = at(file, text, "url", after="[[source]]")
        if "url" not in source:
            raise problem(where, "a [[source]] without a url")
        name = str(canonicalize_name(str(source.get("name") or f"source-{position + 1}")))
        # pipenv takes every package from the first source unless its entry names another index.
        imported.indexes.append(
            ImportedIndex(name, str(source["url"]), explicit=position > 0, default=position == 0)
        )
        if source.get("verify_ssl") is False:
            imported.notes.append(
                f"{where}: source {name!r}: verify_ssl = false is not imported (bale checks TLS)"
            )
    for category, table in data.items():
        if category in _NOT_CATEGORIES or not isinstance(table, dict):
            continue
        header = f"[{category}]"
        requirements = [
            _entry(name, value, at(file, text, name, after=header), imported) for name, value in table.items()
        ]
        if category == "packages":
            imported.dependencies.extend(requirements)
        else:
            group = "dev" if category == "dev-packages" else str(canonicalize_name(category))
            imported.groups[group] = list(requirements)
    names = {i.name for i in imported.indexes}
    for key, source in imported.sources.items():
        if "index" in source and source["index"] not in names:
            raise problem(file, f"{key}: index {source['index']!r} is not a [[source]]")
    requires = data.get("requires", {})
    if isinstance(requires, dict):
        version = requires.get("python_full_version") or requires.get("python_version")
        if version:
            imported.requires_python = f">={version}"
            imported.notes.append(
                f"{at(file, text, 'python_version', after='[requires]')}: python {version} "
                f"became requires-python = '>={version}'"
            )
    pipenv = data.get("pipenv", {})
    if isinstance(pipenv, dict) and pipenv.get("allow_prereleases"):
        imported.notes.append(
            f"{file}: [pipenv] allow_prereleases: pass --prerelease allow to bale lock if needed"
        )
    if "scripts" in data:
        imported.notes.append(f"{file}: [scripts] are shell commands, not entry points; not imported")
    return imported


def pipfile_lock_preferences(imported: Imported, data: dict[str, Any], file: str = "Pipfile.lock") -> None:
    """The ``==`` versions of every category of a Pipfile.lock (git and path entries have none)."""
    imported.lock_file = file
    imported.files.append(file)
    for category, table in data.items():
        if category == "_meta" or not isinstance(table, dict):
            continue
        for name, entry in table.items():
            version = entry.get("version", "") if isinstance(entry, dict) else ""
            if isinstance(version, str) and version.startswith("=="):
                imported.prefer(name, version[2:], file)
