"""Format-preserving edits of pyproject.toml text: dependencies, extras, dependency groups and sources.

Every function takes the file's text and returns the new text (the caller writes it with
``bale.fs.atomic.write_atomic``); comments, key order, quoting and array layout survive. tomlkit is imported
inside the functions: reading a project never pays for it (it costs ~20 ms to import).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.model.names import normalize

if TYPE_CHECKING:
    from tomlkit.items import Array, Table
    from tomlkit.toml_document import TOMLDocument

__all__ = [
    "BoundKind",
    "add_dependency",
    "add_source",
    "bounds",
    "listed_in",
    "remove_dependency",
    "remove_source",
    "replace_requirement",
]

BoundKind = Literal["lower", "major", "minor", "exact"]

_NAME_PREFIX = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


# ---------------------------------------------------------------------------------------------- public


def add_dependency(
    text: str,
    requirement: str,
    *,
    group: str | None = None,
    optional: str | None = None,
    dev: bool = False,
    where: str = "pyproject.toml",
) -> str:
    """Add ``requirement`` to the project's dependencies, an extra (``optional``) or a dependency group.

    An entry with the same name and the same marker is replaced in place; otherwise the new entry goes to
    its sorted position if the array is sorted by name, else to the end. ``dev`` means the ``dev`` group
    (or the legacy ``tool.bale.dev-dependencies`` when that is what the file uses).
    """
    try:
        new = Requirement(requirement)
    except InvalidRequirement as err:
        from bale.model.requirement_errors import caret_lines, explain

        why = explain(err, requirement)
        raise BaleError(
            f"Invalid requirement {requirement!r}: {why.message}",
            context=caret_lines(requirement, why.start, why.end),
        ) from err
    doc = _parse(text, where)
    container, key, keypath = _target(doc, group=group, optional=optional, dev=dev, where=where)
    array = _array(container, key, keypath, where, create=True)
    assert array is not None
    value = requirement.strip()
    name = normalize(new.name)
    marker = str(new.marker) if new.marker else None
    values = list(array)
    same = [i for i, item in enumerate(values) if _same_entry(item, name, marker)]
    if same:
        array[same[0]] = _string(value, like=values[same[0]])
        for i in reversed(same[1:]):
            array = _delete(container, key, array, i)
    else:
        found = [_entry_name(item) for item in values]
        names = [n for n in found if n is not None]
        if values and len(names) == len(found) and names == sorted(names):
            position = bisect.bisect_right(names, name)
        else:
            position = len(values)
        _insert(container, key, array, position, _string(value))
    return _dumps(doc, text)


def remove_dependency(
    text: str,
    name: str,
    *,
    group: str | None = None,
    optional: str | None = None,
    dev: bool = False,
    where: str = "pyproject.toml",
) -> str:
    """Remove every entry for package ``name`` (any specifier, any marker) from the chosen array.

    ``dev`` removes from both the ``dev`` group and the legacy ``tool.bale.dev-dependencies``. Nothing to
    remove is an error naming where bale looked (and where the package is listed instead, if anywhere).
    """
    wanted = normalize(name)
    doc = _parse(text, where)
    if dev:
        places = [_target(doc, group="dev", optional=None, dev=False, where=where, create=False)]
        legacy = _legacy_dev(doc)
        if legacy is not None:
            places.append((legacy, "dev-dependencies", f"tool.{_settings_tool(doc)}.dev-dependencies"))
    else:
        places = [_target(doc, group=group, optional=optional, dev=False, where=where, create=False)]
    removed = 0
    looked: list[str] = []
    for container, key, keypath in places:
        array = _array(container, key, keypath, where, create=False)
        if array is None:
            looked.append(f"{keypath} does not exist")
            continue
        hits = [i for i, item in enumerate(array) if _entry_name(item) == wanted]
        if not hits:
            listed = ", ".join(n for n in (_entry_name(item) for item in array) if n) or "nothing"
            looked.append(f"{keypath} lists: {listed}")
        for i in reversed(hits):
            array = _delete(container, key, array, i)
        removed += len(hits)
        if len(array) == 0 and "#" not in array.as_string():
            array.clear()
    if not removed:
        elsewhere = [path for path in _locations(doc, wanted) if path not in {p[2] for p in places}]
        raise BaleError(
            f"No dependency named {name!r} in {' or '.join(p[2] for p in places)} of {where}",
            context=looked,
            hint=f"{name!r} is listed in {', '.join(elsewhere)}" if elsewhere else None,
        )
    return _dumps(doc, text)


def add_source(text: str, name: str, source: Mapping[str, object], *, where: str = "pyproject.toml") -> str:
    """Write ``name = { ... }`` under ``[tool.bale.sources]`` (``[tool.uv.sources]`` in a project that
    has only ``[tool.uv]``), replacing the package's existing source."""
    from bale.project.model import parse_source

    doc = _parse(text, where)
    tool = _settings_tool(doc)
    parse_source(dict(source), ("tool", tool, "sources", name), Path(where).parent)
    import tomlkit

    sources = _table_path(doc, ("tool", tool, "sources"), where)
    order = ("index", "path", "editable", "git", "tag", "branch", "rev", "url", "subdirectory", "workspace")
    keys = sorted(source, key=order.index)
    inline = "{ " + ", ".join(f"{k} = {tomlkit.item(source[k]).as_string()}" for k in keys) + " }"
    entry = tomlkit.parse(f"v = {inline}\n")["v"]
    existing = next((k for k in sources if normalize(k) == normalize(name)), None)
    sources[existing or name] = entry
    return _dumps(doc, text)


def remove_source(text: str, name: str, *, where: str = "pyproject.toml") -> str:
    """Drop the package's entry from ``[tool.bale.sources]`` (and the table if it empties); absent is fine."""
    doc = _parse(text, where)
    tool = doc.get("tool")
    bale = tool.get(_settings_tool(doc)) if isinstance(tool, dict) else None
    sources = bale.get("sources") if isinstance(bale, dict) else None
    if not isinstance(sources, dict):
        return text
    existing = next((k for k in sources if normalize(k) == normalize(name)), None)
    if existing is None:
        return text
    del sources[existing]
    if not sources and bale is not None:
        del bale["sources"]
    return _dumps(doc, text)


def replace_requirement(text: str, old: str, new: str, *, where: str = "pyproject.toml") -> str:
    """Every requirement string equal to ``old`` (as a requirement, not as text) in any list of the file
    ([project] dependencies, extras, dependency groups, [tool.bale] constraints) becomes ``new``, its
    quoting kept. Fails when there is none."""
    from tomlkit.items import Array, String

    wanted = _requirement_key(old)
    doc = _parse(text, where)
    found = 0

    def visit(node: Any) -> None:
        nonlocal found
        if isinstance(node, Array):
            for position, item in enumerate(list(node)):
                if isinstance(item, String) and _requirement_key(str(item)) == wanted:
                    node[position] = _string(new, like=item)
                    found += 1
                else:
                    visit(item)
        elif isinstance(node, dict):
            for value in node.values():
                visit(value)

    visit(doc)
    if not found:
        raise BaleError(f"{where} has no requirement {old!r} to change")
    return _dumps(doc, text)


def _requirement_key(text: str) -> str | None:
    try:
        return str(Requirement(text))
    except InvalidRequirement:
        return None


def listed_in(text: str, name: str, *, where: str = "pyproject.toml") -> list[str]:
    """Key paths of every dependency array of the file (dependencies, extras, groups) listing ``name``."""
    return _locations(_parse(text, where), normalize(name))


def bounds(version: str | Version, kind: BoundKind) -> str:
    """The specifier ``bale add --bounds`` writes for ``version``.

    ``lower`` ``>=1.2.3``; ``major`` ``>=1.2.3,<2``; ``minor`` ``>=1.2.3,<1.3``; ``exact`` ``==1.2.3``.
    Leading zeros shift the meaning as SemVer's caret does: ``0.2.3`` is major ``<0.3`` and minor
    ``<0.2.4``; from two leading zeros on, both bump the first non-zero part (``0.0.3`` -> ``<0.0.4``).
    Upper bounds are written with as few parts as they need.
    """
    try:
        parsed = version if isinstance(version, Version) else Version(version)
    except InvalidVersion as err:
        raise BaleError(f"Cannot compute bounds for {version!r}: not a PEP 440 version") from err
    if kind == "exact":
        return f"=={parsed}"
    lower = f">={parsed.public}"
    if kind == "lower":
        return lower
    release = parsed.release
    first = next((i for i, part in enumerate(release) if part), len(release) - 1)
    if kind == "major":
        position = first
    elif kind == "minor":
        position = 1 if first == 0 else first + 1 if first == 1 else first
    else:
        raise ValueError(f"unknown bound kind {kind!r}")
    parts = [*release, *([0] * (position + 1 - len(release)))][: position + 1]
    parts[position] += 1
    epoch = f"{parsed.epoch}!" if parsed.epoch else ""
    return f"{lower},<{epoch}{'.'.join(map(str, parts))}"


# ---------------------------------------------------------------------------------------------- documents


def _parse(text: str, where: str) -> TOMLDocument:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        return tomlkit.parse(text)
    except ParseError as err:
        reason = re.sub(r"\s*at line \d+ col \d+$", "", str(err))
        lines = text.splitlines()
        context = [lines[err.line - 1], " " * err.col + "^"] if 0 < err.line <= len(lines) else []
        raise BaleError(f"{where}:{err.line}:{err.col + 1}: invalid TOML: {reason}", context=context) from err


def _dumps(doc: TOMLDocument, original: str) -> str:
    import tomlkit

    out = tomlkit.dumps(doc)
    # tomlkit puts a table bale adds right against its neighbours; set it apart by blank lines, as people do.
    for header in _created(doc):
        match = re.search(rf"^\[{re.escape(header)}\][ \t]*$", out, re.MULTILINE)
        if match is None:  # pragma: no cover - tomlkit always writes the header of a non-empty table
            continue
        following = _HEADER.search(out, match.end())
        if following is not None and not out[: following.start()].endswith("\n\n"):
            out = out[: following.start()] + "\n" + out[following.start() :]
        if match.start() > 0 and not out[: match.start()].endswith("\n\n"):
            out = out[: match.start()] + "\n" + out[match.start() :]
    # Adding or removing a table at the end must not change how the file ends.
    if original.endswith("\n") and not original.endswith("\n\n"):
        out = out.rstrip("\n") + "\n"
    return out


_HEADER = re.compile(r"^\[\[?[A-Za-z0-9_.\"' -]+\]\]?[ \t]*(#.*)?$", re.MULTILINE)


def _new_table(doc: TOMLDocument, header: str, *, super_table: bool = False) -> Table:
    """A table to add to ``doc`` as ``[header]``; ``_dumps`` sets it apart with blank lines."""
    import tomlkit

    table = tomlkit.table(is_super_table=super_table)
    if not super_table:
        _created(doc).append(header)
    return table


def _created(doc: TOMLDocument) -> list[str]:
    # Kept on the document itself (one per edit) rather than in module state, so concurrent edits never mix.
    created: list[str] | None = getattr(doc, "_bale_created", None)
    if created is None:
        created = []
        doc._bale_created = created  # type: ignore[attr-defined]
    return created


def _table_path(doc: TOMLDocument, keys: tuple[str, ...], where: str) -> Any:
    """The table at ``keys``, created (as ``[a.b.c]``, with implicit parents) if missing."""
    current: Any = doc
    for depth, key in enumerate(keys):
        found = current.get(key)
        if found is None:
            last = depth == len(keys) - 1
            found = _new_table(doc, ".".join(keys[: depth + 1]), super_table=not last)
            current[key] = found
        elif not isinstance(found, dict):
            raise BaleError(f"{where}: {'.'.join(keys[: depth + 1])}: expected a table, cannot edit it")
        current = found
    return current


def _target(
    doc: TOMLDocument, *, group: str | None, optional: str | None, dev: bool, where: str, create: bool = True
) -> tuple[Any, str, str]:
    """(container, key, key path) of the array an edit goes to; missing tables are created if ``create``.

    Without ``create`` a missing table gives an empty dict as container (so the array is missing too).
    """
    if sum((group is not None, optional is not None, dev)) > 1:
        raise ValueError("choose at most one of group, optional and dev")
    if dev:
        legacy = _legacy_dev(doc)
        groups = doc.get("dependency-groups")
        has_dev_group = isinstance(groups, dict) and any(normalize(k) == "dev" for k in groups)
        if legacy is not None and not has_dev_group:
            return legacy, "dev-dependencies", "tool.bale.dev-dependencies"
        group = "dev"
    if group is not None:
        table = _named_table(doc, doc, "dependency-groups", "dependency-groups", where=where, create=create)
        key = next((k for k in table if normalize(k) == normalize(group)), group)
        return table, key, f"dependency-groups.{key}"
    project = doc.get("project")
    if not isinstance(project, dict):
        raise BaleError(f"{where} has no [project] table", hint="run `bale init` to create a project")
    if optional is not None:
        table = _named_table(
            doc, project, "optional-dependencies", "project.optional-dependencies", where=where, create=create
        )
        key = next((k for k in table if normalize(k) == normalize(optional)), optional)
        return table, key, f"project.optional-dependencies.{key}"
    if "dependencies" in (project.get("dynamic") or []):
        raise BaleError(
            f"{where}: project.dependencies is dynamic (listed in project.dynamic); bale cannot edit it",
            hint="list the dependencies in [project] and remove 'dependencies' from project.dynamic",
        )
    return project, "dependencies", "project.dependencies"


def _named_table(doc: TOMLDocument, parent: Any, key: str, path: str, *, where: str, create: bool) -> Any:
    """``parent[key]`` as a table: created (as ``[path]``) when missing and ``create``, else an empty dict."""
    table = parent.get(key)
    if table is None and not create:
        return {}
    if table is None:
        table = _new_table(doc, path)
        parent[key] = table
    elif not isinstance(table, dict):
        raise BaleError(f"{where}: {path}: expected a table, cannot edit it")
    return table


def _settings_tool(doc: TOMLDocument) -> str:
    """``bale``, or ``uv`` where the file has ``[tool.uv]`` and no ``[tool.bale]`` (bale reads that one:
    a ``[tool.bale]`` table written into it would hide the project's uv indexes and sources)."""
    tool = doc.get("tool")
    if isinstance(tool, dict) and "bale" not in tool and isinstance(tool.get("uv"), dict):
        return "uv"
    return "bale"


def _legacy_dev(doc: TOMLDocument) -> Any:
    tool = doc.get("tool")
    bale = tool.get(_settings_tool(doc)) if isinstance(tool, dict) else None
    if isinstance(bale, dict) and "dev-dependencies" in bale:
        return bale
    return None


def _locations(doc: TOMLDocument, name: str) -> list[str]:
    """Key paths of every array in the file that lists package ``name`` (for hints)."""
    found: list[str] = []

    def scan(array: object, keypath: str) -> None:
        if isinstance(array, list) and any(_entry_name(item) == name for item in array):
            found.append(keypath)

    project = doc.get("project")
    if isinstance(project, dict):
        scan(project.get("dependencies"), "project.dependencies")
        extras = project.get("optional-dependencies")
        for extra, values in extras.items() if isinstance(extras, dict) else ():
            scan(values, f"project.optional-dependencies.{extra}")
    groups = doc.get("dependency-groups")
    for group, values in groups.items() if isinstance(groups, dict) else ():
        scan(values, f"dependency-groups.{group}")
    legacy = _legacy_dev(doc)
    if legacy is not None:
        scan(legacy.get("dev-dependencies"), f"tool.{_settings_tool(doc)}.dev-dependencies")
    return found


# ---------------------------------------------------------------------------------------------- arrays


def _array(container: Any, key: str, keypath: str, where: str, *, create: bool) -> Array | None:
    import tomlkit
    from tomlkit.items import Array

    found = container.get(key)
    if found is None:
        if not create:
            return None
        array = tomlkit.array()
        array.multiline(True)
        container[key] = array
        return container[key]  # type: ignore[no-any-return]
    if not isinstance(found, Array):
        raise BaleError(f"{where}: {keypath}: expected an array of requirement strings, cannot edit it")
    if create and len(found) == 0 and "#" not in found.as_string():
        # New and empty arrays are written one item per line, which keeps later diffs to one line each.
        found.multiline(True)
    return found


def _is_single_line(array: Array) -> bool:
    return "\n" not in array.as_string()


def _insert(container: Any, key: str, array: Array, position: int, item: Any) -> Array:
    """Insert ``item``; returns the array now in the document (a one-line array is rebuilt)."""
    if _is_single_line(array) and len(array):
        values = [_as_toml(v) for v in array]
        values.insert(position, _as_toml(item))
        return _replace_single_line(container, key, array, values)
    if position >= len(array):
        array.append(item)
    else:
        array.insert(position, item)
    return array


def _delete(container: Any, key: str, array: Array, position: int) -> Array:
    """Delete item ``position``; returns the array now in the document (a one-line array is rebuilt)."""
    if _is_single_line(array):
        values = [_as_toml(v) for i, v in enumerate(array) if i != position]
        return _replace_single_line(container, key, array, values)
    del array[position]
    return array


def _replace_single_line(container: Any, key: str, array: Array, values: list[str]) -> Array:
    """Rebuild a one-line array from its items' TOML text, keeping its padding and trailing comma.

    tomlkit's own insertion at the front of a one-line array drops the space after the comma.
    """
    import tomlkit

    original = array.as_string()
    pad = " " if original.startswith("[ ") and values else ""
    trailing = "," if re.search(r",\s*\]$", original) and values else ""
    container[key] = tomlkit.parse(f"v = [{pad}{', '.join(values)}{trailing}{pad}]\n")["v"]
    return container[key]  # type: ignore[no-any-return]


def _as_toml(item: Any) -> str:
    import tomlkit

    return str(item.as_string() if hasattr(item, "as_string") else tomlkit.item(item).as_string())


def _string(value: str, *, like: object = None) -> Any:
    """A TOML string for ``value``: literal ('...') when the value holds double quotes or ``like`` was."""
    import tomlkit
    from tomlkit.items import String, StringType

    was_literal = isinstance(like, String) and like.type == StringType.SLL
    literal = "'" not in value and "\n" not in value and (was_literal or '"' in value)
    return tomlkit.string(value, literal=literal)


def _entry_name(item: object) -> str | None:
    """The normalized package name of an array entry; None for include-group tables and the like."""
    if not isinstance(item, str):
        return None
    try:
        return normalize(Requirement(item).name)
    except InvalidRequirement:
        match = _NAME_PREFIX.match(item)
        return normalize(match.group(1)) if match else None


def _same_entry(item: object, name: str, marker: str | None) -> bool:
    if not isinstance(item, str) or _entry_name(item) != name:
        return False
    try:
        parsed = Requirement(item)
    except InvalidRequirement:
        return marker is None
    return (str(parsed.marker) if parsed.marker else None) == marker
