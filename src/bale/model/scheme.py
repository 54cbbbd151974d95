"""Where an environment keeps each kind of installed file (a sysconfig install scheme)."""

from __future__ import annotations

from pathlib import Path

from bale.model.record import record


@record(frozen=True, slots=True)
class InstallScheme:
    """Absolute install locations of one environment, plus the interpreter scripts should run.

    ``headers`` is where ``.data/headers`` go (``<prefix>/include/site/pythonX.Y/<name>``, the name
    appended by the installer); ``data`` is the prefix for ``.data/data``.
    """

    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    headers: Path
    python: Path  # the environment's interpreter, written into generated scripts' shebangs
