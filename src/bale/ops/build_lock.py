"""Lock the build dependencies of the sdists a project locks, and read them back to build with at sync."""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bale.context import Context
from bale.dist.build_lock import (
    BuildPins,
    BuildRecorder,
    LockedBuild,
    build_dependencies_table,
    read_build_dependencies,
)
from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize

if TYPE_CHECKING:
    from packaging.pylock import Pylock

    from bale.model.dists import IndexFile
    from bale.ops.build_context import IndexBuildContext
    from bale.ops.resolve import UniversallyResolved

# Resolving one sdist's build requirements is mostly waiting on index pages (in the HTTP cache after
# the first): a few threads keep a lock of 30 sdist-only packages from adding 30 resolutions in a row.
_WORKERS = 8


def preferred_pins(previous: Pylock, *, source: str, upgrade_packages: Collection[str] = ()) -> BuildPins:
    """The build dependencies an earlier lock recorded, to prefer while relocking (so they change
    only when upgraded): ``upgrade_packages`` drops the builds of those packages and their pins."""
    upgraded = {normalize(name) for name in upgrade_packages}
    builds = []
    for build in read_build_dependencies(previous.tool, source=source):
        if build.name in upgraded:
            continue
        pins = tuple(pin for pin in build.pins if pin[0] not in upgraded)
        builds.append(LockedBuild(build.name, build.version, pins))
    return BuildPins(builds, strict=False, source=source)


def locked_pins(lock: Pylock, *, source: str) -> BuildPins:
    """The build dependencies ``lock`` records, as the only versions its sdists may be built with."""
    return BuildPins(read_build_dependencies(lock.tool, source=source), strict=True, source=source)


def lock_build_dependencies(
    ctx: Context, resolved: UniversallyResolved, recorder: BuildRecorder
) -> dict[str, Any]:
    """``[tool.bale.build-dependencies]`` for a universal resolution: for every locked version
    whose sdist was built while locking, what its build environment resolved to (``recorder``); for
    every other version that has only an sdist, its ``[build-system] requires`` resolved now
    (no build, no install). Build dependencies that are sdists themselves come along.

    Empty when the run builds without isolation (the build environment is then the user's). An sdist
    whose build requirements cannot be resolved is left out with a warning: the lock stays usable.
    Cost: one resolution per sdist-only package not built while locking (~20-100 ms warm).
    """
    options = ctx.build_options
    if not ctx.can_build or not options.isolation:
        return {}
    recorded = recorder.sdist_builds()
    builds: dict[tuple[NormalizedName, str], LockedBuild] = {}
    pending: list[tuple[NormalizedName, str, IndexFile]] = []
    for package in resolved.resolution.packages:
        if package.name in resolved.direct or not options.isolation_for(package.name):
            continue
        files = [f for f in resolved.provider.files(package.name) if f.version == package.version]
        sdist = _sdist(files)
        if sdist is None:
            continue
        key = (package.name, str(package.version))
        if key in recorded:
            builds[key] = recorded[key]
        elif not any(f.is_wheel for f in files):
            pending.append((package.name, str(package.version), sdist))
    if pending:
        context = _build_context(ctx)
        workers = min(_WORKERS, len(pending))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bale-build-lock") as pool:
            answers = list(pool.map(lambda item: _resolve_build(ctx, context, *item), pending))
        for build in answers:
            if build is not None:
                builds[(build.name, build.version)] = build
        recorded = recorder.sdist_builds()  # metadata of sdist-only build dependencies, built meanwhile
    queue = list(builds.values())
    while queue:
        for name, version in queue.pop().pins:
            key = (name, str(version))
            if key in recorded and key not in builds:
                builds[key] = recorded[key]
                queue.append(recorded[key])
    return build_dependencies_table(builds.values())


def _build_context(ctx: Context) -> IndexBuildContext:
    """The context's build context (the builder is created now if no sdist needed it yet)."""
    from bale.ops.build_context import IndexBuildContext

    builder = ctx.builder
    context = builder.context if builder is not None else None
    if not isinstance(context, IndexBuildContext):  # pragma: no cover - use_builds always makes one
        raise BaleError("Cannot lock build dependencies: this run has no index to resolve them from")
    return context


def _sdist(files: list[IndexFile]) -> IndexFile | None:
    """The sdist a lock records for one version (the first suffix in ``SDIST_SUFFIXES`` order)."""
    from bale.model.dists import SDIST_SUFFIXES

    sdists = [f for f in files if not f.is_wheel]

    def rank(file: IndexFile) -> int:
        lower = file.filename.lower()
        return next(
            (i for i, suffix in enumerate(SDIST_SUFFIXES) if lower.endswith(suffix)), len(SDIST_SUFFIXES)
        )

    return min(sdists, key=rank) if sdists else None


def _resolve_build(
    ctx: Context, context: IndexBuildContext, name: NormalizedName, version: str, sdist: IndexFile
) -> LockedBuild | None:
    """What ``sdist``'s build environment would hold, resolved for the build interpreter (no install)."""
    from bale.dist.build_lock import requirement_spec, sdist_build_requires
    from bale.ops.request import ResolveRequest
    from bale.ops.resolve import resolve

    label = f"{name}=={version}"
    try:
        path, _ = ctx.database.source_archive(sdist, label=label)
        origin = f"[build-system] requires of {sdist.filename}"
        specs = [requirement_spec(text, origin=origin) for text in sdist_build_requires(path)]
        previous = context.pins.get(name, version) if context.pins is not None else None
        request = ResolveRequest(
            requirements=specs,
            target=context.interpreter.target(),
            index=context.index,
            constraints=context.build_constraints,
            preferences=BuildPins.preferences(previous) if previous is not None else {},
            root_label=f"the build requirements of {sdist.filename}",
        )
        resolved = resolve(ctx, request)
    except BaleError as err:
        ctx.reporter.warn(f"The build dependencies of {label} were not locked: {err.message}")
        return None
    ctx.reporter.debug(f"build: locked the build dependencies of {label} without building it")
    return LockedBuild.of(name, version, resolved.resolution.versions)
