"""Format-preserving pyproject.toml edits: whole resulting texts, for files written in different styles."""

from __future__ import annotations

from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.project.edit import add_dependency, add_source, bounds, remove_dependency, remove_source
from bale.project.model import load_project

HATCH = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "weather-cli"
version = "1.4.0"
description = "Forecasts in the terminal"
requires-python = ">=3.10"
# Keep these sorted; CI checks it.
dependencies = [
    "click>=8.1",  # the CLI
    "httpx>=0.27",
    "rich>=13",
]

[project.optional-dependencies]
maps = ["folium>=0.15", "geopy"]

[project.scripts]
weather = "weather_cli:main"

[dependency-groups]
dev = [
  { include-group = "test" },
  "mypy>=1.10",
]
test = [
  "pytest>=8",
  "respx",   # mocks httpx
]

[tool.ruff]
line-length = 100
"""


def test_add_to_every_kind_of_array_keeps_layout_and_comments() -> None:
    out = add_dependency(HATCH, "anyio>=4")
    out = add_dependency(out, "httpx[http2]>=0.28")  # replaces httpx in place
    out = add_dependency(out, "shapely>=2", optional="maps")
    out = add_dependency(out, "hypothesis", group="test")
    out = add_dependency(out, "ipdb", dev=True)
    assert (
        out
        == """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "weather-cli"
version = "1.4.0"
description = "Forecasts in the terminal"
requires-python = ">=3.10"
# Keep these sorted; CI checks it.
dependencies = [
    "anyio>=4",
    "click>=8.1",  # the CLI
    "httpx[http2]>=0.28",
    "rich>=13",
]

[project.optional-dependencies]
maps = ["folium>=0.15", "geopy", "shapely>=2"]

[project.scripts]
weather = "weather_cli:main"

[dependency-groups]
dev = [
  { include-group = "test" },
  "mypy>=1.10",
  "ipdb",
]
test = [
  "hypothesis",
  "pytest>=8",
  "respx",   # mocks httpx
]

[tool.ruff]
line-length = 100
"""
    )


def test_remove_from_dependencies_extras_and_groups() -> None:
    out = remove_dependency(HATCH, "RICH")
    out = remove_dependency(out, "geopy", optional="maps")
    out = remove_dependency(out, "respx", group="test")
    out = remove_dependency(out, "mypy", dev=True)
    assert out == HATCH.replace('    "rich>=13",\n', "").replace(
        'maps = ["folium>=0.15", "geopy"]', 'maps = ["folium>=0.15"]'
    ).replace('  "respx",   # mocks httpx\n', "").replace('  "mypy>=1.10",\n', "")


SETUPTOOLS = """\
[build-system]
requires = ["setuptools>=69", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "legacy_tool"
dynamic = ["version"]
dependencies = [ 'numpy>=1.26', 'pandas>=2.1', ]  # literal strings, padded, trailing comma

[project.urls]
Homepage = "https://example.org/legacy"

[tool.setuptools.dynamic]
version = {attr = "legacy_tool.__version__"}
"""


def test_one_line_arrays_stay_on_one_line_with_their_padding_and_quotes() -> None:
    out = add_dependency(SETUPTOOLS, "attrs>=23")
    out = add_dependency(out, "pandas>=2.2")
    out = add_dependency(out, 'tomli; python_version < "3.11"')
    assert out == SETUPTOOLS.replace(
        "dependencies = [ 'numpy>=1.26', 'pandas>=2.1', ]",
        "dependencies = [ \"attrs>=23\", 'numpy>=1.26', 'pandas>=2.2', 'tomli; python_version < \"3.11\"', ]",
    )
    out = remove_dependency(out, "attrs")
    out = remove_dependency(out, "numpy")
    assert "dependencies = [ 'pandas>=2.2', 'tomli; python_version < \"3.11\"', ]  # literal" in out
    out = remove_dependency(remove_dependency(out, "pandas"), "tomli")
    assert "dependencies = []  # literal strings, padded, trailing comma\n" in out


MINIMAL = """\
[project]
name = "scratch"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = []
"""


def test_empty_and_new_arrays_are_written_one_item_per_line() -> None:
    out = add_dependency(MINIMAL, "requests>=2.32")
    out = add_dependency(out, "pytest>=8", dev=True)
    out = add_dependency(out, "sphinx", group="docs")
    out = add_dependency(out, "uvloop; sys_platform != 'win32'", optional="fast")
    assert (
        out
        == """\
[project]
name = "scratch"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = [
    "requests>=2.32",
]

[project.optional-dependencies]
fast = [
    "uvloop; sys_platform != 'win32'",
]

[dependency-groups]
dev = [
    "pytest>=8",
]
docs = [
    "sphinx",
]
"""
    )
    # The result is a valid project again.
    assert out.endswith("]\n")


def test_a_missing_dependencies_key_is_created_in_the_project_table() -> None:
    text = '[project]\nname = "x"\n\n[project.urls]\nHome = "https://x.example"\n'
    assert add_dependency(text, "six") == (
        '[project]\nname = "x"\ndependencies = [\n    "six",\n]\n\n[project.urls]\nHome = "https://x.example"\n'
    )


def test_same_name_with_another_marker_is_a_second_entry() -> None:
    text = '[project]\nname = "x"\ndependencies = [\n    "numpy>=1.26",\n]\n'
    out = add_dependency(text, "numpy>=2; python_version >= '3.12'")
    assert out == (
        '[project]\nname = "x"\ndependencies = [\n    "numpy>=1.26",\n'
        "    \"numpy>=2; python_version >= '3.12'\",\n]\n"
    )
    # Same marker: replaced in place; removing drops every entry of the name.
    out = add_dependency(out, "numpy>=2.1; python_version >= '3.12'")
    assert "numpy>=2.1; python_version" in out and "numpy>=2; " not in out
    assert remove_dependency(out, "numpy") == '[project]\nname = "x"\ndependencies = []\n'


def test_legacy_dev_dependencies_are_edited_where_they_are() -> None:
    text = '[project]\nname = "x"\n\n[tool.bale]\ndev-dependencies = ["pytest"]\npackage = false\n'
    out = add_dependency(text, "ruff", dev=True)
    assert out == text.replace('["pytest"]', '["pytest", "ruff"]')
    assert '\ndev-dependencies = ["pytest", "ruff"]\npackage = false\n' in out
    assert remove_dependency(out, "pytest", dev=True) == out.replace('"pytest", ', "")


def test_edited_text_reads_back_as_a_project(tmp_path: Path) -> None:
    out = add_dependency(HATCH, "anyio>=4")
    out = add_source(out, "anyio", {"path": "../anyio", "editable": True})
    path = tmp_path / "pyproject.toml"
    path.write_text(out, encoding="utf-8")
    project = load_project(path)
    assert str(project.dependencies[0].requirement) == "anyio>=4"
    assert project.dependencies[0].origin.line == 12


# ---------------------------------------------------------------------------------------------- sources


def test_add_source_creates_the_table_and_replaces_entries_in_place() -> None:
    out = add_source(HATCH, "rich", {"git": "https://github.com/x/rich.git", "tag": "v13.7.1"})
    out = add_source(out, "httpx", {"index": "internal"})
    assert out == HATCH + (
        "\n[tool.bale.sources]\n"
        'rich = { git = "https://github.com/x/rich.git", tag = "v13.7.1" }\n'
        'httpx = { index = "internal" }\n'
    )
    replaced = add_source(out, "Rich", {"editable": True, "path": "../rich"})
    assert 'rich = { path = "../rich", editable = true }\nhttpx' in replaced
    assert remove_source(remove_source(replaced, "rich"), "HTTPX") == HATCH
    assert remove_source(HATCH, "nothing") == HATCH


def test_add_source_into_an_existing_tool_bale_table() -> None:
    text = (
        '[project]\nname = "x"\n\n[tool.bale]\npackage = true\n\n'
        "[tool.bale.sources]\n# pinned to the fork\nfoo = { workspace = true }  # member\n\n"
        "[tool.black]\nline-length = 88\n"
    )
    out = add_source(text, "bar", {"url": "https://files.example/bar-1.0.tar.gz"})
    assert out == text.replace(
        "foo = { workspace = true }  # member\n",
        'foo = { workspace = true }  # member\nbar = { url = "https://files.example/bar-1.0.tar.gz" }\n',
    )


def test_add_source_validates_the_entry() -> None:
    with pytest.raises(BaleError) as caught:
        add_source(HATCH, "rich", {"git": "https://x", "tag": "a", "branch": "b"})
    assert caught.value.render() == (
        "pyproject.toml: tool.bale.sources.rich: expected at most one of rev, tag, branch (got tag, branch)"
    )


# ---------------------------------------------------------------------------------------------- errors


def test_removing_a_missing_dependency_says_where_bale_looked() -> None:
    with pytest.raises(BaleError) as caught:
        remove_dependency(HATCH, "respx")
    assert caught.value.render() == (
        "No dependency named 'respx' in project.dependencies of pyproject.toml\n"
        "  project.dependencies lists: click, httpx, rich\n"
        "hint: 'respx' is listed in dependency-groups.test"
    )
    with pytest.raises(BaleError) as caught:
        remove_dependency(HATCH, "click", optional="cli")
    assert caught.value.render() == (
        "No dependency named 'click' in project.optional-dependencies.cli of pyproject.toml\n"
        "  project.optional-dependencies.cli does not exist\n"
        "hint: 'click' is listed in project.dependencies"
    )
    with pytest.raises(BaleError) as caught:
        remove_dependency(MINIMAL, "pytest", dev=True, where="/w/pyproject.toml")
    assert caught.value.render() == (
        "No dependency named 'pytest' in dependency-groups.dev of /w/pyproject.toml\n"
        "  dependency-groups.dev does not exist"
    )


def test_invalid_input_is_reported() -> None:
    with pytest.raises(BaleError) as caught:
        add_dependency(MINIMAL, "requests >=")
    assert caught.value.render().startswith("Invalid requirement 'requests >=': ")
    with pytest.raises(BaleError) as caught:
        add_dependency('[project]\nname = "x"\ndependencies = [\n"a",\nb = 1\n', "c")
    assert caught.value.render() == (
        "pyproject.toml:5:1: invalid TOML: Unexpected character: 'b'\n  b = 1\n  ^"
    )
    with pytest.raises(BaleError) as caught:
        add_dependency("[tool.ruff]\nline-length = 1\n", "c")
    assert caught.value.render() == (
        "pyproject.toml has no [project] table\nhint: run `bale init` to create a project"
    )
    with pytest.raises(BaleError) as caught:
        add_dependency('[project]\nname = "x"\ndynamic = ["dependencies"]\n', "c")
    assert caught.value.render() == (
        "pyproject.toml: project.dependencies is dynamic (listed in project.dynamic); bale cannot edit it\n"
        "hint: list the dependencies in [project] and remove 'dependencies' from project.dynamic"
    )
    with pytest.raises(BaleError) as caught:
        add_dependency('[project]\nname = "x"\ndependencies = "a"\n', "c")
    assert caught.value.render() == (
        "pyproject.toml: project.dependencies: expected an array of requirement strings, cannot edit it"
    )
    with pytest.raises(ValueError, match="at most one of group, optional and dev"):
        add_dependency(MINIMAL, "c", group="a", dev=True)


# ---------------------------------------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    ("version", "kind", "expected"),
    [
        ("1.2.3", "lower", ">=1.2.3"),
        ("1.2.3", "major", ">=1.2.3,<2"),
        ("1.2.3", "minor", ">=1.2.3,<1.3"),
        ("1.2.3", "exact", "==1.2.3"),
        ("2", "major", ">=2,<3"),
        ("2", "minor", ">=2,<2.1"),
        ("2.17", "major", ">=2.17,<3"),
        ("0.2.3", "major", ">=0.2.3,<0.3"),
        ("0.2.3", "minor", ">=0.2.3,<0.2.4"),
        ("0.2", "minor", ">=0.2,<0.2.1"),
        ("0.0.3", "major", ">=0.0.3,<0.0.4"),
        ("0.0.3", "minor", ">=0.0.3,<0.0.4"),
        ("0.0.1.1", "major", ">=0.0.1.1,<0.0.2"),
        ("0.0.0", "major", ">=0.0.0,<0.0.1"),
        ("1.0.0rc1", "major", ">=1.0.0rc1,<2"),
        ("1.2.3.post1", "minor", ">=1.2.3.post1,<1.3"),
        ("1.2.3+local", "lower", ">=1.2.3"),
        ("1.2.3+local", "exact", "==1.2.3+local"),
        ("1!2.0", "major", ">=1!2.0,<1!3"),
    ],
)
def test_bounds(version: str, kind: str, expected: str) -> None:
    assert bounds(version, kind) == expected  # type: ignore[arg-type]


def test_bounds_of_an_invalid_version() -> None:
    with pytest.raises(BaleError, match="Cannot compute bounds for 'latest': not a PEP 440 version"):
        bounds("latest", "major")
