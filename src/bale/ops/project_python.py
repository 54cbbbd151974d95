"""Which interpreter a project's environment is for: ``--python``, else ``.python-version``, else
``requires-python``; and whether an interpreter fits the project."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bale.errors import BaleError
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from bale.project.model import Project
    from bale.python.discover import PythonRequest
    from bale.python.probe import Interpreter

RequestSource = Literal["option", "file", "requires-python", "default"]


@record(frozen=True, slots=True)
class ProjectPython:
    """What a project asks of its interpreter, and where the ask came from (for the error message).

    ``source`` is ``option`` (``--python`` or BALE_PYTHON), ``file`` (a ``.python-version`` or
    ``.python-versions``, then ``file`` is its path), ``requires-python`` (nothing else asked: the
    range is the request) or ``default`` (nothing asks anything). ``requires_python`` is the
    intersection of the workspace members' ranges; ``declarations`` each member's, by pyproject.toml.
    """

    request: PythonRequest
    source: RequestSource
    root: Path
    file: Path | None = None
    option: str = ""  # how the option was given: "--python 3.12" or "BALE_PYTHON=3.12"
    requires_python: SpecifierSet | None = None
    declarations: tuple[tuple[Path, SpecifierSet], ...] = ()

    @property
    def requested_by(self) -> str | None:
        """Where the request came from, as the not-found error names it."""
        if self.source == "file":
            return str(self.file)
        if self.source == "requires-python" and self.declarations:
            return f"requires-python in {self.declarations[0][0]}"
        return None

    def allows(self, interpreter: Interpreter) -> bool:
        """Whether ``interpreter``'s version is within the project's ``requires-python``."""
        if self.requires_python is None:
            return True
        return self.requires_python.contains(interpreter.version, prereleases=True)

    def check(self, interpreter: Interpreter) -> None:
        """Raise BaleError (uv's wording) when ``interpreter`` is outside ``requires-python``."""
        if self.allows(interpreter):
            return
        version = interpreter.version
        wanted = f"`{self.requires_python}`"
        refusing = [
            f"{pyproject}: requires-python = {spec!s}"
            for pyproject, spec in self.declarations
            if not spec.contains(version, prereleases=True)
        ]
        if self.source == "file":
            assert self.file is not None
            name = self.file.name
            raise BaleError(
                f"The Python request from `{name}` resolved to Python {version}, which is incompatible "
                f"with the project's Python requirement: {wanted}",
                context=[f"{self.file} asks for {self.request}", *refusing],
                hint=f"change {self.file} to a version within {wanted} (or widen requires-python)",
            )
        raise BaleError(
            f"The requested interpreter resolved to Python {version}, which is incompatible with the "
            f"project's Python requirement: {wanted}",
            context=[f"{self.option} is {interpreter.executable}", *refusing],
            hint=f"pass a --python within {wanted} (or widen requires-python)",
        )


def project_python(
    project: Project, python: str | None, env: Mapping[str, str] = os.environ
) -> ProjectPython:
    """What ``project`` asks for, given ``--python`` (``python``). Reads the ``.python-version`` in the
    project's folder (not above it: a pin outside the project is not the project's, as in uv)."""
    from bale.ops.project_workspace import load_workspace, lock_members, workspace_requires_python
    from bale.python.discover import (
        PythonRequest,
        find_python_version_file,
        read_python_version_file,
        resolve_request,
    )

    workspace = load_workspace(project)
    requires = workspace_requires_python(workspace)
    declarations = tuple(
        (member.pyproject, member.requires_python)
        for member in lock_members(workspace)
        if member.requires_python is not None and str(member.requires_python)
    )

    def choice(
        request: PythonRequest, source: RequestSource, file: Path | None = None, option: str = ""
    ) -> ProjectPython:
        return ProjectPython(request, source, project.root, file, option, requires, declarations)

    text = python or env.get("BALE_PYTHON") or None
    if text:
        option = f"--python {text}" if python else f"BALE_PYTHON={text}"
        request = _anchored(resolve_request(PythonRequest.parse(text), Path.cwd()), Path.cwd())
        return choice(request, "option", option=option)
    file = find_python_version_file(project.root, stop=project.root)
    if file is not None:
        request = read_python_version_file(file)
        if request.kind != "any":  # "system": pyenv's word for no pin
            return choice(_anchored(resolve_request(request, file.parent), file.parent), "file", file)
    if requires is not None:
        return choice(PythonRequest("specifier", str(requires), specifier=requires), "requires-python")
    return choice(PythonRequest("any"), "default")


def _anchored(request: PythonRequest, base: Path) -> PythonRequest:
    """A relative path request made absolute against ``base`` (the working directory for
    ``--python``, the file's folder for ``.python-version``)."""
    from bale.python.discover import PythonRequest

    if request.kind != "path" or request.path is None or request.path.is_absolute():
        return request
    return PythonRequest("path", request.text, path=base / request.path)


def find_project_interpreter(
    choice: ProjectPython, cache_dir: Path | None, note: Callable[[str], None] | None = None
) -> Interpreter:
    """The interpreter ``choice`` names, checked against ``requires-python``; else BaleError."""
    from bale.python.discover import find_interpreter

    interpreter = find_interpreter(
        choice.request,
        cwd=choice.root,
        cache_dir=cache_dir,
        requested_by=choice.requested_by,
        read_version_file=False,
        note=note,
    )
    choice.check(interpreter)
    return interpreter


def environment_fits(choice: ProjectPython, interpreter: Interpreter, cache_dir: Path | None) -> bool:
    """Whether an existing environment's ``interpreter`` is what ``choice`` asks for: a version or
    range it matches, or (a path or an executable name) the same base interpreter."""
    if not choice.allows(interpreter):
        return False
    request = choice.request
    if request.kind not in ("path", "name"):
        return request.matches(interpreter)
    from bale.python.discover import find_interpreter

    wanted = find_interpreter(request, cwd=choice.root, cache_dir=cache_dir, read_version_file=False)
    return _same_file(wanted.base_executable, interpreter.base_executable)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
