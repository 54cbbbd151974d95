"""The pure lock graph and its text views: cycles, several versions, path limits (no I/O)."""

from __future__ import annotations

from packaging.pylock import Pylock
from packaging.requirements import Requirement

from bale.lock.graph import PROJECT, build_graph, selected_nodes
from bale.lock.views import TreeOptions, path_text, paths_to, tree_lines

_WHEEL = {"url": "https://example.invalid/x.whl", "hashes": {"sha256": "0" * 64}}


def lock(*packages: dict[str, object]) -> Pylock:
    entries = []
    for package in packages:
        name, version = str(package["name"]), str(package["version"])
        wheel = {**_WHEEL, "name": f"{name}-{version}-py3-none-any.whl"}
        entries.append({"wheels": [wheel], **package})
    return Pylock.from_dict({"lock-version": "1.0", "created-by": "test", "packages": entries})


def test_a_cycle_is_drawn_once_and_marked() -> None:
    graph = build_graph(
        lock(
            {"name": "a", "version": "1", "dependencies": [{"name": "b"}]},
            {"name": "b", "version": "1", "dependencies": [{"name": "a"}]},
        ),
        {None: [Requirement("a")]},
        project_name="Proj",
        project_version="0.1",
    )
    assert tree_lines(graph, TreeOptions(dedupe=False)) == [
        "proj v0.1",
        "└── a v1",
        "    └── b v1",
        "        └── a v1 (*)",
    ]
    assert tree_lines(graph, TreeOptions(invert=True, start=[1])) == [
        "b v1",
        "└── a v1",
        "    ├── proj v0.1",
        "    └── b v1 (*)",
    ]
    paths, truncated = paths_to(graph, [1])
    assert [path_text(graph, p) for p in paths] == ["proj v0.1 -> a v1 -> b v1"]
    assert not truncated


def test_versioned_references_and_path_limit() -> None:
    m = {"name": "m"}
    graph = build_graph(
        lock(
            {"name": "top", "version": "1", "dependencies": [{"name": "x", "version": "2"}, m]},
            {"name": "m", "version": "1", "dependencies": [{"name": "x", "version": "1"}]},
            {"name": "x", "version": "1", "marker": "python_version < '3.10'"},
            {"name": "x", "version": "2", "marker": "python_version >= '3.10'"},
            {"name": "dev", "version": "1", "marker": "'dev' in dependency_groups", "dependencies": [m]},
        ),
        {None: [Requirement("top")], "group:dev": [Requirement("dev")]},
        project_name="p",
    )
    assert tree_lines(graph) == [
        "p",
        "├── dev v1 (group: dev)",
        "│   └── m v1",
        "│       └── x v1",
        "└── top v1",
        "    ├── m v1 (*)",
        "    └── x v2",
    ]
    x1 = graph.named("x")[0].key
    paths, truncated = paths_to(graph, [x1])
    assert [path_text(graph, p) for p in paths] == [
        "p (group: dev) -> dev v1 -> m v1 -> x v1",
        "p -> top v1 -> m v1 -> x v1",
    ]
    assert not truncated
    assert len(paths_to(graph, [x1], limit=1)[0]) == 1
    assert paths_to(graph, [x1], limit=1)[1]
    without_dev = selected_nodes(graph, origins={None}, extras=(), groups=())
    assert sorted(graph.nodes[k].label for k in without_dev) == ["m v1", "top v1", "x v1", "x v2"]
    assert PROJECT not in without_dev
