"""Reading pyproject.toml into a Project: fields, groups, [tool.bale] settings and every validation error."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.errors import BaleError
from bale.model.requirement import Origin
from bale.project.model import (
    BuildSystem,
    GitSource,
    Index,
    IndexSource,
    PathSource,
    Project,
    UrlSource,
    WorkspaceSettings,
    WorkspaceSource,
    find_project,
    load_project,
    parse_source,
)


def write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(BaleError) as caught:
        load_project(path)
    return caught.value.render()


def reqs(specs: object) -> list[str]:
    return [str(spec.requirement) for spec in specs]  # type: ignore[attr-defined]


FULL = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "My_App"
version = "0.3.0"
requires-python = ">=3.10"
dependencies = [
    "requests>=2.31",  # http
    'tomli; python_version < "3.11"',
]

[project.optional-dependencies]
CLI = ["click>=8"]

[dependency-groups]
test = ["pytest>=8", { include-group = "lint" }]
lint = ["ruff>=0.6"]

[tool.bale]
index = [
    { name = "internal", url = "https://pkgs.example/simple", explicit = true },
    { name = "mirror", url = "https://mirror.example/simple", default = true },
]
constraint-dependencies = ["urllib3<3"]
override-dependencies = ["idna==3.7"]
environments = ["sys_platform == 'linux'", "sys_platform == 'darwin'"]
exclude-newer = "2024-06-01T00:00:00Z"
default-groups = ["test"]

[tool.bale.sources]
"Foo.Bar" = { index = "internal" }
local = { path = "../local", editable = true }
lib = { git = "https://git.example/lib.git", tag = "v1.0", subdirectory = "py" }
wheel = { url = "https://files.example/wheel-1.0-py3-none-any.whl" }
sibling = { workspace = true }
"""


def test_a_full_project_reads_into_typed_values(tmp_path: Path) -> None:
    path = write(tmp_path / "app", FULL)
    project = load_project(path)
    assert project.root == tmp_path / "app"
    assert project.pyproject == path
    assert project.name == "my-app"
    assert project.version == Version("0.3.0")
    assert project.requires_python == SpecifierSet(">=3.10")
    assert reqs(project.dependencies) == ["requests>=2.31", 'tomli; python_version < "3.11"']
    assert [spec.origin for spec in project.dependencies] == [Origin(str(path), 10), Origin(str(path), 11)]
    assert {k: reqs(v) for k, v in project.optional_dependencies.items()} == {"cli": ["click>=8"]}
    assert {k: reqs(v) for k, v in project.dependency_groups.items()} == {
        "test": ["pytest>=8", "ruff>=0.6"],
        "lint": ["ruff>=0.6"],
    }
    assert project.dependency_groups["test"][1].origin == Origin(str(path), 19)
    assert project.dependency_groups_table == {
        "test": ["pytest>=8", {"include-group": "lint"}],
        "lint": ["ruff>=0.6"],
    }
    assert project.build_system is not None
    assert reqs_of_build(project.build_system) == ["hatchling>=1.25"]
    assert project.build_system.backend == "hatchling.build"
    assert project.is_package and not project.is_virtual and not project.is_workspace_root

    settings = project.settings
    assert settings.indexes == (
        Index("internal", "https://pkgs.example/simple", explicit=True),
        Index("mirror", "https://mirror.example/simple", default=True),
    )
    assert settings.sources == {
        "foo-bar": IndexSource("internal"),
        "local": PathSource(tmp_path / "local", editable=True),
        "lib": GitSource("https://git.example/lib.git", tag="v1.0", subdirectory="py"),
        "wheel": UrlSource("https://files.example/wheel-1.0-py3-none-any.whl"),
        "sibling": WorkspaceSource(),
    }
    assert reqs(settings.constraint_dependencies) == ["urllib3<3"]
    assert reqs(settings.override_dependencies) == ["idna==3.7"]
    assert settings.environments == (Marker("sys_platform == 'linux'"), Marker("sys_platform == 'darwin'"))
    assert settings.exclude_newer == "2024-06-01T00:00:00Z"
    assert settings.default_groups == ("test",)
    assert project.default_groups == ("test",)
    assert settings.workspace is None and settings.package is None and settings.unknown == ()


def reqs_of_build(build: BuildSystem) -> list[str]:
    return [str(r) for r in build.requires]


def test_a_project_without_build_system_is_virtual_unless_package_is_set(tmp_path: Path) -> None:
    plain = load_project(write(tmp_path / "a", '[project]\nname = "a"\n'))
    assert plain.build_system is None and plain.is_virtual
    assert plain.version is None and plain.requires_python is None and plain.dependencies == ()
    forced = load_project(write(tmp_path / "b", '[project]\nname = "b"\n[tool.bale]\npackage = true\n'))
    assert forced.is_package
    opted_out = load_project(
        write(
            tmp_path / "c",
            '[project]\nname = "c"\n[build-system]\nrequires = ["x"]\n[tool.bale]\npackage = false\n',
        )
    )
    assert opted_out.is_virtual


def test_legacy_dev_dependencies_join_the_dev_group(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[project]\nname = "x"\n\n[dependency-groups]\nDev = ["pytest"]\n\n'
        '[tool.bale]\ndev-dependencies = [\n    "ipython",\n]\n',
    )
    project = load_project(path)
    assert {k: reqs(v) for k, v in project.dependency_groups.items()} == {"dev": ["pytest", "ipython"]}
    assert project.dependency_groups["dev"][1].origin == Origin(str(path), 9)
    assert reqs(project.settings.dev_dependencies) == ["ipython"]
    # Without default-groups, the dev group is installed by default (as with uv).
    assert project.default_groups == ("dev",)

    only_legacy = load_project(
        write(tmp_path / "legacy", '[project]\nname = "y"\n[tool.bale]\ndev-dependencies = ["black"]\n')
    )
    assert {k: reqs(v) for k, v in only_legacy.dependency_groups.items()} == {"dev": ["black"]}


def test_default_groups_all_and_none(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n[dependency-groups]\na = ["p"]\nb = ["q"]\n'
    assert load_project(write(tmp_path / "n", text)).default_groups == ()
    everything = load_project(write(tmp_path / "all", text + '[tool.bale]\ndefault-groups = "all"\n'))
    assert everything.default_groups == ("a", "b")


def test_a_workspace_root_without_project_table(tmp_path: Path) -> None:
    root = load_project(
        write(
            tmp_path,
            '[tool.bale.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/old"]\n'
            '[dependency-groups]\ndev = ["pytest"]\n',
        )
    )
    assert root.name is None and root.is_virtual and root.is_workspace_root
    assert root.settings.workspace == WorkspaceSettings(("packages/*",), ("packages/old",))
    assert reqs(root.dependency_groups["dev"]) == ["pytest"]


def test_unknown_tool_bale_keys_are_kept_for_the_cli_to_warn_about(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, '[project]\nname = "x"\n[tool.bale]\nfrobnicate = "lowest"\n'))
    assert project.settings.unknown == ("frobnicate",)
    assert project.settings.raw == {"frobnicate": "lowest"}


def test_toml_dates_are_accepted_for_exclude_newer(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n[tool.bale]\nexclude-newer = 2024-05-01\n'
    project = load_project(write(tmp_path, text))
    assert project.settings.exclude_newer == "2024-05-01"


# ---------------------------------------------------------------------------------------------- errors


def test_syntax_error_points_at_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "x"\ndependencies = ["a",\n  "b" "c"]\n')
    assert error_of(path) == f'{path}:4:7: invalid TOML: Unclosed array\n    "b" "c"]\n        ^'


def test_every_type_problem_is_reported_at_once_with_its_key_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
[project]
name = "ok"
version = "1.0"
dependencies = ["requests", 3]

[tool.bale]
sources = { foo = { index = 3 }, bar = { path = "x", git = "y" }, baz = { workspace = false } }
index = [{ name = "a", url = "https://a.example", explicit = "yes" }]
environments = ["sys_platform == 'linux'", "bogus marker"]
exclude-newer = "yesterday"
default-groups = "some"
package = 1
workspace = { members = "x" }
""",
    )
    assert error_of(path) == (
        f"{path}: 10 problems\n"
        "  project.dependencies[1]: expected a requirement string, got an integer (3)\n"
        '  tool.bale.index[0].explicit: expected true or false, got a string ("yes")\n'
        "  tool.bale.sources.foo.index: expected a string (the name of a [[tool.bale.index]]), "
        "got an integer (3)\n"
        "  tool.bale.sources.bar: expected exactly one of index, path, git, url, workspace (got path, git)\n"
        "  tool.bale.sources.baz.workspace: expected true, got a boolean (false)\n"
        "  tool.bale.environments[1]: invalid marker 'bogus marker': "
        'unknown marker variable "bogus" (python_version, sys_platform, platform_machine, os_name, '
        "implementation_name, extra, ...) (column 1)\n"
        "  tool.bale.exclude-newer: 'yesterday' is neither a date (2026-11-01), a timestamp "
        "(2026-11-01T00:00:00Z) nor a duration (7 days, 24 hours, P7D)\n"
        '  tool.bale.default-groups: expected an array of group names or "all", got a string ("some")\n'
        '  tool.bale.workspace.members: expected an array of globs, got a string ("x")\n'
        "  tool.bale.package: expected true or false, got an integer (1)"
    )


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (
            '[project]\nname = "-bad-"\n',
            "project.name: '-bad-' is not a valid name: a name starts and ends with a letter or digit "
            "and contains only letters, digits, '-', '_' and '.'",
        ),
        ('[project]\nversion = "1"\n', "project.name: missing; every project needs a name"),
        (
            '[project]\nname = "x"\nversion = "one"\n',
            "project.version: expected a PEP 440 version (like 1.2.3), got 'one'",
        ),
        (
            '[project]\nname = "x"\nrequires-python = "3.10+"\n',
            "project.requires-python: expected version specifiers (like >=3.10), got '3.10+'",
        ),
        (
            '[project]\nname = "x"\ndependencies = "a"\n',
            'project.dependencies: expected an array of requirement strings, got a string ("a")',
        ),
        (
            '[project]\nname = "x"\n[tool.bale.sources]\n'
            '"zope.interface" = { git = "u", tag = "a", branch = "b" }\n',
            'tool.bale.sources."zope.interface": expected at most one of rev, tag, branch (got tag, branch)',
        ),
        (
            '[project]\nname = "x"\n[tool.bale.sources]\nfoo = { path = "p", rev = "r" }\n',
            "tool.bale.sources.foo.rev: unknown key for a path source (expected: path, editable, marker)",
        ),
        (
            '[project]\nname = "x"\n[tool.bale.sources]\nfoo = [{ index = "a" }]\n',
            "tool.bale.sources.foo: expected a table (one source per package), got an array",
        ),
        (
            '[project]\nname = "x"\n[[tool.bale.index]]\nname = "a"\nurl = "u"\ndefault = true\n'
            '[[tool.bale.index]]\nname = "b"\nurl = "v"\ndefault = true\n',
            "tool.bale.index: only one index can be the default, got 2: a, b",
        ),
        (
            '[project]\nname = "x"\n[[tool.bale.index]]\nurl = "u"\n',
            "tool.bale.index[0].name: missing; every index needs a name for sources to refer to",
        ),
        (
            '[project]\nname = "x"\n[[tool.bale.index]]\nname = "a"\nurl = "u"\n'
            '[[tool.bale.index]]\nname = "a"\nurl = "v"\n',
            "tool.bale.index[1].name: index 'a' is defined twice",
        ),
        (
            '[project]\nname = "x"\n[dependency-groups]\ntest = "pytest"\n',
            "dependency-groups.test: expected an array of requirement strings and { include-group = ... } "
            'tables, got a string ("pytest")',
        ),
        (
            '[project]\nname = "x"\n[dependency-groups]\ntest = [{ include = "a" }]\n',
            'dependency-groups.test[0]: expected { include-group = "<group name>" }, got a table',
        ),
        (
            '[project]\nname = "x"\n[dependency-groups]\ntest = ["a"]\nTest = ["b"]\n',
            "dependency-groups.Test: same group as 'test' (names are compared normalized)",
        ),
        (
            '[project]\nname = "x"\n[dependency-groups]\n'
            'a = [{include-group = "b"}]\nb = [{include-group = "a"}]\n',
            "dependency-groups.a: Cyclic dependency group include while resolving a: a -> b, b -> a",
        ),
        (
            '[project]\nname = "x"\n[dependency-groups]\ndev = ["a"]\n'
            '[tool.bale]\ndefault-groups = ["dev", "docs"]\n',
            "tool.bale.default-groups[1]: no dependency group named 'docs' (groups: dev)",
        ),
        (
            '[project]\nname = "x"\n[tool.bale.workspace]\nmembers = ["a"]\nexlude = ["b"]\n',
            "tool.bale.workspace.exlude: unknown key (expected: members, exclude, lock)",
        ),
    ],
)
def test_single_problems_name_the_file_and_key_path(tmp_path: Path, tail: str, message: str) -> None:
    path = write(tmp_path, tail)
    assert error_of(path) == f"{path}: {message}"


def test_an_invalid_requirement_names_its_line_and_shows_a_caret(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "x"\ndependencies = [\n    "requests >=",\n]\n')
    assert error_of(path) == (
        f"{path}:4: project.dependencies[0]: invalid requirement 'requests >=': "
        'missing version after ">="\n'
        "      requests >=\n"
        "               ~~^"
    )


def test_an_include_of_a_missing_group_names_both_groups(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[project]\nname = "x"\n[dependency-groups]\ntest = ["pytest", {include-group = "lint"}]\n'
    )
    assert error_of(path) == (
        f"{path}: dependency-groups.test[1]: group 'test' includes group 'lint', which does not exist "
        "(groups: test)"
    )


def test_a_source_naming_an_unknown_index_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[project]\nname = "x"\n[[tool.bale.index]]\nname = "mirror"\nurl = "https://m.example"\n'
        '[tool.bale.sources]\nfoo = { index = "internal" }\n',
    )
    assert error_of(path) == (
        f"{path}: tool.bale.sources.foo.index: no index named 'internal' (indexes defined: mirror)\n"
        "hint: define it with [[tool.bale.index]] name = ..., url = ..."
    )


def test_parse_source_checks_one_entry(tmp_path: Path) -> None:
    assert parse_source({"path": "../x"}, ("tool", "bale", "sources", "x"), tmp_path / "p") == PathSource(
        tmp_path / "x"
    )
    with pytest.raises(BaleError) as caught:
        parse_source({"url": 1}, ("tool", "bale", "sources", "x"), tmp_path)
    assert caught.value.render() == (
        f"{tmp_path / 'pyproject.toml'}: tool.bale.sources.x.url: expected a string, got an integer (1)"
    )


# ---------------------------------------------------------------------------------------------- finding


def test_find_project_walks_up_from_a_nested_directory(tmp_path: Path) -> None:
    write(tmp_path / "app", '[project]\nname = "app"\n')
    # A pyproject.toml with only tool settings is not a project: the search goes on above it.
    write(tmp_path / "app" / "src" / "pkg", "[tool.ruff]\nline-length = 100\n")
    nested = tmp_path / "app" / "src" / "pkg" / "sub"
    nested.mkdir(parents=True)
    project = find_project(nested)
    assert isinstance(project, Project)
    assert project.name == "app"
    assert project.root == (tmp_path / "app").resolve()


def test_find_project_stops_at_a_workspace_root(tmp_path: Path) -> None:
    write(tmp_path, "[tool.bale.workspace]\nmembers = []\n")
    (tmp_path / "docs").mkdir()
    assert find_project(tmp_path / "docs").root == tmp_path.resolve()


def test_find_project_without_any_project(tmp_path: Path) -> None:
    write(tmp_path / "a", "[tool.black]\n")
    start = tmp_path / "a" / "b"
    start.mkdir()
    with pytest.raises(BaleError) as caught:
        find_project(start)
    rendered = caught.value.render()
    assert rendered.startswith(f"No pyproject.toml found in {start.resolve()} or any parent directory\n")
    assert f"  {(tmp_path / 'a' / 'pyproject.toml').resolve()} has no [project] table\n" in rendered
    assert rendered.endswith("hint: run `bale init` to create a project")


def test_find_project_lets_a_member_use_its_workspace_roots_indexes(tmp_path: Path) -> None:
    write(
        tmp_path,
        '[tool.bale.workspace]\nmembers = ["m"]\n[[tool.bale.index]]\nname = "internal"\nurl = "https://i.example"\n',
    )
    write(tmp_path / "m", '[project]\nname = "m"\n[tool.bale.sources]\nfoo = { index = "internal" }\n')
    assert find_project(tmp_path / "m").settings.sources == {"foo": IndexSource("internal")}
    with pytest.raises(BaleError, match="no index named 'internal'"):
        load_project(tmp_path / "m" / "pyproject.toml")
