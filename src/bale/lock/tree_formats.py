"""The locked dependency tree as data: nested JSON values, a Graphviz ``dot`` graph, a Mermaid flowchart.

The walk is ``bale tree``'s (``lock.views.tree_lines``): the same tops, depth, inversion, extras and
``(*)`` for a subtree already drawn, so every format shows the same packages as the text.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from bale.lock.graph import PROJECT, Edge, LockGraph, Node
from bale.lock.views import TreeOptions

__all__ = ["tree_dot", "tree_json", "tree_mermaid"]


def _order(node: Node) -> tuple[str, str]:
    return (node.name, f"{node.version}" if node.version is not None else "")


def _next_edges(
    graph: LockGraph, options: TreeOptions, key: int, active: tuple[str, ...] | None
) -> tuple[Edge, ...]:
    if options.invert:
        parents = graph.parents.get(key, ())
        asking = tuple(edge for edge in parents if active and set(edge.extras) & set(active))
        return asking or parents
    return tuple(
        edge
        for edge in graph.children.get(key, ())
        if not edge.via or active is None or set(edge.via) & set(active)
    )


def _tops(graph: LockGraph, options: TreeOptions) -> list[int]:
    if options.start is not None:
        return list(options.start)
    if options.invert:
        return sorted(
            (key for key in graph.nodes if key != PROJECT and not graph.children.get(key)),
            key=lambda key: _order(graph.nodes[key]),
        )
    return [PROJECT]


def tree_json(graph: LockGraph, options: TreeOptions) -> list[dict[str, Any]]:
    """The top packages, each ``{"name", "version", "extras", "origin", "via", "latest", "repeated",
    "dependencies"}`` (inverted: ``dependencies`` holds who needs the package). ``version`` is None for
    a package locked without one; ``origin`` is ``group:NAME`` / ``extra:NAME`` for what the project
    itself asks for; ``repeated`` marks a subtree drawn before (its ``dependencies`` are then empty)."""
    latest = options.latest or {}
    expanded: set[tuple[int, tuple[str, ...] | None]] = set()

    def walk(key: int, edge: Edge | None, level: int, path: tuple[int, ...]) -> dict[str, Any]:
        node = graph.nodes[key]
        active: tuple[str, ...] | None = None
        if edge is not None:
            active = (edge.via or None) if options.invert else edge.extras
        below = _next_edges(graph, options, key, active)
        deeper = options.depth is None or level < options.depth
        mark = (key, active)
        repeated = bool(below) and deeper and (key in path or (options.dedupe and mark in expanded))
        extras: Collection[str] = edge.extras if edge is not None and not options.invert else ()
        item: dict[str, Any] = {
            "name": str(node.name),
            "version": str(node.version) if node.version is not None else None,
            "extras": sorted(extras),
            "origin": edge.origin if edge is not None else None,
            "via": list(edge.via) if edge is not None else [],
            "latest": latest.get(key),
            "repeated": repeated,
            "dependencies": [],
        }
        if repeated or not deeper:
            return item
        expanded.add(mark)
        for step in below:
            following = step.source if options.invert else step.target
            item["dependencies"].append(walk(following, step, level + 1, (*path, key)))
        return item

    return [walk(top, None, 0, ()) for top in _tops(graph, options)]


def _edges(trees: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """The distinct nodes ``(id, label)`` and arrows ``(from, to, label)`` of the trees, in walk order."""
    nodes: dict[str, str] = {}
    arrows: dict[tuple[str, str, str], None] = {}

    def ident(item: dict[str, Any]) -> str:
        version = item["version"]
        key = f"{item['name']}=={version}" if version is not None else str(item["name"])
        nodes.setdefault(key, f"{item['name']} v{version}" if version is not None else str(item["name"]))
        return key

    def visit(item: dict[str, Any]) -> None:
        here = ident(item)
        for child in item["dependencies"]:
            there = ident(child)
            label = ",".join(child["extras"])
            origin = child["origin"]
            if origin:
                label = f"{label} ({origin})" if label else origin
            arrows.setdefault((here, there, label))
            visit(child)

    for tree in trees:
        visit(tree)
    return list(nodes.items()), list(arrows)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tree_dot(graph: LockGraph, options: TreeOptions) -> str:
    """A Graphviz digraph: one node per package version, an arrow from each package to what it needs
    (inverted: to who needs it), labelled with the extras asked for and the group or extra it is in."""
    nodes, arrows = _edges(tree_json(graph, options))
    lines = ["digraph dependencies {", "  rankdir=LR;", "  node [shape=box];"]
    lines += [f"  {_quoted(key)} [label={_quoted(label)}];" for key, label in nodes]
    for source, target, label in arrows:
        suffix = f" [label={_quoted(label)}]" if label else ""
        lines.append(f"  {_quoted(source)} -> {_quoted(target)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def tree_mermaid(graph: LockGraph, options: TreeOptions) -> str:
    """A Mermaid ``flowchart LR`` of the same nodes and arrows as ``tree_dot``; node ids are ``n0``,
    ``n1``... in walk order (Mermaid ids cannot hold ``=`` or ``.``), the label says name and version."""
    nodes, arrows = _edges(tree_json(graph, options))
    ids = {key: f"n{index}" for index, (key, _) in enumerate(nodes)}
    lines = ["flowchart LR"]
    lines += [f'    {ids[key]}["{label.replace(chr(34), "#quot;")}"]' for key, label in nodes]
    for source, target, label in arrows:
        arrow = f'-->|"{label}"|' if label else "-->"
        lines.append(f"    {ids[source]} {arrow} {ids[target]}")
    return "\n".join(lines) + "\n"
