"""The dependency graph of a lock: its packages as nodes, the project as the root, who needs whom as edges."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from bale.model.record import record

if TYPE_CHECKING:
    from packaging.pylock import Pylock
    from packaging.requirements import Requirement

    from bale.lock.pylock import DependencyRef
    from bale.resolver.universal import UniversalPackage

__all__ = [
    "PROJECT",
    "Edge",
    "LockGraph",
    "Node",
    "build_graph",
    "locked_dependencies",
    "locked_extras",
    "origin_label",
    "selected_nodes",
]

PROJECT = -1  # the key of the project's node; packages are keyed by their position in the lock


@record(frozen=True, slots=True)
class Node:
    """The project, or one ``[[packages]]`` entry (``key`` is its index in the lock)."""

    key: int
    name: NormalizedName
    version: Version | None
    marker: str | None = None
    from_index: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}" if self.version is not None else self.name


@record(frozen=True, slots=True)
class Edge:
    """``source`` needs ``target``, with ``extras`` of it. Edges from the project carry the
    requirement's extras and marker and ``origin``: None for ``[project] dependencies``,
    ``extra:NAME`` or ``group:NAME``. Edges read from ``[[packages.dependencies]]`` carry the extras
    bale recorded under ``[packages.tool.bale]`` and ``via``: the source's extras that bring the
    edge (empty: the source needs it whatever its extras)."""

    source: int
    target: int
    extras: tuple[NormalizedName, ...] = ()
    marker: str | None = None
    origin: str | None = None
    via: tuple[NormalizedName, ...] = ()


@record(frozen=True)
class LockGraph:
    """Nodes by key (the project's is :data:`PROJECT`), edges out of and into each node, sorted."""

    nodes: Mapping[int, Node]
    children: Mapping[int, tuple[Edge, ...]]
    parents: Mapping[int, tuple[Edge, ...]] = field(default_factory=dict)

    @property
    def project(self) -> Node:
        return self.nodes[PROJECT]

    def named(self, name: str) -> list[Node]:
        key = canonicalize_name(name)
        return [node for node in self.nodes.values() if node.name == key and node.key != PROJECT]

    def restricted(self, keep: Collection[int]) -> LockGraph:
        """The graph of the nodes in ``keep`` (and the project) and the edges between them."""
        wanted = set(keep) | {PROJECT}
        nodes = {key: node for key, node in self.nodes.items() if key in wanted}
        edges = [
            e for out in self.children.values() for e in out if e.source in wanted and e.target in wanted
        ]
        return _assemble(nodes, edges)

    def reachable(self, origins: Collection[str | None] | None = None) -> set[int]:
        """Keys reachable from the project through root edges whose origin is in ``origins`` (None: all)."""
        pending = [
            edge.target
            for edge in self.children.get(PROJECT, ())
            if origins is None or edge.origin in origins
        ]
        seen: set[int] = set()
        while pending:
            key = pending.pop()
            if key in seen:
                continue
            seen.add(key)
            pending.extend(edge.target for edge in self.children.get(key, ()))
        return seen


def origin_label(origin: str | None) -> str:
    """``(group: dev)`` / ``(extra: fast)`` for a root edge's origin; empty for a dependency."""
    if origin is None:
        return ""
    kind, _, name = origin.partition(":")
    return f"({kind}: {name})"


def _edge_order(nodes: Mapping[int, Node]) -> Any:
    kinds = {None: 0, "extra": 1, "group": 2}

    def key(edge: Edge) -> tuple[Any, ...]:
        node = nodes[edge.target]
        kind = None if edge.origin is None else edge.origin.split(":", 1)[0]
        version = (0, node.version) if node.version is not None else (1, Version("0"))
        return (node.name, version, kinds.get(kind, 3), edge.origin or "", edge.extras)

    return key


def _assemble(nodes: Mapping[int, Node], edges: Iterable[Edge]) -> LockGraph:
    children: dict[int, list[Edge]] = {key: [] for key in nodes}
    parents: dict[int, list[Edge]] = {key: [] for key in nodes}
    seen: set[Edge] = set()
    for edge in edges:
        if edge in seen:
            continue
        seen.add(edge)
        children[edge.source].append(edge)
        parents[edge.target].append(edge)
    order = _edge_order(nodes)
    source_order = _source_order(nodes)
    return LockGraph(
        dict(nodes),
        {key: tuple(sorted(out, key=order)) for key, out in children.items()},
        {key: tuple(sorted(into, key=source_order)) for key, into in parents.items()},
    )


def _source_order(nodes: Mapping[int, Node]) -> Any:
    def key(edge: Edge) -> tuple[Any, ...]:
        node = nodes[edge.source]
        version = (0, node.version) if node.version is not None else (1, Version("0"))
        return (edge.source != PROJECT, node.name, version, edge.origin or "", edge.extras)

    return key


def build_graph(
    lock: Pylock,
    roots: Mapping[str | None, Sequence[Requirement]],
    *,
    project_name: str,
    project_version: str | None = None,
    tree_versions: Mapping[int, Version] | None = None,
) -> LockGraph:
    """The graph of ``lock`` with the project on top.

    ``roots`` are the project's requirements by origin (None: its dependencies; ``extra:NAME``;
    ``group:NAME``); a requirement naming a package the lock does not hold is left out, as is one
    naming the project itself. Package edges come from ``[[packages.dependencies]]``: a reference
    with a version (or another key) picks the entries that match it, one with only a name picks
    every entry of that name. ``tree_versions`` are versions, by key, for entries the lock leaves
    without one (a directory's version may change with the tree, so PEP 751 leaves it out).
    """
    version: Version | None = None
    if project_version is not None:
        try:
            version = Version(project_version)
        except InvalidVersion:
            version = None
    project = canonicalize_name(project_name)
    nodes: dict[int, Node] = {PROJECT: Node(PROJECT, project, version)}
    by_name: dict[NormalizedName, list[int]] = {}
    for key, package in enumerate(lock.packages):
        name = canonicalize_name(package.name)
        from_index = bool(package.wheels) or package.sdist is not None
        marker = str(package.marker) if package.marker is not None else None
        locked = package.version if package.version is not None else (tree_versions or {}).get(key)
        nodes[key] = Node(key, name, locked, marker, from_index)
        by_name.setdefault(name, []).append(key)
    edges: list[Edge] = []
    for origin, requirements in roots.items():
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if name == project:
                continue
            extras = tuple(sorted(canonicalize_name(e) for e in requirement.extras))
            marker = str(requirement.marker) if requirement.marker is not None else None
            entries = by_name.get(name, [])
            for target in entries:
                locked = nodes[target].version
                # Two entries of one name (a forked resolution): the requirement picks those it admits.
                if (
                    len(entries) == 1
                    or locked is None
                    or requirement.specifier.contains(locked, prereleases=True)
                ):
                    edges.append(Edge(PROJECT, target, extras, marker, origin))
    for key, package in enumerate(lock.packages):
        asked, optional = _recorded_extras(package.tool)
        for reference in package.dependencies or ():
            for target in _matching(reference, by_name, lock):
                if target != key:
                    name = nodes[target].name
                    edges.append(Edge(key, target, asked.get(name, ()), via=optional.get(name, ())))
    return _assemble(nodes, edges)


def _recorded_extras(
    tool: Mapping[str, Any] | None,
) -> tuple[
    dict[NormalizedName, tuple[NormalizedName, ...]], dict[NormalizedName, tuple[NormalizedName, ...]]
]:
    """From ``[packages.tool.bale]`` (see :func:`locked_extras`): the extras asked of each dependency,
    and the extras of this package that bring each dependency; empty for a lock without them."""
    table = (tool or {}).get("bale")
    asked: dict[NormalizedName, tuple[NormalizedName, ...]] = {}
    optional: dict[NormalizedName, set[NormalizedName]] = {}
    if not isinstance(table, Mapping):
        return asked, {}
    requested = table.get("dependency-extras")
    if isinstance(requested, Mapping):
        for name, extras in requested.items():
            if isinstance(name, str) and isinstance(extras, list):
                asked[canonicalize_name(name)] = tuple(
                    sorted({canonicalize_name(e) for e in extras if isinstance(e, str)})
                )
    brought = table.get("optional-dependencies")
    if isinstance(brought, Mapping):
        for extra, names in brought.items():
            if isinstance(extra, str) and isinstance(names, list):
                for name in names:
                    if isinstance(name, str):
                        optional.setdefault(canonicalize_name(name), set()).add(canonicalize_name(extra))
    return asked, {name: tuple(sorted(extras)) for name, extras in optional.items()}


def _matching(
    reference: Mapping[str, Any], by_name: Mapping[NormalizedName, list[int]], lock: Pylock
) -> list[int]:
    name = reference.get("name")
    if not isinstance(name, str):
        return []
    found = by_name.get(canonicalize_name(name), [])
    wanted = reference.get("version")
    if isinstance(wanted, str) and len(found) > 1:
        try:
            version = Version(wanted)
        except InvalidVersion:
            return found
        return [key for key in found if lock.packages[key].version == version] or found
    return found


def selected_nodes(
    graph: LockGraph,
    *,
    origins: Collection[str | None],
    extras: Collection[str],
    groups: Collection[str],
    requires_python: str | None = None,
) -> set[int]:
    """The packages one selection installs somewhere: reachable from the root edges of ``origins``
    and with a lock marker that the chosen ``extras`` and ``groups`` do not make false."""
    from bale.lock.export import selection_marker

    keep: set[int] = set()
    for key in graph.reachable(origins):
        marker = graph.nodes[key].marker
        try:
            needed = not selection_marker(
                marker, extras=extras, groups=groups, requires_python=requires_python
            ).is_false
        except ValueError:
            needed = True  # a comparison the marker algebra does not model: keep what it cannot rule out
        if needed:
            keep.add(key)
    return keep


def locked_dependencies(
    packages: Sequence[UniversalPackage],
) -> dict[tuple[NormalizedName, Version], tuple[DependencyRef, ...]]:
    """Each resolved version's dependencies as ``[[packages.dependencies]]`` references.

    The resolution records each package's parents by name (``name[extra]`` for an extra's edge), not
    by version: a parent with several versions gets each child whose marker can hold together with
    that version's marker.
    """
    from bale.lock.pylock import DependencyRef
    from bale.markers import TRUE, parse

    def expression(text: str | None) -> Any:
        if not text:
            return TRUE
        try:
            return parse(text)
        except ValueError:
            return None

    by_name: dict[NormalizedName, list[UniversalPackage]] = {}
    for package in packages:
        by_name.setdefault(package.name, []).append(package)
    markers = {(p.name, p.version): expression(p.marker) for p in packages}
    found: dict[tuple[NormalizedName, Version], set[tuple[NormalizedName, Version]]] = {
        (p.name, p.version): set() for p in packages
    }
    for child in packages:
        for label, _edge_marker in child.parents:
            if label is None:
                continue
            parent_name = canonicalize_name(label.split("[", 1)[0])
            for parent in by_name.get(parent_name, ()):
                if parent.name == child.name:
                    continue
                a, b = markers[(parent.name, parent.version)], markers[(child.name, child.version)]
                if a is not None and b is not None and a.is_disjoint(b):
                    continue
                found[(parent.name, parent.version)].add((child.name, child.version))
    return {
        key: tuple(DependencyRef(str(name), str(version)) for name, version in sorted(children))
        for key, children in found.items()
    }


def locked_extras(
    packages: Sequence[UniversalPackage],
    requested: Mapping[tuple[NormalizedName, Version], Mapping[NormalizedName, Collection[NormalizedName]]],
) -> dict[tuple[NormalizedName, Version], dict[str, Any]]:
    """Each resolved version's ``[packages.tool.bale]`` extras table, where it has something to say.

    ``dependency-extras`` (``{b = ["fast"]}``): the extras this version asks of its dependencies,
    from ``requested`` (what its metadata asks, by dependency name). ``optional-dependencies``
    (``{fast = ["c"]}``): the dependencies that only one of this version's extras brings, read from
    the resolution's ``name[extra]`` parent labels. PEP 751's ``[[packages.dependencies]]`` name
    packages only, and ``bale tree`` / ``bale why`` want to show ``b[fast]`` and what it pulls in.
    """
    # child's parents by name: whether a plain edge reaches it, and the parent's extras that do.
    plain: dict[NormalizedName, set[NormalizedName]] = {}
    by_extra: dict[NormalizedName, dict[NormalizedName, set[NormalizedName]]] = {}
    for child in packages:
        for label, _edge_marker in child.parents:
            if label is None:
                continue
            parent_text, _, rest = label.partition("[")
            parent = canonicalize_name(parent_text)
            if parent == child.name:
                continue
            if rest:
                extra = canonicalize_name(rest.rstrip("]"))
                by_extra.setdefault(parent, {}).setdefault(extra, set()).add(child.name)
            else:
                plain.setdefault(parent, set()).add(child.name)
    tables: dict[tuple[NormalizedName, Version], dict[str, Any]] = {}
    for package in packages:
        key = (package.name, package.version)
        table: dict[str, Any] = {}
        asked = {
            str(name): sorted(str(e) for e in extras)
            for name, extras in sorted(requested.get(key, {}).items())
            if extras and name != package.name
        }
        if asked:
            table["dependency-extras"] = asked
        base = plain.get(package.name, set())
        optional = {
            str(extra): sorted(str(name) for name in children - base)
            for extra, children in sorted(by_extra.get(package.name, {}).items())
            if extra in package.extras and children - base
        }
        if optional:
            table["optional-dependencies"] = optional
        if table:
            tables[key] = table
    return tables
