"""Draw a lock graph as text: the dependency tree (``bale tree``), the paths to a package (``bale why``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from bale.lock.graph import PROJECT, Edge, LockGraph, Node, origin_label
from bale.model.record import record

__all__ = ["TreeOptions", "path_text", "paths_to", "tree_lines"]

_BRANCH, _LAST, _PIPE, _SPACE = "├── ", "└── ", "│   ", "    "


@record(frozen=True)
class TreeOptions:
    """``depth``: levels below the top lines (None: all). ``invert``: draw who needs each package.
    ``start``: the top lines' keys (None: the project, or when inverted every package nothing else
    needs). ``dedupe``: a subtree already drawn is drawn once and then marked ``(*)``.
    ``latest``: a newer version to show beside a package, by key."""

    depth: int | None = None
    invert: bool = False
    start: Sequence[int] | None = None
    dedupe: bool = True
    latest: Mapping[int, str] | None = None


def _name(node: Node, extras: Collection[str] = ()) -> str:
    suffix = f"[{','.join(sorted(extras))}]" if extras else ""
    return f"{node.name}{suffix} v{node.version}" if node.version is not None else f"{node.name}{suffix}"


def tree_lines(graph: LockGraph, options: TreeOptions = TreeOptions()) -> list[str]:
    """The tree, one line per package: ``├── name[extra] vVERSION (group: dev) (latest: vX) (*)``.

    A cycle ends with ``(*)`` on the package that closes it, whatever ``dedupe`` says.
    """
    latest = options.latest or {}
    if options.start is not None:
        tops = list(options.start)
    elif options.invert:
        tops = sorted(
            (key for key in graph.nodes if key != PROJECT and not graph.children.get(key)),
            key=lambda key: _order(graph.nodes[key]),
        )
    else:
        tops = [PROJECT]
    lines: list[str] = []
    expanded: set[tuple[int, tuple[str, ...] | None]] = set()

    def next_edges(key: int, active: tuple[str, ...] | None) -> tuple[Edge, ...]:
        if options.invert:
            # Above a package drawn for one of its extras, only who asks for that extra (when any does).
            parents = graph.parents.get(key, ())
            asking = tuple(edge for edge in parents if active and set(edge.extras) & set(active))
            return asking or parents
        # A dependency that only some of the package's extras bring shows under ``name[extra]``.
        return tuple(
            edge
            for edge in graph.children.get(key, ())
            if not edge.via or active is None or set(edge.via) & set(active)
        )

    def text(key: int, edge: Edge | None, above: tuple[str, ...] | None) -> str:
        node = graph.nodes[key]
        extras: Collection[str] = ()
        labels: list[str] = []
        if edge is not None:
            if not options.invert:
                extras = edge.extras
            if edge.origin is not None:
                labels.append(origin_label(edge.origin))
            via = [e for e in edge.via if above is None or e in above]
            if via:
                labels.append(f"(extra: {', '.join(via)})")
        if key in latest:
            labels.append(f"(latest: v{latest[key]})")
        return " ".join([_name(node, extras), *labels])

    def walk(
        key: int,
        edge: Edge | None,
        prefix: str,
        connector: str,
        level: int,
        path: tuple[int, ...],
        above: tuple[str, ...] | None = None,
    ) -> None:
        # The extras this package was reached with (None: a top line, all of them); inverted, the
        # extras of it that bring the package below.
        active: tuple[str, ...] | None = None
        if edge is not None:
            active = (edge.via or None) if options.invert else edge.extras
        below = next_edges(key, active)
        deeper = options.depth is None or level < options.depth
        mark = (key, active)
        repeated = bool(below) and deeper and (key in path or (options.dedupe and mark in expanded))
        lines.append(prefix + connector + text(key, edge, above) + (" (*)" if repeated else ""))
        if repeated or not deeper:
            return
        expanded.add(mark)
        inner = prefix + ("" if not connector else (_SPACE if connector == _LAST else _PIPE))
        for index, step in enumerate(below):
            last = index == len(below) - 1
            following = step.source if options.invert else step.target
            walk(following, step, inner, _LAST if last else _BRANCH, level + 1, (*path, key), active)

    for top in tops:
        walk(top, None, "", "", 0, ())
    return lines


def _order(node: Node) -> tuple[str, str]:
    return (node.name, f"{node.version}" if node.version is not None else "")


def paths_to(
    graph: LockGraph, targets: Collection[int], *, limit: int = 1000
) -> tuple[list[list[Edge]], bool]:
    """Every path from the project to one of ``targets`` that visits no package twice, as edges from
    the project down, shortest first; at most ``limit`` of them (the flag says whether more exist).

    A step that one of a package's extras brings (``b[fast] -> c``) needs the step into that package
    to ask for the extra; when no path does (a lock that does not record extras fully), every path
    counts.
    """
    found, truncated = _paths(graph, targets, limit, extras_matter=True)
    if not found:
        found, truncated = _paths(graph, targets, limit, extras_matter=False)
    return found, truncated


def _paths(
    graph: LockGraph, targets: Collection[int], limit: int, *, extras_matter: bool
) -> tuple[list[list[Edge]], bool]:
    reachable = graph.reachable() | {PROJECT}
    found: list[list[Edge]] = []
    truncated = False

    def climb(key: int, below: list[Edge], seen: frozenset[int]) -> bool:
        nonlocal truncated
        needed = set(below[0].via) if below and extras_matter else set()
        for edge in graph.parents.get(key, ()):
            if edge.source not in reachable or edge.source in seen:
                continue
            if needed and not needed & set(edge.extras):
                continue
            path = [edge, *below]
            if edge.source == PROJECT:
                if len(found) >= limit:
                    truncated = True
                    return False
                found.append(path)
            elif not climb(edge.source, path, seen | {edge.source}):
                return False
        return True

    for target in sorted(targets, key=lambda key: _order(graph.nodes[key])):
        if target in reachable and not climb(target, [], frozenset({target})):
            break
    found.sort(key=lambda path: (len(path), [path_key(graph, edge) for edge in path]))
    return found, truncated


def path_key(graph: LockGraph, edge: Edge) -> tuple[str, str, str]:
    node = graph.nodes[edge.target]
    return (node.name, f"{node.version}", edge.origin or "")


def path_text(graph: LockGraph, path: Sequence[Edge]) -> str:
    """``demo v0.1 (group: dev) -> a v1.0 -> b[x] v2.0``."""
    head = graph.project.label
    if path and path[0].origin is not None:
        head += " " + origin_label(path[0].origin)
    return " -> ".join([head, *(_name(graph.nodes[edge.target], edge.extras) for edge in path)])
