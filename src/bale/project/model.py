"""pyproject.toml read into a validated, frozen Project: PEP 621 metadata, PEP 735 groups, ``[tool.bale]``
(or, in a project without one, the parts of ``[tool.uv]`` bale can honour)."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.model.describe import describe_value as _describe
from bale.model.names import NormalizedName, normalize
from bale.model.record import record
from bale.model.requirement import Origin, RequirementSpec
from bale.project.inputs import load_toml
from bale.project.notices import Notice, emit

__all__ = [
    "NAME_RULE",
    "PYPROJECT",
    "WORKSPACE_LOCKS",
    "BaleSettings",
    "BuildSystem",
    "GitSource",
    "Index",
    "IndexSource",
    "PathSource",
    "Project",
    "Source",
    "UrlSource",
    "WorkspaceSettings",
    "WorkspaceSource",
    "check_index_references",
    "find_project",
    "is_valid_name",
    "load_project",
    "parse_source",
    "read_project",
    "settings_table",
]

PYPROJECT = "pyproject.toml"

# PEP 508 names: letters and digits, with '-', '_' or '.' inside (never at either end).
NAME_RULE = (
    "a name starts and ends with a letter or digit and contains only letters, digits, '-', '_' and '.'"
)
_VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a valid project, extra, group or index name (see ``NAME_RULE``)."""
    return _VALID_NAME.match(name) is not None


# ---------------------------------------------------------------------------------------------- values


@record(frozen=True, slots=True)
class Index:
    """One ``[[tool.bale.index]]``: a named package index.

    ``explicit`` indexes serve only the packages whose source names them; the ``default`` index replaces
    PyPI as the last resort. ``publish_url`` is where ``bale publish --index NAME`` uploads.
    """

    name: str
    url: str
    explicit: bool = False
    default: bool = False
    publish_url: str | None = None


@record(frozen=True, slots=True)
class IndexSource:
    """``{ index = "name" }``: take the package from one named index.

    Every source may carry a ``marker``: it applies only in the environments the marker selects.
    """

    index: str
    marker: Marker | None = None


@record(frozen=True, slots=True)
class PathSource:
    """``{ path = "...", editable = bool }``; ``path`` is absolute (resolved against the project root)."""

    path: Path
    editable: bool = False
    marker: Marker | None = None


@record(frozen=True, slots=True)
class GitSource:
    """``{ git = "url", tag | branch | rev = "...", subdirectory = ".." }``, one of tag/branch/rev at most."""

    git: str
    rev: str | None = None
    tag: str | None = None
    branch: str | None = None
    subdirectory: str | None = None
    marker: Marker | None = None


@record(frozen=True, slots=True)
class UrlSource:
    """``{ url = "https://.../pkg.whl" }``: a wheel or sdist at a URL."""

    url: str
    subdirectory: str | None = None
    marker: Marker | None = None


@record(frozen=True, slots=True)
class WorkspaceSource:
    """``{ workspace = true }``: the package is a member of the same workspace (installed editable)."""

    marker: Marker | None = None


Source = IndexSource | PathSource | GitSource | UrlSource | WorkspaceSource


WORKSPACE_LOCKS = ("workspace", "per-member")


@record(frozen=True, slots=True)
class WorkspaceSettings:
    """``[tool.bale.workspace]``: member globs and exclusion globs, relative to the workspace root;
    ``lock``: one lock for the whole workspace (``"workspace"``), or one lock and environment in each
    member's folder (``"per-member"``, see ``project.workspace.member_view``)."""

    members: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    lock: str = "workspace"


@record(frozen=True, slots=True)
class BuildSystem:
    """``[build-system]``: what builds the project (PEP 517/518)."""

    requires: tuple[Requirement, ...]
    backend: str | None
    backend_path: tuple[str, ...] = ()


@record(frozen=True, slots=True)
class BaleSettings:
    """``[tool.bale]`` of one pyproject.toml, validated; or its ``[tool.uv]`` where it has no
    ``[tool.bale]`` (``table`` says which, as ``tool.bale`` or ``tool.uv``).

    ``dev_dependencies`` is the legacy spelling of the ``dev`` dependency group (already merged into
    ``Project.dependency_groups``). ``default_groups`` is None when unset. ``unknown`` lists keys bale
    does not know; ``notices`` what to tell the user about how the table was read (unknown or
    ignored keys); ``raw`` holds the keys bale reads, as written, for settings read elsewhere.
    """

    indexes: tuple[Index, ...] = ()
    sources: dict[NormalizedName, Source] = field(default_factory=dict)
    constraint_dependencies: tuple[RequirementSpec, ...] = ()
    override_dependencies: tuple[RequirementSpec, ...] = ()
    environments: tuple[Marker, ...] = ()
    exclude_newer: str | None = None
    default_groups: tuple[NormalizedName, ...] | Literal["all"] | None = None
    dev_dependencies: tuple[RequirementSpec, ...] = ()
    workspace: WorkspaceSettings | None = None
    package: bool | None = None
    unknown: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    table: str = "tool.bale"
    notices: tuple[Notice, ...] = ()


@record(frozen=True, slots=True)
class Project:
    """One pyproject.toml: a project, or a workspace root without a ``[project]`` table (``name`` is None).

    ``dependency_groups`` holds every group resolved (includes followed, the legacy
    ``tool.bale.dev-dependencies`` merged into ``dev``); ``dependency_groups_table`` is the
    ``[dependency-groups]`` table as written. A project without a build system is virtual: its
    dependencies are installed, the project itself is not (``tool.bale.package`` overrides that).
    """

    root: Path
    pyproject: Path
    name: NormalizedName | None
    version: Version | None = None
    dynamic: tuple[str, ...] = ()
    requires_python: SpecifierSet | None = None
    dependencies: tuple[RequirementSpec, ...] = ()
    optional_dependencies: dict[NormalizedName, tuple[RequirementSpec, ...]] = field(default_factory=dict)
    dependency_groups: dict[NormalizedName, tuple[RequirementSpec, ...]] = field(default_factory=dict)
    dependency_groups_table: dict[str, Any] = field(default_factory=dict)
    build_system: BuildSystem | None = None
    settings: BaleSettings = field(default_factory=BaleSettings)

    @property
    def is_package(self) -> bool:
        """Whether the project itself is built and installed (not virtual)."""
        if self.name is None:
            return False
        if self.settings.package is not None:
            return self.settings.package
        return self.build_system is not None

    @property
    def is_virtual(self) -> bool:
        return not self.is_package

    @property
    def is_workspace_root(self) -> bool:
        return self.settings.workspace is not None

    @property
    def default_groups(self) -> tuple[NormalizedName, ...]:
        """Groups installed unless asked otherwise: ``tool.bale.default-groups``, else ``dev`` if defined."""
        chosen = self.settings.default_groups
        if chosen == "all":
            return tuple(self.dependency_groups)
        if chosen is not None:
            return chosen
        dev = normalize("dev")
        return (dev,) if dev in self.dependency_groups else ()


# ---------------------------------------------------------------------------------------------- finding


def find_project(start: Path) -> Project:
    """The nearest pyproject.toml with a ``[project]`` table (or a workspace root) from ``start`` upwards."""
    start = start.resolve()
    skipped: list[str] = []
    for directory in (start, *start.parents):
        candidate = directory / PYPROJECT
        if not candidate.is_file():
            continue
        data = load_toml(candidate)
        if "project" in data or _has_workspace_table(data):
            project = _read(candidate, data)
            _check_with_enclosing_workspace(project)
            return project
        skipped.append(f"{candidate} has no [project] table")
    raise BaleError(
        f"No {PYPROJECT} found in {start} or any parent directory",
        context=skipped,
        hint="run `bale init` to create a project",
    )


def load_project(pyproject: Path, *, inherited_indexes: Collection[str] = (), notify: bool = True) -> Project:
    """Read and validate one pyproject.toml; sources may name its own indexes or ``inherited_indexes``.

    ``notify=False`` keeps its notices (how its settings were read) to itself: for a file whose
    settings bale does not apply, such as a path dependency's.
    """
    project = read_project(pyproject, notify=notify)
    check_index_references(project, inherited_indexes)
    return project


def read_project(pyproject: Path, *, notify: bool = True, text: str | None = None) -> Project:
    """Read and validate one pyproject.toml, except that index names used by sources are not checked.

    A workspace member may name an index its root defines; ``check_index_references`` is the second half.
    ``text``: what the file is about to say (``bale upgrade --dry-run``, the lock merge driver), read in
    its place.
    """
    if text is None:
        return _read(pyproject, load_toml(pyproject), notify=notify)
    from bale.project.inputs import load_toml_text

    return _read(pyproject, load_toml_text(text, pyproject), notify=notify, text=text)


def check_index_references(project: Project, inherited: Collection[str] = ()) -> None:
    """Every ``{ index = ... }`` source names an index of the project, or one of ``inherited``."""
    known = {index.name for index in project.settings.indexes if index.name} | set(inherited)
    table = project.settings.table
    problems: list[str] = []
    for name, source in project.settings.sources.items():
        if isinstance(source, IndexSource) and source.index not in known:
            defined = ", ".join(sorted(known)) or "none"
            problems.append(
                f"{_key_path(*table.split('.'), 'sources', name, 'index')}: no index named "
                f"{source.index!r} (indexes defined: {defined})"
            )
    if problems:
        raise _problems_error(
            project.pyproject,
            [_Problem(p) for p in problems],
            hint=f"define it with [[{table}.index]] name = ..., url = ...",
        )


def settings_table(data: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The table a pyproject.toml's settings come from, ``("bale", [tool.bale])``, else ``("uv",
    [tool.uv])`` where there is no ``[tool.bale]``; None when it has neither."""
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return None
    for name in ("bale", "uv"):
        table = tool.get(name)
        if isinstance(table, dict):
            return name, table
    return None


def _has_workspace_table(data: Mapping[str, Any]) -> bool:
    chosen = settings_table(data)
    return chosen is not None and "workspace" in chosen[1]


def _check_with_enclosing_workspace(project: Project) -> None:
    """Check index references, letting a member use its workspace root's indexes."""
    try:
        check_index_references(project)
    except BaleError:
        # Only on this (rare) path is it worth reading the files above the project.
        for directory in project.root.parents:
            candidate = directory / PYPROJECT
            if candidate.is_file():
                data = load_toml(candidate)
                if _has_workspace_table(data):
                    root = _read(candidate, data)
                    check_index_references(project, [index.name for index in root.settings.indexes])
                    return
        raise


# ---------------------------------------------------------------------------------------------- problems


@record(frozen=True, slots=True)
class _Problem:
    text: str
    line: int | None = None
    detail: tuple[str, ...] = ()


def _problems_error(path: Path, problems: list[_Problem], *, hint: str | None = None) -> BaleError:
    """One error for all problems of a file: a single one in the message, several as context lines."""
    if len(problems) == 1:
        problem = problems[0]
        where = f"{path}:{problem.line}" if problem.line else str(path)
        return BaleError(f"{where}: {problem.text}", context=problem.detail, hint=hint)
    context: list[str] = []
    for problem in problems:
        prefix = f"line {problem.line}: " if problem.line else ""
        context.append(prefix + problem.text)
        context.extend(f"  {line}" for line in problem.detail)
    return BaleError(f"{path}: {len(problems)} problems", context=context, hint=hint)


def _key_path(*parts: str | int) -> str:
    """``tool.bale.sources."zope.interface".index``; integers become ``[i]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else '"' + part.replace('"', '\\"') + '"'
        out = f"{out}.{text}" if out else text
    return out


class _Reader:
    """Collects problems while walking one file's tables, so that all of them are reported at once."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[_Problem] = []
        self.notices: list[Notice] = []

    def problem(self, keys: tuple[str | int, ...], what: str, *, line: int | None = None) -> None:
        self.problems.append(_Problem(f"{_key_path(*keys)}: {what}", line))

    def expected(self, keys: tuple[str | int, ...], expected: str, value: object) -> None:
        self.problem(keys, f"expected {expected}, got {_describe(value)}")

    def table(self, value: object, keys: tuple[str | int, ...]) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.expected(keys, "a table", value)
            return None
        return value

    def string(self, value: object, keys: tuple[str | int, ...], expected: str = "a string") -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.expected(keys, expected, value)
            return None
        return value

    def boolean(self, value: object, keys: tuple[str | int, ...]) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            self.expected(keys, "true or false", value)
            return None
        return value

    def strings(
        self, value: object, keys: tuple[str | int, ...], expected: str = "a string"
    ) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            self.expected(keys, f"an array of {expected.removeprefix('a ').removeprefix('an ')}s", value)
            return None
        good: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                good.append(item)
            else:
                self.expected((*keys, i), expected, item)
        return good

    def line_of(self, value: str) -> int | None:
        """1-based line of a string value as written (quoted), for requirement origins."""
        for quoted in (_basic_quoted(value), f"'{value}'"):
            index = self.text.find(quoted)
            if index >= 0:
                return self.text.count("\n", 0, index) + 1
        return None

    def requirement(self, value: str, keys: tuple[str | int, ...]) -> RequirementSpec | None:
        line = self.line_of(value)
        try:
            parsed = Requirement(value)
        except InvalidRequirement as err:
            from bale.model.requirement_errors import caret_lines, explain

            why = explain(err, value)
            self.problems.append(
                _Problem(
                    f"{_key_path(*keys)}: invalid requirement {value!r}: {why.message}",
                    line,
                    tuple(caret_lines(value, why.start, why.end, indent="    ")),
                )
            )
            return None
        return RequirementSpec(normalize(parsed.name), parsed, Origin(str(self.path), line), url=parsed.url)

    def requirements(self, value: object, keys: tuple[str | int, ...]) -> tuple[RequirementSpec, ...]:
        values = self.strings(value, keys, "a requirement string")
        if not values:
            return ()
        specs: list[RequirementSpec] = []
        for i, item in enumerate(value if isinstance(value, list) else []):
            if isinstance(item, str):
                spec = self.requirement(item, (*keys, i))
                if spec is not None:
                    specs.append(spec)
        return tuple(specs)


def _basic_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------------------- reading


def _read(pyproject: Path, data: dict[str, Any], *, notify: bool = True, text: str | None = None) -> Project:
    pyproject = pyproject.absolute()
    reader = _Reader(pyproject, pyproject.read_text(encoding="utf-8") if text is None else text)
    root = pyproject.parent

    name: NormalizedName | None = None
    version: Version | None = None
    dynamic: tuple[str, ...] = ()
    requires_python: SpecifierSet | None = None
    dependencies: tuple[RequirementSpec, ...] = ()
    optional: dict[NormalizedName, tuple[RequirementSpec, ...]] = {}

    project = reader.table(data.get("project"), ("project",))
    if project is not None:
        dynamic = tuple(reader.strings(project.get("dynamic"), ("project", "dynamic")) or ())
        raw_name = project.get("name")
        if raw_name is None:
            reader.problem(("project", "name"), "missing; every project needs a name")
        elif (text := reader.string(raw_name, ("project", "name"))) is not None:
            if _VALID_NAME.match(text):
                name = normalize(text)
            else:
                reader.problem(("project", "name"), f"{text!r} is not a valid name: {NAME_RULE}")
        raw_version = reader.string(project.get("version"), ("project", "version"))
        if raw_version is not None:
            try:
                version = Version(raw_version)
            except InvalidVersion:
                reader.problem(
                    ("project", "version"), f"expected a PEP 440 version (like 1.2.3), got {raw_version!r}"
                )
        raw_python = reader.string(project.get("requires-python"), ("project", "requires-python"))
        if raw_python is not None:
            try:
                requires_python = SpecifierSet(raw_python)
            except InvalidSpecifier:
                reader.problem(
                    ("project", "requires-python"),
                    f"expected version specifiers (like >=3.10), got {raw_python!r}",
                )
        dependencies = reader.requirements(project.get("dependencies"), ("project", "dependencies"))
        extras = reader.table(project.get("optional-dependencies"), ("project", "optional-dependencies"))
        for extra, values in (extras or {}).items():
            keys: tuple[str | int, ...] = ("project", "optional-dependencies", extra)
            if not _VALID_NAME.match(extra):
                reader.problem(keys, f"{extra!r} is not a valid extra name: {NAME_RULE}")
                continue
            optional[normalize(extra)] = reader.requirements(values, keys)

    build_system = _build_system(reader, data.get("build-system"))
    settings = _settings(reader, root, data.get("tool"))
    if notify:  # a file whose settings bale applies: the configuration files' go under them
        settings = _with_config_files(settings)
    groups_table = reader.table(data.get("dependency-groups"), ("dependency-groups",)) or {}
    groups = _groups(reader, groups_table, settings.dev_dependencies)
    if isinstance(settings.default_groups, tuple):
        for i, group in enumerate(settings.default_groups):
            if group not in groups:
                known = ", ".join(groups) or "none"
                reader.problem(
                    (*settings.table.split("."), "default-groups", i),
                    f"no dependency group named {group!r} (groups: {known})",
                )

    if reader.problems:
        raise _problems_error(pyproject, reader.problems)
    if notify:
        emit(settings.notices)
    return Project(
        root=root,
        pyproject=pyproject,
        name=name,
        version=version,
        dynamic=dynamic,
        requires_python=requires_python,
        dependencies=dependencies,
        optional_dependencies=optional,
        dependency_groups=groups,
        dependency_groups_table=dict(groups_table),
        build_system=build_system,
        settings=settings,
    )


def _build_system(reader: _Reader, value: object) -> BuildSystem | None:
    table = reader.table(value, ("build-system",))
    if table is None:
        return None
    requires: list[Requirement] = []
    for spec in reader.requirements(table.get("requires", []), ("build-system", "requires")):
        assert spec.requirement is not None
        requires.append(spec.requirement)
    backend = reader.string(table.get("build-backend"), ("build-system", "build-backend"))
    backend_path = reader.strings(table.get("backend-path"), ("build-system", "backend-path")) or []
    return BuildSystem(tuple(requires), backend, tuple(backend_path))


def _groups(
    reader: _Reader, table: dict[str, Any], legacy_dev: tuple[RequirementSpec, ...]
) -> dict[NormalizedName, tuple[RequirementSpec, ...]]:
    """Check ``[dependency-groups]`` item by item (to name the key at fault), then resolve every group."""
    before = len(reader.problems)
    seen: dict[NormalizedName, str] = {}
    origins: dict[str, Origin] = {}
    for group, items in table.items():
        keys: tuple[str | int, ...] = ("dependency-groups", group)
        normalized = normalize(group)
        if not _VALID_NAME.match(group):
            reader.problem(keys, f"{group!r} is not a valid group name: {NAME_RULE}")
        elif normalized in seen:
            reader.problem(keys, f"same group as {seen[normalized]!r} (names are compared normalized)")
        seen[normalized] = group
        if not isinstance(items, list):
            reader.expected(keys, "an array of requirement strings and { include-group = ... } tables", items)
            continue
        for i, item in enumerate(items):
            if isinstance(item, str):
                spec = reader.requirement(item, (*keys, i))
                if spec is not None:
                    origins.setdefault(str(spec.requirement), spec.origin)
            elif isinstance(item, dict):
                included = item.get("include-group")
                if set(item) != {"include-group"} or not isinstance(included, str):
                    reader.expected((*keys, i), '{ include-group = "<group name>" }', item)
                elif normalize(included) not in {normalize(g) for g in table}:
                    known = ", ".join(sorted(table)) or "none"
                    reader.problem(
                        (*keys, i),
                        f"group {group!r} includes group {included!r}, which does not exist "
                        f"(groups: {known})",
                    )
            else:
                reader.expected((*keys, i), "a requirement string or { include-group = ... }", item)
    if len(reader.problems) > before:
        return {}

    merged: dict[str, Any] = dict(table)
    if legacy_dev:
        dev_key = seen.get(normalize("dev"), "dev")
        merged[dev_key] = [*merged.get(dev_key, []), *(str(spec.requirement) for spec in legacy_dev)]
        for spec in legacy_dev:
            origins.setdefault(str(spec.requirement), spec.origin)

    from packaging.dependency_groups import resolve_dependency_groups
    from packaging.errors import ExceptionGroup

    groups: dict[NormalizedName, tuple[RequirementSpec, ...]] = {}
    for group in merged:
        try:
            resolved = resolve_dependency_groups(merged, group)
        except (ExceptionGroup, ValueError, LookupError, TypeError) as err:
            causes = getattr(err, "exceptions", [err])
            reader.problem(("dependency-groups", group), "; ".join(str(cause) for cause in causes))
            # The items were checked above, so this is a cycle: the other groups on it say the same.
            break
        specs: list[RequirementSpec] = []
        for text in resolved:
            requirement = Requirement(text)
            origin = origins.get(text, Origin(str(reader.path)))
            name = normalize(requirement.name)
            specs.append(RequirementSpec(name, requirement, origin, url=requirement.url))
        groups[normalize(group)] = tuple(specs)
    return groups


_SETTINGS_KEYS = (
    "index",
    "index-strategy",
    "sources",
    "constraint-dependencies",
    "override-dependencies",
    "environments",
    "exclude-newer",
    "exclude-newer-package",
    "prerelease",
    "prerelease-package",
    "resolution",
    "fork-strategy",
    "default-groups",
    "dev-dependencies",
    "workspace",
    "package",
    "audit",
    "policy",
    "tasks",  # read by bale.project.tasks, only when a task runs
    "remote-cache",  # these three: bale.ops.remote_cache_setup, for lock and sync
    "remote-cache-readonly",
    "remote-cache-wheels",
)


def _settings(reader: _Reader, root: Path, tool: object) -> BaleSettings:
    """``[tool.bale]``; else what bale honours of ``[tool.uv]``, saying so (a uv project works as is)."""
    tool_table = reader.table(tool, ("tool",)) or {}
    bale = reader.table(tool_table.get("bale"), ("tool", "bale"))
    uv = reader.table(tool_table.get("uv"), ("tool", "uv"))
    where = str(reader.path)
    if bale is not None:
        settings = _table_settings(reader, root, bale, "bale")
        unknown = [key for key in bale if key not in _SETTINGS_KEYS]
        notices = [_unknown_notice(key, "tool.bale", where, _SETTINGS_KEYS) for key in unknown]
        if uv:
            # A [tool.uv] source or index that does not apply any more is the one surprise that
            # costs more than time (dependency confusion): say so as a warning.
            warn = bool({"sources", "index"} & set(uv))
            text = f"[tool.bale] of {where} wins over [tool.uv]; ignoring [tool.uv] keys: {', '.join(uv)}"
            notices.append(Notice(text if warn else f"bale: {text}", warning=warn))
        return replace(settings, notices=(*reader.notices, *notices))
    if not uv:
        return BaleSettings()
    from bale.project.uv_keys import REFUSED, TOP_LEVEL_KEYS

    for key in [key for key in REFUSED if uv.get(key)]:
        reader.problem(
            ("tool", "uv", key),
            "bale does not support this key, and without it packages would come from other indexes "
            f"than the project names: {REFUSED[key]}",
        )
    read = {key: value for key, value in uv.items() if key in _SETTINGS_KEYS}
    settings = _table_settings(reader, root, read, "uv")
    notices = []
    if read:
        notices.append(
            Notice(f"bale: reading [tool.uv] of {where} (no [tool.bale] table): {', '.join(read)}")
        )
    refused = [key for key in REFUSED if uv.get(key)]
    ignored = [key for key in uv if key not in read and key in TOP_LEVEL_KEYS and key not in refused]
    if ignored:
        notices.append(
            Notice(
                f"bale does not support these [tool.uv] keys of {where} and ignores them: "
                + ", ".join(ignored),
                warning=True,
            )
        )
    unknown = [key for key in uv if key not in TOP_LEVEL_KEYS and key not in _SETTINGS_KEYS]
    notices.extend(_unknown_notice(key, "tool.uv", where, TOP_LEVEL_KEYS) for key in unknown)
    return replace(settings, unknown=tuple(sorted(unknown)), notices=(*notices, *reader.notices))


def _with_config_files(settings: BaleSettings) -> BaleSettings:
    """``settings`` with the run's bale.toml files under them (see ``bale.project.config_files``)."""
    from bale.project.config_files import project_layers

    layers = project_layers()
    if not layers:
        return settings
    from bale.project.config_merge import merge_project

    return merge_project(settings, layers)


def config_settings(path: Path, text: str, table: dict[str, Any]) -> BaleSettings:
    """The ``[tool.bale]`` keys of a bale.toml (``table``, at its top level), checked as a project's
    are; a BaleError names the file and each key at fault."""
    reader = _Reader(path, text)
    settings = _table_settings(reader, path.parent, table, "bale", base=())
    if reader.problems:
        raise _problems_error(path, reader.problems)
    return replace(settings, table=path.name)


def _unknown_notice(key: str, table: str, where: str, known: Collection[str]) -> Notice:
    from bale.project.uv_keys import closest

    guess = closest(key, known)
    tail = f"; did you mean {guess!r}?" if guess else " (ignored)"
    return Notice(f"unknown key {key!r} in [{table}] of {where}{tail}", warning=True)


def _table_settings(
    reader: _Reader, root: Path, bale: dict[str, Any], tool: str, *, base: tuple[str, ...] | None = None
) -> BaleSettings:
    """The settings in ``bale``, the ``[tool.<tool>]`` table (``bale``, or ``uv`` with the keys bale
    reads from it: they mean the same in both); ``base``: where the keys are (``()``: a bale.toml's
    top level)."""
    base = ("tool", tool) if base is None else base
    indexes = _indexes(reader, bale.get("index"), base, root)
    sources: dict[NormalizedName, Source] = {}
    for name, value in (reader.table(bale.get("sources"), (*base, "sources")) or {}).items():
        source = _source(reader, value, (*base, "sources", name), root)
        if source is not None:
            sources[normalize(name)] = source

    environments: list[Marker] = []
    markers = reader.strings(bale.get("environments"), (*base, "environments"), "a marker") or []
    for i, text in enumerate(markers):
        try:
            environments.append(Marker(text))
        except InvalidMarker as err:
            from bale.model.requirement_errors import describe

            reader.problem((*base, "environments", i), f"invalid marker {text!r}: {describe(err, text)}")

    exclude_newer = _exclude_newer(reader, bale.get("exclude-newer"), base)
    default_groups: tuple[NormalizedName, ...] | Literal["all"] | None = None
    raw_default = bale.get("default-groups")
    if raw_default == "all":
        default_groups = "all"
    elif raw_default is not None:
        if isinstance(raw_default, list):
            names = reader.strings(raw_default, (*base, "default-groups"), "a group name") or []
            default_groups = tuple(normalize(n) for n in names)
        else:
            reader.expected((*base, "default-groups"), 'an array of group names or "all"', raw_default)

    workspace: WorkspaceSettings | None = None
    if "workspace" in bale:
        table = reader.table(bale["workspace"], (*base, "workspace"))
        if table is not None:
            members = reader.strings(table.get("members"), (*base, "workspace", "members"), "a glob") or []
            exclude = reader.strings(table.get("exclude"), (*base, "workspace", "exclude"), "a glob") or []
            for key in sorted(set(table) - {"members", "exclude", "lock"}):
                reader.problem((*base, "workspace", key), "unknown key (expected: members, exclude, lock)")
            lock = table.get("lock", "workspace")
            if lock not in WORKSPACE_LOCKS:
                reader.expected((*base, "workspace", "lock"), '"workspace" or "per-member"', lock)
                lock = "workspace"
            workspace = WorkspaceSettings(tuple(members), tuple(exclude), lock)

    return BaleSettings(
        indexes=indexes,
        sources=sources,
        constraint_dependencies=reader.requirements(
            bale.get("constraint-dependencies"), (*base, "constraint-dependencies")
        ),
        override_dependencies=reader.requirements(
            bale.get("override-dependencies"), (*base, "override-dependencies")
        ),
        environments=tuple(environments),
        exclude_newer=exclude_newer,
        default_groups=default_groups,
        dev_dependencies=reader.requirements(bale.get("dev-dependencies"), (*base, "dev-dependencies")),
        workspace=workspace,
        package=reader.boolean(bale.get("package"), (*base, "package")),
        unknown=tuple(sorted(set(bale) - set(_SETTINGS_KEYS))),
        raw=dict(bale),
        table=f"tool.{tool}",
    )


_INDEX_KEYS = ("name", "url", "explicit", "default", "publish-url")
# uv's index keys that only tune how the index is fetched: without them bale asks the same index.
_UV_INDEX_TUNING = ("authenticate", "ignore-error-codes", "cache-control")


def _indexes(reader: _Reader, value: object, tool: tuple[str, ...], root: Path) -> tuple[Index, ...]:
    base: tuple[str | int, ...] = (*tool, "index")
    uv = tool == ("tool", "uv")
    if value is None:
        return ()
    if not isinstance(value, list):
        reader.expected(base, f"an array of tables ([[{'.'.join((*tool, 'index'))}]])", value)
        return ()
    indexes: list[Index] = []
    defaults: list[str] = []
    for i, entry in enumerate(value):
        keys = (*base, i)
        table = reader.table(entry, keys)
        if table is None:
            continue
        allowed = (*_INDEX_KEYS, "format", *_UV_INDEX_TUNING) if uv else _INDEX_KEYS
        for key in [key for key in table if key not in allowed]:
            reader.problem((*keys, key), f"unknown key (expected: {', '.join(allowed)})")
        tuning = [key for key in _UV_INDEX_TUNING if key in table]
        if tuning:
            reader.notices.append(
                Notice(
                    f"{reader.path}: {_key_path(*keys)}: bale ignores {', '.join(tuning)}",
                    warning=True,
                )
            )
        if uv and table.get("format", "simple") != "simple":
            reader.problem(
                (*keys, "format"),
                f'bale reads only indexes of the simple API (format = "simple"), got '
                f"{_describe(table['format'])}; pass the folder or page with --find-links instead",
            )
        name = reader.string(table.get("name"), (*keys, "name"))
        url = reader.string(table.get("url"), (*keys, "url"))
        if "name" not in table and not uv:  # uv's names are optional: sources cannot name those
            reader.problem((*keys, "name"), "missing; every index needs a name for sources to refer to")
        if "url" not in table:
            reader.problem((*keys, "url"), "missing; expected the index URL")
        if name is not None and not _VALID_NAME.match(name):
            reader.problem((*keys, "name"), f"{name!r} is not a valid index name: {NAME_RULE}")
            name = None
        if name is not None and any(index.name == name for index in indexes):
            reader.problem((*keys, "name"), f"index {name!r} is defined twice")
            name = None
        if name is None and uv and "name" not in table:
            name = ""
        explicit = reader.boolean(table.get("explicit"), (*keys, "explicit")) or False
        default = reader.boolean(table.get("default"), (*keys, "default")) or False
        publish_url = reader.string(table.get("publish-url"), (*keys, "publish-url"))
        if name is None or url is None:
            continue
        if default:
            defaults.append(name or url)
        url = _index_url(url, root)
        indexes.append(Index(name, url, explicit=explicit, default=default, publish_url=publish_url))
    if len(defaults) > 1:
        reader.problem(base, f"only one index can be the default, got {len(defaults)}: {', '.join(defaults)}")
    return tuple(indexes)


def _index_url(url: str, root: Path) -> str:
    """An index URL; a path (``uv add --index`` writes those for local indexes) as a ``file:`` URL,
    relative to the pyproject.toml's folder."""
    if "://" in url or url.startswith("file:"):
        return url
    return Path(os.path.normpath(root / os.path.expanduser(url))).as_uri()


_SOURCE_KEYS: dict[str, tuple[str, ...]] = {
    "index": ("index", "marker"),
    "path": ("path", "editable", "marker"),
    "git": ("git", "rev", "tag", "branch", "subdirectory", "marker"),
    "url": ("url", "subdirectory", "marker"),
    "workspace": ("workspace", "marker"),
}
# uv's source keys bale cannot honour, unless set to the value that changes nothing (None: none does).
_UV_SOURCE_UNSUPPORTED: dict[str, object] = {
    "lfs": False,
    "package": None,
    "extra": None,
    "group": None,
    "editable": True,  # on a workspace source: bale installs members editable
}
_UV_SOURCE_WHY = {
    "lfs": "bale does not fetch git LFS files",
    "package": "bale builds every path dependency as a package",
    "extra": "bale takes a package from one source for every extra",
    "group": "bale takes a package from one source for every dependency group",
    "editable": "bale installs workspace members editable",
}


def parse_source(value: object, keys: tuple[str | int, ...], root: Path) -> Source:
    """One ``[tool.bale.sources]`` entry -> a Source; raises BaleError naming ``keys`` (pyproject.toml)."""
    reader = _Reader(root / PYPROJECT, "")
    source = _source(reader, value, keys, root)
    if reader.problems or source is None:
        raise _problems_error(root / PYPROJECT, reader.problems)
    return source


def _source(reader: _Reader, value: object, keys: tuple[str | int, ...], root: Path) -> Source | None:
    uv = keys[:2] == ("tool", "uv")
    if isinstance(value, list) and not uv:
        reader.expected(keys, "a table (one source per package)", value)
        return None
    if isinstance(value, list) and len(value) == 1:
        value, keys = value[0], (*keys, 0)
    elif isinstance(value, list):
        reader.problem(
            keys,
            f"bale does not support a list of {len(value)} sources (one per marker, extra or group): "
            "it takes a package from one source wherever it is required; give it one source",
        )
        return None
    table = reader.table(value, keys)
    if table is None:
        return None
    kinds = [kind for kind in _SOURCE_KEYS if kind in table]
    if len(kinds) != 1:
        found = f"got {', '.join(kinds)}" if kinds else f"got keys: {', '.join(table) or 'none'}"
        reader.problem(keys, f"expected exactly one of index, path, git, url, workspace ({found})")
        return None
    kind = kinds[0]
    allowed = _SOURCE_KEYS[kind]
    unknown = [key for key in table if key not in allowed]
    for key in unknown:
        if not uv or key not in _UV_SOURCE_UNSUPPORTED or (key == "editable" and kind != "workspace"):
            reader.problem((*keys, key), f"unknown key for a {kind} source (expected: {', '.join(allowed)})")
        elif table[key] != _UV_SOURCE_UNSUPPORTED[key]:  # a value that changes nothing is fine
            reader.problem(
                (*keys, key),
                f"bale cannot honour this key of a {kind} source ({_UV_SOURCE_WHY[key]}); "
                "remove it, or the source",
            )
    before = len(reader.problems)
    marker = _source_marker(reader, table.get("marker"), (*keys, "marker"))
    if kind == "index":
        expected = f"a string (the name of a [[{'tool.uv' if uv else 'tool.bale'}.index]])"
        index = reader.string(table["index"], (*keys, "index"), expected)
        return IndexSource(index, marker) if index is not None and len(reader.problems) == before else None
    if kind == "path":
        path = reader.string(table["path"], (*keys, "path"))
        editable = reader.boolean(table.get("editable"), (*keys, "editable")) or False
        if path is None or len(reader.problems) > before:
            return None
        return PathSource(Path(os.path.normpath(root / path)), editable, marker)
    if kind == "git":
        git = reader.string(table["git"], (*keys, "git"), "a string (a git URL)")
        refs = {key: reader.string(table.get(key), (*keys, key)) for key in ("rev", "tag", "branch")}
        given = [key for key in ("rev", "tag", "branch") if key in table]
        if len(given) > 1:
            reader.problem(keys, f"expected at most one of rev, tag, branch (got {', '.join(given)})")
        subdirectory = reader.string(table.get("subdirectory"), (*keys, "subdirectory"))
        if git is None or len(reader.problems) > before:
            return None
        return GitSource(git, refs["rev"], refs["tag"], refs["branch"], subdirectory, marker)
    if kind == "url":
        url = reader.string(table["url"], (*keys, "url"))
        subdirectory = reader.string(table.get("subdirectory"), (*keys, "subdirectory"))
        if url is None or len(reader.problems) > before:
            return None
        return UrlSource(url, subdirectory, marker)
    if table["workspace"] is not True:
        reader.expected((*keys, "workspace"), "true", table["workspace"])
        return None
    return WorkspaceSource(marker) if len(reader.problems) == before else None


def _source_marker(reader: _Reader, value: object, keys: tuple[str | int, ...]) -> Marker | None:
    text = reader.string(value, keys, "a marker string")
    if text is None:
        return None
    try:
        return Marker(text)
    except InvalidMarker as err:
        from bale.model.requirement_errors import describe

        reader.problem(keys, f"invalid marker {text!r}: {describe(err, text)}")
        return None


def _exclude_newer(reader: _Reader, value: object, tool: tuple[str, ...]) -> str | None:
    keys = (*tool, "exclude-newer")
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = reader.string(value, keys, "a date, timestamp or duration")
    if text is None:
        return None
    from bale.model.dates import parse_cutoff

    try:
        # Only the form is checked here; durations are measured from "now" by whoever applies the cutoff.
        parse_cutoff(text, datetime(2000, 1, 1, tzinfo=timezone.utc))
    except ValueError as err:
        reader.problem(keys, str(err))
        return None
    return text
