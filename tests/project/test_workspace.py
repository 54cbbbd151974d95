"""Workspace discovery: member globs and exclusions, member references, and the errors around them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.project.model import IndexSource, PathSource, load_project
from bale.project.workspace import discover_workspace, find_workspace


def write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def member(directory: Path, name: str, extra: str = "") -> Path:
    return write(directory, f'[project]\nname = "{name}"\nversion = "0.1.0"\n{extra}')


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A root project with members under packages/* and libs/core, one excluded, one hidden."""
    root = tmp_path.resolve() / "repo"
    write(
        root,
        '[project]\nname = "root-app"\ndependencies = ["core", "web"]\n\n'
        "[tool.bale.sources]\ncore = { workspace = true }\nweb = { workspace = true }\n\n"
        '[tool.bale.workspace]\nmembers = ["packages/*", "libs/core"]\nexclude = ["packages/legacy"]\n\n'
        '[[tool.bale.index]]\nname = "internal"\nurl = "https://pkgs.example/simple"\n',
    )
    member(
        root / "packages" / "web",
        "Web",
        'dependencies = ["core>=0.1", "flask"]\n[tool.bale.sources]\nflask = { index = "internal" }\n',
    )
    member(root / "packages" / "cli", "cli", 'dependencies = ["web"]\n')
    (root / "packages" / "legacy").mkdir(parents=True)  # no pyproject.toml, but excluded
    (root / "packages" / ".cache").mkdir()  # hidden: skipped by the wildcard
    (root / "packages" / "README.md").write_text("not a member\n")
    member(root / "libs" / "core", "core")
    return root


def test_members_come_from_globs_minus_exclusions(tree: Path) -> None:
    workspace = discover_workspace(load_project(tree / "pyproject.toml"))
    assert list(workspace.members) == ["cli", "core", "root-app", "web"]
    assert {name: p.root for name, p in workspace.members.items()} == {
        "cli": tree / "packages" / "cli",
        "core": tree / "libs" / "core",
        "root-app": tree,
        "web": tree / "packages" / "web",
    }
    assert workspace.root.root == tree


def test_workspace_sources_become_editable_member_paths(tree: Path) -> None:
    workspace = discover_workspace(load_project(tree / "pyproject.toml"))
    web = workspace.members["web"]
    # The root's sources apply to every member; a member's own sources come on top.
    assert workspace.sources(web) == {
        "core": PathSource(tree / "libs" / "core", editable=True),
        "web": PathSource(tree / "packages" / "web", editable=True),
        "flask": IndexSource("internal"),
    }
    assert workspace.sources(workspace.root)["web"] == PathSource(tree / "packages" / "web", editable=True)


def test_find_workspace_from_a_member_and_from_the_root(tree: Path) -> None:
    inside = tree / "packages" / "web" / "src" / "web"
    inside.mkdir(parents=True)
    from_member = find_workspace(inside)
    assert from_member.root.root == tree
    assert set(from_member.members) == {"cli", "core", "root-app", "web"}
    assert from_member.member_at(inside) == from_member.members["web"]
    assert from_member.member_at(tree / "docs") == from_member.members["root-app"]
    assert find_workspace(tree).root.name == "root-app"


def test_an_excluded_project_inside_a_workspace_stands_alone(tree: Path) -> None:
    member(tree / "packages" / "legacy", "legacy")
    workspace = find_workspace(tree / "packages" / "legacy")
    assert workspace.root.name == "legacy"
    assert list(workspace.members) == ["legacy"]


def test_a_project_outside_any_workspace_is_a_workspace_of_one(tmp_path: Path) -> None:
    member(tmp_path / "solo", "solo")
    workspace = find_workspace(tmp_path / "solo")
    assert workspace.root.name == "solo" and list(workspace.members) == ["solo"]


def test_a_virtual_root_is_not_a_member(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    write(root, '[tool.bale.workspace]\nmembers = ["pkgs/**/"]\n')
    member(root / "pkgs" / "a", "a")
    member(root / "pkgs" / "group" / "b", "b")
    (root / "pkgs" / "group" / "b" / "src").mkdir()
    write(root / "pkgs" / "group", '[project]\nname = "group"\n')
    # "**/" matches "pkgs" itself too, which has no pyproject.toml.
    with pytest.raises(BaleError, match=r"'pkgs/\*\*/' matched pkgs, which has no pyproject.toml"):
        find_workspace(root / "pkgs" / "a")
    write(
        root,
        '[tool.bale.workspace]\nmembers = ["pkgs/**/"]\nexclude = ["pkgs", "pkgs/group/b/src"]\n',
    )
    workspace = find_workspace(root / "pkgs" / "a")
    assert workspace.root.name is None
    assert workspace.root.root == root
    assert list(workspace.members) == ["a", "b", "group"]


def test_a_matched_directory_without_pyproject_is_an_error(tree: Path) -> None:
    (tree / "packages" / "docs").mkdir()
    with pytest.raises(BaleError) as caught:
        find_workspace(tree)
    assert caught.value.render() == (
        f"{tree / 'pyproject.toml'}: tool.bale.workspace.members: 'packages/*' matched packages/docs, "
        "which has no pyproject.toml\n"
        "hint: add a pyproject.toml there (bale init), or list it in tool.bale.workspace.exclude"
    )


def test_a_member_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    write(root, '[project]\nname = "r"\n[tool.bale.workspace]\nmembers = ["libs/core"]\n')
    with pytest.raises(BaleError) as caught:
        find_workspace(root)
    assert caught.value.render() == (
        f"{root / 'pyproject.toml'}: tool.bale.workspace.members: "
        "workspace member 'libs/core' does not exist "
        f"({root / 'libs' / 'core'})\n"
        "hint: create it (bale init) or remove it from tool.bale.workspace.members"
    )


def test_a_member_without_project_table_is_an_error(tree: Path) -> None:
    write(tree / "packages" / "tools", "[tool.ruff]\n")
    with pytest.raises(BaleError) as caught:
        find_workspace(tree)
    assert caught.value.render() == (
        f"{tree / 'pyproject.toml'}: tool.bale.workspace.members: 'packages/*' matched packages/tools, "
        "whose pyproject.toml has no [project] table\n"
        "hint: a workspace member is a project: give it a [project] table with a name"
    )


def test_duplicate_member_names_are_an_error(tree: Path) -> None:
    member(tree / "packages" / "core-copy", "Core")
    with pytest.raises(BaleError) as caught:
        find_workspace(tree)
    assert caught.value.render() == (
        f"Two workspace members are named 'core': {tree / 'packages' / 'core-copy' / 'pyproject.toml'} "
        f"and {tree / 'libs' / 'core' / 'pyproject.toml'}\n"
        "hint: rename one, or list one in tool.bale.workspace.exclude"
    )


def test_a_dependency_on_a_member_needs_a_workspace_source(tree: Path) -> None:
    path = member(tree / "packages" / "api", "api", 'dependencies = [\n    "cli",\n]\n')
    # No source for "cli" in api's file nor in the root's: bale does not guess.
    with pytest.raises(BaleError) as caught:
        find_workspace(tree)
    assert caught.value.render() == (
        f"{path}:5: 'api' depends on workspace member 'cli' without a source for it\n"
        f"hint: add `cli = {{ workspace = true }}` under [tool.bale.sources] in {path}"
    )


def test_a_workspace_source_must_name_a_member(tree: Path) -> None:
    path = member(tree / "packages" / "api", "api", "[tool.bale.sources]\nrequests = { workspace = true }\n")
    with pytest.raises(BaleError) as caught:
        find_workspace(tree)
    assert caught.value.render() == (
        f"{path}: tool.bale.sources.requests: {{ workspace = true }} names a package that is not a "
        "workspace member (members: api, cli, core, root-app, web)"
    )


def test_members_see_the_roots_indexes_but_not_unknown_ones(tree: Path) -> None:
    path = member(tree / "packages" / "api", "api", '[tool.bale.sources]\nx = { index = "nowhere" }\n')
    with pytest.raises(BaleError) as caught:
        find_workspace(tree)
    assert caught.value.render() == (
        f"{path}: tool.bale.sources.x.index: no index named 'nowhere' (indexes defined: internal)\n"
        "hint: define it with [[tool.bale.index]] name = ..., url = ..."
    )


def test_nested_workspaces_are_refused(tree: Path) -> None:
    path = member(tree / "packages" / "inner", "inner", '[tool.bale.workspace]\nmembers = ["x/*"]\n')
    with pytest.raises(BaleError) as caught:
        discover_workspace(load_project(tree / "pyproject.toml"))
    assert caught.value.render() == (
        f"{path}: tool.bale.workspace: member 'inner' of the workspace at {tree} declares a workspace "
        "of its own; workspaces do not nest"
    )
