"""Project use cases: lock a pyproject.toml into pylock.toml, sync .venv from it, find its environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record
from bale.model.requirement import RequirementSpec
from bale.ops.settings import BuildSettings, IndexSettings

if TYPE_CHECKING:
    from bale.lock.pylock import Selected
    from bale.model.artifact import Artifact
    from bale.ops.install import InstallOutcome
    from bale.ops.memo import ResolutionMemo
    from bale.policy.model import Policy
    from bale.project.model import Index, Project
    from bale.project.workspace import Workspace
    from bale.python.venv import PythonEnvironment

LOCK_FILE = "pylock.toml"
# The [tool.bale] keys that change a resolution, and so take part in the lock's fingerprint.
_RESOLUTION_SETTINGS = (
    "index",
    "index-strategy",
    "sources",
    "constraint-dependencies",
    "override-dependencies",
    "environments",
    "exclude-newer",
    "exclude-newer-package",
    "prerelease",
    "prerelease-package",
    "resolution",
    "fork-strategy",
)


@record(frozen=True)
class LockSettings:
    index: IndexSettings = field(default_factory=IndexSettings)
    explicit_index: bool = False  # --index-url given: it wins over the project's indexes
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    build: BuildSettings = field(default_factory=BuildSettings)
    # From the command line; else [tool.bale] ``resolution`` / ``prerelease`` / ``exclude-newer``.
    resolution: str | None = None
    prerelease: str | None = None
    exclude_newer: str | None = None
    # NAME=MODE / NAME=DATE pairs, over [tool.bale] ``prerelease-package`` / ``exclude-newer-package``.
    prerelease_package: tuple[str, ...] = ()
    exclude_newer_package: tuple[str, ...] = ()
    fork_strategy: str | None = None  # else [tool.bale] ``fork-strategy``, else requires-python
    python: str | None = None  # --python of sync, run, add: the interpreter builds use while locking
    # ``bale audit --fix``: (NAME, VERSION) pairs: at least VERSION, and VERSION preferred, in this lock.
    fixes: tuple[tuple[str, str], ...] = ()
    # ``bale import``: (NAME, VERSION) pairs another tool's lock held: preferred, never required, and
    # below the replaced pylock.toml's own versions.
    preferred: tuple[tuple[str, str], ...] = ()
    dry_run: bool = False  # resolve and return the lock's text, write nothing


@record
class LockOutcome:
    path: Path
    count: int = 0
    seconds: float = 0.0
    written: bool = False
    locked: dict[NormalizedName, Version] = field(default_factory=dict)
    text: str = ""  # what the lock file now says
    previous: str | None = None  # what it said before (None: there was no readable lock file)
    # The local files (absolute paths; some may not exist) that, with the command line and the index
    # pages read, fully decide the lock; None when something else did too. ``warnings``: those shown.
    inputs: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = ()


@record(frozen=True)
class LockState:
    """What the lock file says about today's inputs: ``changes`` is empty when it is fresh."""

    path: Path
    exists: bool
    inputs: dict[str, Any]
    changes: tuple[str, ...]

    @property
    def fresh(self) -> bool:
        return self.exists and not self.changes


@record(frozen=True)
class SyncSettings:
    lock: LockSettings = field(default_factory=LockSettings)
    locked: bool = False  # the lock must be fresh: never relock
    frozen: bool = False  # trust the lock as it is
    groups: tuple[str, ...] = ()
    no_dev: bool = False
    all_groups: bool = False
    extras: tuple[str, ...] = ()
    all_extras: bool = False
    inexact: bool = False
    install_project: bool = True
    python: str | None = None
    package: str | None = None  # a workspace member instead of the root project
    all_packages: bool = False  # every workspace member (``--all-packages``)
    only_groups: tuple[str, ...] = ()  # only these groups' packages: not the project nor its dependencies


@record
class SyncOutcome:
    environment: Path
    created: bool = False
    lock: LockOutcome | None = None
    install: InstallOutcome | None = None
    audited: int = 0  # the packages found in place by a no-op sync (``install`` is None then)
    # The environment's sync stamp holds (no policy, no non-editable source tree): a no-op's answer
    # rests on the files ``sync_inputs`` names and the environment alone (see ``cli.noop``).
    stamped: bool = False
    site_packages: tuple[str, ...] = ()  # the environment's, when ``stamped``


# ---------------------------------------------------------------------------------------------- inputs


def lock_path(project: Project) -> Path:
    return project.root / LOCK_FILE


def requires_python(project: Project) -> SpecifierSet:
    """The project's ``requires-python``, else ``>=`` the running interpreter's major.minor."""
    if project.requires_python is not None and str(project.requires_python):
        return project.requires_python
    return SpecifierSet(f">={sys.version_info.major}.{sys.version_info.minor}")


def inputs_of(project: Project, *, paths: bool = True) -> dict[str, Any]:
    """What the lock depends on: the project's requirements and resolution settings, each workspace
    member's, and (``paths``) those of the source trees outside the workspace taken by path."""
    from bale.lock.fingerprint import project_inputs
    from bale.ops.project_workspace import load_workspace, path_dependency_inputs, requirement_text

    workspace = load_workspace(project) if project.is_workspace_root or paths else None
    if workspace is not None:
        project = workspace.root  # a member of a per-member workspace: with the root's settings
    raw = project.settings.raw
    inputs = project_inputs(
        # As written: the fallback (the running Python) must not make the lock stale under another one.
        requires_python=str(project.requires_python or ""),
        dependencies=[requirement_text(s) for s in project.dependencies],
        optional_dependencies={
            k: [requirement_text(s) for s in v] for k, v in project.optional_dependencies.items()
        },
        dependency_groups={k: [requirement_text(s) for s in v] for k, v in project.dependency_groups.items()},
        settings={key: raw[key] for key in _RESOLUTION_SETTINGS if key in raw},
    )
    # A member's own lock holds the members it depends on: their requirements are its inputs too.
    if workspace is not None and (project.is_workspace_root or workspace.enclosing is not None):
        inputs["workspace"] = {
            str(name): inputs_of(member, paths=False)
            for name, member in workspace.members.items()
            if member.root != project.root
        }
    if paths and workspace is not None:
        found = path_dependency_inputs(workspace)
        if found:
            inputs["path-dependencies"] = found
    return inputs


def lock_state(project: Project) -> LockState:
    """Compare today's inputs with those stored in the lock file (by fingerprint)."""
    from bale.lock.conflicts import check_no_conflicts
    from bale.lock.fingerprint import changed_fields, fingerprint
    from bale.project.inputs import load_toml

    path = lock_path(project)
    inputs = inputs_of(project)
    if not path.is_file():
        return LockState(path, False, inputs, (f"{LOCK_FILE} does not exist",))
    # A conflicted lock is not "stale": relocking would drop one side of the merge unseen.
    check_no_conflicts(read_lock_text(path), source=str(path))
    stored = load_toml(path).get("tool", {}).get("bale", {})
    if stored.get("fingerprint") == fingerprint(inputs):
        return LockState(path, True, inputs, ())
    old = stored.get("inputs")
    if not isinstance(old, dict):
        return LockState(path, True, inputs, (f"{path} holds no [tool.bale.inputs] (not made by bale?)",))
    changes = tuple(changed_fields(old, inputs)) or ("the resolution inputs changed",)
    return LockState(path, True, inputs, changes)


def project_index(
    project: Project, settings: LockSettings, workspace: Workspace | None = None
) -> IndexSettings:
    """``--extra-index-url``, the project's ``[[tool.bale.index]]`` entries, then the default index
    (``--index-url``, else the project's ``default = true`` one); packages pinned with ``{ index = ... }``
    come from their index only (see ``project_sources.project_index_settings``)."""
    from bale.ops.project_sources import project_index_settings

    members = workspace.members.values() if workspace is not None else (project,)
    sources = [workspace.sources(m) if workspace is not None else m.settings.sources for m in members]
    return project_index_settings(project, sources, settings.index, explicit=settings.explicit_index)


# ---------------------------------------------------------------------------------------------- lock


def lock_project(
    ctx: Context, project: Project, settings: LockSettings, *, pyproject_text: str | None = None
) -> LockOutcome:
    """Resolve the project for every platform (all extras and groups) and write pylock.toml.

    Holds the project lock (``ops.project_mutex``) throughout, and reads pyproject.toml again once it
    has it: a ``bale add`` that ran meanwhile must not be locked away. The lock file is replaced in
    one rename after everything succeeded; a failed run leaves the old one byte for byte.
    ``pyproject_text``: lock what pyproject.toml is about to say instead (with ``dry_run``)."""
    from bale.ops.lock_provenance import warn_identity_changes
    from bale.ops.project_mutex import project_lock
    from bale.project.model import read_project

    with project_lock(project.root, on_wait=ctx.reporter.warn):
        if pyproject_text is not None:
            project = read_project(project.pyproject, text=pyproject_text)
        elif project.pyproject.is_file():
            project = read_project(project.pyproject)
        outcome = _lock_project(ctx, project, settings)
    # From the texts, not the resolution: a lock answered by the memo is compared too.
    warn_identity_changes(ctx.reporter, outcome.previous, outcome.text, source=str(outcome.path))
    return outcome


def _lock_project(ctx: Context, project: Project, settings: LockSettings) -> LockOutcome:
    from bale.dist.build_lock import BuildPins, BuildRecorder
    from bale.lock.fingerprint import fingerprint
    from bale.lock.pylock import LockInput, read_pylock, write_pylock
    from bale.ops.build_lock import lock_build_dependencies, preferred_pins
    from bale.ops.policy_in_force import effective_policy
    from bale.ops.project_workspace import load_workspace, lock_members, workspace_requires_python
    from bale.ops.request import ResolveRequest
    from bale.ops.resolve import resolve_universal
    from bale.python.host import host_target

    if TYPE_CHECKING:
        from bale.python.probe import Interpreter

    workspace = load_workspace(project)
    project = workspace.root  # the same project, or a per-member workspace's member with its settings
    if project.name is None and not workspace.members:
        raise BaleError(f"{project.pyproject} has no [project] table: there is nothing to lock")
    path = lock_path(project)
    preferences: dict[NormalizedName, Version] = {}
    build_pins: BuildPins | None = None
    # The lock being replaced: its versions are preferred and its build pins kept (unless upgrading).
    try:
        previous_text = read_lock_text(path) if path.is_file() else None
    except BaleError:
        previous_text = None  # an unreadable lock is replaced, not a reason to stop
    if previous_text is not None:
        from bale.lock.conflicts import check_no_conflicts

        # Even with --upgrade: a conflicted lock is resolved by the user, never relocked from scratch.
        check_no_conflicts(previous_text, source=str(path))
    if settings.upgrade:
        previous_text = None
    if previous_text is not None:
        try:
            previous = read_pylock(previous_text, source=str(path))
        except BaleError:
            previous = None  # an unreadable lock is replaced, not a reason to stop
        if previous is not None:
            for package in previous.packages:
                if package.version is not None:
                    preferences[normalize(package.name)] = package.version
            build_pins = preferred_pins(
                previous, source=str(path), upgrade_packages=settings.upgrade_packages
            )
        for name in settings.upgrade_packages:
            preferences.pop(normalize(name), None)
    for name, version in settings.fixes:
        preferences[normalize(name)] = Version(version)
    for name, version in settings.preferred:
        preferences.setdefault(normalize(name), Version(version))
    roots = _roots(project, workspace)
    python = workspace_requires_python(workspace) or requires_python(project)
    index = project_index(project, settings, workspace)

    def interpreter() -> Interpreter:
        from bale.ops.project_python import find_project_interpreter, project_python

        cache_dir = ctx.cache.bucket("interpreters-v1")
        choice = project_python(project, settings.python)
        return find_project_interpreter(choice, cache_dir, note=ctx.reporter.debug)

    recorder = BuildRecorder()
    # Only builds need an interpreter: a universal resolution reads no target environment.
    ctx.use_builds(index, interpreter, settings.build, recorder=recorder, pins=build_pins)
    _remote_cache(ctx, project)
    specs = [spec for specs in roots.values() for spec in specs]
    request = ResolveRequest(
        requirements=specs,
        target=host_target(),
        index=index,
        constraints=(*project.settings.constraint_dependencies, *_fix_constraints(settings.fixes)),
        overrides=project.settings.override_dependencies,
        preferences=preferences,
        exclude_newer=_exclude_newer(project, settings.exclude_newer),
        root_label=str(project.name or project.root.name),
        policy=effective_policy(ctx, project.root),
        policy_home=project.root,
        **_strategy(project, settings),
    )
    import time

    from bale.ops.lock_provenance import memo_key, required_provenance
    from bale.ops.memo import ResolutionMemo

    required = required_provenance(request.policy)
    started = time.perf_counter()
    # Keyed by what the lock says, not where the project is: the same project in another checkout
    # (a CI job, a colleague's clone) gets the same lock.
    member_dirs = sorted(os.path.relpath(m.root, project.root) for m in workspace.members.values())
    defaults = [list(m.default_groups) for m in workspace.members.values()]
    parts = [
        inputs_of(project),
        member_dirs,
        defaults,
        project.name,
        project.version,
        str(python),
        previous_text,
        memo_key(ctx, required),
    ]
    request_parts = [
        request.target,
        request.index,
        request.preferences,
        request.exclude_newer,
        request.exclude_newer_package,
        request.strategy,
        request.prereleases,
        request.package_prereleases,
        request.fork_strategy,
    ]
    memo = ResolutionMemo(ctx, "lock", [parts, request_parts, settings])
    # The key holds the policy's content; a cooldown or a vulnerability ceiling moves without it.
    memo.enabled = memo.enabled and (request.policy is None or request.policy.timeless)
    # Direct URLs and paths are read (or built) outside the page cache's reach.
    memo.enabled = memo.enabled and not any(spec.url or spec.path for spec in specs)
    found = memo.lookup()
    if found is not None:
        text = str(found["text"])
        locked = {normalize(name): Version(version) for name, version in found["locked"].items()}
        seconds = time.perf_counter() - started
        outcome = _write_lock(path, text, int(found["count"]), seconds, locked, write=not settings.dry_run)
        return _with_inputs(outcome, project, memo, settings, request.policy)
    memo.watch()
    resolved = resolve_universal(ctx, request, python)
    from bale.ops.lock_packages import locked_packages
    from bale.ops.lock_trust import index_locations
    from bale.ops.project_sources import lock_direct

    chosen = {package.name for package in resolved.resolution.packages}
    artifacts = {name: a for name, a in resolved.direct_artifacts.items() if name in chosen}
    direct = lock_direct(ctx, artifacts, path.parent)
    locations = index_locations(index, _indexes(workspace))
    packages = locked_packages(resolved, roots, index, locations, direct)
    from bale.ops.lock_provenance import attest_packages

    packages = attest_packages(ctx, resolved, packages, required)
    members = lock_members(workspace)
    lock = LockInput(
        packages=tuple(packages),
        requires_python=str(python),
        environments=tuple(str(m) for m in project.settings.environments) or None,
        extras=tuple(dict.fromkeys(e for m in members for e in m.optional_dependencies)),
        dependency_groups=tuple(dict.fromkeys(g for m in members for g in m.dependency_groups)),
        default_groups=tuple(dict.fromkeys(g for m in members for g in m.default_groups)),
        project_name=str(project.name) if project.name is not None else None,
        project_version=str(project.version) if project.version is not None else None,
    )
    inputs = inputs_of(project)
    tool_bale: dict[str, Any] = {"inputs": inputs, "fingerprint": fingerprint(inputs)}
    build_dependencies = lock_build_dependencies(ctx, resolved, recorder)
    if build_dependencies:
        tool_bale["build-dependencies"] = build_dependencies
    text = write_pylock(lock, tool_bale=tool_bale)
    locked = {p.name: p.version for p in resolved.resolution.packages}
    memo.store({"text": text, "count": len(packages), "locked": {str(k): str(v) for k, v in locked.items()}})
    outcome = _write_lock(path, text, len(packages), resolved.seconds, locked, write=not settings.dry_run)
    return _with_inputs(outcome, project, memo, settings, request.policy)


def _with_inputs(
    outcome: LockOutcome,
    project: Project,
    memo: ResolutionMemo,
    settings: LockSettings,
    policy: Policy | None,
) -> LockOutcome:
    """``outcome`` with the files that decided it, when the memo vouches for the rest and the project
    stands alone (a workspace's members are found by globbing folders, which no file records); a
    policy's files count among them, and one read from a URL leaves the answer to no file."""
    from bale.model.dates import is_duration

    cutoff = _cutoff_text(project, settings.exclude_newer)
    policy_files = () if policy is None else policy.files
    if (
        not memo.vouched
        or project.settings.workspace is not None
        or (cutoff and is_duration(cutoff))
        or policy_files is None
    ):
        return replace(outcome, warnings=tuple(memo.warnings))
    # The workspace search reads every pyproject.toml above the project (see find_workspace).
    above = [os.fspath(directory / "pyproject.toml") for directory in project.root.parents]
    policies = [os.path.abspath(file) for file in policy_files]
    files = (os.fspath(project.pyproject), os.fspath(outcome.path), *above, *policies)
    return replace(outcome, inputs=files, warnings=tuple(memo.warnings))


def read_lock_text(path: Path) -> str:
    """The lock file's text; an unreadable or non-UTF-8 file is an error naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise BaleError(
            f"{path} is not UTF-8 text (byte {err.start} is not)", hint="regenerate it with `bale lock`"
        ) from err
    except OSError as err:
        raise BaleError(f"Cannot read {path}: {err.strerror or err}") from err


def _fix_constraints(fixes: tuple[tuple[str, str], ...]) -> list[RequirementSpec]:
    from packaging.requirements import Requirement

    from bale.model.requirement import Origin

    origin = Origin("bale audit --fix")
    return [
        RequirementSpec(normalize(name), Requirement(f"{name}>={version}"), origin) for name, version in fixes
    ]


def _write_lock(
    path: Path,
    text: str,
    count: int,
    seconds: float,
    locked: dict[NormalizedName, Version],
    *,
    write: bool = True,
) -> LockOutcome:
    """Write the lock atomically unless it already says ``text`` (its mtime then stays), or ``write``
    is false (a dry run)."""
    from bale.fs.atomic import write_atomic

    try:
        old = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        old = None  # replaced below: an unreadable old lock is no reason to keep it
    if old != text and write:
        # fsync: after a power cut the lock is the old one or the new one, never empty (~5 ms).
        write_atomic(path, text.encode("utf-8"), fsync=True)
    written = old != text and write
    return LockOutcome(path, count, seconds, written=written, locked=locked, text=text, previous=old)


_RESOLUTIONS = ("highest", "lowest", "lowest-direct")


def _remote_cache(ctx: Context, project: Project) -> None:
    """``remote-cache`` in [tool.bale], when the command line, environment and bale.toml set none."""
    if project.settings.raw.get("remote-cache") and not (ctx.offline or ctx.settings.remote_cache):
        from bale.ops.remote_cache_setup import use_project_setting

        use_project_setting(ctx.cache, ctx.settings, ctx.reporter, project.settings.raw)


def _strategy(project: Project, settings: LockSettings) -> dict[str, Any]:
    """``strategy`` and ``prereleases`` for the request: the command line, else the environment
    (``BALE_RESOLUTION``, ``BALE_PRERELEASE``), else [tool.bale] (with the bale.toml files' values
    under it), else highest / if-necessary: uv's order."""
    from bale.resolver.candidates import PreReleases

    raw = project.settings.raw
    resolution = (
        settings.resolution or os.environ.get("BALE_RESOLUTION") or raw.get("resolution") or "highest"
    )
    if resolution not in _RESOLUTIONS:
        raise BaleError(
            f"Invalid resolution {resolution!r} (in {project.pyproject} or the command line)",
            hint=f"use one of: {', '.join(_RESOLUTIONS)}",
        )
    prerelease = (
        settings.prerelease or os.environ.get("BALE_PRERELEASE") or raw.get("prerelease") or "if-necessary"
    )
    try:
        mode = PreReleases(prerelease)
    except ValueError:
        choices = ", ".join(m.value for m in PreReleases)
        raise BaleError(
            f"Invalid prerelease {prerelease!r} (in {project.pyproject} or the command line)",
            hint=f"use one of: {choices}",
        ) from None
    return {"strategy": resolution, "prereleases": mode, **_package_modes(project, settings)}


_FORK_STRATEGIES = ("requires-python", "fewest")


def _package_modes(project: Project, settings: LockSettings) -> dict[str, Any]:
    """The per-package pre-release modes and cutoffs and the fork strategy: the command line's over
    [tool.bale]'s (``prerelease-package = { numpy = "allow" }`` and so on), as uv merges them."""
    from datetime import datetime, timezone

    from bale.ops.package_settings import package_cutoffs, package_prereleases

    raw = project.settings.raw
    where = str(project.pyproject)
    now = datetime.now(timezone.utc)
    prereleases = package_prereleases(_table(raw, "prerelease-package", where), where=where)
    prereleases.update(package_prereleases(settings.prerelease_package, where="the command line"))
    cutoffs = package_cutoffs(_table(raw, "exclude-newer-package", where), now, where=where)
    cutoffs.update(package_cutoffs(settings.exclude_newer_package, now, where="the command line"))
    fork = settings.fork_strategy or os.environ.get("BALE_FORK_STRATEGY") or raw.get("fork-strategy")
    if fork is not None and fork not in _FORK_STRATEGIES:
        raise BaleError(
            f"Invalid fork-strategy {fork!r} (in {where} or the command line)",
            hint=f"use one of: {', '.join(_FORK_STRATEGIES)}",
        )
    return {
        "package_prereleases": prereleases,
        "exclude_newer_package": cutoffs,
        "fork_strategy": fork or "requires-python",
    }


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise BaleError(f"[tool.bale] {key} in {where} must be a table, e.g. {key} = {{ numpy = ... }}")
    return value


def _cutoff_text(project: Project, given: str | None = None) -> str | None:
    """The exclude-newer cutoff as written: the command line's, the environment's, else the project's."""
    return given or os.environ.get("BALE_EXCLUDE_NEWER") or project.settings.exclude_newer


def _exclude_newer(project: Project, given: str | None = None) -> Any:
    text = _cutoff_text(project, given)
    if not text:
        return None
    from datetime import datetime, timezone

    from bale.model.dates import parse_cutoff

    try:
        return parse_cutoff(text, datetime.now(timezone.utc))
    except ValueError as err:
        raise BaleError(f"Invalid exclude-newer in {project.pyproject}: {err}") from err


def _roots(project: Project, workspace: Workspace | None = None) -> dict[str | None, list[RequirementSpec]]:
    """Root requirements by where they come from: None (the dependencies), ``extra:x``, ``group:g``,
    of every workspace member, each taken from its ``[tool.bale.sources]`` entry when it has one.

    A reference to a project itself (``proj[x]`` in a group) is dropped: its extras are locked anyway.
    """
    from bale.ops.project_workspace import load_workspace, workspace_roots

    return workspace_roots(workspace if workspace is not None else load_workspace(project))


def _indexes(workspace: Workspace) -> list[Index]:
    """The ``[[tool.bale.index]]`` entries of the workspace's root and members."""
    from bale.ops.project_workspace import lock_members

    members = [workspace.root, *lock_members(workspace)]
    return list({id(i): i for m in members for i in m.settings.indexes}.values())


# ---------------------------------------------------------------------------------------------- sync


def environment_path(project: Project) -> Path:
    """``BALE_PROJECT_ENVIRONMENT`` (relative to the project root) or ``.venv`` beside pyproject.toml."""
    configured = os.environ.get("BALE_PROJECT_ENVIRONMENT")
    return project.root / configured if configured else project.root / ".venv"


def project_environment(
    ctx: Context, project: Project, python: str | None = None
) -> tuple[PythonEnvironment, bool]:
    """The project's virtual environment, created (or replaced, when its interpreter is not the one
    asked for) for ``--python``, else ``.python-version``, else an interpreter in requires-python;
    see ``ops.project_python``."""
    from bale.ops.project_python import environment_fits, find_project_interpreter, project_python
    from bale.python.venv import PythonEnvironment, create_venv

    path = environment_path(project)
    cache_dir = ctx.cache.bucket("interpreters-v1")
    choice = project_python(project, python)
    if (path / "pyvenv.cfg").is_file():
        env = PythonEnvironment.from_root(path, cache_dir)
        if environment_fits(choice, env.interpreter, cache_dir):
            return env, False
        interpreter = find_project_interpreter(choice, cache_dir, note=ctx.reporter.debug)
        ctx.reporter.warn(
            f"Replacing the virtual environment at {path}: it has Python {env.interpreter.version}, "
            f"and the project asks for {interpreter.version} ({interpreter.executable})"
        )
        create_venv(path, interpreter, clear=True)
    else:
        interpreter = find_project_interpreter(choice, cache_dir, note=ctx.reporter.debug)
        create_venv(path, interpreter)
    return PythonEnvironment.from_root(path, cache_dir), True


def chosen_groups(
    project: Project, *, groups: Sequence[str] = (), no_dev: bool = False, all_groups: bool = False
) -> list[str]:
    """The groups a sync (or a view of the lock) includes: the default groups, or all of them, without
    ``dev`` under ``--no-dev``, plus each ``--group``."""
    chosen: list[str] = list(project.dependency_groups) if all_groups else list(project.default_groups)
    if no_dev:
        chosen = [g for g in chosen if g != "dev"]
    for group in groups:
        if normalize(group) not in chosen:
            chosen.append(normalize(group))
    return chosen


def _chosen_groups(project: Project, settings: SyncSettings) -> list[str]:
    return chosen_groups(
        project, groups=settings.groups, no_dev=settings.no_dev, all_groups=settings.all_groups
    )


def ensure_lock(
    ctx: Context, project: Project, settings: LockSettings, *, locked: bool, frozen: bool
) -> LockOutcome | None:
    """Relock when the lock is missing or stale (its outcome), else None; ``--locked`` refuses to
    relock, ``--frozen`` trusts the lock as it is (it must exist)."""
    path = lock_path(project)
    if frozen:
        if not path.is_file():
            raise BaleError(f"Cannot use --frozen: {path} does not exist", hint="run `bale lock` first")
        return None
    state = lock_state(project)
    if state.fresh:
        return None
    if locked:
        raise BaleError(
            f"The lock file {path} needs to be updated, but --locked was given",
            context=list(state.changes),
            hint="run `bale lock` and commit pylock.toml, or drop --locked",
        )
    return lock_project(ctx, project, settings)


def sync_project(ctx: Context, project: Project, settings: SyncSettings) -> SyncOutcome:
    """Lock if needed, then make the project's environment hold exactly what the lock selects."""
    from bale.ops.policy_in_force import effective_policy

    outcome = SyncOutcome(environment_path(project))
    path = lock_path(project)
    policy = effective_policy(ctx, project.root)
    # The sync stamp knows the lock, not the policy: with one, the lock is checked every time.
    noop = _noop_sync(project, settings, outcome.environment, path) if policy is None else None
    if noop is not None:
        return noop
    from bale.lock.pylock import read_pylock, select_for_environment
    from bale.ops.build_lock import locked_pins
    from bale.ops.install import install_artifacts

    outcome.lock = ensure_lock(ctx, project, settings.lock, locked=settings.locked, frozen=settings.frozen)
    from bale.ops.lock_trust import check_lock_trust
    from bale.ops.project_sources import (
        allowed_hosts,
        allowed_paths,
        check_lock_hosts,
        check_lock_paths,
        direct_artifact_from_lock,
    )
    from bale.ops.project_workspace import load_workspace, lock_members, needed_names, sync_targets

    workspace = load_workspace(project)
    project = workspace.root  # the same project, or a per-member workspace's member with its settings
    targets = sync_targets(workspace, settings.package, all_packages=settings.all_packages)
    lock = read_pylock(read_lock_text(path), source=str(path))
    index = project_index(project, settings.lock, workspace)
    # Always, --frozen too: a lock edited by hand or in a pull request must not redirect the installer.
    hosts = allowed_hosts(lock_members(workspace), index, project.settings.indexes)
    try:
        check_lock_hosts(lock, path, hosts)
    except BaleError:
        # An --index-url none of the lock's packages come from (a wheelhouse on an offline machine):
        # relock against it, keeping the locked versions, unless the lock may not change. A lock
        # whose indexes are configured but whose files point elsewhere was edited: still refused.
        indexes = {p.index.rstrip("/") for p in lock.packages if p.index}
        switched = bool(indexes) and not indexes & {h.rstrip("/") for h in hosts}
        if settings.frozen or settings.locked or not settings.lock.explicit_index or not switched:
            raise
        outcome.lock = lock_project(ctx, project, settings.lock)
        lock = read_pylock(read_lock_text(path), source=str(path))
        check_lock_hosts(lock, path, hosts)
    check_lock_paths(lock, path, allowed_paths(workspace))
    check_lock_trust(lock, path, workspace, index, _indexes(workspace))
    if policy is not None:  # the rules' modules are imported only when there are rules
        from bale.ops.policy import enforce_lock

        enforce_lock(policy, lock, path)
    env, outcome.created = project_environment(ctx, project, settings.python)
    outcome.environment = env.root
    target = env.interpreter.target()
    if settings.only_groups:
        extras: list[str] = []
        groups: list[str] = [normalize(g) for g in settings.only_groups]
    else:
        extras = list(lock.extras or ()) if settings.all_extras else list(settings.extras)
        groups = list(dict.fromkeys(g for t in targets for g in _chosen_groups(t, settings)))
        if lock.dependency_groups is None and not (settings.groups or settings.all_groups):
            groups = []  # a single-use lock (another tool's) was written for one choice of groups
    selected = select_for_environment(
        lock,
        environment=dict(env.interpreter.markers),
        tags=target.tags,
        extras=extras,
        groups=groups,
        source=str(path),
    )
    only = bool(settings.only_groups)
    needed = needed_names(lock, workspace, targets, extras=extras, groups=groups, only_groups=only)
    if needed is not None:
        selected = [item for item in selected if item.name in needed]
    # The lock's build dependencies are the only versions its sdists may be built with.
    pins = locked_pins(lock, source=str(path))
    ctx.use_builds(index, env.interpreter, settings.lock.build, environment=env, pins=pins)
    _remote_cache(ctx, project)
    requested = {s.name for specs in _roots(project, workspace).values() for s in specs}
    artifacts = [
        direct_artifact_from_lock(ctx, item, item.name in requested, path.parent)
        if item.is_direct
        else locked_artifact(item, item.name in requested, path)
        for item in selected
    ]
    if settings.install_project and not only:
        from bale.ops.sources import direct_source
        from bale.requirements import parse_requirement_arg

        present = {artifact.name for artifact in artifacts}
        for member in targets:
            if member.is_package and member.name not in present:
                spec = parse_requirement_arg(str(member.root), editable=True)
                artifacts.append(direct_source(ctx, spec))
    from bale.ops.sync_stamp import drop_stamp

    drop_stamp(env.root)
    outcome.install = install_artifacts(ctx, env, artifacts, exact=not settings.inexact)
    if not any(artifact.is_tree and not artifact.editable for artifact in artifacts):
        _stamp_sync(project, settings, env, path, count=len(artifacts))
        outcome.stamped = policy is None
        outcome.site_packages = tuple(str(folder) for folder in env.site_packages())
    return outcome


def sync_inputs(project: Project, path: Path) -> tuple[set[Path], bool]:
    """The files besides the lock ``path`` that a sync's result depends on (the workspace's and path
    dependencies' pyproject.toml files, ``.python-version``, which may be missing), and whether the
    environment is tied to the project's folder: a lock with directory entries (path sources,
    members) or a project installed editable; otherwise the same project elsewhere syncs the same."""
    from bale.ops.project_workspace import load_workspace, path_dependencies

    workspace = load_workspace(project)
    members = list(workspace.members.values())
    pyprojects = {member.pyproject for member in members} | {project.pyproject}
    if workspace.enclosing is not None:  # a per-member workspace's member: the root's settings apply
        pyprojects.add(workspace.enclosing.root.pyproject)
    # A path dependency's pyproject.toml too: its version or requirements may have changed.
    pyprojects.update(pyproject for _name, pyproject in path_dependencies(workspace))
    from bale.python.discover import find_python_version_file

    # The pin decides the environment's interpreter: a changed .python-version is a full sync.
    version_file = find_python_version_file(project.root, stop=project.root)
    pyprojects.add(version_file if version_file is not None else project.root / ".python-version")
    located = b"directory" in path.read_bytes() or any(member.is_package for member in members)
    return pyprojects, located


def _stamp_inputs(project: Project, settings: SyncSettings, path: Path) -> tuple[str, str | None]:
    """The stamp key of this sync and the inputs' fingerprint (None with --frozen: not compared)."""
    from bale.lock.fingerprint import fingerprint
    from bale.ops.sync_stamp import stamp_key

    pyprojects, located = sync_inputs(project, path)
    pyprojects = {file for file in pyprojects if file.is_file()}
    lock_bytes = path.read_bytes()
    if settings.python is None and os.environ.get("BALE_PYTHON"):
        from dataclasses import replace

        # BALE_PYTHON chooses the interpreter as --python does: a change of it is a full sync.
        settings = replace(settings, python=os.environ["BALE_PYTHON"])
    key = stamp_key(lock_bytes, settings, project.root, pyprojects, located=located)
    return key, None if settings.frozen else fingerprint(inputs_of(project))


def _noop_sync(project: Project, settings: SyncSettings, environment: Path, path: Path) -> SyncOutcome | None:
    """The outcome of a sync that has nothing to do, told by the environment's stamp without reading
    the lock or site-packages (see ``ops.sync_stamp``); None when the full sync must run."""
    from bale.ops.sync_stamp import read_stamp

    if not (environment / "pyvenv.cfg").is_file() or not path.is_file():
        return None
    key, inputs = _stamp_inputs(project, settings, path)
    stamp = read_stamp(environment, key)
    if stamp is None or stamp.get("lock_fingerprint") != inputs:
        return None
    count = stamp.get("count")
    return SyncOutcome(
        environment,
        audited=count if isinstance(count, int) else 0,
        stamped=True,
        site_packages=tuple(str(entry[0]) for entry in stamp["site_packages"]),
    )


def _stamp_sync(
    project: Project, settings: SyncSettings, env: PythonEnvironment, path: Path, count: int
) -> None:
    from bale.ops.sync_stamp import write_stamp

    key, inputs = _stamp_inputs(project, settings, path)
    write_stamp(env.root, key, env.site_packages(), lock_fingerprint=inputs, count=count)


def locked_artifact(item: Selected, requested: bool, source: Path) -> Artifact:
    """The artifact that installs a locked index file (wheel or sdist), checked against its hashes."""
    from bale.model.artifact import Artifact
    from bale.model.dists import FileKind, IndexFile

    file = item.file
    url = file.url if file is not None else None
    if file is not None and url is None and file.path is not None:
        # PEP 751 allows a `path` (relative to the lock's folder): a wheelhouse's lock names its files so.
        url = (source.absolute().parent / file.path).resolve().as_uri()
    if file is None or item.version is None or url is None or file.kind == "archive":
        raise BaleError(
            f"Cannot install {item.name} from {source}: bale installs only index files from a lock yet"
        )
    kind = FileKind.WHEEL if file.kind == "wheel" else FileKind.SDIST
    index_file = IndexFile(
        filename=file.filename,
        url=url,
        name=item.name,
        version=item.version,
        kind=kind,
        hashes=dict(file.hashes),
        size=file.size,
        source=item.index or "",
    )
    allowed = {algorithm: frozenset({digest}) for algorithm, digest in file.hashes.items()}
    return Artifact(
        item.name, item.version, index_file, direct=False, requested=requested, allowed_hashes=allowed
    )


def run_environment(env: PythonEnvironment) -> dict[str, str]:
    """The process environment for ``bale run``: the venv's scripts first on PATH, VIRTUAL_ENV set."""
    from bale.python.activation import active_environment

    return active_environment(str(env.root), str(env.python.parent))
