"""``pip install`` and ``pip sync``: requirements -> wheels -> plan -> prepare -> link -> remove."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.context import Context
from bale.dist.hash_policy import LOCK_HASH_POLICY, HashPolicy, hash_options
from bale.dist.sources import registry_artifact
from bale.errors import BaleError
from bale.model.artifact import Artifact
from bale.model.names import NormalizedName, normalize
from bale.model.record import record
from bale.model.requirement import RequirementSpec
from bale.model.target import TargetEnv
from bale.ops.settings import IndexSettings, InstallSettings
from bale.ops.sources import direct_source, name_sources
from bale.plan import Plan, Present, Wanted, make_plan
from bale.resolver.candidates import PreReleases

if TYPE_CHECKING:
    from bale.index.provider import AllPackages
    from bale.install.installed import InstalledDist
    from bale.model.artifact import Prepared
    from bale.policy.model import Policy
    from bale.python.venv import PythonEnvironment

# bale never removes itself from an environment it runs from, as uv keeps uv.
PROTECTED: frozenset[NormalizedName] = frozenset({normalize("bale")})


@record
class InstallOutcome:
    environment: Path
    python_version: str
    installed: list[tuple[str, str]] = field(default_factory=list)  # (name, version) added
    removed: list[tuple[str, str]] = field(default_factory=list)
    kept: int = 0
    prepared: int = 0
    resolved: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    # The files the requirements were read from (``-r`` includes too), and whether the answer rests
    # on them and the environment alone (no source tree, URL or policy): see ``cli.noop``.
    input_files: tuple[str, ...] = ()
    pure: bool = False
    site_packages: tuple[str, ...] = ()


@record(frozen=True)
class Inputs:
    requirements: tuple[RequirementSpec, ...]
    constraints: tuple[RequirementSpec, ...]
    index: IndexSettings
    require_hashes: bool
    pre: bool
    no_binary: frozenset[str] = frozenset()  # normalized names or ":all:", command line and files
    only_binary: frozenset[str] = frozenset()
    files: tuple[str, ...] = ()  # every requirements file read, includes too (absolute)


def gather_inputs(settings: InstallSettings, *, read_stdin: bool = True) -> Inputs:
    """Requirements from the command line and from ``-r`` / ``-c`` files, with the files' index options."""
    from bale.requirements import parse_requirement_arg, parse_requirements_file
    from bale.requirements.files import read_local

    files: list[str] = []

    def read(location: str) -> str:
        files.append(location)
        return read_local(location)

    requirements: list[RequirementSpec] = [parse_requirement_arg(text) for text in settings.packages]
    requirements.extend(parse_requirement_arg(text, editable=True) for text in settings.editables)
    constraints: list[RequirementSpec] = []
    index = settings.index
    require_hashes = settings.require_hashes
    pre = False
    no_binary = _binary_names(settings.no_binary)
    only_binary = _binary_names(settings.only_binary)
    for path in settings.requirement_files:
        if path.name == "pyproject.toml":
            # As uv's pip interface: a project's own dependencies are requirements too.
            from bale.project.inputs import pyproject_requirements

            requirements.extend(pyproject_requirements(path, extras=(), all_extras=False, groups=()))
            continue
        parsed = parse_requirements_file(path, read=read)
        requirements.extend(parsed.requirements)
        constraints.extend(parsed.constraints)
        index = index.merged_with_requirements(parsed, explicit_index=settings.explicit_index)
        require_hashes = require_hashes or parsed.require_hashes
        pre = pre or parsed.pre
        no_binary |= parsed.no_binary
        only_binary |= parsed.only_binary
    for path in settings.constraint_files:
        parsed = parse_requirements_file(path, read=read, is_constraints=True)
        constraints.extend(parsed.requirements)
        constraints.extend(parsed.constraints)
    return Inputs(
        tuple(requirements),
        tuple(constraints),
        index,
        require_hashes,
        pre,
        no_binary,
        only_binary,
        files=tuple(dict.fromkeys(files)),
    )


def _binary_names(values: Iterable[str]) -> frozenset[str]:
    """``--no-binary`` / ``--only-binary`` values: normalized names, or ``:all:``; ``:none:`` clears."""
    names: set[str] = set()
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item == ":none:":
                names.clear()
            elif item == ":all:":
                names.add(item)
            elif item:
                names.add(normalize(item))
    return frozenset(names)


def binary_set(names: frozenset[str]) -> frozenset[NormalizedName] | AllPackages:
    """The provider's form of a ``--no-binary`` / ``--only-binary`` set."""
    if ":all:" in names:
        from bale.index.provider import ALL

        return ALL
    return frozenset(normalize(name) for name in names)


def check_hash_mode(requirements: Iterable[RequirementSpec], forced: bool) -> bool:
    """pip's rule: hash-checking mode is on with --require-hashes or as soon as any requirement has --hash."""
    reqs = list(requirements)
    if not forced and not any(r.hashes for r in reqs):
        return False
    problems: list[str] = []
    for req in reqs:
        if not req.hashes:
            problems.append(f"{req} (at {req.origin}) has no --hash")
            continue
        if req.requirement is not None and req.url is None:
            specs = list(req.requirement.specifier)
            if not (len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version):
                problems.append(f"{req} (at {req.origin}) is not pinned with ==")
    if problems:
        raise BaleError(
            "In hash-checking mode every requirement must be pinned with == and carry --hash",
            context=problems,
            hint="generate hashes with `bale pip compile --generate-hashes`, or drop --require-hashes",
        )
    return True


def _hash_mode_reason(inputs: Inputs) -> str:
    """Why hash-checking mode is on, for the message refusing an unhashed package."""
    if inputs.require_hashes:
        return "--require-hashes is set"
    hashed = next(spec for spec in inputs.requirements if spec.hashes)
    return f"a requirement carries --hash: {hashed} at {hashed.origin}"


def _check_hash_conflicts(requirements: Iterable[RequirementSpec]) -> None:
    """Two lines pinning one package with no hash in common can never both be satisfied: say which lines."""
    seen: dict[NormalizedName, RequirementSpec] = {}
    for spec in requirements:
        if spec.name is None or not spec.hashes:
            continue
        other = seen.get(spec.name)
        if other is None:
            seen[spec.name] = spec
            continue
        if not set(other.hashes) & set(spec.hashes):
            raise BaleError(
                f"Conflicting hashes for {spec.name}: {other.origin} and {spec.origin} "
                "list no hash in common",
                context=[
                    f"{other.origin}: {', '.join(other.hashes)}",
                    f"{spec.origin}: {', '.join(spec.hashes)}",
                ],
                hint="keep one line per package, with every hash of the files you trust",
            )


def sources_label(index: IndexSettings) -> str:
    if index.no_index:
        return (
            "the --find-links locations"
            if index.find_links
            else "any index: --no-index is set and no --find-links location is given"
        )
    from bale.http.auth import redact_url

    names = [redact_url(index.index_url), *(redact_url(u) for u in index.extra_index_urls)]
    if index.find_links:
        names.append("--find-links")
    return ", ".join(names)


def _package_prereleases(settings: InstallSettings) -> dict[NormalizedName, PreReleases]:
    from bale.ops.package_settings import package_prereleases

    return package_prereleases(settings.prerelease_package, where="the command line")


def _prerelease_policy(settings: InstallSettings, pre: bool) -> PreReleases:
    if pre:
        return PreReleases.ALLOW
    if settings.prerelease:
        return PreReleases(settings.prerelease)
    env = os.environ.get("BALE_PRERELEASE")
    return PreReleases(env) if env else PreReleases.IF_NECESSARY


def install(ctx: Context, settings: InstallSettings) -> InstallOutcome:
    from bale.ops.pylock_install import install_pylock, pylock_files

    locks = pylock_files(settings)
    if locks:
        return install_pylock(ctx, settings, locks)
    start = time.perf_counter()
    inputs = gather_inputs(settings)
    if not inputs.requirements and not settings.exact:
        raise BaleError(
            "Nothing to install: name packages or pass -r FILE", hint="for example: bale pip install requests"
        )
    if settings.exact and not inputs.requirements and not settings.allow_empty:
        raise BaleError(
            "The requirements files list no packages; syncing would remove every package",
            hint="pass --allow-empty-requirements to empty the environment on purpose",
        )
    package_policy = _policy(ctx)
    by_policy = package_policy is not None and package_policy.require_hashes and not inputs.require_hashes
    if check_hash_mode(inputs.requirements, inputs.require_hashes or by_policy):
        reason = "the package policy sets require-hashes = true" if by_policy else _hash_mode_reason(inputs)
        # For the whole graph, as pip: a dependency the requirements do not pin and hash is refused.
        ctx.use_hash_policy(HashPolicy(required=True, reason=reason))
    _check_hash_conflicts(inputs.requirements)
    env = ctx.environment(settings.python)
    target = env.interpreter.target()
    markers = dict(target.markers)
    # Cheap: the builder itself is created only when an sdist or a source tree shows up.
    ctx.use_builds(inputs.index, env.interpreter, settings.build, environment=env)
    no_binary, only_binary = binary_set(inputs.no_binary), binary_set(inputs.only_binary)
    outcome = InstallOutcome(
        environment=env.root,
        python_version=str(env.interpreter.version),
        dry_run=settings.dry_run,
        input_files=inputs.files,
        site_packages=tuple(str(path) for path in env.site_packages()),
        pure=package_policy is None
        and all(
            spec.url is None and spec.path is None and not spec.editable
            for spec in (*inputs.requirements, *inputs.constraints)
        ),
    )

    from bale.fs.lock import FileLock
    from bale.install.installed import scan_site_packages

    lock_timeout = float(os.environ.get("BALE_LOCK_TIMEOUT", "300"))
    with FileLock(env.root / ".lock", timeout=lock_timeout, label=f"the environment {env.root}"):
        recover_environment(ctx, env)
        installed = scan_site_packages(env.site_packages())
        _check_names(ctx, inputs, installed, settings)
        present = {name: Present(name, dist.version, _present_url(dist)) for name, dist in installed.items()}
        # A path without a name is named by its metadata, built now (the resolver needs the name).
        wanted_specs = name_sources(ctx, applicable_requirements(inputs.requirements, markers, ctx))
        constraints = _constraint_map(inputs.constraints, markers)
        reinstall: set[NormalizedName] | bool = settings.reinstall or {
            normalize(n) for n in settings.reinstall_packages
        }
        upgrade_all = settings.upgrade
        upgrade = {normalize(n) for n in settings.upgrade_packages}

        artifacts: dict[NormalizedName, Artifact] = {}
        to_query: list[tuple[RequirementSpec, SpecifierSet]] = []
        resolving = not settings.exact and not settings.no_deps
        if resolving:
            forced_any = reinstall is True or bool(reinstall)
            if (
                not forced_any
                and not upgrade_all
                and not upgrade
                and _satisfied(wanted_specs, installed, markers)
            ):
                outcome.kept = len(wanted_specs)
                outcome.timings["resolve"] = time.perf_counter() - start
                return outcome
            artifacts = _resolve_with_deps(
                ctx, settings, inputs, wanted_specs, installed, target, upgrade, outcome
            )
        if package_policy is not None and not resolving:
            from bale.ops.policy import check_sources

            check_sources(package_policy, wanted_specs, None)
        for spec in [] if resolving else wanted_specs:
            if spec.name is None or spec.url is not None or spec.path is not None:
                artifact = direct_source(ctx, spec)
                _add(artifacts, artifact, spec)
                continue
            specifier = _combined(spec, constraints.get(spec.name))
            current = installed.get(spec.name)
            forced = reinstall is True or (isinstance(reinstall, set) and spec.name in reinstall)
            keep = (
                current is not None
                and not forced
                and not upgrade_all
                and spec.name not in upgrade
                and _present_url(current) is None
                and specifier.contains(current.version, prereleases=True)
            )
            if keep:
                assert current is not None
                outcome.kept += 1
                # A satisfied requirement stays as it is: an exact sync keeps it too.
                artifacts.setdefault(spec.name, _keep_marker(spec.name, current.version))
                continue
            to_query.append((spec, specifier))

        if to_query:
            index = ctx.index_client(inputs.index)
            index.prefetch([spec.name for spec, _ in to_query if spec.name])
            policy = _prerelease_policy(settings, inputs.pre)
            per_package = _package_prereleases(settings)
            label = sources_label(inputs.index)
            for spec, specifier in to_query:
                assert spec.name is not None
                files = index.project_files(spec.name)
                if not files:
                    _raise_not_found(ctx, spec, inputs.index, label)
                if package_policy is not None:
                    from bale.ops.policy import allowed_files

                    files = allowed_files(package_policy, spec, files, specifier)
                artifact = registry_artifact(
                    spec,
                    specifier,
                    files,
                    target,
                    per_package.get(spec.name, policy),
                    label,
                    allow_sdist=ctx.can_build,
                    no_binary=no_binary,
                    only_binary=only_binary,
                )
                if artifact.warning:
                    outcome.warnings.append(artifact.warning)
                _add(artifacts, artifact, spec)
        outcome.resolved = len(artifacts)
        outcome.timings["resolve"] = time.perf_counter() - start

        wanted = [Wanted(a.name, a.version, a.direct_url, a) for a in artifacts.values()]
        if reinstall is not True:
            reinstall = set(reinstall or ()) | _rebuilt_trees(artifacts.values(), installed)
        plan = make_plan(wanted, present, exact=settings.exact, reinstall=reinstall, protected=PROTECTED)
        if settings.dry_run:
            _fill(outcome, plan)
            return outcome
        if plan.is_noop:
            return outcome
        _carry_out(ctx, env, plan, installed, settings, outcome)
    return outcome


def _check_names(
    ctx: Context, inputs: Inputs, installed: Mapping[NormalizedName, InstalledDist], settings: InstallSettings
) -> None:
    """The typosquatting guard on the requirements named for an index (not paths or URLs), before
    anything is resolved or installed; a name the environment already has is not checked."""
    if settings.typosquat == "off":
        return
    from bale.ops.typosquat import check_new_names, configured_mode, typosquat_mode

    mode = settings.typosquat or typosquat_mode(configured=configured_mode(_policy(ctx)))
    named = [spec.name for spec in inputs.requirements if spec.name is not None and spec.url is None]
    check_new_names(ctx, named, inputs.index, mode=mode, known=set(installed), verb="install")


def _satisfied(
    specs: Iterable[RequirementSpec],
    installed: Mapping[NormalizedName, InstalledDist],
    markers: Mapping[str, str],
) -> bool:
    """Whether the installed distributions already satisfy ``specs`` and, transitively, their requirements.

    This reads only installed metadata, so ``pip install`` of something already there never touches an index.
    """
    from bale.install.installed import requires

    pending: list[tuple[NormalizedName, str, SpecifierSet, str | None]] = []
    for spec in specs:
        if spec.name is None:
            return False
        if _is_tree(spec):
            # A tree installed as a copy may have changed since: it is built again, as pip does. An
            # editable install follows the tree by itself, so it only has to be editable already.
            current = installed.get(spec.name)
            if not spec.editable or current is None or not current.editable:
                return False
        specifier = spec.requirement.specifier if spec.requirement is not None else SpecifierSet()
        pending.append((spec.name, "", specifier, spec.url))
        pending.extend((spec.name, extra, specifier, spec.url) for extra in spec.extras)
    seen: set[tuple[NormalizedName, str]] = set()
    while pending:
        name, extra, specifier, url = pending.pop()
        dist = installed.get(name)
        if dist is None or not specifier.contains(dist.version, prereleases=True):
            return False
        if url is not None and _present_url(dist) != url:
            return False
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        for requirement in requires(dist):
            marker = requirement.marker
            if extra:
                if marker is None or not marker.evaluate({**markers, "extra": extra}):
                    continue
                if marker.evaluate({**markers, "extra": ""}):
                    continue  # a base requirement, checked without the extra
            elif marker is not None and not marker.evaluate({**markers, "extra": ""}):
                continue
            child = normalize(requirement.name)
            pending.append((child, "", requirement.specifier, requirement.url))
            pending.extend(
                (child, normalize(e), requirement.specifier, requirement.url) for e in requirement.extras
            )
    return True


def _resolve_with_deps(
    ctx: Context,
    settings: InstallSettings,
    inputs: Inputs,
    specs: list[RequirementSpec],
    installed: Mapping[NormalizedName, InstalledDist],
    target: TargetEnv,
    upgrade: set[NormalizedName],
    outcome: InstallOutcome,
) -> dict[NormalizedName, Artifact]:
    """Resolve ``specs`` and their dependencies; installed versions are preferred unless upgrading."""
    from bale.ops.request import ResolveRequest
    from bale.ops.resolve import resolve

    preferences = (
        {}
        if settings.upgrade
        else {
            name: dist.version
            for name, dist in installed.items()
            if name not in upgrade and _present_url(dist) is None
        }
    )
    request = ResolveRequest(
        requirements=specs,
        target=target,
        index=inputs.index,
        constraints=inputs.constraints,
        prereleases=_prerelease_policy(settings, inputs.pre),
        package_prereleases=_package_prereleases(settings),
        preferences=preferences,
        no_binary=binary_set(inputs.no_binary),
        only_binary=binary_set(inputs.only_binary),
        policy=_policy(ctx),
    )
    resolved = resolve(ctx, request)
    requested = {s.name for s in specs if s.name is not None}
    forced = {normalize(n) for n in settings.reinstall_packages}
    artifacts: dict[NormalizedName, Artifact] = {}
    for name, version in resolved.resolution.versions.items():
        current = installed.get(name)
        direct = name in resolved.direct
        if (
            current is not None
            and current.version == version
            and not direct
            and _present_url(current) is None
            # A reinstall needs the file: a keep marker has none to install again.
            and not settings.reinstall
            and name not in forced
        ):
            artifacts[name] = _keep_marker(name, version)
            continue
        source = resolved.direct_artifacts.get(name)
        if source is not None:
            artifacts[name] = source
            continue
        file = resolved.file_for(name)
        hashes = next((hash_options(s) for s in specs if s.name == name), {})
        artifacts[name] = Artifact(
            name, version, file, direct=direct, requested=name in requested, allowed_hashes=hashes
        )
    return artifacts


def _is_tree(spec: RequirementSpec) -> bool:
    return spec.path is not None and not str(spec.path).endswith(".whl") and spec.path.is_dir()


def _rebuilt_trees(
    artifacts: Iterable[Artifact], installed: Mapping[NormalizedName, InstalledDist]
) -> set[NormalizedName]:
    """Installed packages that come from a source tree and must be installed again although the
    version and URL match: a copy (the tree may have changed), or a switch to or from editable."""
    names: set[NormalizedName] = set()
    for artifact in artifacts:
        current = installed.get(artifact.name)
        if current is None or not artifact.direct:
            continue
        # A tree installed as a copy is replaced (it may have changed); so is a switch of mode.
        stale = not artifact.editable or not current.editable if artifact.is_tree else current.editable
        if stale:
            names.add(artifact.name)
    return names


def _raise_not_found(ctx: Context, spec: RequirementSpec, index: IndexSettings, label: str) -> None:
    from bale.ops.suggest import close_names

    assert spec.name is not None
    where = f" (from {spec.origin})" if spec.origin.file else ""
    close = close_names(ctx, index, spec.name)
    hint = (
        f"did you mean {' or '.join(close)}?"
        if close
        else "check the name's spelling, or the index you point bale at (--index-url, --find-links)"
    )
    raise BaleError(f"Package {spec.name}{where} was not found in {label}", hint=hint)


def _present_url(dist: InstalledDist) -> str | None:
    value = dist.direct_url
    if isinstance(value, dict):
        if "vcs_info" in value:
            from bale.vcs import direct_reference

            # The same ``git+URL@COMMIT`` a git artifact's direct_url gives: one commit, one install.
            return direct_reference(value)
        url = value.get("url")
        if not isinstance(url, str):
            return None
        subdirectory = value.get("subdirectory")
        return f"{url}#subdirectory={subdirectory}" if isinstance(subdirectory, str) and subdirectory else url
    return None


def applicable_requirements(
    requirements: Iterable[RequirementSpec], markers: dict[str, str], ctx: Context
) -> list[RequirementSpec]:
    result: list[RequirementSpec] = []
    for spec in requirements:
        marker = spec.requirement.marker if spec.requirement is not None else None
        if marker is not None and not marker.evaluate({**markers, "extra": ""}):
            ctx.reporter.debug(
                f"skipping {spec} (at {spec.origin}): its marker does not match this environment"
            )
            continue
        result.append(spec)
    return result


def _constraint_map(
    constraints: Iterable[RequirementSpec], markers: dict[str, str]
) -> dict[NormalizedName, SpecifierSet]:
    result: dict[NormalizedName, SpecifierSet] = {}
    for spec in constraints:
        if spec.name is None or spec.requirement is None:
            continue
        marker = spec.requirement.marker
        if marker is not None and not marker.evaluate({**markers, "extra": ""}):
            continue
        result[spec.name] = result.get(spec.name, SpecifierSet()) & spec.requirement.specifier
    return result


def _combined(spec: RequirementSpec, constraint: SpecifierSet | None) -> SpecifierSet:
    specifier = spec.requirement.specifier if spec.requirement is not None else SpecifierSet()
    return specifier & constraint if constraint is not None else specifier


def _keep_marker(name: NormalizedName, version: Version) -> Artifact:
    from bale.model.dists import FileKind, IndexFile

    file = IndexFile(filename="", url="", name=name, version=version, kind=FileKind.WHEEL, source="installed")
    return Artifact(name, version, file, direct=False, requested=True)


def _is_keep_marker(artifact: Artifact) -> bool:
    return artifact.file.source == "installed"


def _add(artifacts: dict[NormalizedName, Artifact], artifact: Artifact, spec: RequirementSpec) -> None:
    other = artifacts.get(artifact.name)
    if other is not None and (other.version != artifact.version or other.direct_url != artifact.direct_url):
        raise BaleError(
            f"Conflicting requirements for {artifact.name}: {other.name}=={other.version} and "
            f"{artifact.name}=={artifact.version} (from {spec.origin})",
            hint="list each package once",
        )
    artifacts[artifact.name] = artifact


def _fill(outcome: InstallOutcome, plan: Plan[Artifact]) -> None:
    outcome.removed = sorted(
        [(p.name, str(p.version)) for p in plan.remove] + [(p.name, str(p.version)) for p, _ in plan.replace]
    )
    outcome.installed = sorted([(w.name, str(w.version)) for w in plan.to_fetch()])
    outcome.kept = len(plan.keep)


def _carry_out(
    ctx: Context,
    env: PythonEnvironment,
    plan: Plan[Artifact],
    installed: Mapping[NormalizedName, InstalledDist],
    settings: InstallSettings,
    outcome: InstallOutcome,
    hash_policy: HashPolicy | None = None,
) -> None:
    """Prepare what the plan fetches (all of it, in parallel; ``hash_policy`` instead of the run's),
    then change the environment."""
    prep_start = time.perf_counter()
    fetch = [w.payload for w in plan.to_fetch() if not _is_keep_marker(w.payload)]
    database = ctx.database if hash_policy is None else ctx.database.with_hash_policy(hash_policy)
    prepared = database.prepare_all(fetch)
    outcome.prepared = sum(1 for p in prepared if not p.from_cache)
    outcome.timings["prepare"] = time.perf_counter() - prep_start
    link_start = time.perf_counter()
    added = _execute(ctx, env, plan, prepared, installed, settings)
    outcome.timings["install"] = time.perf_counter() - link_start
    _fill(outcome, plan)
    if settings.compile_bytecode and added:
        _compile(ctx, env, added)


def _execute(
    ctx: Context,
    env: PythonEnvironment,
    plan: Plan[Artifact],
    prepared: list[Prepared],
    installed: Mapping[NormalizedName, InstalledDist],
    settings: InstallSettings,
) -> list[InstalledDist]:
    """Touch the environment only now that every wheel is in the cache and checked: stage the new
    packages, then swap them in under a journal (``install.journal``), removing what the plan removes."""
    from bale.fs.link import Linker, link_mode_from_env
    from bale.install.journal import Transaction
    from bale.install.uninstall import plan_removal
    from bale.install.wheel import plan_tree

    scheme = env.scheme()
    mode = settings.link_mode or link_mode_from_env()
    linker = Linker(mode)  # type: ignore[arg-type]  # argparse restricts --link-mode to the three modes
    # Every check that can refuse a wheel or a removal runs before the environment changes at all.
    plans = [
        plan_tree(
            item.tree,
            scheme,
            name=item.artifact.name,
            version=str(item.artifact.version),
            requested=item.artifact.requested,
            direct_url=item.artifact.direct_url_json(item.sha256),
            wheel=_wheel_label(item.artifact),
        )
        for item in prepared
    ]
    old = [dist for dist, _new in plan.replace] + list(plan.remove)
    removals = [plan_removal(installed[dist.name], scheme) for dist in old]
    transaction = Transaction(scheme)
    added = transaction.stage(plans, linker) if plans else []
    transaction.commit(removals)
    for removal in removals:
        for entry in removal.skipped:
            ctx.reporter.warn(f"did not delete a file {removal.name} {removal.version} lists: {entry}")
    return added


def _wheel_label(artifact: Artifact) -> str:
    filename = artifact.file.filename
    return filename if filename.endswith(".whl") else f"the wheel built from {filename or artifact.url}"


def recover_environment(ctx: Context, env: PythonEnvironment) -> None:
    """Finish or undo a change a killed bale left half-done; call with the environment's lock held."""
    from bale.install.journal import recover

    for note in recover(env.scheme()):
        ctx.reporter.warn(f"{env.root}: {note}")


def _compile(ctx: Context, env: PythonEnvironment, dists: list[InstalledDist]) -> None:
    """Byte-compile the modules these distributions just installed (their RECORDs name them)."""
    from bale.install.bytecode import compile_bytecode
    from bale.install.record import parse_record

    sources: list[Path] = []
    for dist in dists:
        base = dist.dist_info.parent
        record = (dist.dist_info / "RECORD").read_text(encoding="utf-8")
        sources.extend((base / row[0]).resolve() for row in parse_record(record) if row[0].endswith(".py"))
    failed = compile_bytecode(sources, env.scheme().python)
    for path in failed[:5]:
        ctx.reporter.warn(f"could not compile {path} to bytecode (it does not parse with this Python)")


def _damaged(
    ctx: Context, installed: Mapping[NormalizedName, InstalledDist], chosen: Mapping[NormalizedName, Artifact]
) -> set[NormalizedName]:
    """Installed packages the sync would keep although files their RECORD lists are gone: they are
    installed again. One listdir per folder of theirs (2,000 files in 50 folders: ~2 ms), paid only
    when the sync stamp (``ops.sync_stamp``) does not already say that nothing changed."""
    from bale.install.installed import missing_files

    listings: dict[str, frozenset[str]] = {}
    names: set[NormalizedName] = set()
    for name, dist in installed.items():
        wanted = chosen.get(name)
        if wanted is None or _is_keep_marker(wanted) or wanted.version != dist.version:
            continue  # not kept: replaced or removed anyway
        missing = missing_files(dist, listings)
        if missing:
            count = "1 installed file" if len(missing) == 1 else f"{len(missing)} installed files"
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            ctx.reporter.warn(f"{dist} is missing {count} ({missing[0]}{more}): installing it again")
            names.add(name)
    return names


def install_artifacts(
    ctx: Context,
    env: PythonEnvironment,
    artifacts: Iterable[Artifact],
    *,
    exact: bool = True,
    settings: InstallSettings | None = None,
    hash_policy: HashPolicy = LOCK_HASH_POLICY,
) -> InstallOutcome:
    """Install exactly these artifacts (no resolution) into ``env``: the step a lock file's sync needs.

    With ``exact`` every other distribution (except ``PROTECTED``) is removed, as ``pip sync`` does.
    ``hash_policy``: by default every file must carry the hash its lock gives it (trees and git
    commits have none), and is checked against it.
    """
    from bale.fs.lock import FileLock
    from bale.install.installed import scan_site_packages

    settings = settings or InstallSettings(exact=exact)
    chosen = {artifact.name: artifact for artifact in artifacts}
    outcome = InstallOutcome(
        environment=env.root, python_version=str(env.interpreter.version), resolved=len(chosen)
    )
    lock_timeout = float(os.environ.get("BALE_LOCK_TIMEOUT", "300"))
    with FileLock(env.root / ".lock", timeout=lock_timeout, label=f"the environment {env.root}"):
        recover_environment(ctx, env)
        installed = scan_site_packages(env.site_packages())
        present = {name: Present(name, dist.version, _present_url(dist)) for name, dist in installed.items()}
        wanted = [Wanted(a.name, a.version, a.direct_url, a) for a in chosen.values()]
        reinstall = _rebuilt_trees(chosen.values(), installed) | _damaged(ctx, installed, chosen)
        plan = make_plan(wanted, present, exact=exact, reinstall=reinstall, protected=PROTECTED)
        if plan.is_noop:
            outcome.kept = len(plan.keep)
            return outcome
        _carry_out(ctx, env, plan, installed, settings, outcome, hash_policy)
    return outcome


def _policy(ctx: Context) -> Policy | None:
    """The organisation's package policy: the pip interface reads no project, so no project's layer."""
    from bale.ops.policy_in_force import effective_policy

    return effective_policy(ctx, None)
