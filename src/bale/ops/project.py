"""Project use cases: lock a pyproject.toml into pylock.toml, sync .venv from it, find its environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.requirement import RequirementSpec
from bale.ops.settings import IndexSettings

if TYPE_CHECKING:
    from bale.lock.pylock import LockedPackage, Selected
    from bale.ops.install import InstallOutcome
    from bale.ops.resolve import UniversallyResolved
    from bale.ops.sources import Artifact
    from bale.project.model import Project
    from bale.python.venv import PythonEnvironment

LOCK_FILE = "pylock.toml"
# The [tool.bale] keys that change a resolution, and so take part in the lock's fingerprint.
_RESOLUTION_SETTINGS = (
    "index",
    "sources",
    "constraint-dependencies",
    "override-dependencies",
    "environments",
    "exclude-newer",
    "prerelease",
    "resolution",
)


@dataclass(frozen=True)
class LockSettings:
    index: IndexSettings = field(default_factory=IndexSettings)
    explicit_index: bool = False  # --index-url given: it wins over the project's indexes
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()


@dataclass
class LockOutcome:
    path: Path
    count: int = 0
    seconds: float = 0.0
    written: bool = False
    locked: dict[NormalizedName, Version] = field(default_factory=dict)


@dataclass(frozen=True)
class LockState:
    """What the lock file says about today's inputs: ``changes`` is empty when it is fresh."""

    path: Path
    exists: bool
    inputs: dict[str, Any]
    changes: tuple[str, ...]

    @property
    def fresh(self) -> bool:
        return self.exists and not self.changes


@dataclass(frozen=True)
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


@dataclass
class SyncOutcome:
    environment: Path
    created: bool = False
    lock: LockOutcome | None = None
    install: InstallOutcome | None = None


# ---------------------------------------------------------------------------------------------- inputs


def lock_path(project: Project) -> Path:
    return project.root / LOCK_FILE


def _text(spec: RequirementSpec) -> str:
    return str(spec.requirement) if spec.requirement is not None else str(spec)


def requires_python(project: Project) -> SpecifierSet:
    """The project's ``requires-python``, else ``>=`` the running interpreter's major.minor."""
    if project.requires_python is not None and str(project.requires_python):
        return project.requires_python
    return SpecifierSet(f">={sys.version_info.major}.{sys.version_info.minor}")


def inputs_of(project: Project) -> dict[str, Any]:
    from bale.lock.fingerprint import project_inputs

    raw = project.settings.raw
    return project_inputs(
        requires_python=str(requires_python(project)),
        dependencies=[_text(s) for s in project.dependencies],
        optional_dependencies={k: [_text(s) for s in v] for k, v in project.optional_dependencies.items()},
        dependency_groups={k: [_text(s) for s in v] for k, v in project.dependency_groups.items()},
        settings={key: raw[key] for key in _RESOLUTION_SETTINGS if key in raw},
    )


def lock_state(project: Project) -> LockState:
    """Compare today's inputs with those stored in the lock file (by fingerprint)."""
    from bale.lock.fingerprint import changed_fields, fingerprint
    from bale.project.inputs import load_toml

    path = lock_path(project)
    inputs = inputs_of(project)
    if not path.is_file():
        return LockState(path, False, inputs, (f"{LOCK_FILE} does not exist",))
    stored = load_toml(path).get("tool", {}).get("bale", {})
    if stored.get("fingerprint") == fingerprint(inputs):
        return LockState(path, True, inputs, ())
    old = stored.get("inputs")
    if not isinstance(old, dict):
        return LockState(path, True, inputs, (f"{path} holds no [tool.bale.inputs] (not made by bale?)",))
    changes = tuple(changed_fields(old, inputs)) or ("the resolution inputs changed",)
    return LockState(path, True, inputs, changes)


def project_index(project: Project, settings: LockSettings) -> IndexSettings:
    """``--index-url`` > the project's ``[[tool.bale.index]]`` entries (the default one first) > defaults."""
    if settings.explicit_index:
        return settings.index
    implicit = [index for index in project.settings.indexes if not index.explicit]
    if not implicit:
        return settings.index
    implicit.sort(key=lambda index: not index.default)
    from dataclasses import replace

    return replace(
        settings.index,
        index_url=implicit[0].url,
        extra_index_urls=tuple(i.url for i in implicit[1:]) + settings.index.extra_index_urls,
    )


# ---------------------------------------------------------------------------------------------- lock


def lock_project(ctx: Context, project: Project, settings: LockSettings) -> LockOutcome:
    """Resolve the project for every platform (all extras and groups) and write pylock.toml."""
    from bale.fs.atomic import write_atomic
    from bale.lock.fingerprint import fingerprint
    from bale.lock.pylock import LockInput, read_pylock, write_pylock
    from bale.ops.resolve import ResolveRequest, resolve_universal
    from bale.python.discover import find_interpreter

    if project.name is None:
        raise BaleError(f"{project.pyproject} has no [project] table: there is nothing to lock")
    path = lock_path(project)
    preferences: dict[NormalizedName, Version] = {}
    if path.is_file() and not settings.upgrade:
        try:
            previous = read_pylock(path.read_text(encoding="utf-8"), source=str(path))
        except BaleError:
            previous = None  # an unreadable lock is replaced, not a reason to stop
        if previous is not None:
            for package in previous.packages:
                if package.version is not None:
                    preferences[normalize(package.name)] = package.version
        for name in settings.upgrade_packages:
            preferences.pop(normalize(name), None)
    roots = _roots(project)
    python = requires_python(project)
    index = project_index(project, settings)
    interpreter = find_interpreter(None, cwd=project.root, cache_dir=ctx.cache.bucket("interpreters-v1"))
    ctx.use_builds(index, interpreter)
    specs = [spec for specs in roots.values() for spec in specs]
    request = ResolveRequest(
        requirements=specs,
        target=interpreter.target(),
        index=index,
        constraints=project.settings.constraint_dependencies,
        overrides=project.settings.override_dependencies,
        preferences=preferences,
        exclude_newer=_exclude_newer(project),
        root_label=str(project.name),
    )
    resolved = resolve_universal(ctx, request, python)
    packages = _locked_packages(resolved, roots, index)
    lock = LockInput(
        packages=tuple(packages),
        requires_python=str(python),
        environments=tuple(str(m) for m in project.settings.environments) or None,
        extras=tuple(project.optional_dependencies),
        dependency_groups=tuple(project.dependency_groups),
        default_groups=tuple(project.default_groups),
        project_name=str(project.name),
        project_version=str(project.version) if project.version is not None else None,
    )
    inputs = inputs_of(project)
    text = write_pylock(lock, tool_bale={"inputs": inputs, "fingerprint": fingerprint(inputs)})
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old != text:
        write_atomic(path, text.encode("utf-8"))
    return LockOutcome(
        path,
        len(packages),
        resolved.seconds,
        written=old != text,
        locked={p.name: p.version for p in resolved.resolution.packages},
    )


def _exclude_newer(project: Project) -> Any:
    text = project.settings.exclude_newer or os.environ.get("BALE_EXCLUDE_NEWER")
    if not text:
        return None
    from datetime import datetime, timezone

    from bale.model.dates import parse_cutoff

    try:
        return parse_cutoff(text, datetime.now(timezone.utc))
    except ValueError as err:
        raise BaleError(f"Invalid exclude-newer in {project.pyproject}: {err}") from err


def _roots(project: Project) -> dict[str | None, list[RequirementSpec]]:
    """Root requirements by where they come from: None (the dependencies), ``extra:x``, ``group:g``.

    A reference to the project itself (``proj[x]`` in a group) is dropped: its extras are locked anyway.
    """

    def own(specs: Iterable[RequirementSpec]) -> list[RequirementSpec]:
        return [s for s in specs if s.name != project.name]

    roots: dict[str | None, list[RequirementSpec]] = {None: own(project.dependencies)}
    for extra, specs in project.optional_dependencies.items():
        roots[f"extra:{extra}"] = own(specs)
    for group, specs in project.dependency_groups.items():
        roots[f"group:{group}"] = own(specs)
    return roots


def _reach(
    resolved: UniversallyResolved, roots: Mapping[str | None, Sequence[RequirementSpec]]
) -> dict[NormalizedName, set[str | None]]:
    """Which roots need each package: a walk down the resolution's parent edges from each root's names.

    Edges are followed by package name (an extra's edges count for every root that needs the package),
    so a package may be marked as needed by more roots than strictly need it, never fewer.
    """
    children: dict[str, set[NormalizedName]] = {}
    for package in resolved.resolution.packages:
        for parent, _edge in package.parents:
            if parent is not None:
                children.setdefault(normalize(parent.split("[", 1)[0]), set()).add(package.name)
    reached: dict[NormalizedName, set[str | None]] = {}
    for root, specs in roots.items():
        pending = [s.name for s in specs if s.name is not None]
        seen: set[NormalizedName] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            reached.setdefault(name, set()).add(root)
            pending.extend(children.get(name, ()))
    return reached


def _selection_marker(marker: str | None, roots: set[str | None]) -> str | None:
    """The resolution marker ANDed with the extras/groups that need the package (none for a dependency)."""
    from packaging.markers import Marker

    terms: list[str] = []
    if None not in roots:
        for root in sorted(r for r in roots if r is not None):
            kind, name = root.split(":", 1)
            key = "extras" if kind == "extra" else "dependency_groups"
            terms.append(f"'{name}' in {key}")
    if not terms:
        return marker
    selection = " or ".join(terms)
    if marker is None:
        return str(Marker(selection))
    return str(Marker(f"({marker}) and ({selection})"))


def _locked_packages(
    resolved: UniversallyResolved, roots: Mapping[str | None, Sequence[RequirementSpec]], index: IndexSettings
) -> list[LockedPackage]:
    from bale.lock.pylock import LockedPackage, files_from_index

    reached = _reach(resolved, roots)
    packages: list[LockedPackage] = []
    for package in resolved.resolution.packages:
        if package.name in resolved.direct:
            raise BaleError(
                f"Cannot lock {package.name}: bale does not lock path or URL requirements yet",
                hint="publish it to an index, or install it with `bale pip install`",
            )
        files = [f for f in resolved.provider.files(package.name) if f.version == package.version]
        wheels, sdist = files_from_index(files)
        packages.append(
            LockedPackage(
                name=str(package.name),
                version=package.version,
                marker=_selection_marker(package.marker, reached.get(package.name, {None})),
                index=None if index.no_index else index.index_url,
                wheels=wheels,
                sdist=sdist,
            )
        )
    return packages


# ---------------------------------------------------------------------------------------------- sync


def environment_path(project: Project) -> Path:
    """``BALE_PROJECT_ENVIRONMENT`` (relative to the project root) or ``.venv`` beside pyproject.toml."""
    configured = os.environ.get("BALE_PROJECT_ENVIRONMENT")
    return project.root / configured if configured else project.root / ".venv"


def project_environment(
    ctx: Context, project: Project, python: str | None = None
) -> tuple[PythonEnvironment, bool]:
    """The project's virtual environment, created for an interpreter in requires-python if missing."""
    from bale.python.venv import PythonEnvironment, create_venv

    path = environment_path(project)
    cache_dir = ctx.cache.bucket("interpreters-v1")
    created = False
    if not (path / "pyvenv.cfg").is_file():
        from bale.python.discover import find_interpreter

        request = python or os.environ.get("BALE_PYTHON") or None
        if request is None and project.requires_python is not None and str(project.requires_python):
            request = str(project.requires_python)
        interpreter = find_interpreter(request, cwd=project.root, cache_dir=cache_dir)
        create_venv(path, interpreter)
        created = True
    return PythonEnvironment.from_root(path, cache_dir), created


def _chosen_groups(project: Project, settings: SyncSettings) -> list[str]:
    groups: list[str] = list(project.default_groups)
    if settings.all_groups:
        groups = list(project.dependency_groups)
    if settings.no_dev:
        groups = [g for g in groups if g != "dev"]
    for group in settings.groups:
        if normalize(group) not in groups:
            groups.append(normalize(group))
    return groups


def sync_project(ctx: Context, project: Project, settings: SyncSettings) -> SyncOutcome:
    """Lock if needed, then make the project's environment hold exactly what the lock selects."""
    from bale.lock.pylock import read_pylock, select_for_environment
    from bale.ops.install import install_artifacts

    outcome = SyncOutcome(environment_path(project))
    path = lock_path(project)
    if settings.frozen:
        if not path.is_file():
            raise BaleError(f"Cannot sync with --frozen: {path} does not exist", hint="run `bale lock` first")
    else:
        state = lock_state(project)
        if not state.fresh:
            if settings.locked:
                raise BaleError(
                    f"The lock file {path} needs to be updated, but --locked was given",
                    context=list(state.changes),
                    hint="run `bale lock` and commit pylock.toml, or drop --locked",
                )
            outcome.lock = lock_project(ctx, project, settings.lock)
    env, outcome.created = project_environment(ctx, project, settings.python)
    outcome.environment = env.root
    lock = read_pylock(path.read_text(encoding="utf-8"), source=str(path))
    target = env.interpreter.target()
    extras = list(lock.extras or ()) if settings.all_extras else list(settings.extras)
    selected = select_for_environment(
        lock,
        environment=dict(env.interpreter.markers),
        tags=target.tags,
        extras=extras,
        groups=_chosen_groups(project, settings),
        source=str(path),
    )
    index = project_index(project, settings.lock)
    ctx.use_builds(index, env.interpreter, environment=env)
    requested = {s.name for specs in _roots(project).values() for s in specs}
    artifacts = [_artifact(item, item.name in requested, path) for item in selected]
    if settings.install_project and project.is_package:
        from bale.ops.sources import direct_source
        from bale.requirements import parse_requirement_arg

        spec = parse_requirement_arg(str(project.root), editable=True)
        artifacts.append(direct_source(ctx, spec))
    outcome.install = install_artifacts(ctx, env, artifacts, exact=not settings.inexact)
    return outcome


def _artifact(item: Selected, requested: bool, source: Path) -> Artifact:
    from bale.model.dists import FileKind, IndexFile
    from bale.ops.sources import Artifact

    file = item.file
    if file is None or item.version is None or file.url is None or file.kind == "archive":
        raise BaleError(
            f"Cannot install {item.name} from {source}: bale installs only index files from a lock yet"
        )
    kind = FileKind.WHEEL if file.kind == "wheel" else FileKind.SDIST
    index_file = IndexFile(
        filename=file.filename,
        url=file.url,
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
    scripts = env.python.parent
    variables = dict(os.environ)
    variables["VIRTUAL_ENV"] = str(env.root)
    variables["PATH"] = os.pathsep.join([str(scripts), variables.get("PATH", "")])
    variables.pop("PYTHONHOME", None)
    return variables
