"""A workspace as one lock: every member's requirements as roots, the members a sync installs, and the
locked packages those members need."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import SpecifierSet

from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.requirement import RequirementSpec

if TYPE_CHECKING:
    from packaging.pylock import Pylock

    from bale.project.model import Project
    from bale.project.workspace import Workspace

__all__ = [
    "Roots",
    "load_workspace",
    "lock_members",
    "member_roots",
    "needed_names",
    "path_dependencies",
    "path_dependency_inputs",
    "sync_targets",
    "workspace_requires_python",
    "workspace_roots",
]

Roots = dict[str | None, list[RequirementSpec]]
"""Requirements by where they come from: None (dependencies), ``extra:NAME``, ``group:NAME``."""


def load_workspace(project: Project) -> Workspace:
    """The workspace ``project`` is the root of; a workspace of one for a plain project; in a
    per-member workspace, the view of the member ``project`` is (``project.workspace.lock_workspace``)."""
    from bale.project.workspace import lock_workspace

    return lock_workspace(project)


def lock_members(workspace: Workspace) -> list[Project]:
    """The projects whose requirements the lock covers: every member, and a root without a
    ``[project]`` table (it may still have dependency groups). A member's own lock (per-member
    workspace) covers its requirements only: the members it depends on are locked from their metadata,
    as path dependencies are, and their groups are not its own."""
    if workspace.enclosing is not None:
        return [workspace.root]
    members = list(workspace.members.values())
    if workspace.root.name is None:
        members.insert(0, workspace.root)
    return members


def member_roots(workspace: Workspace, member: Project) -> Roots:
    """One member's requirements by origin, each taken from its source; a reference to the member
    itself (``proj[x]`` in a group) is left out: its extras are locked anyway."""
    from bale.ops.project_sources import with_sources

    sources = workspace.sources(member)

    def own(specs: Iterable[RequirementSpec]) -> list[RequirementSpec]:
        kept = [s for s in specs if member.name is None or s.name != member.name]
        return with_sources(
            kept,
            sources,
            member.pyproject,
            table=member.settings.table,
            requires_python=member.requires_python or workspace.root.requires_python,
        )

    roots: Roots = {None: own(member.dependencies)}
    for extra, specs in member.optional_dependencies.items():
        roots[f"extra:{extra}"] = own(specs)
    for group, specs in member.dependency_groups.items():
        roots[f"group:{group}"] = own(specs)
    return roots


def workspace_roots(workspace: Workspace) -> Roots:
    """Every member's requirements by origin: extras and groups of the same name are one root. Every
    member below the root is a requirement too (on its own tree), so the lock covers each member,
    those nothing depends on included, as uv's does: ``sync --package`` and ``export --package`` need it."""
    merged: Roots = {None: []}
    for member in lock_members(workspace):
        for origin, specs in member_roots(workspace, member).items():
            merged.setdefault(origin, []).extend(specs)
    required = {spec.name for spec in merged[None]}
    merged[None].extend(spec for spec in _member_specs(workspace) if spec.name not in required)
    return merged


def _member_specs(workspace: Workspace) -> list[RequirementSpec]:
    """Each member that is a package (not the root project, which a sync installs itself) as an editable
    requirement on its own folder."""
    from packaging.requirements import Requirement

    from bale.model.requirement import Origin
    from bale.ops.project_sources import with_sources
    from bale.project.model import PathSource

    specs: list[RequirementSpec] = []
    root = workspace.root
    for name, member in sorted(workspace.members.items()):
        if member.root == root.root or not member.is_package:
            continue
        spec = RequirementSpec(name, Requirement(name), Origin(str(member.pyproject)))
        source = {name: PathSource(member.root, editable=True)}
        specs.extend(with_sources([spec], source, root.pyproject, table=root.settings.table))
    return specs


def workspace_requires_python(workspace: Workspace) -> SpecifierSet | None:
    """The Pythons every member supports (the intersection of their ``requires-python``), if any says."""
    combined: SpecifierSet | None = None
    # A member's own lock: the members it installs (and so their requires-python) count too.
    members = workspace.members.values() if workspace.enclosing is not None else lock_members(workspace)
    for member in members:
        if member.requires_python is not None and str(member.requires_python):
            combined = member.requires_python if combined is None else combined & member.requires_python
    return combined


def path_dependencies(workspace: Workspace) -> list[tuple[NormalizedName, Path]]:
    """The name and ``pyproject.toml`` of each source tree outside the workspace that a member (or
    the root) requires through a ``{ path = ... }`` source, sorted: their metadata is an input of the
    lock, and their pyproject.toml one of the no-op sync's."""
    from bale.project.model import PYPROJECT, PathSource

    inside = {member.root for member in workspace.members.values()} | {workspace.root.root}
    found: set[tuple[NormalizedName, Path]] = set()
    for member in lock_members(workspace):
        wanted = {spec.name for spec in declared_requirements(member) if spec.name is not None}
        for name, source in workspace.sources(member).items():
            if name not in wanted or not isinstance(source, PathSource) or source.path in inside:
                continue
            pyproject = source.path / PYPROJECT
            if pyproject.is_file():
                found.add((name, pyproject))
    return sorted(found)


def path_dependency_inputs(workspace: Workspace) -> dict[str, Any]:
    """``{name: summary}`` of each path dependency's requirements (see :func:`path_dependencies`),
    for the lock's inputs: a new dependency in ``../lib/pyproject.toml`` makes the lock stale. A tree
    whose requirements its build backend computes is summarised by its pyproject.toml's digest."""
    import hashlib

    from bale.lock.fingerprint import project_inputs
    from bale.project.model import load_project

    summaries: dict[str, Any] = {}
    for name, pyproject in path_dependencies(workspace):
        key = str(name) if str(name) not in summaries else f"{name} ({pyproject.parent})"
        try:
            tree: Project | None = load_project(pyproject, notify=False)  # its settings do not apply
        except BaleError:
            tree = None  # the build reports what is wrong with it
        if tree is None or tree.name is None or {"dependencies", "optional-dependencies"} & set(tree.dynamic):
            digest = hashlib.sha256(pyproject.read_bytes()).hexdigest()
            summaries[key] = {"pyproject": f"sha256:{digest}"}
            continue
        summaries[key] = project_inputs(
            requires_python=str(tree.requires_python or ""),
            dependencies=[requirement_text(s) for s in tree.dependencies],
            optional_dependencies={
                k: [requirement_text(s) for s in v] for k, v in tree.optional_dependencies.items()
            },
        )
    return summaries


def requirement_text(spec: RequirementSpec) -> str:
    """A requirement as the lock's inputs record it: its PEP 508 form, else as written."""
    return str(spec.requirement) if spec.requirement is not None else str(spec)


def declared_requirements(project: Project) -> list[RequirementSpec]:
    """Every requirement ``project`` declares: dependencies, each extra's and each group's."""
    groups = [*project.optional_dependencies.values(), *project.dependency_groups.values()]
    return [*project.dependencies, *(spec for group in groups for spec in group)]


def sync_targets(workspace: Workspace, package: str | None, *, all_packages: bool = False) -> list[Project]:
    """The members a sync installs: every member with ``--all-packages``, ``--package``'s, else the
    root project, else (a root without a ``[project]`` table) every member."""
    if all_packages:
        return list(workspace.members.values())
    if package is not None:
        member = workspace.members.get(normalize(package))
        if member is None:
            known = ", ".join(workspace.members) or "none"
            raise BaleError(
                f"No workspace member named {package!r} in {workspace.root.pyproject}",
                context=[f"members: {known}"],
            )
        return [member]
    if workspace.root.name is not None:
        return [workspace.root]
    return list(workspace.members.values())


def needed_names(
    lock: Pylock,
    workspace: Workspace,
    targets: Collection[Project],
    *,
    extras: Collection[str],
    groups: Collection[str],
    only_groups: bool,
) -> set[NormalizedName] | None:
    """The locked packages the ``targets`` need (with these extras and groups, or only these groups),
    walking ``[[packages.dependencies]]`` from their requirements; None when every package the markers
    select is needed (the whole workspace, all of its requirements) or the lock records no edges."""
    everyone = set(workspace.members) <= {t.name for t in targets}
    if everyone and not only_groups:
        return None
    if not any(package.dependencies for package in lock.packages):
        return None
    origins: set[str | None] = {f"group:{normalize(g)}" for g in groups}
    if not only_groups:
        origins |= {None, *(f"extra:{normalize(e)}" for e in extras)}
    walkers = list(targets)
    if everyone and workspace.root.name is None:
        walkers.append(workspace.root)  # its dependency groups
    pending: list[NormalizedName] = []
    for target in walkers:
        if not only_groups and target.name is not None:
            pending.append(target.name)
        for origin, specs in member_roots(workspace, target).items():
            if origin in origins:
                pending.extend(spec.name for spec in specs if spec.name is not None)
    children: dict[NormalizedName, set[NormalizedName]] = {}
    for package in lock.packages:
        for reference in package.dependencies or ():
            name = reference.get("name")
            if isinstance(name, str):
                children.setdefault(normalize(package.name), set()).add(normalize(name))
    seen: set[NormalizedName] = set()
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(children.get(name, ()))
    return seen
