"""``pip tree``: the installed distributions as a dependency tree (or inverted: who needs each)."""

from __future__ import annotations

from collections.abc import Mapping

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bale.model.names import NormalizedName
from bale.model.record import record


@record(frozen=True)
class Node:
    name: NormalizedName
    display: str
    version: str


def edges(
    requirements: Mapping[NormalizedName, list[Requirement]],
    markers: Mapping[str, str],
    installed: Mapping[NormalizedName, Node],
) -> dict[NormalizedName, list[NormalizedName]]:
    """Installed parent -> installed children, following requirements whose markers hold (no extras)."""
    graph: dict[NormalizedName, list[NormalizedName]] = {}
    for name, reqs in requirements.items():
        children: list[NormalizedName] = []
        for req in reqs:
            if req.marker is not None and not req.marker.evaluate({**markers, "extra": ""}):
                continue
            child = canonicalize_name(req.name)
            if child in installed and child not in children:
                children.append(child)
        graph[name] = sorted(children)
    return graph


def render(
    graph: Mapping[NormalizedName, list[NormalizedName]],
    nodes: Mapping[NormalizedName, Node],
    *,
    invert: bool = False,
    depth: int | None = None,
    packages: list[NormalizedName] | None = None,
) -> list[str]:
    """Lines of the tree: roots are what nothing else needs (or, inverted, what needs nothing).

    A subtree already printed is shown once and then marked ``(*)``, as uv and pipdeptree do.
    """
    if invert:
        inverted: dict[NormalizedName, list[NormalizedName]] = {name: [] for name in graph}
        for parent, children in graph.items():
            for child in children:
                inverted.setdefault(child, []).append(parent)
        graph = {name: sorted(parents) for name, parents in inverted.items()}
    needed = {child for children in graph.values() for child in children}
    roots = packages or sorted(name for name in nodes if name not in needed) or sorted(nodes)
    lines: list[str] = []
    shown: set[NormalizedName] = set()

    def walk(
        name: NormalizedName, prefix: str, connector: str, level: int, path: tuple[NormalizedName, ...]
    ) -> None:
        node = nodes[name]
        children = graph.get(name, [])
        repeated = name in shown and bool(children)
        lines.append(f"{prefix}{connector}{node.display} v{node.version}{' (*)' if repeated else ''}")
        if repeated or name in path:
            return
        shown.add(name)
        if depth is not None and level >= depth:
            return
        child_prefix = prefix + ("" if not connector else ("    " if connector.startswith("└") else "│   "))
        for index, child in enumerate(children):
            last = index == len(children) - 1
            walk(child, child_prefix, "└── " if last else "├── ", level + 1, (*path, name))

    for root in roots:
        if root in nodes:
            walk(root, "", "", 0, ())
    return lines
