"""``bale python pin``: check a request against the interpreters found and the project's
``requires-python``, then write it to the ``.python-version`` the project (or folder) reads."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.record import record

if TYPE_CHECKING:
    from bale.ops.project_python import ProjectPython
    from bale.project.model import Project
    from bale.python.discover import PythonRequest
    from bale.python.probe import Interpreter


@record(frozen=True, slots=True)
class Pinned:
    """What ``pin`` wrote: the file, the request, the pin it replaced, the interpreter it selects."""

    file: Path
    request: str
    previous: str | None
    interpreter: Interpreter


def nearest_project(cwd: Path) -> Project | None:
    """The project ``cwd`` is in, or None outside one (or when its pyproject.toml cannot be read:
    a command that works without a project must not fail on a broken one above it)."""
    from bale.project.model import find_project

    try:
        return find_project(cwd)
    except BaleError:
        return None


def pin_file(cwd: Path, project: Project | None) -> Path:
    """Where the pin goes: an existing ``.python-version`` of the project root, else the project
    root's (the only one a project reads), else the working directory's."""
    from bale.python.pin import PIN_FILE

    return (project.root if project is not None else cwd) / PIN_FILE


def pin(text: str, cwd: Path, cache_dir: Path | None, env: Mapping[str, str] = os.environ) -> Pinned:
    """Write ``text`` (``3.12``, ``>=3.11``, ``cpython3.12``, a path) as the pin, after checking that
    an interpreter answers it within the project's ``requires-python``; BaleError otherwise."""
    from bale.python.discover import PythonRequest
    from bale.python.pin import write_pin

    request = PythonRequest.parse(text)
    if request.kind == "any":
        raise BaleError("Give the Python to pin, for example `bale python pin 3.12`")
    project = nearest_project(cwd)
    file = pin_file(cwd, project)
    choice = _project_range(project, request) if project is not None else None
    if choice is not None:
        _check_range(request, choice, file)
    interpreter = _find(request, cwd, cache_dir, env, choice, file)
    previous = write_pin(file, text.strip())
    return Pinned(file, text.strip(), previous, interpreter)


def _project_range(project: Project, request: PythonRequest) -> ProjectPython:
    """The project's ``requires-python`` (every workspace member's), without reading its current
    pin: a broken ``.python-version`` must not stop the command that replaces it."""
    from bale.ops.project_python import ProjectPython
    from bale.ops.project_workspace import load_workspace, lock_members, workspace_requires_python

    workspace = load_workspace(project)
    declarations = tuple(
        (member.pyproject, member.requires_python)
        for member in lock_members(workspace)
        if member.requires_python is not None and str(member.requires_python)
    )
    requires = workspace_requires_python(workspace)
    return ProjectPython(request, "option", project.root, requires_python=requires, declarations=declarations)


def _check_range(request: PythonRequest, choice: ProjectPython, file: Path) -> None:
    """Refuse a version or range that lies wholly outside the project's ``requires-python``."""
    requires = choice.requires_python
    if requires is None or request.kind not in ("version", "specifier"):
        return
    from packaging.specifiers import SpecifierSet

    if request.kind == "version":
        digits = ".".join(map(str, request.version))
        wanted = f"=={digits}.*" if len(request.version) < 3 else f"=={digits}"
    else:
        wanted = str(request.specifier)
    # Both with one pre-release policy: ranges built under different ones do not compare.
    asked = SpecifierSet(wanted, prereleases=True).to_range()
    if not asked.is_disjoint(SpecifierSet(str(requires), prereleases=True).to_range()):
        return
    raise _outside(request, choice, file)


def _outside(request: PythonRequest, choice: ProjectPython, file: Path, found: str = "") -> BaleError:
    requires = f"`{choice.requires_python}`"
    return BaleError(
        f"The requested {request}{found} is incompatible with the project's requires-python {requires}; "
        f"{file} was not written",
        context=[f"{pyproject}: requires-python = {spec}" for pyproject, spec in choice.declarations],
        hint=f"pin a Python within {requires}, or widen requires-python",
    )


def _find(
    request: PythonRequest,
    cwd: Path,
    cache_dir: Path | None,
    env: Mapping[str, str],
    choice: ProjectPython | None,
    file: Path,
) -> Interpreter:
    """The interpreter the pin will select (within ``requires-python``); BaleError when none does."""
    from bale.python.discover import find_interpreter, list_interpreters, resolve_request

    request = resolve_request(request, cwd)
    if request.kind in ("path", "name"):
        interpreter = find_interpreter(
            request, cwd=cwd, cache_dir=cache_dir, env=env, read_version_file=False
        )
        if choice is not None and not choice.allows(interpreter):
            raise _outside(request, choice, file, f" (Python {interpreter.version})")
        return interpreter
    found = list_interpreters(cache_dir=cache_dir, env=env, request=request)
    fitting = [interpreter for interpreter in found if choice is None or choice.allows(interpreter)]
    if fitting:
        return fitting[0] if request.prefers_newest else _first_found(request, cwd, cache_dir, env, fitting)
    if found and choice is not None:
        versions = ", ".join(str(interpreter.version) for interpreter in found)
        raise _outside(request, choice, file, f" (found {versions})")
    # The not-found error names every place searched and how to install one.
    find_interpreter(
        request,
        cwd=cwd,
        cache_dir=cache_dir,
        env=env,
        read_version_file=False,
        requested_by=f"{file}, not written",
    )
    raise AssertionError("find_interpreter found what list_interpreters did not")  # pragma: no cover


def _first_found(
    request: PythonRequest,
    cwd: Path,
    cache_dir: Path | None,
    env: Mapping[str, str],
    fitting: list[Interpreter],
) -> Interpreter:
    """The interpreter a later command will pick for ``request`` when it fits, else the newest fitting."""
    from bale.python.discover import find_interpreter

    try:
        chosen = find_interpreter(request, cwd=cwd, cache_dir=cache_dir, env=env, read_version_file=False)
    except BaleError:
        return fitting[0]
    return chosen if chosen in fitting else fitting[0]
