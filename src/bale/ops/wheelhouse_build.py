"""``bale export --wheelhouse DIR --build``: the lock's sdist-only packages built once for this machine."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.lock.wheelhouse import WheelhouseFile
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.pylock import Pylock

    from bale.context import Context
    from bale.ops.project import LockSettings
    from bale.ops.settings import IndexSettings
    from bale.project.model import Project
    from bale.python.probe import Interpreter


@record(frozen=True)
class BuildHost:
    """Where ``--build`` builds: this machine's interpreter for the project, and the indexes that
    serve the build requirements."""

    index: IndexSettings
    interpreter: Interpreter


def build_host(ctx: Context, project: Project, settings: LockSettings) -> BuildHost:
    """The project's interpreter (``.python-version``, else one in requires-python) and its indexes
    (``[[tool.bale.index]]``, ``--index-url``, ``--find-links``), as ``bale sync`` would use them."""
    from bale.ops.project import project_index
    from bale.ops.project_python import find_project_interpreter, project_python
    from bale.ops.project_workspace import load_workspace

    index = project_index(project, settings, load_workspace(project))
    interpreter = find_project_interpreter(project_python(project, None), ctx.cache.bucket("interpreters-v1"))
    return BuildHost(index, interpreter)


def to_build(files: Sequence[WheelhouseFile], interpreter: Interpreter) -> list[WheelhouseFile]:
    """The sdists among ``files`` whose package has no wheel there that installs on ``interpreter``."""
    from bale.model.dists import wheel_tags

    target = interpreter.target()
    installable = {
        (file.name, file.version)
        for file in files
        if file.kind == "wheel" and target.supports(wheel_tags(file.filename))
    }
    return [f for f in files if f.kind == "sdist" and (f.name, f.version) not in installable]


def build_for_host(
    ctx: Context,
    sdists: Sequence[WheelhouseFile],
    files_dir: Path,
    *,
    host: BuildHost,
    lock: Pylock,
    lock_source: str,
) -> list[WheelhouseFile]:
    """Build each of ``sdists`` (already in ``files_dir``, hash-checked) into a wheel for
    ``host.interpreter`` with bale's PEP 517 builder, and copy the wheel beside it; returns the wheels.

    Build requirements come from ``host.index`` (the lock's indexes, ``--find-links``), within the build
    dependencies the lock records, as ``bale sync`` builds them; the builder's cache means a wheel
    built before (by a sync on this machine) is reused, not built again.
    """
    from bale.dist.prepare import file_digests
    from bale.model.dists import parse_filename
    from bale.ops.build_lock import locked_pins

    ctx.use_builds(host.index, host.interpreter, pins=locked_pins(lock, source=lock_source))
    builder = ctx.builder
    assert builder is not None  # use_builds was just called
    built: list[WheelhouseFile] = []
    for sdist in sdists:
        try:
            wheel = builder.build_wheel(files_dir / sdist.filename)
        except BaleError as err:
            raise BaleError(
                f"Cannot build {sdist.label} for the wheelhouse: {err.message}",
                context=list(err.context),
                hint=err.hint or "leave out --build to ship the sdist alone",
            ) from err
        parsed = parse_filename(wheel.name)
        if parsed is None or parsed.name != sdist.name or parsed.version != sdist.version:
            raise BaleError(
                f"Building {sdist.filename} produced {wheel.name}, but {sdist.label} was expected",
                hint="the package's metadata and its built wheel disagree; report it upstream",
            )
        if (files_dir / wheel.name).exists():
            raise BaleError(f"The wheelhouse already holds {wheel.name}, which {sdist.filename} builds")
        shutil.copyfile(wheel, files_dir / wheel.name)
        digest = file_digests(files_dir / wheel.name)["sha256"]
        size = (files_dir / wheel.name).stat().st_size
        built.append(
            dataclasses.replace(
                sdist,
                kind="wheel",
                filename=wheel.name,
                url=None,
                path=None,
                hashes={"sha256": digest},
                size=size,
            )
        )
    return built


def with_built_wheels(lock: Pylock, built: Sequence[WheelhouseFile]) -> Pylock:
    """``lock`` with each built wheel listed among its package's wheels (``rewrite_lock`` then points
    it into ``files/`` like the others), so an install on this machine picks the wheel, not the sdist."""
    from packaging.pylock import PackageWheel

    from bale.model.names import normalize

    by_package: dict[tuple[str, object], list[PackageWheel]] = {}
    for file in built:
        wheel = PackageWheel(
            name=file.filename, url=None, path=file.filename, size=file.size, hashes=file.hashes
        )
        by_package.setdefault((file.name, file.version), []).append(wheel)
    packages = []
    for package in lock.packages:
        extra = by_package.get((normalize(package.name), package.version))
        if extra:
            package = dataclasses.replace(package, wheels=[*(package.wheels or ()), *extra])
        packages.append(package)
    return dataclasses.replace(lock, packages=packages)
