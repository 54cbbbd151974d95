"""Resolve root requirements against the indexes for one target: the step shared by compile and install."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.context import Context
from bale.dist.hash_policy import hash_options
from bale.errors import BaleError
from bale.model.artifact import Artifact
from bale.model.dists import IndexFile
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.model.requirement import Origin, RequirementSpec
from bale.model.target import TargetEnv
from bale.ops.request import ResolveRequest
from bale.ops.sources import direct_source, name_sources
from bale.resolver.provider import Dependency, PackageId

if TYPE_CHECKING:
    from bale.index.provider import IndexProvider, UniversalScope
    from bale.resolver.provider import Provider
    from bale.resolver.solver import NoSolution, Resolution, SolverOptions, Strategy
    from bale.resolver.universal import UniversalResolution


@record
class Resolved:
    resolution: Resolution
    provider: IndexProvider
    direct: dict[NormalizedName, IndexFile]
    origins: dict[NormalizedName, list[Origin]]
    seconds: float
    # The path and URL requirements as artifacts (sdists and trees: built metadata, editable flag).
    direct_artifacts: dict[NormalizedName, Artifact] = field(default_factory=dict)

    def file_for(self, name: NormalizedName) -> IndexFile:
        direct = self.direct.get(name)
        if direct is not None:
            return direct
        return self.provider.chosen_file(name, self.resolution.versions[name])


def _marker_applies(spec: RequirementSpec, markers: Mapping[str, str] | None) -> bool:
    """Whether the requirement's marker holds for the target; always, for a universal resolution."""
    marker = spec.requirement.marker if spec.requirement is not None else None
    return marker is None or markers is None or marker.evaluate({**markers, "extra": ""})


def root_dependencies(
    specs: Iterable[RequirementSpec], markers: Mapping[str, str], direct: Mapping[NormalizedName, IndexFile]
) -> list[Dependency]:
    deps: list[Dependency] = []
    for spec in specs:
        if spec.name is None or not _marker_applies(spec, markers):
            continue
        if spec.name in direct:
            specifier = SpecifierSet(f"=={direct[spec.name].version}")
        else:
            specifier = spec.requirement.specifier if spec.requirement is not None else SpecifierSet()
        deps.append(Dependency(PackageId.dist(spec.name), SpecifierSet(str(specifier))))
        for extra in sorted(spec.extras):
            deps.append(Dependency(PackageId.dist(spec.name, extra), SpecifierSet(str(specifier))))
    return deps


def _strategy(name: str) -> Strategy:
    from bale.resolver.solver import Strategy

    try:
        return Strategy(name)
    except ValueError:
        return Strategy[name.upper().replace("-", "_")]


@record
class _Setup:
    """What both kinds of resolution need: the provider, the overrides, the options, the origins."""

    provider: IndexProvider
    solver_provider: Provider
    direct: dict[NormalizedName, IndexFile]
    overrides: dict[NormalizedName, SpecifierSet]
    origins: dict[NormalizedName, list[Origin]]
    options: SolverOptions
    specs: list[RequirementSpec]  # the requirements, path and URL ones named
    direct_artifacts: dict[NormalizedName, Artifact]


def _setup(ctx: Context, request: ResolveRequest, scope: TargetEnv | UniversalScope) -> _Setup:
    from bale.index.provider import IndexProvider, ProviderOptions
    from bale.resolver.overrides import OverridingProvider
    from bale.resolver.solver import SolverOptions

    rules: dict[str, Any] = {}
    if request.policy is not None:
        from bale.ops.policy import check_sources, own_packages, provider_rules, version_severities

        # Before any source is fetched: a refused git or URL requirement is never cloned or downloaded.
        check_sources(request.policy, request.requirements, request.policy_home)
        ceiling = request.policy.max_vulnerability
        severities = version_severities(ctx) if ceiling is not None else None
        if ceiling is not None and severities is None:
            ctx.reporter.warn(
                f'The policy\'s max-vulnerability = "{ceiling[0]}" ({ceiling[1]}) is not enforced: there is '
                "no local vulnerability database; run `bale audit --update-db` first"
            )
        own = own_packages(request.requirements, request.policy_home)
        now = datetime.now(timezone.utc)
        rules = provider_rules(request.policy, now, ctx.reporter, severities, exempt=own)
    specs = name_sources(ctx, request.requirements)
    markers = scope.markers if isinstance(scope, TargetEnv) else None
    artifacts: dict[NormalizedName, Artifact] = {}
    for spec in specs:
        if spec.name is not None and (spec.url or spec.path) and _marker_applies(spec, markers):
            artifacts[spec.name] = direct_source(ctx, spec)
    direct = {name: artifact.file for name, artifact in artifacts.items()}
    hashes = {spec.name: hash_options(spec) for spec in specs if spec.name is not None and spec.hashes}

    database = ctx.database

    def source_metadata(file: IndexFile) -> bytes:
        sourced = artifacts.get(file.name)
        if sourced is not None and sourced.subdirectory and sourced.file == file:
            return database.artifact_metadata(sourced)  # the project is a folder inside the archive
        label = f"{file.name}=={file.version}"
        return database.source_metadata(file, hashes.get(file.name), label=label)[0]

    provider = IndexProvider(
        ctx.index_client(request.index),
        # The database's fetcher: preparing a wheel checks it against the metadata read here.
        database.metadata,
        scope,
        options=ProviderOptions(
            exclude_newer=request.exclude_newer,
            exclude_newer_package=dict(request.exclude_newer_package),
            no_binary=request.no_binary,
            only_binary=request.only_binary,
            allow_sdist=ctx.can_build,
            direct=direct,
            **rules,
        ),
        reporter=ctx.reporter,
        source_metadata=source_metadata if ctx.can_build else None,
    )
    overrides = {
        s.name: s.requirement.specifier
        for s in request.overrides
        if s.name is not None and s.requirement is not None and _marker_applies(s, markers)
    }
    origins: dict[NormalizedName, list[Origin]] = {}
    for spec in specs:
        if spec.name is not None:
            origins.setdefault(spec.name, []).append(spec.origin)
    options = SolverOptions(
        strategy=_strategy(request.strategy),
        prereleases=request.prereleases,
        package_prereleases=dict(request.package_prereleases),
        preferences=dict(request.preferences),
        root_label=request.root_label,
    )
    solver_provider: Provider = OverridingProvider(provider, overrides) if overrides else provider
    return _Setup(provider, solver_provider, direct, overrides, origins, options, specs, artifacts)


def _no_solution(
    ctx: Context,
    request: ResolveRequest,
    setup: _Setup,
    err: NoSolution,
    roots: Iterable[Dependency],
    message: str,
) -> BaleError:
    """The solver's explanation plus where the requirements came from and close names for unknown ones."""
    context = list(err.context)
    hint = err.hint
    missing = [
        d.package.name
        for d in roots
        if d.package.extra is None and _not_found(setup.provider, d.package.name)
    ]
    if missing:
        from bale.ops.suggest import close_names

        for name in missing:
            close = close_names(ctx, request.index, name)
            if close:
                suggestion = f"{name} is not in the index; did you mean {' or '.join(close)}?"
                hint = f"{hint}\n{suggestion}" if hint else suggestion
    sources = sorted({str(spec.origin) for spec in request.requirements if spec.origin.file})
    if sources:
        context.append(f"(the requirements come from {', '.join(sources)})")
    return BaleError(message, context=context, hint=hint)


def resolve(ctx: Context, request: ResolveRequest) -> Resolved:
    """Run the solver through an index-backed provider; a failure is a BaleError in plain words."""
    from bale.resolver.solver import NoSolution, solve

    start = time.perf_counter()
    ctx.reporter.resolve_start()
    markers = request.target.markers
    setup = _setup(ctx, request, request.target)
    roots = root_dependencies(setup.specs, markers, setup.direct)
    if setup.overrides:
        roots = [Dependency(d.package, setup.overrides.get(d.package.name, d.specifier)) for d in roots]
    constraints = root_dependencies(
        [c for c in request.constraints if c.name not in setup.overrides], markers, {}
    )
    setup.provider.prefetch([d.package.name for d in roots])
    try:
        resolution = solve(
            setup.solver_provider,
            roots,
            constraints=[c for c in constraints if c.package.extra is None],
            options=setup.options,
            reporter=_SolverLog(ctx),
        )
    except NoSolution as err:
        raise _no_solution(
            ctx, request, setup, err, roots, "No solution found when resolving dependencies:"
        ) from err
    finally:
        # Speculative fetches still queued would otherwise run at interpreter exit.
        setup.provider.close()
        ctx.reporter.resolve_done()
    stats = resolution.stats
    ctx.reporter.debug(
        f"solver: {stats.decisions} decisions, {stats.conflicts} conflicts, "
        f"{stats.backtracks} backtracks, {stats.propagations} propagations"
    )
    return Resolved(
        resolution,
        setup.provider,
        setup.direct,
        setup.origins,
        time.perf_counter() - start,
        setup.direct_artifacts,
    )


def _not_found(provider: IndexProvider, name: NormalizedName) -> bool:
    from bale.resolver.provider import Unavailable, UnavailableKind

    answer = provider.available_versions(PackageId.dist(name))
    return isinstance(answer, Unavailable) and answer.kind is UnavailableKind.NOT_FOUND


@record
class UniversallyResolved:
    resolution: UniversalResolution
    provider: IndexProvider
    direct: dict[NormalizedName, IndexFile]
    origins: dict[NormalizedName, list[Origin]]
    seconds: float
    # The path and URL requirements as artifacts (what the lock records for them: editable, tree).
    direct_artifacts: dict[NormalizedName, Artifact] = field(default_factory=dict)


def _as_requirements(
    specs: Iterable[RequirementSpec], direct: Mapping[NormalizedName, IndexFile]
) -> list[Requirement]:
    """PEP 508 forms of the specs; a direct wheel becomes an exact pin on its version (its file is known)."""
    result: list[Requirement] = []
    for spec in specs:
        if spec.name is None or spec.requirement is None:
            continue
        requirement = Requirement(str(spec.requirement))
        if spec.name in direct:
            requirement.url = None
            requirement.specifier = SpecifierSet(f"=={direct[spec.name].version}")
        result.append(requirement)
    return result


def resolve_universal(
    ctx: Context, request: ResolveRequest, requires_python: SpecifierSet
) -> UniversallyResolved:
    """One resolution for every platform and every Python in ``requires_python``, with markers."""
    from dataclasses import replace

    from bale.index.provider import UniversalScope
    from bale.resolver.solver import NoSolution
    from bale.resolver.universal import ForkNoSolution, ForkStrategy, marker_dependencies
    from bale.resolver.universal import resolve_universal as solve_universal

    start = time.perf_counter()
    ctx.reporter.resolve_start()
    setup = _setup(ctx, request, UniversalScope(requires_python))
    roots = marker_dependencies(_as_requirements(setup.specs, setup.direct))
    if setup.overrides:
        roots = tuple(replace(d, specifier=setup.overrides.get(d.package.name, d.specifier)) for d in roots)
    kept = [c for c in request.constraints if c.name not in setup.overrides]
    constraints = marker_dependencies(_as_requirements(kept, {}))
    try:
        result = solve_universal(
            setup.solver_provider,  # type: ignore[arg-type]  # both provider kinds fork
            roots,
            constraints=[c for c in constraints if c.package.extra is None],
            options=setup.options,
            requires_python=requires_python,
            reporter=_SolverLog(ctx),
            fork_strategy=ForkStrategy(request.fork_strategy),
        )
    except NoSolution as err:
        message = (
            err.message
            if isinstance(err, ForkNoSolution)
            else "No solution found when resolving dependencies:"
        )
        raise _no_solution(ctx, request, setup, err, roots, message) from err
    finally:
        setup.provider.close()
        ctx.reporter.resolve_done()
    return UniversallyResolved(
        result,
        setup.provider,
        setup.direct,
        setup.origins,
        time.perf_counter() - start,
        setup.direct_artifacts,
    )


class _SolverLog:
    """Forwards the solver's decisions to ``-v`` output."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def decision(self, package: PackageId, version: Version, level: int) -> None:
        self.ctx.reporter.debug(f"selecting {package}=={version} (decision level {level})")

    def conflict(self, incompatibility: object) -> None:
        self.ctx.reporter.debug(f"conflict: {incompatibility}")

    def backtrack(self, level: int) -> None:
        self.ctx.reporter.debug(f"backtracking to decision level {level}")
