"""``pip compile``: resolve loose requirements into a pinned requirements file."""

from __future__ import annotations

import os
from dataclasses import field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record
from bale.model.requirement import RequirementSpec
from bale.ops.pylock_install import is_pylock
from bale.ops.request import ResolveRequest
from bale.ops.settings import BuildSettings, IndexSettings
from bale.resolver.candidates import PreReleases

if TYPE_CHECKING:
    from collections.abc import Callable

    from bale.model.dists import IndexFile
    from bale.model.target import TargetEnv
    from bale.ops.resolve import Resolved, UniversallyResolved

PYLOCK = "pylock.toml"
REQUIREMENTS_TXT = "requirements.txt"


@record(frozen=True)
class CompileSettings:
    src_files: tuple[Path, ...]
    output: Path | None
    index: IndexSettings
    explicit_index: bool
    # "requirements.txt" or "pylock.toml"; None: pylock.toml when ``output`` is named like a lock file.
    output_format: str | None = None
    constraint_files: tuple[Path, ...] = ()
    override_files: tuple[Path, ...] = ()
    extras: tuple[str, ...] = ()
    all_extras: bool = False
    groups: tuple[str, ...] = ()
    python: str | None = None
    python_version: str | None = None
    python_platform: str | None = None
    universal: bool = False
    generate_hashes: bool = False
    resolution: str = "highest"
    prerelease: str | None = None
    prerelease_package: tuple[str, ...] = ()  # NAME=MODE
    exclude_newer: str | None = None
    exclude_newer_package: tuple[str, ...] = ()  # NAME=DATE
    fork_strategy: str | None = None
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    annotate: bool = True
    header: bool = True
    no_binary: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    command: str = "bale pip compile"
    build: BuildSettings = field(default_factory=BuildSettings)


@record
class CompileOutcome:
    """The requirements file written (``text``), and what it was computed from: ``inputs`` are the local
    files (absolute paths) that, with the command line and the index pages the run read, fully decide
    the answer; None when something else did too (standard input, a URL, the environment, the clock,
    a discovered interpreter, a build)."""

    text: str
    count: int
    seconds: float
    output: Path | None
    warnings: list[str] = field(default_factory=list)
    inputs: tuple[str, ...] | None = None


def _read_inputs(
    settings: CompileSettings, files: list[str]
) -> tuple[list[RequirementSpec], list[RequirementSpec], IndexSettings, bool]:
    """The requirements and constraints; every location read is added to ``files``."""
    from bale.project.inputs import pyproject_requirements, setup_cfg_requirements
    from bale.requirements import parse_requirements_file

    requirements: list[RequirementSpec] = []
    constraints: list[RequirementSpec] = []
    index = settings.index
    pre = False
    for path in settings.src_files:
        if is_pylock(path):
            # As uv: a lock file is an answer, not requirements to resolve again.
            raise BaleError(
                f"{path} is a lock file, not an input `bale pip compile` can resolve",
                hint=f"install it with `bale pip sync {path}`; for a project's requirements from its "
                "lock file, use `bale export`",
            )
        if path.name in ("pyproject.toml", "setup.cfg"):
            files.append(os.path.abspath(path))
        if path.name == "pyproject.toml":
            requirements.extend(
                pyproject_requirements(
                    path, extras=settings.extras, all_extras=settings.all_extras, groups=settings.groups
                )
            )
        elif path.name == "setup.cfg":
            requirements.extend(
                setup_cfg_requirements(path, extras=settings.extras, all_extras=settings.all_extras)
            )
        else:
            if settings.extras or settings.groups:
                raise BaleError(f"--extra and --group apply to pyproject.toml or setup.cfg, not to {path}")
            parsed = parse_requirements_file(path)
            requirements.extend(parsed.requirements)
            constraints.extend(parsed.constraints)
            files.extend(parsed.files)
            index = index.merged_with_requirements(parsed, explicit_index=settings.explicit_index)
            pre = pre or parsed.pre
    for path in settings.constraint_files:
        parsed = parse_requirements_file(path, is_constraints=True)
        constraints.extend([*parsed.requirements, *parsed.constraints])
        files.extend(parsed.files)
    return requirements, constraints, index, pre


def output_format(settings: CompileSettings) -> str:
    """``--format``, else what the output file's name says (``pylock.toml``, ``pylock.NAME.toml``)."""
    if settings.output_format is not None:
        return settings.output_format
    return PYLOCK if settings.output is not None and is_pylock(settings.output) else REQUIREMENTS_TXT


def _previous_pins(path: Path | None) -> dict[NormalizedName, Version]:
    """Pins already in the output file: kept unless upgrading, as pip-compile does."""
    if path is None or not path.is_file():
        return {}
    if is_pylock(path):
        return _previous_locked(path)
    from bale.requirements import parse_requirements_file

    pins: dict[NormalizedName, Version] = {}
    try:
        parsed = parse_requirements_file(path)
    except BaleError:
        return {}  # an unreadable old output is simply not a preference
    for spec in parsed.requirements:
        if spec.name is None or spec.requirement is None:
            continue
        items = list(spec.requirement.specifier)
        if len(items) == 1 and items[0].operator == "==":
            try:
                pins[spec.name] = Version(items[0].version)
            except ValueError:
                continue
    return pins


def _previous_locked(path: Path) -> dict[NormalizedName, Version]:
    """The versions of a lock file written before (any version when it lists several)."""
    from bale.lock.pylock import read_pylock

    try:
        lock = read_pylock(path.read_text(encoding="utf-8"), source=str(path))
    except (BaleError, OSError, UnicodeDecodeError):
        return {}  # an unreadable old output is simply not a preference
    return {normalize(p.name): p.version for p in lock.packages if p.version is not None}


def compile_requirements(ctx: Context, settings: CompileSettings) -> CompileOutcome:
    from bale.lock.requirements_txt import Format, render
    from bale.model.dates import is_duration, parse_cutoff

    files: list[str] = []
    requirements, constraints, index, pre = _read_inputs(settings, files)
    overrides: list[RequirementSpec] = []
    for path in settings.override_files:
        from bale.requirements import parse_requirements_file

        parsed = parse_requirements_file(path)
        overrides.extend(parsed.requirements)
        files.extend(parsed.files)
    if settings.output is not None:
        files.append(os.path.abspath(settings.output))
    interpreter, target = _target(ctx, settings)
    # Metadata of sdists and source trees is built with the interpreter found (uv does the same
    # for --python-version / --python-platform and --universal: metadata rarely depends on them).
    ctx.use_builds(index, interpreter, settings.build)
    exclude_newer = None
    text = settings.exclude_newer or os.environ.get("BALE_EXCLUDE_NEWER")
    if text:
        try:
            exclude_newer = parse_cutoff(text, datetime.now(timezone.utc))
        except ValueError as err:
            raise BaleError(f"Invalid --exclude-newer: {err}") from err
    from bale.ops.package_settings import package_cutoffs, package_prereleases

    now = datetime.now(timezone.utc)
    per_package_cutoffs = package_cutoffs(settings.exclude_newer_package, now, where="the command line")
    per_package_prereleases = package_prereleases(settings.prerelease_package, where="the command line")
    preferences = {} if settings.upgrade else _previous_pins(settings.output)
    for name in settings.upgrade_packages:
        preferences.pop(normalize(name), None)
    prerelease = (
        PreReleases.ALLOW
        if pre
        else PreReleases(settings.prerelease or os.environ.get("BALE_PRERELEASE") or "if-necessary")
    )
    from bale.index.provider import ALL
    from bale.ops.policy_in_force import effective_policy

    def binary_set(names: tuple[str, ...]):  # type: ignore[no-untyped-def]
        return ALL if ":all:" in names else frozenset(normalize(n) for n in names if n != ":none:")

    request = ResolveRequest(
        requirements=requirements,
        target=target,
        index=index,
        constraints=constraints,
        overrides=overrides,
        prereleases=prerelease,
        package_prereleases=per_package_prereleases,
        strategy=settings.resolution,
        fork_strategy=settings.fork_strategy or os.environ.get("BALE_FORK_STRATEGY") or "requires-python",
        preferences=preferences,
        exclude_newer=exclude_newer,
        exclude_newer_package=per_package_cutoffs,
        no_binary=binary_set(settings.no_binary),
        only_binary=binary_set(settings.only_binary),
        root_label=_root_label(settings),
        policy=effective_policy(ctx, None),
    )
    import time

    from bale.ops.memo import ResolutionMemo

    started = time.perf_counter()
    # The output names requirement files relative to the working directory: that, not the directory,
    # is part of the answer.
    shown = sorted({_relative(spec.origin.file) for spec in requirements if spec.origin.file})
    as_lock = output_format(settings) == PYLOCK
    from bale.ops.lock_provenance import memo_key, required_provenance

    required = required_provenance(request.policy)
    provenance = memo_key(ctx, required) if as_lock else None
    memo = ResolutionMemo(ctx, "pip-compile", [request, settings, shown, provenance])
    # The key holds the policy's content; a cooldown or a vulnerability ceiling moves without it.
    memo.enabled = memo.enabled and (request.policy is None or request.policy.timeless)
    if as_lock:
        # A lock records paths relative to where it is written, and hashes local archives: neither
        # is vouched for by the index pages.
        memo.enabled = memo.enabled and not any(spec.url or spec.path for spec in requirements)
    found = memo.lookup()
    if found is not None:
        output, count = str(found["text"]), int(found["count"])
        seconds = time.perf_counter() - started
    else:
        memo.watch()
        if settings.universal:
            from packaging.specifiers import SpecifierSet

            from bale.ops.resolve import resolve_universal

            version = Version(settings.python_version) if settings.python_version else target.python_version
            requires_python = SpecifierSet(f">={version.major}.{version.minor}")
            universal = resolve_universal(ctx, request, requires_python)
            seconds = universal.seconds
            if as_lock:
                keep = _fits(None, request)
                output, count = _pylock(ctx, settings, universal, requirements, index, keep, required)
            else:
                pins = [_universal_pin(universal, p, settings) for p in universal.resolution.packages]
        else:
            from bale.ops.lock_packages import for_one_environment
            from bale.ops.resolve import resolve

            resolved = resolve(ctx, request)
            seconds = resolved.seconds
            if as_lock:
                # Lock files name a Python range; the wheels kept are this minor version's anyway.
                version = target.python_version
                one = for_one_environment(resolved, f">={version.major}.{version.minor}")
                output, count = _pylock(
                    ctx, settings, one, requirements, index, _fits(target, request), required
                )
            else:
                pins = [_pinned(resolved, name, settings) for name in resolved.resolution.versions]
        if not as_lock:
            command = settings.command
            output = render(pins, Format(header=settings.header, annotate=settings.annotate, command=command))
            count = len({p.name for p in pins})
        memo.store({"text": output, "count": count})
    if settings.output is not None:
        from bale.fs.atomic import write_atomic

        write_atomic(settings.output, output)
    # The policy's files decide the answer too (its content is in the memo's key); a URL's is no file's.
    policy_files = () if request.policy is None else request.policy.files
    if policy_files:
        files = [*files, *(os.path.abspath(file) for file in policy_files)]
    decided_by_files = (
        policy_files is not None
        and memo.vouched
        and callable(interpreter)  # no interpreter was looked for: the target is the command line's
        and not (text and is_duration(text))
        and not any(spec.url or spec.path for spec in [*requirements, *constraints, *overrides])
        and all(os.path.isabs(f) for f in files)  # no standard input, no URL
    )
    inputs = tuple(dict.fromkeys(files)) if decided_by_files else None
    return CompileOutcome(output, count, seconds, settings.output, list(memo.warnings), inputs)


def _pylock(
    ctx: Context,
    settings: CompileSettings,
    resolved: UniversallyResolved,
    requirements: list[RequirementSpec],
    index: IndexSettings,
    keep: Callable[[IndexFile], bool],
    required: frozenset[NormalizedName],
) -> tuple[str, int]:
    """The resolution as a PEP 751 lock (as ``bale lock`` writes one), and how many packages it lists;
    ``keep`` chooses the index files listed, ``required``: the packages whose files need provenance."""
    from bale.lock.pylock import LockInput, write_pylock
    from bale.ops.lock_packages import locked_packages
    from bale.ops.lock_trust import index_locations
    from bale.ops.project_sources import lock_direct

    chosen = {package.name for package in resolved.resolution.packages}
    artifacts = {name: a for name, a in resolved.direct_artifacts.items() if name in chosen}
    # Paths in a lock are relative to its own folder (standard output: the working directory).
    folder = settings.output.absolute().parent if settings.output is not None else Path.cwd()
    direct = lock_direct(ctx, artifacts, folder)
    locations = index_locations(index, [])
    packages = locked_packages(resolved, {None: requirements}, index, locations, direct, keep)
    from bale.ops.lock_provenance import attest_packages

    packages = attest_packages(ctx, resolved, packages, required)
    lock = LockInput(packages=tuple(packages), requires_python=resolved.resolution.requires_python)
    text = write_pylock(lock)
    if settings.header:
        # Comments, so the file stays a valid lock; the command is what `--upgrade` would rerun.
        text = f"# This file was written by bale via the following command:\n#    {settings.command}\n{text}"
    return text, len(packages)


def _fits(target: TargetEnv | None, request: ResolveRequest) -> Callable[[IndexFile], bool]:
    """Whether a lock lists an index file: not a wheel under --no-binary nor an sdist under
    --only-binary, and for one environment (``target``; None: universal) only wheels it can install."""

    def keep(file: IndexFile) -> bool:
        name = file.name
        if not file.is_wheel:
            return name not in request.only_binary
        return name not in request.no_binary and (target is None or target.tag_rank(file.tags) is not None)

    return keep


def _root_label(settings: CompileSettings) -> str | None:
    if len(settings.src_files) == 1 and str(settings.src_files[0]) != "-":
        return str(settings.src_files[0])
    return None


def _target(ctx: Context, settings: CompileSettings):  # type: ignore[no-untyped-def]
    from bale.model.platforms import synthetic_target

    if TYPE_CHECKING:
        from bale.python.probe import Interpreter

    request = settings.python or os.environ.get("BALE_PYTHON")

    def find() -> Interpreter:
        from bale.python.discover import find_interpreter

        return find_interpreter(request, cwd=Path.cwd(), cache_dir=ctx.cache.bucket("interpreters-v1"))

    if request is None and settings.python_version is not None:
        # Only the platform of the base is kept: this process's own does, with no interpreter probe
        # (a subprocess, ~40 ms on a cold cache). An interpreter is found only if a build needs one.
        from bale.python.host import host_target

        target = synthetic_target(Version(settings.python_version), settings.python_platform, host_target())
        return find, target
    interpreter = find()
    base = interpreter.target()
    if settings.python_version is None and settings.python_platform is None:
        return interpreter, base
    version = Version(settings.python_version) if settings.python_version else base.python_version
    return interpreter, synthetic_target(version, settings.python_platform, base)


def _pinned(resolved: Resolved, name: NormalizedName, settings: CompileSettings):  # type: ignore[no-untyped-def]
    from bale.lock.requirements_txt import Pinned

    resolution = resolved.resolution
    version = resolution.versions[name]
    via: list[str] = []
    for item in resolution.parents.get(name, ()):
        if item.parent.is_root:
            for origin in resolved.origins.get(name, []):
                if origin.file:
                    via.append(f"-r {_relative(origin.file)}")
        else:
            via.append(str(item.parent.name))
    direct = resolved.direct.get(name)
    hashes: tuple[str, ...] = ()
    if settings.generate_hashes:
        if direct is not None:
            hashes = tuple(f"{a}:{d}" for a, d in direct.hashes.items() if a == "sha256")
        else:
            files = [f for f in resolved.provider.files(name) if f.version == version]
            hashes = tuple(sorted({f"sha256:{f.hashes['sha256']}" for f in files if "sha256" in f.hashes}))
    return Pinned(
        name=name,
        display_name=str(name),
        version=version,
        url=direct.url if direct else None,
        via=tuple(via),
        hashes=hashes,
    )


def _universal_pin(universal, package, settings: CompileSettings):  # type: ignore[no-untyped-def]
    from bale.lock.requirements_txt import Pinned

    via: list[str] = []
    for parent, _edge in package.parents:
        if parent is None:
            via.extend(f"-r {_relative(o.file)}" for o in universal.origins.get(package.name, []) if o.file)
        else:
            via.append(parent.split("[", 1)[0])
    direct = universal.direct.get(package.name)
    hashes: tuple[str, ...] = ()
    if settings.generate_hashes:
        files = (
            [direct]
            if direct is not None
            else [f for f in universal.provider.files(package.name) if f.version == package.version]
        )
        hashes = tuple(sorted({f"sha256:{f.hashes['sha256']}" for f in files if "sha256" in f.hashes}))
    return Pinned(
        name=package.name,
        display_name=str(package.name),
        version=package.version,
        url=direct.url if direct else None,
        marker=package.marker,
        via=tuple(via),
        hashes=hashes,
    )


def _relative(path: str) -> str:
    """A path under the working directory as a relative one (as the user typed it); others as they are."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative
