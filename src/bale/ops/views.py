"""Project views of the lock file (``bale tree``, ``why``, ``export``), relocking first when it is stale."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record
from bale.ops.project import LockOutcome, LockSettings

if TYPE_CHECKING:
    from packaging.pylock import Pylock
    from packaging.requirements import Requirement
    from packaging.version import Version

    from bale.lock.graph import LockGraph
    from bale.lock.views import TreeOptions
    from bale.model.requirement import RequirementSpec
    from bale.project.model import Project


@record(frozen=True)
class Selection:
    """Which groups and extras to show or export, as for ``bale sync``; ``only_groups`` leaves the
    project's own dependencies (and the project) out."""

    groups: tuple[str, ...] = ()
    only_groups: tuple[str, ...] = ()
    no_dev: bool = False
    all_groups: bool = False
    extras: tuple[str, ...] = ()
    all_extras: bool = False


@record(frozen=True)
class ViewSettings:
    lock: LockSettings = field(default_factory=LockSettings)
    locked: bool = False  # the lock must be fresh: never relock
    frozen: bool = False  # use the lock as it is
    member: str | None = None  # a workspace member instead of the project found from the directory


@record(frozen=True)
class LoadedLock:
    project: Project
    path: Path
    text: str
    lock: Pylock
    relocked: LockOutcome | None = None


@record(frozen=True)
class TreeRequest:
    selection: Selection = field(default_factory=Selection)
    depth: int | None = None
    invert: bool = False
    packages: tuple[str, ...] = ()
    outdated: bool = False
    dedupe: bool = True


@record(frozen=True)
class ExportRequest:
    selection: Selection = field(default_factory=Selection)
    format: str = "requirements.txt"
    hashes: bool = True
    header: bool = True
    annotate: bool = True
    emit_project: bool = True
    command: str = "bale export"


# ---------------------------------------------------------------------------------------------- loading


def choose_project(start: Path, member: str | None) -> tuple[Project, Project]:
    """The workspace root (which holds the lock) and the project to view: the member named ``member``,
    else the member whose folder holds ``start``, else the root. Outside a workspace both are the project."""
    from bale.project.workspace import find_workspace

    workspace = find_workspace(start)
    if workspace.per_member:  # each member holds its own lock
        from bale.ops.member_locks import member_for

        chosen = member_for(workspace, member, start)
        return chosen, chosen
    if member is None:
        here = workspace.member_at(start)
        return workspace.root, here if here is not None else workspace.root
    found = workspace.members.get(normalize(member))
    if found is None:
        names = ", ".join(sorted(workspace.members)) or "none"
        raise BaleError(
            f"No workspace member is named {member!r} in {workspace.root.pyproject}",
            context=[f"members: {names}"],
        )
    return workspace.root, found


def load_lock(ctx: Context, chosen: tuple[Project, Project], settings: ViewSettings) -> LoadedLock:
    """The workspace's lock, written first when missing or stale (``--locked`` refuses; ``--frozen``
    trusts), seen from the chosen project."""
    from bale.lock.pylock import read_pylock
    from bale.ops.project import ensure_lock, lock_path

    root, project = chosen
    path = lock_path(root)
    relocked = ensure_lock(ctx, root, settings.lock, locked=settings.locked, frozen=settings.frozen)
    text = path.read_text(encoding="utf-8")
    return LoadedLock(project, path, text, read_pylock(text, source=str(path)), relocked)


def project_graph(loaded: LoadedLock) -> LockGraph:
    """The lock's graph with the project's requirements (today's pyproject.toml) as root edges."""
    from bale.lock.graph import build_graph

    project = loaded.project
    roots: dict[str | None, list[Requirement]] = {None: _requirements(project.dependencies)}
    for extra, specs in project.optional_dependencies.items():
        roots[f"extra:{extra}"] = _requirements(specs)
    for group, specs in project.dependency_groups.items():
        roots[f"group:{group}"] = _requirements(specs)
    name = project.name or project.root.name
    version = str(project.version) if project.version is not None else None
    return build_graph(
        loaded.lock, roots, project_name=name, project_version=version, tree_versions=_tree_versions(loaded)
    )


def _tree_versions(loaded: LoadedLock) -> dict[int, Version]:
    """The version each directory entry's pyproject.toml states (workspace members, path
    dependencies), by key, where the lock has none; a dynamic or unreadable version stays unknown."""
    from packaging.version import InvalidVersion, Version

    from bale.project.inputs import load_toml

    found: dict[int, Version] = {}
    for key, package in enumerate(loaded.lock.packages):
        if package.version is not None or package.directory is None:
            continue
        try:
            table = load_toml(loaded.path.parent / package.directory.path / "pyproject.toml").get("project")
        except BaleError:
            continue
        if not isinstance(table, dict) or "version" in (table.get("dynamic") or ()):
            continue
        text = table.get("version")
        if not isinstance(text, str):
            continue
        try:
            found[key] = Version(text)
        except InvalidVersion:
            continue
    return found


def _requirements(specs: Sequence[RequirementSpec]) -> list[Requirement]:
    return [spec.requirement for spec in specs if spec.requirement is not None]


@record(frozen=True)
class Chosen:
    """A selection decided against the project: the root origins, extras and groups it includes."""

    origins: frozenset[str | None]
    extras: tuple[str, ...]
    groups: tuple[str, ...]
    project: bool  # the project's own dependencies (and the project itself) are included


def choose(project: Project, lock: Pylock, selection: Selection, source: str) -> Chosen:
    """Groups as ``bale sync`` picks them (default groups, ``--group``, ``--no-dev``, ``--all-groups``),
    or only ``--only-group``; extras from ``--extra`` or ``--all-extras``. Unknown names fail."""
    from bale.lock.pylock import check_selection

    if lock.extras is None and lock.dependency_groups is None and lock.default_groups is None:
        # A single-use lock (another tool's export) was written for one choice of extras and groups:
        # its markers name none, and every requirement it holds a package for was chosen.
        every: set[str | None] = {None}
        every.update(f"extra:{e}" for e in project.optional_dependencies)
        every.update(f"group:{g}" for g in project.dependency_groups)
        return Chosen(frozenset(every), (), (), True)
    groups: list[str]
    if selection.only_groups:
        groups = [normalize(g) for g in selection.only_groups]
    else:
        from bale.ops.project import chosen_groups

        groups = chosen_groups(
            project, groups=selection.groups, no_dev=selection.no_dev, all_groups=selection.all_groups
        )
    extras = list(lock.extras or ()) if selection.all_extras else [normalize(e) for e in selection.extras]
    check_selection(lock, extras=extras, groups=groups, source=source)
    whole = not selection.only_groups
    origins: set[str | None] = {f"group:{g}" for g in groups}
    if whole:  # --only-group leaves out the project's dependencies and its extras
        origins.add(None)
        origins.update(f"extra:{e}" for e in extras)
    return Chosen(frozenset(origins), tuple(extras), tuple(groups), whole)


# ---------------------------------------------------------------------------------------------- tree


def tree(ctx: Context, loaded: LoadedLock, request: TreeRequest, settings: LockSettings) -> list[str]:
    """The lines of ``bale tree`` for the selection: the project on top, or (inverted) what needs what."""
    from bale.lock.views import tree_lines

    return tree_lines(*tree_view(ctx, loaded, request, settings))


def tree_view(
    ctx: Context, loaded: LoadedLock, request: TreeRequest, settings: LockSettings
) -> tuple[LockGraph, TreeOptions]:
    """The graph ``bale tree`` draws for the selection and how to draw it (for the other formats)."""
    from bale.lock.views import TreeOptions

    whole = project_graph(loaded)
    chosen = choose(loaded.project, loaded.lock, request.selection, str(loaded.path))
    graph = whole.restricted(chosen_keys(loaded, whole, chosen))
    start: list[int] | None = None
    if request.packages:
        start = []
        for name in request.packages:
            nodes = graph.named(name)
            if not nodes and whole.named(name):
                raise BaleError(
                    f"{normalize(name)} is in {loaded.path}, but not in the chosen groups and extras",
                    hint="choose more with --group, --extra, --all-groups or --all-extras",
                )
            if not nodes:
                raise _not_in_lock(loaded, name, whole)
            start.extend(node.key for node in nodes)
    latest: dict[int, str] = {}
    if request.outdated:
        latest = _latest(ctx, loaded, graph, settings)
    options = TreeOptions(
        depth=request.depth, invert=request.invert, start=start, dedupe=request.dedupe, latest=latest
    )
    return graph, options


def _latest(ctx: Context, loaded: LoadedLock, graph: LockGraph, settings: LockSettings) -> dict[int, str]:
    """The newest version of each index package where it is newer than the locked one (pre-releases
    count only for a package locked at one)."""

    from bale.ops.project import project_index

    client = ctx.index_client(project_index(loaded.project, settings))
    nodes = [node for node in graph.nodes.values() if node.from_index and node.version is not None]
    names = sorted({node.name for node in nodes})
    client.prefetch(names)
    available: dict[NormalizedName, list[Version]] = {
        name: [f.version for f in client.project_files(name) if not f.is_yanked] for name in names
    }
    result: dict[int, str] = {}
    for node in nodes:
        current = node.version
        assert current is not None
        versions = [v for v in available.get(node.name, ()) if current.is_prerelease or not v.is_prerelease]
        if versions and max(versions) > current:
            result[node.key] = str(max(versions))
    return result


# ---------------------------------------------------------------------------------------------- why


def why(loaded: LoadedLock, target: str, *, limit: int = 1000) -> tuple[list[str], bool]:
    """One line per path from the project (any extra or group) to ``target``; the flag says whether
    there were more than ``limit``. Fails when the lock does not hold ``target`` or nothing needs it."""
    from bale.lock.views import path_text, paths_to

    graph = project_graph(loaded)
    name = normalize(target)
    if name == graph.project.name:
        return [graph.project.label], False
    nodes = graph.named(name)
    if not nodes:
        raise _not_in_lock(loaded, target, graph)
    paths, truncated = paths_to(graph, [node.key for node in nodes], limit=limit)
    if not paths:
        raise BaleError(
            f"{name} is in {loaded.path}, but nothing in {loaded.project.pyproject} depends on it",
            hint="the lock may be out of date; run `bale lock`",
        )
    return [path_text(graph, path) for path in paths], truncated


def _not_in_lock(loaded: LoadedLock, name: str, graph: LockGraph) -> BaleError:
    known = sorted({node.name for node in graph.nodes.values()})
    close = difflib.get_close_matches(normalize(name), known, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else None
    return BaleError(f"{normalize(name)} is not in the lock file {loaded.path}", hint=hint)


# ---------------------------------------------------------------------------------------------- export


def export(loaded: LoadedLock, request: ExportRequest) -> str:
    """The lock as ``requirements.txt`` for the selection (the project as ``-e .`` when it is a package
    and ``emit_project``), or the ``pylock.toml`` itself."""
    if request.format == "pylock.toml":
        return loaded.text
    from bale.lock.export import to_requirements_txt
    from bale.lock.graph import PROJECT

    lock = loaded.lock
    chosen = choose(loaded.project, lock, request.selection, str(loaded.path))
    # In a workspace, one project's export holds what it needs (a member: itself included), not what
    # the whole workspace's lock holds.
    member = loaded.project.root.resolve() != loaded.path.parent.resolve()
    own = [p for p in lock.packages if member and normalize(p.name) == loaded.project.name]
    if not chosen.project or member or _has_members(loaded.project):
        lock = restrict_lock(loaded, chosen)
        if chosen.project and own and own[0] not in lock.packages:
            packages = sorted([*own, *lock.packages], key=lambda package: normalize(package.name))
            lock = dataclasses.replace(lock, packages=packages)
    graph = project_graph(loaded)
    requested_by: dict[str, set[str]] = {}
    for edge in graph.children.get(PROJECT, ()):
        if edge.origin in chosen.origins:
            requested_by.setdefault(graph.nodes[edge.target].name, set()).add(
                _via(graph.project.name, edge.origin)
            )
    text = to_requirements_txt(
        lock,
        hashes=request.hashes,
        extras=chosen.extras,
        groups=chosen.groups,
        header=request.header,
        command=request.command,
        annotate=request.annotate,
        source=str(loaded.path),
        requested_by=requested_by,
    )
    if request.emit_project and chosen.project and loaded.project.is_package and not member:
        text += "-e .\n"
    return text


def _has_members(project: Project) -> bool:
    from bale.ops.project_workspace import load_workspace

    root = project.root.resolve()
    return any(m.root.resolve() != root for m in load_workspace(project).members.values())


def _via(project: str, origin: str | None) -> str:
    """``demo``, ``demo[fancy]`` for an extra, ``demo:dev`` for a dependency group."""
    if origin is None:
        return project
    kind, _, name = origin.partition(":")
    return f"{project}[{name}]" if kind == "extra" else f"{project}:{name}"


def chosen_keys(loaded: LoadedLock, graph: LockGraph, chosen: Chosen) -> set[int]:
    """The lock entries (keys of ``graph``, the project's) that the chosen groups and extras install."""
    from bale.lock.graph import selected_nodes

    requires_python = str(loaded.lock.requires_python) if loaded.lock.requires_python else None
    return selected_nodes(
        graph,
        origins=chosen.origins,
        extras=chosen.extras,
        groups=chosen.groups,
        requires_python=requires_python,
    )


def restrict_lock(loaded: LoadedLock, chosen: Chosen) -> Pylock:
    """The lock restricted to what the chosen groups reach (``--only-group``: the project's own
    dependencies are not wanted, but their markers say "always")."""
    import dataclasses

    keep = chosen_keys(loaded, project_graph(loaded), chosen)
    packages = [package for key, package in enumerate(loaded.lock.packages) if key in keep]
    return dataclasses.replace(loaded.lock, packages=packages)
