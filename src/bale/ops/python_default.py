"""The interpreter ``bale venv`` and ``bale python find`` use: ``--python`` as given; else, inside a
project, the project's ``.python-version`` within its ``requires-python``; else the nearest pin."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bale.python.probe import Interpreter


def command_interpreter(
    request: str | None, cwd: Path, cache_dir: Path | None, env: Mapping[str, str] = os.environ
) -> Interpreter:
    """The interpreter for ``request`` (``--python`` or BALE_PYTHON), else the project's choice.

    In a project a pin outside ``requires-python`` is an error naming both files, as in ``sync``:
    a venv made from it would be refused by the project's next command anyway.
    """
    from bale.python.discover import find_interpreter

    if not request:
        from bale.ops.python_pin import nearest_project

        project = nearest_project(cwd)
        if project is not None:
            from bale.ops.project_python import find_project_interpreter, project_python

            choice = project_python(project, None, env={})
            if choice.source in ("file", "requires-python"):
                return find_project_interpreter(choice, cache_dir)
    return find_interpreter(request, cwd=cwd, cache_dir=cache_dir, env=env)
