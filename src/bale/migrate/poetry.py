"""A poetry project (``[tool.poetry]``, poetry 1 and 2) and its poetry.lock as an Imported value."""

from __future__ import annotations

import re
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bale.migrate.imported import Imported, ImportedIndex, at, problem
from bale.migrate.poetry_constraints import ConstraintError, python_marker, translate

__all__ = ["from_poetry", "poetry_lock_preferences"]

_DEPENDENCY_KEYS = {
    "version", "python", "platform", "markers", "extras", "optional", "source", "path", "develop",
    "git", "branch", "tag", "rev", "url", "subdirectory", "allow-prereleases", "allows-prereleases",
}  # fmt: skip
_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "win32", "windows": "win32", "macos": "darwin"}


def _and(*markers: str) -> str:
    parts = [m for m in markers if m]
    if len(parts) > 1:
        parts = [f"({m})" if " or " in m else m for m in parts]
    return " and ".join(parts)


class _Translator:
    def __init__(self, imported: Imported, file: str, text: str) -> None:
        self.imported = imported
        self.file = file
        self.text = text

    def where(self, name: str, table: str) -> str:
        return at(self.file, self.text, name, after=table)

    def dependency(self, name: str, value: Any, table: str) -> list[tuple[str, bool]]:
        """``name = value`` of a poetry dependencies table: (PEP 508 text, optional) pairs, one per
        entry of a multiple-constraints list; a path, git or url entry also records a source."""
        entries = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not value:
            raise problem(self.where(name, table), f"{name}: an empty list of constraints")
        out: list[tuple[str, bool]] = []
        for entry in entries:
            out.append(self._entry(name, entry, table, several=len(entries) > 1))
        return out

    def _entry(self, name: str, entry: Any, table: str, *, several: bool) -> tuple[str, bool]:
        where = self.where(name, table)
        if isinstance(entry, str):
            entry = {"version": entry}
        if not isinstance(entry, dict):
            raise problem(where, f"{name}: expected a version string or a table, got {entry!r}")
        unknown = sorted(set(entry) - _DEPENDENCY_KEYS)
        if unknown:
            raise problem(where, f"{name}: poetry keys bale cannot translate: {', '.join(unknown)}")
        specifier = ""
        if "version" in entry:
            try:
                translated = translate(str(entry["version"]))
            except ConstraintError as error:
                raise problem(where, f"{name}: {error}") from None
            specifier = translated.specifier
            if translated.widened:
                self.imported.notes.append(
                    f"{where}: {name} {entry['version']!r} leaves a hole PEP 440 cannot express; "
                    f"widened to {specifier or 'any version'!r} (check it)"
                )
        markers = [str(entry.get("markers", ""))]
        if "python" in entry:
            try:
                markers.append(python_marker(str(entry["python"])))
            except ConstraintError as error:
                raise problem(where, f"{name}: python: {error}") from None
        if "platform" in entry:
            platform = str(entry["platform"])
            markers.append(f'sys_platform == "{_PLATFORMS.get(platform, platform)}"')
        extras = entry.get("extras") or []
        extra_text = f"[{','.join(extras)}]" if extras else ""
        marker = _and(*markers)
        text = f"{name}{extra_text}{specifier}" + (f"; {marker}" if marker else "")
        source = self._source(name, entry, where, several=several)
        if source is not None:
            text = f"{name}{extra_text}" + (f"; {marker}" if marker else "")
        if entry.get("allow-prereleases") or entry.get("allows-prereleases"):
            self.imported.notes.append(
                f"{where}: {name}: allow-prereleases is not per-dependency in bale; "
                f'set [tool.bale] prerelease-package = ["{name}=allow"] if it is still needed'
            )
        try:
            Requirement(text)
        except InvalidRequirement as error:
            raise problem(where, f"{name}: translated to {text!r}, which is not PEP 508: {error}") from None
        return text, bool(entry.get("optional", False))

    def _source(
        self, name: str, entry: dict[str, Any], where: str, *, several: bool
    ) -> dict[str, Any] | None:
        source: dict[str, Any] | None = None
        if "path" in entry:
            source = {"path": str(entry["path"])}
            if entry.get("develop"):
                source["editable"] = True
        elif "git" in entry:
            source = {"git": str(entry["git"])}
            for key, ours in (("branch", "branch"), ("tag", "tag"), ("rev", "rev")):
                if key in entry:
                    source[ours] = str(entry[key])
            if "subdirectory" in entry:
                source["subdirectory"] = str(entry["subdirectory"])
        elif "url" in entry:
            source = {"url": str(entry["url"])}
            if "subdirectory" in entry:
                source["subdirectory"] = str(entry["subdirectory"])
        elif "source" in entry:
            source = {"index": canonicalize_name(str(entry["source"]))}
        if source is None:
            return None
        key = canonicalize_name(name)
        known = self.imported.sources.get(key)
        if known is not None and known != source:
            raise problem(
                where,
                f"{name}: different sources for different markers; bale takes a package from one "
                "source wherever it is required",
                hint="keep one of the entries, then run `bale import` again",
            )
        if several and known is None and "index" not in source:
            self.imported.notes.append(f"{where}: {name}: one source for every marker")
        self.imported.sources[key] = source
        return source


def _table(data: Any, where: str, key: str) -> dict[str, Any]:
    value = data.get(key, {}) if isinstance(data, dict) else {}
    if not isinstance(value, dict):
        raise problem(where, f"[{key}] must be a table")
    return value


def from_poetry(data: dict[str, Any], text: str, file: str = "pyproject.toml") -> Imported:
    """The project ``data`` (pyproject.toml, parsed; ``text`` for line numbers) describes."""
    tool = _table(_table(data, file, "tool"), file, "poetry")
    imported = Imported(tool="poetry", files=[file])
    translator = _Translator(imported, file, text)
    project = data.get("project")
    imported.keep_project_table = isinstance(project, dict) and "dependencies" in project
    for key in ("name", "version", "description"):
        if isinstance(tool.get(key), str):
            setattr(imported, key, tool[key])
    dependencies = _table(tool, file, "dependencies")
    optional: dict[str, str] = {}
    for name, value in dependencies.items():
        if canonicalize_name(name) == "python":
            try:
                imported.requires_python = translate(str(value)).specifier or None
            except ConstraintError as error:
                raise problem(translator.where(name, "[tool.poetry.dependencies]"), str(error)) from None
            continue
        for requirement, is_optional in translator.dependency(name, value, "[tool.poetry.dependencies]"):
            if imported.keep_project_table:
                continue  # poetry 2: [project] lists them; this table only adds sources
            if is_optional:
                optional.setdefault(canonicalize_name(name), requirement)
            else:
                imported.dependencies.append(requirement)
    _extras(tool, imported, optional, file, text)
    _groups(tool, imported, translator, file)
    _sources(tool, imported, file, text)
    _scripts(tool, imported, file, text)
    for key in ("packages", "include", "exclude", "plugins", "build"):
        if key in tool:
            imported.notes.append(
                f"{at(file, text, key)}: [tool.poetry] {key} is kept for poetry-core; bale does not read it"
            )
    return imported


def _extras(tool: dict[str, Any], imported: Imported, optional: dict[str, str], file: str, text: str) -> None:
    used: set[str] = set()
    for extra, names in _table(tool, file, "extras").items():
        requirements = []
        for name in names:
            key = canonicalize_name(re.split(r"[\[<>=!~;\s]", name, maxsplit=1)[0])
            if key not in optional:
                raise problem(
                    at(file, text, extra, after="[tool.poetry.extras]"),
                    f"extra {extra!r} names {name!r}, which is not an optional dependency",
                )
            requirements.append(optional[key])
            used.add(key)
        imported.optional_dependencies[extra] = requirements
    for name, requirement in optional.items():
        if name not in used:
            imported.notes.append(f"{file}: {requirement} is optional but in no extra; not imported")


def _groups(tool: dict[str, Any], imported: Imported, translator: _Translator, file: str) -> None:
    groups: dict[str, list[str | dict[str, str]]] = {}
    if "dev-dependencies" in tool:
        for name, value in _table(tool, file, "dev-dependencies").items():
            groups.setdefault("dev", []).extend(
                r for r, _ in translator.dependency(name, value, "[tool.poetry.dev-dependencies]")
            )
    optional_groups: list[str] = []
    for group, body in _table(tool, file, "group").items():
        header = f"[tool.poetry.group.{group}.dependencies]"
        if not isinstance(body, dict):
            raise problem(file, f"[tool.poetry.group.{group}] must be a table")
        if body.get("optional"):
            optional_groups.append(group)
        for name, value in _table(body, file, "dependencies").items():
            groups.setdefault(group, []).extend(r for r, _ in translator.dependency(name, value, header))
        for include in body.get("include-groups", []):
            groups.setdefault(group, []).append({"include-group": str(include)})
    imported.groups.update(groups)
    # poetry installs every group not marked optional; bale installs the default groups.
    defaults = [g for g in groups if g not in optional_groups]
    if defaults != (["dev"] if "dev" in groups else []):
        imported.default_groups = defaults


def _sources(tool: dict[str, Any], imported: Imported, file: str, text: str) -> None:
    sources = tool.get("source", [])
    if not isinstance(sources, list):
        raise problem(file, "[[tool.poetry.source]] must be an array of tables")
    names = []
    pypi_listed = False
    has_primary = False
    for entry in sources:
        name = str(entry.get("name", ""))
        where = at(file, text, "name", after="[[tool.poetry.source]]")
        priority = str(entry.get("priority", "default" if entry.get("default") else "primary"))
        url = entry.get("url")
        if canonicalize_name(name) == "pypi":
            pypi_listed = True
            url = url or "https://pypi.org/simple"
        if not url:
            raise problem(where, f"source {name!r} has no url")
        if priority not in ("primary", "supplemental", "explicit", "default", "secondary"):
            raise problem(where, f"source {name!r}: unknown priority {priority!r}")
        if priority == "secondary":
            imported.notes.append(f"{where}: source {name!r}: priority secondary read as supplemental")
        names.append(canonicalize_name(name))
        has_primary = has_primary or priority in ("primary", "default")
        imported.indexes.append(
            ImportedIndex(
                canonicalize_name(name),
                str(url),
                explicit=priority == "explicit",
                default=priority == "default",
            )
        )
        if priority in ("supplemental", "secondary") and not has_primary:
            imported.notes.append(
                f"{where}: source {name!r} is supplemental: poetry asks PyPI first, bale asks it "
                "before PyPI (an index's packages win); make it explicit if that matters"
            )
    if has_primary and not pypi_listed and not any(i.default for i in imported.indexes):
        # poetry drops PyPI once a primary source is configured; bale's `default = true` does that.
        listed = [i for i in imported.indexes if not i.explicit]
        last = listed[-1]
        position = imported.indexes.index(last)
        imported.indexes[position] = ImportedIndex(last.name, last.url, default=True)
    for key, source in imported.sources.items():
        if "index" in source and source["index"] not in names:
            raise problem(file, f"{key}: source {source['index']!r} is not a [[tool.poetry.source]]")


def _scripts(tool: dict[str, Any], imported: Imported, file: str, text: str) -> None:
    for name, value in _table(tool, file, "scripts").items():
        if isinstance(value, str):
            imported.scripts[name] = value
        elif isinstance(value, dict) and "callable" in value and not value.get("extras"):
            imported.scripts[name] = str(value["callable"])
        else:
            imported.notes.append(
                f"{at(file, text, name, after='[tool.poetry.scripts]')}: script {name!r} is not an "
                "entry point (module:function); not imported"
            )


def poetry_lock_preferences(imported: Imported, data: dict[str, Any], file: str = "poetry.lock") -> None:
    """The registry versions poetry.lock holds (paths, git and URLs are not index versions)."""
    imported.lock_file = file
    imported.files.append(file)
    for package in data.get("package", []):
        source = package.get("source") or {}
        if source.get("type") in ("directory", "file", "git", "url"):
            continue
        if "name" in package and "version" in package:
            imported.prefer(str(package["name"]), str(package["version"]), file)
