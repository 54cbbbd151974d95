"""``bale init``: write a new project's pyproject.toml and starter files into a directory."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bale.errors import BaleError
from bale.fs.atomic import write_atomic
from bale.model.names import normalize
from bale.model.record import record
from bale.project.model import NAME_RULE, PYPROJECT, is_valid_name

if TYPE_CHECKING:
    from bale.python.discover import PythonRequest

__all__ = ["ProjectKind", "PythonChoice", "choose_python", "init_project"]

ProjectKind = Literal["app", "lib"]

_PYTHON_VERSION = re.compile(r"^3(\.\d+){1,2}$")

_GITIGNORE = """\
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


@record(frozen=True, slots=True)
class PythonChoice:
    """A new project's ``requires-python`` (``>=3.12``) and the ``.python-version`` to write (``3.12``;
    None: none). An existing ``.python-version`` in the project's folder is never replaced."""

    requires_python: str
    pin: str | None


def choose_python(path: Path, request: str | None, *, cache_dir: Path | None) -> PythonChoice:
    """What ``bale init`` writes for ``--python`` (``request``), as uv does.

    A plain version (``3.12``, ``python3.12``, ``3.12.1``) is taken as it is, with no interpreter
    needed. A range (``>=3.11``) is the ``requires-python``, pinned to the interpreter it finds.
    Anything else (``3``, ``pypy3.10``, a path, a venv, an executable's name) names an interpreter:
    ``>=`` its major.minor, pinned to it. Without ``--python``: the ``.python-version`` in force
    (one in a parent folder is copied into the project, whose commands read only their own), else
    the ``.venv`` in ``path``, else the first interpreter found. Raises BaleError when no
    interpreter matches.
    """
    import os

    from bale.python.discover import (
        PythonRequest,
        find_interpreter,
        find_python_version_file,
        read_python_version_file,
        resolve_request,
    )

    path = path.absolute()
    version_file = find_python_version_file(path)
    if request:
        parsed = resolve_request(PythonRequest.parse(request), Path.cwd())
        if parsed.kind == "path" and parsed.path is not None and not parsed.path.is_absolute():
            parsed = PythonRequest("path", parsed.text, path=Path.cwd() / parsed.path)
    elif version_file is not None:
        parsed = resolve_request(read_python_version_file(version_file), version_file.parent)
    else:
        parsed = PythonRequest("any")
        venv = path / ".venv"
        if (venv / "pyvenv.cfg").is_file():
            parsed = PythonRequest("path", os.fspath(venv), path=venv)
    if _is_plain_version(parsed):
        version = ".".join(map(str, parsed.version))
        return PythonChoice(f">={version}", version)
    try:
        interpreter = find_interpreter(parsed, cwd=path, cache_dir=cache_dir, read_version_file=False)
    except BaleError:
        if parsed.kind != "any":
            raise
        import sys

        # Nothing on PATH: the Python running bale is still a Python the user has.
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return PythonChoice(f">={version}", version)
    if parsed.kind == "specifier" and parsed.specifier is not None:
        return PythonChoice(str(parsed.specifier), interpreter.major_minor)
    return PythonChoice(f">={interpreter.major_minor}", interpreter.major_minor)


def _is_plain_version(request: PythonRequest) -> bool:
    return (
        request.kind == "version"
        and request.implementation in (None, "cpython")
        and not request.free_threaded
        and len(request.version) >= 2
        and request.version[0] == 3
    )


def init_project(
    path: Path,
    *,
    name: str | None = None,
    kind: ProjectKind = "app",
    python: str | PythonChoice | None = None,
    package: bool | None = None,
) -> list[Path]:
    """Create a project in ``path`` (created if missing); returns the files written, pyproject.toml first.

    ``python`` (``"3.12"``) sets ``requires-python = ">=3.12"`` and writes ``.python-version``; a
    ``PythonChoice`` (from ``choose_python``) says both. An app is
    virtual (no build system) unless ``package``; a library always has one (hatchling) and a ``src/``
    layout. Existing README.md, .python-version, .gitignore and starter modules are left as they are;
    .gitignore is written only outside a git repository.
    """
    path = path.absolute()
    pyproject = path / PYPROJECT
    if pyproject.exists():
        raise BaleError(
            f"{pyproject} already exists",
            hint="bale init creates a new project; to change this one, use `bale add` or edit the file",
        )
    if kind not in ("app", "lib"):
        raise ValueError(f"unknown project kind {kind!r}")
    if kind == "lib" and package is False:
        raise BaleError("A library is always packaged: it needs a build system for others to install it")
    packaged = kind == "lib" or bool(package)
    raw_name = name if name is not None else path.name
    if not is_valid_name(raw_name):
        source = "the project name" if name is not None else f"the directory name ({path})"
        raise BaleError(
            f"Cannot use {raw_name!r} as a project name: {NAME_RULE}",
            context=[f"{raw_name!r} is {source}"],
            hint="choose another name with --name" if name is None else None,
        )
    project_name = normalize(raw_name)
    # hatchling looks for the package under this name (src/<name with underscores>).
    module = project_name.replace("-", "_").replace(".", "_")
    if isinstance(python, str):
        if not _PYTHON_VERSION.match(python):
            raise BaleError(
                f"Cannot use {python!r} as the project's Python version: "
                "expected a version like 3.12 or 3.12.1",
            )
        python = PythonChoice(f">={python}", python)

    written: list[Path] = []
    path.mkdir(parents=True, exist_ok=True)

    def write(target: Path, text: str) -> None:
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text)
        written.append(target)

    write(pyproject, _pyproject(project_name, module, kind=kind, python=python, packaged=packaged))
    write(path / "README.md", f"# {project_name}\n")
    if python is not None and python.pin is not None:
        write(path / ".python-version", f"{python.pin}\n")
    if not _in_git_repository(path):
        write(path / ".gitignore", _GITIGNORE)
    if kind == "lib":
        write(path / "src" / module / "__init__.py", _library_module(project_name))
        write(path / "src" / module / "py.typed", "")
    elif packaged:
        write(path / "src" / module / "__init__.py", _app_module(project_name, packaged=True))
    else:
        write(path / "main.py", _app_module(project_name, packaged=False))
    return written


def _pyproject(
    name: str, module: str, *, kind: ProjectKind, python: PythonChoice | None, packaged: bool
) -> str:
    lines = [
        "[project]",
        f'name = "{name}"',
        'version = "0.1.0"',
        'description = ""',
        'readme = "README.md"',
    ]
    if python is not None:
        lines.append(f'requires-python = "{python.requires_python}"')
    lines.append("dependencies = []")
    if kind == "app" and packaged:
        lines += ["", "[project.scripts]", f'{name} = "{module}:main"']
    if packaged:
        lines += [
            "",
            "[build-system]",
            'requires = ["hatchling"]',
            'build-backend = "hatchling.build"',
        ]
    return "\n".join(lines) + "\n"


def _app_module(name: str, *, packaged: bool) -> str:
    guard = "" if packaged else '\n\nif __name__ == "__main__":\n    main()\n'
    return f'def main() -> None:\n    print("{name}: up and running")\n{guard}'


def _library_module(name: str) -> str:
    return f'"""The {name} library."""\n\n\ndef greeting() -> str:\n    return "{name} is ready"\n'


def _in_git_repository(path: Path) -> bool:
    return any((directory / ".git").exists() for directory in (path, *path.parents))
