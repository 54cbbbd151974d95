"""A pdm project's ``[tool.pdm]`` (dev-dependencies, resolution overrides, sources) as an Imported value.

pdm already keeps its dependencies in ``[project]``: only pdm's own tables are translated.
"""

from __future__ import annotations

from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bale.migrate.imported import Imported, ImportedIndex, at, problem

__all__ = ["from_pdm"]


def from_pdm(data: dict[str, Any], text: str, file: str = "pyproject.toml") -> Imported:
    tool = data.get("tool", {}).get("pdm", {})
    imported = Imported(tool="pdm", files=[file], keep_project_table=True)
    for group, items in (tool.get("dev-dependencies") or {}).items():
        requirements: list[str | dict[str, str]] = []
        for item in items:
            if item.startswith("-e "):
                item = item[3:].strip()
                imported.notes.append(
                    f"{file}: {item}: editable (-e) dropped; bale installs paths as written"
                )
            if item.startswith("-"):
                raise problem(
                    at(file, text, group, after="[tool.pdm.dev-dependencies]"), f"cannot read {item!r}"
                )
            try:
                Requirement(item)
            except InvalidRequirement as error:
                raise problem(
                    at(file, text, group, after="[tool.pdm.dev-dependencies]"), str(error)
                ) from None
            requirements.append(item)
        imported.groups[str(canonicalize_name(group))] = requirements
    overrides = (tool.get("resolution") or {}).get("overrides") or {}
    for name, value in overrides.items():
        value = str(value)
        if value.startswith(("http", "file:", "git+")):
            imported.overrides.append(f"{name} @ {value}")
        elif value in ("", "*"):
            imported.overrides.append(name)
        else:
            imported.overrides.append(f"{name}{'==' + value if value[0].isdigit() else value}")
    for source in tool.get("source") or []:
        where = at(file, text, "url", after="[[tool.pdm.source]]")
        if source.get("type", "index") != "index":
            raise problem(
                where, f"source {source.get('name')!r}: only index sources are read (got find_links)"
            )
        name = str(canonicalize_name(str(source.get("name", "index"))))
        # pdm's source named "pypi" replaces PyPI; the others are asked too (exclude_packages aside).
        imported.indexes.append(ImportedIndex(name, str(source["url"]), default=name == "pypi"))
        if source.get("include_packages") or source.get("exclude_packages"):
            imported.notes.append(
                f"{where}: {name}: include/exclude_packages not imported; use [tool.bale.sources]"
            )
    if "scripts" in tool:
        imported.notes.append(f"{file}: [tool.pdm.scripts] are tasks, not entry points; not imported")
    return imported
