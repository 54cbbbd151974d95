"""Workspaces: a root pyproject.toml whose ``[tool.bale.workspace]`` (or ``[tool.uv.workspace]``) globs
name member projects."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bale.errors import BaleError
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.model.requirement import RequirementSpec
from bale.project.inputs import load_toml
from bale.project.model import (
    PYPROJECT,
    BaleSettings,
    PathSource,
    Project,
    Source,
    WorkspaceSource,
    check_index_references,
    find_project,
    read_project,
    settings_table,
)

__all__ = ["Workspace", "discover_workspace", "find_workspace", "lock_workspace", "member_view"]


@record(frozen=True, slots=True)
class Workspace:
    """A workspace root and its members by name; the root is a member too when it has a ``[project]``.

    A project outside any workspace is a workspace of one (``root`` is the project, ``members`` holds it).
    Settings that shape the resolution (indexes, constraints, overrides, environments, exclude-newer)
    are read from the root only; sources are the root's overlaid with the member's own.

    ``enclosing`` is set on one member's view of a per-member workspace (see :func:`member_view`):
    the whole workspace, whose members ``{ workspace = true }`` sources name.
    """

    root: Project
    members: dict[NormalizedName, Project]
    enclosing: Workspace | None = None

    @property
    def per_member(self) -> bool:
        """Whether each member has its own lock and environment (``[tool.bale.workspace] lock``)."""
        settings = self.root.settings.workspace
        return settings is not None and settings.lock == "per-member"

    def member_at(self, path: Path) -> Project | None:
        """The member whose directory contains ``path`` (the deepest one), if any."""
        path = path.resolve()
        best: Project | None = None
        for member in self.members.values():
            if (path == member.root or member.root in path.parents) and (
                best is None or len(member.root.parts) > len(best.root.parts)
            ):
                best = member
        return best

    def sources(self, project: Project) -> dict[NormalizedName, Source]:
        """The sources that apply to ``project``, with ``{ workspace = true }`` as editable member paths."""
        merged = {**self.root.settings.sources, **project.settings.sources}
        members = self.enclosing.members if self.enclosing is not None else self.members
        resolved: dict[NormalizedName, Source] = {}
        for name, source in merged.items():
            if isinstance(source, WorkspaceSource) and name in members:
                resolved[name] = PathSource(members[name].root, editable=True, marker=source.marker)
            else:
                resolved[name] = source
        return resolved


def find_workspace(start: Path) -> Workspace:
    """The workspace containing ``start`` (a member's directory, or the root's), or a workspace of one."""
    project = find_project(start)
    if project.is_workspace_root:
        return discover_workspace(project)
    root = _root_above(project)
    workspace = discover_workspace(root) if root is not None else None
    if workspace is None or _listed(workspace, project) is None:
        # The nearest workspace above does not list this project (or excludes it): it stands alone.
        return _single(project)
    return workspace


def _root_above(project: Project) -> Project | None:
    """The nearest workspace root above ``project``'s folder (workspaces do not nest), if any."""
    for directory in project.root.parents:
        candidate = directory / PYPROJECT
        if not candidate.is_file():
            continue
        chosen = settings_table(load_toml(candidate))
        if chosen is not None and "workspace" in chosen[1]:
            return read_project(candidate)
    return None


def _listed(workspace: Workspace, project: Project) -> Project | None:
    """The member of ``workspace`` that ``project`` is (by folder), if it is one."""
    where = project.root.resolve()
    return next((m for m in workspace.members.values() if m.root.resolve() == where), None)


def lock_workspace(project: Project) -> Workspace:
    """What locking ``project`` covers: the workspace it is the root of; in a per-member workspace,
    the member's view (see :func:`member_view`), whether ``project`` is the root or below it; else a
    workspace of one. A per-member root without a ``[project]`` is the whole workspace (the commands
    refuse to lock that: each member has its own lock)."""
    if project.is_workspace_root:
        workspace = discover_workspace(project)
        if workspace.per_member and project.name is not None:
            return member_view(workspace, workspace.members[project.name])
        return workspace
    root = _root_above(project)
    # Only a per-member root makes a member's lock differ from a plain project's: the members are
    # read (every member's pyproject.toml) only then.
    if root is None or root.settings.workspace is None or root.settings.workspace.lock != "per-member":
        return _single(project)
    workspace = discover_workspace(root)
    member = _listed(workspace, project)
    return member_view(workspace, member) if member is not None else _single(project)


def member_view(workspace: Workspace, member: Project) -> Workspace:
    """One member of a per-member workspace as the project its own lock and ``.venv`` are made for.

    ``root`` is the member, with the workspace root's resolution settings and indexes (as in one
    workspace lock) and the root's sources under its own; ``members`` holds it and the members it
    depends on, directly or through each other, which its lock takes from their folders (editable)
    and whose requirements are its lock's inputs.
    """
    if member.root != workspace.root.root:
        member = replace(member, settings=_inherited(workspace.root.settings, member.settings))
    names = _member_closure(workspace, member)
    members = {name: member if name == member.name else workspace.members[name] for name in sorted(names)}
    return Workspace(member, members, enclosing=workspace)


def _inherited(root: BaleSettings, own: BaleSettings) -> BaleSettings:
    """A member's settings in a per-member workspace: the root's, with the member's sources over the
    root's, and what is the member's alone (default groups, ``package``) kept."""
    raw = dict(root.raw)
    raw_sources = {**root.raw.get("sources", {}), **own.raw.get("sources", {})}
    if raw_sources:
        raw["sources"] = raw_sources  # the lock's inputs: a changed source makes it stale
    raw.pop("workspace", None)
    indexes = tuple({id(index): index for index in (*root.indexes, *own.indexes)}.values())
    return replace(
        root,
        indexes=indexes,
        sources={**root.sources, **own.sources},
        default_groups=own.default_groups,
        dev_dependencies=own.dev_dependencies,
        workspace=None,
        package=own.package,
        unknown=own.unknown,
        raw=raw,
        table=own.table,
        notices=own.notices,
    )


def _member_closure(workspace: Workspace, member: Project) -> set[NormalizedName]:
    """``member`` and the members it requires through ``{ workspace = true }`` (any of its own
    dependencies, extras or groups; then their dependencies and extras), transitively."""
    assert member.name is not None
    found = {member.name}
    pending = [(member, _all_requirements(member))]
    while pending:
        project, specs = pending.pop()
        sources = {**workspace.root.settings.sources, **project.settings.sources}
        for spec in specs:
            name = spec.name
            if name is None or name in found or name not in workspace.members:
                continue
            if isinstance(sources.get(name), WorkspaceSource):
                found.add(name)
                other = workspace.members[name]
                extras = [s for group in other.optional_dependencies.values() for s in group]
                pending.append((other, [*other.dependencies, *extras]))
    return found


def discover_workspace(root: Project) -> Workspace:
    """Read the members named by ``root``'s ``[tool.bale.workspace]``; check how they refer to each other."""
    settings = root.settings.workspace
    if settings is None:
        return _single(root)
    check_index_references(root)
    root_indexes = [index.name for index in root.settings.indexes]
    excluded = _excluded(root, settings.exclude)
    members: dict[NormalizedName, Project] = {}
    if root.name is not None:
        members[root.name] = root
    for pattern in settings.members:
        for directory in _matches(root, pattern):
            if directory.resolve() in excluded or directory.resolve() == root.root.resolve():
                continue
            member = _read_member(root, pattern, directory)
            check_index_references(member, root_indexes)
            assert member.name is not None
            if member.name in members:
                other = members[member.name]
                raise BaleError(
                    f"Two workspace members are named {member.name!r}: "
                    f"{other.pyproject} and {member.pyproject}",
                    hint=f"rename one, or list one in {root.settings.table}.workspace.exclude",
                )
            members[member.name] = member
    workspace = Workspace(root, dict(sorted(members.items())))
    _check_member_references(workspace)
    return workspace


def _single(project: Project) -> Workspace:
    return Workspace(project, {project.name: project} if project.name is not None else {})


def _matches(root: Project, pattern: str) -> list[Path]:
    """Directories matched by one members glob, hidden ones skipped unless the glob names them."""
    where = f"{root.pyproject}: {root.settings.table}.workspace.members"
    if Path(pattern).is_absolute() or pattern.startswith(".."):
        raise BaleError(f"{where}: expected a glob relative to the workspace root, got {pattern!r}")
    try:
        found = sorted(root.root.glob(pattern))
    except ValueError as err:
        raise BaleError(f"{where}: invalid glob {pattern!r}: {err}") from err
    # A plain directory name (no wildcard) that does not exist is a typo worth reporting.
    if not found and not any(char in pattern for char in "*?["):
        raise BaleError(
            f"{where}: workspace member {pattern!r} does not exist ({root.root / pattern})",
            hint=f"create it (bale init) or remove it from {root.settings.table}.workspace.members",
        )
    wants_hidden = pattern.startswith(".") or "/." in pattern
    return [
        path
        for path in found
        if path.is_dir()
        and (wants_hidden or not any(part.startswith(".") for part in path.relative_to(root.root).parts))
    ]


def _excluded(root: Project, patterns: tuple[str, ...]) -> set[Path]:
    excluded: set[Path] = set()
    for pattern in patterns:
        excluded.update(path.resolve() for path in root.root.glob(pattern) if path.is_dir())
    return excluded


def _read_member(root: Project, pattern: str, directory: Path) -> Project:
    relative = directory.relative_to(root.root).as_posix()
    pyproject = directory / PYPROJECT
    table = root.settings.table
    where = f"{root.pyproject}: {table}.workspace.members: {pattern!r} matched {relative}"
    if not pyproject.is_file():
        raise BaleError(
            f"{where}, which has no {PYPROJECT}",
            hint=f"add a pyproject.toml there (bale init), or list it in {table}.workspace.exclude",
        )
    member = read_project(pyproject)
    if member.name is None:
        raise BaleError(
            f"{where}, whose {PYPROJECT} has no [project] table",
            hint="a workspace member is a project: give it a [project] table with a name",
        )
    if member.is_workspace_root:
        raise BaleError(
            f"{pyproject}: {member.settings.table}.workspace: member {member.name!r} of the workspace at "
            f"{root.root} "
            "declares a workspace of its own; workspaces do not nest",
        )
    return member


def _check_member_references(workspace: Workspace) -> None:
    """A dependency on a member needs ``{ workspace = true }``; that source may only name members.

    Explicit rather than implicit: a package that happens to share a member's name (from an index, say)
    must not silently become the member, so bale asks for the source, as uv does.
    """
    for member in workspace.members.values():
        sources = {**workspace.root.settings.sources, **member.settings.sources}
        for name, source in member.settings.sources.items():
            if isinstance(source, WorkspaceSource) and name not in workspace.members:
                known = ", ".join(workspace.members) or "none"
                raise BaleError(
                    f"{member.pyproject}: {member.settings.table}.sources.{name}: {{ workspace = true }} "
                    "names a package "
                    f"that is not a workspace member (members: {known})",
                )
        for spec in _all_requirements(member):
            if spec.name is None or spec.name == member.name or spec.name not in workspace.members:
                continue
            if spec.name not in sources:
                raise BaleError(
                    f"{spec.origin}: {member.name!r} depends on workspace member {spec.name!r} "
                    "without a source for it",
                    hint=f"add `{spec.name} = {{ workspace = true }}` under "
                    f"[{member.settings.table}.sources] in {member.pyproject}",
                )


def _all_requirements(project: Project) -> list[RequirementSpec]:
    specs = list(project.dependencies)
    for extra in project.optional_dependencies.values():
        specs.extend(extra)
    for group in project.dependency_groups.values():
        specs.extend(group)
    return specs
