"""An Imported value written into pyproject.toml text with tomlkit, keeping what the file already says."""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.items import Table

from bale.migrate.imported import Imported

__all__ = ["pyproject_text"]


def _array(items: list[Any]) -> Any:
    array = tomlkit.array()
    for item in items:
        array.append(item)
    if len(items) > 1 or any(not isinstance(i, str) for i in items):
        array.multiline(True)
    return array


def _table(parent: Any, key: str) -> Any:
    """``parent[key]`` as a table, created (not inline) when missing."""
    if key not in parent:
        parent[key] = tomlkit.table()
    return parent[key]


def pyproject_text(imported: Imported, existing: str | None, *, default_name: str) -> str:
    """The pyproject.toml after the import: ``existing`` (comments and tables kept) with a PEP 621
    ``[project]``, ``[dependency-groups]`` and ``[tool.bale]`` added. Keys the file already sets win."""
    document = tomlkit.parse(existing) if existing else tomlkit.document()
    if "project" not in document:
        project = tomlkit.table()
        _fill_project(project, imported, default_name)
        _insert_first(document, "project", project)
    else:
        project = document["project"]
        if not imported.keep_project_table:
            _fill_project(project, imported, default_name)
        elif imported.requires_python and "requires-python" not in project:
            project["requires-python"] = imported.requires_python
    if imported.groups:
        groups = _table(document, "dependency-groups")
        for name, items in imported.groups.items():
            if name not in groups:
                groups[name] = _array(items)
    _tool_bale(document, imported)
    if imported.system:
        document.add(tomlkit.nl())
        document.add(
            tomlkit.comment("bale import: the environment also needs these, from outside Python's index:")
        )
        for line in imported.system:
            document.add(tomlkit.comment(f"  {line}"))
    return tomlkit.dumps(document)


def _insert_first(document: Any, key: str, table: Table) -> None:
    """``[project]`` goes before the other tables, where readers look for it."""
    body = list(document.items())
    for existing_key, _ in body:
        document.remove(existing_key)
    document[key] = table
    for existing_key, value in body:
        document[existing_key] = value


def _fill_project(project: Any, imported: Imported, default_name: str) -> None:
    if "name" not in project:
        project["name"] = imported.name or default_name
    if "version" not in project and "version" not in project.get("dynamic", []):
        project["version"] = imported.version or "0.1.0"
    if imported.description and "description" not in project:
        project["description"] = imported.description
    if imported.requires_python and "requires-python" not in project:
        project["requires-python"] = imported.requires_python
    if "dependencies" not in project:
        project["dependencies"] = _array(imported.dependencies)
    if imported.optional_dependencies and "optional-dependencies" not in project:
        extras = tomlkit.table()
        for name, items in imported.optional_dependencies.items():
            extras[name] = _array(items)
        project["optional-dependencies"] = extras
    if imported.scripts and "scripts" not in project:
        scripts = tomlkit.table()
        for name, target in imported.scripts.items():
            scripts[name] = target
        project["scripts"] = scripts


def _tool_bale(document: Any, imported: Imported) -> None:
    wanted = bool(
        imported.tool_bale or imported.indexes or imported.sources or imported.constraints
        or imported.overrides or imported.default_groups is not None
    )  # fmt: skip
    if not wanted:
        return
    tool = _table(document, "tool")
    bale = _table(tool, "bale")
    bale.is_super_table()
    for key, value in imported.tool_bale.items():
        if key not in bale:
            bale[key] = value
    if imported.default_groups is not None and "default-groups" not in bale:
        bale["default-groups"] = _array(list(imported.default_groups))
    if imported.constraints and "constraint-dependencies" not in bale:
        bale["constraint-dependencies"] = _array(imported.constraints)
    if imported.overrides and "override-dependencies" not in bale:
        bale["override-dependencies"] = _array(imported.overrides)
    if imported.sources and "sources" not in bale:
        sources = tomlkit.table()
        for name, source in imported.sources.items():
            inline = tomlkit.inline_table()
            inline.update(source)
            sources[name] = inline
        bale["sources"] = sources
    if imported.indexes and "index" not in bale:
        indexes = tomlkit.aot()
        for index in imported.indexes:
            entry = tomlkit.table()
            entry["name"] = index.name
            entry["url"] = index.url
            if index.explicit:
                entry["explicit"] = True
            if index.default:
                entry["default"] = True
            indexes.append(entry)
        indexes[-1].add(tomlkit.nl())  # a blank line before whatever table follows
        bale["index"] = indexes
