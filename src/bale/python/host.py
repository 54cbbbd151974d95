"""The target of the interpreter running bale, read in-process (no probe subprocess)."""

from __future__ import annotations

import platform

from bale.model.target import TargetEnv


def host_target() -> TargetEnv:
    """Markers and wheel tags of this process's interpreter: the base of ``--python-version`` targets
    when no interpreter is named, since only its platform (not its Python) is kept."""
    from packaging.markers import default_environment
    from packaging.tags import sys_tags
    from packaging.version import Version

    return TargetEnv(
        python_version=Version(platform.python_version()),
        markers={key: str(value) for key, value in default_environment().items()},
        tags=tuple(sys_tags()),
    )
