"""`bale build`: a project's sdist, then its wheel built from that sdist, into an output folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from bale.context import Context
from bale.errors import BaleError
from bale.model.record import record
from bale.ops.settings import BuildSettings, IndexSettings

if TYPE_CHECKING:
    from bale.dist.build import Builder
    from bale.project.model import Project

Step = Callable[[str], None]
"""Told what is being built next ("Building source distribution..."), for the CLI to show."""


@record(frozen=True)
class BuildRequest:
    """What ``bale build`` was asked: ``path`` is a source tree or an sdist (None: the project around
    ``cwd``, or its workspace member ``package``); neither ``sdist`` nor ``wheel`` means both."""

    cwd: Path
    path: Path | None = None
    package: str | None = None
    sdist: bool = False
    wheel: bool = False
    out_dir: Path | None = None
    python: str | None = None
    index: IndexSettings = field(default_factory=IndexSettings)
    explicit_index: bool = False
    build: BuildSettings = field(default_factory=BuildSettings)


@record(frozen=True)
class BuildOutcome:
    out_dir: Path
    files: tuple[Path, ...]


@record(frozen=True)
class _Target:
    """The resolved input: a tree or an sdist, where its files go, and the project whose indexes apply."""

    tree: Path | None
    sdist: Path | None
    out_dir: Path
    project: Project | None


def build_project(ctx: Context, request: BuildRequest, step: Step = lambda _: None) -> BuildOutcome:
    """Build what ``request`` asks into its output folder (default ``<project>/dist``).

    By default the sdist is built first and the wheel is built from it (not from the tree), which
    proves the sdist holds everything the wheel needs. A file appears in the output folder only
    once complete (copied beside it, then renamed); a failed build leaves nothing half-written.
    """
    if request.sdist and request.wheel:
        raise BaleError("Give --sdist or --wheel, not both (without either, both are built)")
    target = _target(request)
    if target.sdist is not None and request.sdist:
        raise BaleError(
            f"Cannot build a source distribution from {target.sdist.name}: it is one already",
            hint="drop --sdist to build its wheel",
        )
    builder = _builder(ctx, request, target)
    config = request.build.config_dict()
    isolation = request.build.isolation
    out_dir = _prepare_out_dir(target.out_dir)

    def wheel_of(source: Path) -> Path:
        return _place(builder.build_wheel(source, config_settings=config, isolation=isolation), out_dir)

    if target.sdist is not None:
        step(f"Building wheel from {target.sdist.name}...")
        return BuildOutcome(out_dir, (wheel_of(target.sdist),))
    assert target.tree is not None
    if request.wheel:
        step("Building wheel...")
        return BuildOutcome(out_dir, (wheel_of(target.tree),))
    step("Building source distribution...")
    sdist = _place(builder.build_sdist(target.tree, config_settings=config, isolation=isolation), out_dir)
    if request.sdist:
        return BuildOutcome(out_dir, (sdist,))
    step("Building wheel from source distribution...")
    return BuildOutcome(out_dir, (sdist, wheel_of(sdist)))


def _target(request: BuildRequest) -> _Target:
    from bale.model.dists import SDIST_SUFFIXES
    from bale.project.model import PYPROJECT, find_project, read_project

    if request.package is not None:
        if request.path is not None:
            raise BaleError("Give a PATH or --package, not both")
        from bale.model.names import normalize
        from bale.project.workspace import find_workspace

        workspace = find_workspace(request.cwd)
        member = workspace.members.get(normalize(request.package))
        if member is None:
            known = ", ".join(sorted(workspace.members)) or "none"
            raise BaleError(
                f"No workspace member is named {request.package!r}",
                context=[f"workspace: {workspace.root.pyproject}", f"members: {known}"],
            )
        out_dir = _out_dir(request, workspace.root.root / "dist")
        return _Target(member.root, None, out_dir, workspace.root)
    if request.path is not None:
        path = Path(os.path.abspath(request.cwd / request.path))
        if path.is_file():
            if not path.name.lower().endswith(SDIST_SUFFIXES):
                raise BaleError(
                    f"Cannot build {path}: it is neither a source tree nor a source distribution "
                    f"({', '.join(SDIST_SUFFIXES)})"
                )
            return _Target(None, path, _out_dir(request, path.parent), None)
        if not path.is_dir():
            raise BaleError(f"Cannot build {path}: no such file or directory")
        pyproject = path / PYPROJECT
        project = read_project(pyproject) if pyproject.is_file() else None
        return _Target(path, None, _out_dir(request, path / "dist"), project)
    try:
        project = find_project(request.cwd)
    except BaleError:
        if (request.cwd / "setup.py").is_file():  # a legacy tree: the builder's PEP 517 fallback builds it
            return _Target(request.cwd, None, _out_dir(request, request.cwd / "dist"), None)
        raise
    if project.name is None:
        raise BaleError(
            f"Cannot build {project.pyproject}: it is a workspace root without a [project] table",
            hint="build one member with --package NAME",
        )
    return _Target(project.root, None, _out_dir(request, project.root / "dist"), project)


def _out_dir(request: BuildRequest, default: Path) -> Path:
    if request.out_dir is None:
        return default
    return Path(os.path.abspath(request.cwd / request.out_dir))


def _builder(ctx: Context, request: BuildRequest, target: _Target) -> Builder:
    """The context's builder: build requirements from the project's indexes (``--index-url`` wins),
    build environments from ``--python`` (or the one found for the tree)."""
    index = request.index
    if target.project is not None:
        from bale.ops.project import LockSettings, project_index

        index = project_index(
            target.project, LockSettings(index=index, explicit_index=request.explicit_index)
        )
    where = target.tree or (target.sdist.parent if target.sdist is not None else request.cwd)
    environment = None
    if request.build.isolation:
        from bale.python.discover import find_interpreter

        interpreter = find_interpreter(
            request.python or os.environ.get("BALE_PYTHON") or None,
            cwd=where,
            cache_dir=ctx.cache.bucket("interpreters-v1"),
        )
    else:
        # Without isolation the backend must already be installed: in the tree's environment.
        environment = ctx.environment(request.python, cwd=where)
        interpreter = environment.interpreter
    ctx.use_builds(index, interpreter, request.build, environment=environment)
    builder = ctx.builder
    assert builder is not None
    return builder


def _prepare_out_dir(out_dir: Path) -> Path:
    """Create the output folder; a new one gets a ``.gitignore`` of ``*`` so builds are never committed."""
    if out_dir.is_dir():
        return out_dir
    if out_dir.exists():
        raise BaleError(f"Cannot write the built files to {out_dir}: it is not a directory")
    out_dir.mkdir(parents=True)
    (out_dir / ".gitignore").write_text("*\n", encoding="utf-8")
    return out_dir


def _place(built: Path, out_dir: Path) -> Path:
    """Copy ``built`` into ``out_dir`` under a temporary name, then rename it: never half a file there.

    Copied, not moved: the builder's files live in the cache, often on another filesystem.
    """
    final = out_dir / built.name
    staged = out_dir / f".{built.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    try:
        shutil.copyfile(built, staged)
        os.replace(staged, final)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return final


__all__ = ["BuildOutcome", "BuildRequest", "build_project"]
