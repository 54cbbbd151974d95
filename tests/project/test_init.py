"""``bale init``'s files: an app, a packaged app and a library, read back as projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from bale.errors import BaleError
from bale.project.init import init_project
from bale.project.model import find_project

GITIGNORE = """\
# Python bytecode and build output
__pycache__/
*.py[cod]
build/
dist/
wheels/
*.egg-info/

# The project's virtual environment
.venv/
"""


def test_an_app_is_virtual_with_a_main_module(tmp_path: Path) -> None:
    root = tmp_path / "Weather_App"
    written = init_project(root, python="3.12")
    assert written == [
        root / "pyproject.toml",
        root / "README.md",
        root / ".python-version",
        root / ".gitignore",
        root / "main.py",
    ]
    assert (root / "pyproject.toml").read_text() == (
        "[project]\n"
        'name = "weather-app"\n'
        'version = "0.1.0"\n'
        'description = ""\n'
        'readme = "README.md"\n'
        'requires-python = ">=3.12"\n'
        "dependencies = []\n"
    )
    assert (root / "README.md").read_text() == "# weather-app\n"
    assert (root / ".python-version").read_text() == "3.12\n"
    assert (root / ".gitignore").read_text() == GITIGNORE
    assert (root / "main.py").read_text() == (
        'def main() -> None:\n    print("weather-app: up and running")\n\n\n'
        'if __name__ == "__main__":\n    main()\n'
    )
    project = find_project(root)
    assert project.name == "weather-app"
    assert project.requires_python == SpecifierSet(">=3.12")
    assert project.is_virtual and project.build_system is None


def test_a_library_has_a_build_system_and_a_src_layout(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    written = init_project(root, name="Geo.Tools", kind="lib")
    assert written == [
        root / "pyproject.toml",
        root / "README.md",
        root / ".gitignore",
        root / "src" / "geo_tools" / "__init__.py",
        root / "src" / "geo_tools" / "py.typed",
    ]
    assert (root / "pyproject.toml").read_text() == (
        "[project]\n"
        'name = "geo-tools"\n'
        'version = "0.1.0"\n'
        'description = ""\n'
        'readme = "README.md"\n'
        "dependencies = []\n"
        "\n"
        "[build-system]\n"
        'requires = ["hatchling"]\n'
        'build-backend = "hatchling.build"\n'
    )
    assert (root / "src" / "geo_tools" / "__init__.py").read_text() == (
        '"""The geo-tools library."""\n\n\ndef greeting() -> str:\n    return "geo-tools is ready"\n'
    )
    project = find_project(root / "src" / "geo_tools")
    assert project.name == "geo-tools" and project.is_package and project.requires_python is None
    assert project.build_system is not None and project.build_system.backend == "hatchling.build"


def test_a_packaged_app_gets_a_script_entry_point(tmp_path: Path) -> None:
    root = tmp_path / "cli"
    init_project(root, kind="app", package=True, python="3.11")
    text = (root / "pyproject.toml").read_text()
    assert '\n[project.scripts]\ncli = "cli:main"\n\n[build-system]\n' in text
    assert (root / "src" / "cli" / "__init__.py").read_text() == (
        'def main() -> None:\n    print("cli: up and running")\n'
    )
    assert not (root / "main.py").exists()
    assert find_project(root).is_package


def test_a_second_init_refuses(tmp_path: Path) -> None:
    init_project(tmp_path / "app")
    with pytest.raises(BaleError) as caught:
        init_project(tmp_path / "app", kind="lib")
    assert caught.value.render() == (
        f"{tmp_path / 'app' / 'pyproject.toml'} already exists\n"
        "hint: bale init creates a new project; to change this one, use `bale add` or edit the file"
    )


def test_existing_files_are_kept_and_git_repositories_get_no_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    root = tmp_path / "inner"
    root.mkdir()
    (root / "README.md").write_text("mine\n")
    written = init_project(root)
    assert written == [root / "pyproject.toml", root / "main.py"]
    assert (root / "README.md").read_text() == "mine\n"
    assert not (root / ".gitignore").exists()


@pytest.mark.parametrize(
    ("directory", "name", "message"),
    [
        (
            "my app",
            None,
            "Cannot use 'my app' as a project name: a name starts and ends with a letter or digit and "
            "contains only letters, digits, '-', '_' and '.'\n"
            "  'my app' is the directory name ({root})\n"
            "hint: choose another name with --name",
        ),
        (
            "ok",
            "-x-",
            "Cannot use '-x-' as a project name: a name starts and ends with a letter or digit and "
            "contains only letters, digits, '-', '_' and '.'\n"
            "  '-x-' is the project name",
        ),
    ],
)
def test_bad_names_state_the_rule(tmp_path: Path, directory: str, name: str | None, message: str) -> None:
    root = tmp_path / directory
    with pytest.raises(BaleError) as caught:
        init_project(root, name=name)
    assert caught.value.render() == message.format(root=root)
    assert not (root / "pyproject.toml").exists()


def test_bad_python_version_and_unpackaged_library(tmp_path: Path) -> None:
    with pytest.raises(BaleError) as caught:
        init_project(tmp_path / "a", python=">=3.12")
    assert caught.value.render() == (
        "Cannot use '>=3.12' as the project's Python version: expected a version like 3.12 or 3.12.1"
    )
    with pytest.raises(BaleError) as caught:
        init_project(tmp_path / "b", kind="lib", package=False)
    assert caught.value.render() == (
        "A library is always packaged: it needs a build system for others to install it"
    )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
