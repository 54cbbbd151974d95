"""``bale audit``: what a lock, a requirements file or an environment holds, checked against OSV data."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record
from bale.ops.project import LockSettings

if TYPE_CHECKING:
    from packaging.pylock import Package

    from bale.audit.database import UpdateOutcome
    from bale.audit.formats import AuditReport
    from bale.audit.ignores import Ignore
    from bale.audit.osv import AdvisorySet
    from bale.ops.views import LoadedLock, Selection
    from bale.project.model import Project

# A local database older than this is used, with a warning (as pip-audit's and osv-scanner's caches).
STALE_AFTER = dt.timedelta(days=7)


@record(frozen=True)
class DataSettings:
    """Where advisories come from: ``db`` (a file), the local database (``offline``), or the OSV API
    at ``service_url``; ``update_db`` fetches the local database from ``db_url`` first and uses it."""

    service_url: str | None = None
    db: Path | None = None
    offline: bool = False
    update_db: bool = False
    db_url: str | None = None


@record(frozen=True)
class AuditSettings:
    start: Path  # where to look for the project
    lock: LockSettings = field(default_factory=LockSettings)
    locked: bool = False
    frozen: bool = False
    selection: Selection | None = None  # None: every package in the lock
    lock_file: Path | None = None  # any PEP 751 lock instead of the project's
    requirements: tuple[Path, ...] = ()
    environment: bool = False  # audit an installed environment (``python`` names it; None: the active one)
    python: str | None = None
    python_version: str | None = None
    python_platform: str | None = None
    data: DataSettings = field(default_factory=DataSettings)
    ignores: tuple[str, ...] = ()
    ignore_until_fixed: bool = False
    today: dt.date | None = None  # for expiring ignores; None: today (UTC)


@record(frozen=True)
class AuditedPackage:
    name: NormalizedName
    version: Version
    marker: str | None = None


@record
class Audited:
    """What is audited: ``target`` names it for people, ``target_uri`` for SARIF (None: not a file)."""

    target: str
    packages: list[AuditedPackage]
    target_uri: str | None = None
    lines: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # packages skipped, and why
    project: Project | None = None
    loaded: LoadedLock | None = None


@record(frozen=True)
class AuditResult:
    report: AuditReport
    audited: Audited
    advisories: AdvisorySet


# ---------------------------------------------------------------------------------------------- what


def collect(ctx: Context, settings: AuditSettings) -> Audited:
    """The packages to audit: an environment's, a requirements file's, a lock file's, else the project's."""
    if settings.environment:
        return _environment(ctx, settings.python)
    if settings.requirements:
        return _requirements(ctx, settings)
    if settings.lock_file is not None:
        return _lock_file(settings.lock_file, settings)
    return _project_lock(ctx, settings)


def _environment(ctx: Context, python: str | None) -> Audited:
    from bale.ops.inspect import snapshot

    env, installed = snapshot(ctx, python)
    packages: list[AuditedPackage] = []
    notes: list[str] = []
    for name, dist in sorted(installed.items()):
        if dist.editable:
            notes.append(f"{name} {dist.version}: an editable install, not from an index")
            continue
        packages.append(AuditedPackage(name, dist.version))
    return Audited(f"the environment {env.root}", packages, notes=notes)


def _requirements(ctx: Context, settings: AuditSettings) -> Audited:
    """Each file's pins; a file that pins less than everything is resolved first, as pip-audit does."""
    from bale.requirements import parse_requirements_file
    from bale.requirements.parse import pinned_version

    packages: list[AuditedPackage] = []
    notes: list[str] = []
    lines: dict[str, int] = {}
    for path in settings.requirements:
        parsed = parse_requirements_file(path)
        loose = [spec for spec in parsed.requirements if spec.name is None or pinned_version(spec) is None]
        if loose:
            packages.extend(_resolved(ctx, path, settings))
            continue
        for spec in parsed.requirements:
            version = pinned_version(spec)
            assert spec.name is not None and version is not None
            marker = spec.requirement.marker if spec.requirement is not None else None
            packages.append(AuditedPackage(spec.name, version, str(marker) if marker else None))
            if spec.origin.line is not None and spec.origin.file == str(path):
                lines.setdefault(spec.name, spec.origin.line)
    target = ", ".join(str(p) for p in settings.requirements)
    uri = str(settings.requirements[0]) if len(settings.requirements) == 1 else None
    return Audited(target, _narrowed(_unique(packages), settings), uri, lines, notes)


def _resolved(ctx: Context, path: Path, settings: AuditSettings) -> list[AuditedPackage]:
    """What ``bale pip compile path`` pins, for this interpreter (or --python-version/--python-platform)."""
    from bale.ops.compile import CompileSettings, compile_requirements
    from bale.requirements.parse import parse_requirements_text, pinned_version

    compiled = compile_requirements(
        ctx,
        CompileSettings(
            src_files=(path,),
            output=None,
            index=settings.lock.index,
            explicit_index=settings.lock.explicit_index,
            python=settings.python,
            python_version=settings.python_version,
            python_platform=settings.python_platform,
            annotate=False,
            header=False,
        ),
    )
    pins = parse_requirements_text(
        compiled.text, filename=str(path), base_dir=str(path.parent), read=_no_includes, env={}
    )
    found: list[AuditedPackage] = []
    for spec in pins.requirements:
        version = pinned_version(spec)
        if spec.name is not None and version is not None:
            found.append(AuditedPackage(spec.name, version))
    return found


def _no_includes(location: str) -> str:
    raise BaleError(f"a compiled requirements file includes {location}")  # pragma: no cover - never written


def _lock_file(path: Path, settings: AuditSettings) -> Audited:
    from bale.audit.formats import package_lines
    from bale.lock.pylock import read_pylock
    from bale.ops.project import read_lock_text

    if not path.is_file():
        raise BaleError(f"No lock file at {path}", hint="give the path of a pylock.toml, or run in a project")
    text = read_lock_text(path)
    lock = read_pylock(text, source=str(path))
    packages, notes = _locked(lock.packages)
    return Audited(str(path), _narrowed(packages, settings), str(path), package_lines(text), notes)


def _project_lock(ctx: Context, settings: AuditSettings) -> Audited:
    from bale.audit.formats import package_lines
    from bale.ops.views import ViewSettings, choose, choose_project, load_lock

    try:
        chosen = choose_project(settings.start, None)
    except BaleError as err:
        if "pyproject.toml" in err.message or "project" in err.message:
            raise BaleError(
                f"No project found at or above {settings.start}, so there is no pylock.toml to audit",
                hint="run in a project, or name what to audit: `bale audit path/to/pylock.toml`, "
                "`bale audit -r requirements.txt` or `bale audit --python .venv`",
            ) from err
        raise
    view = ViewSettings(lock=settings.lock, locked=settings.locked, frozen=settings.frozen)
    loaded = load_lock(ctx, chosen, view)
    lock = loaded.lock
    if settings.selection is not None:
        from bale.ops.views import restrict_lock

        lock = restrict_lock(
            loaded, choose(loaded.project, loaded.lock, settings.selection, str(loaded.path))
        )
    packages, notes = _locked(lock.packages)
    uri = os.path.relpath(loaded.path, loaded.project.root) if loaded.project.root else str(loaded.path)
    return Audited(
        str(loaded.path),
        _narrowed(packages, settings),
        uri,
        package_lines(loaded.text),
        notes,
        project=loaded.project,
        loaded=loaded,
    )


def _locked(entries: Sequence[Package]) -> tuple[list[AuditedPackage], list[str]]:
    """The lock's packages with a version from an index or an archive; folders and git checkouts are
    someone's own code, not the project of the same name on PyPI."""
    packages: list[AuditedPackage] = []
    notes: list[str] = []
    for package in entries:
        name = normalize(package.name)
        if package.directory is not None or package.vcs is not None:
            kind = "a local folder" if package.directory is not None else "a git checkout"
            notes.append(f"{name}: {kind}, not from an index")
            continue
        if package.version is None:
            notes.append(f"{name}: the lock gives no version")
            continue
        marker = str(package.marker) if package.marker is not None else None
        packages.append(AuditedPackage(name, package.version, marker))
    return _unique(packages), notes


def _unique(packages: list[AuditedPackage]) -> list[AuditedPackage]:
    seen: dict[tuple[str, Version], AuditedPackage] = {}
    for package in packages:
        seen.setdefault((package.name, package.version), package)
    return sorted(seen.values(), key=lambda p: (p.name, p.version))


def _narrowed(packages: list[AuditedPackage], settings: AuditSettings) -> list[AuditedPackage]:
    """Only the packages whose marker can hold for ``--python-version`` / ``--python-platform``."""
    if settings.python_version is None and settings.python_platform is None:
        return packages
    from bale.markers.expr import and_, is_disjoint, parse

    clauses: list[str] = []
    if settings.python_version is not None:
        clauses.append(_python_clause(settings.python_version))
    if settings.python_platform is not None:
        from bale.model.platforms import parse_platform

        try:
            values = parse_platform(settings.python_platform).markers()
        except ValueError as err:
            raise BaleError(f"Unknown --python-platform {settings.python_platform!r}: {err}") from err
        clauses.extend(f"{key} == {value!r}" for key, value in sorted(values.items()))
    narrowing = and_(*(parse(clause) for clause in clauses))
    return [p for p in packages if p.marker is None or not is_disjoint(parse(p.marker), narrowing)]


def _python_clause(text: str) -> str:
    try:
        version = Version(text)
    except InvalidVersion:
        raise BaleError(f"--python-version {text!r} is not a version such as 3.12 or 3.12.1") from None
    if len(version.release) >= 3:
        return f"python_full_version == {str(version)!r}"
    return f"python_version == '{version.major}.{version.minor}'"


# ---------------------------------------------------------------------------------------------- data


def database_file(ctx: Context) -> Path:
    from bale.audit.database import database_path

    return database_path(ctx.cache.root)


def advisories(
    ctx: Context, data: DataSettings, packages: Sequence[tuple[NormalizedName, Version]]
) -> tuple[AdvisorySet, str, list[str]]:
    """The advisories for ``packages``, a label for the data used, and warnings (an old database)."""
    from bale.audit.database import OfflineDatabase

    warnings: list[str] = []
    if data.db is not None:
        database = OfflineDatabase.open(data.db, index_dir=ctx.cache.bucket("osv") / "indexes")
        return database.advisories_for(name for name, _ in packages), f"the database {data.db}", warnings
    if data.offline or data.update_db:
        path = database_file(ctx)
        if data.update_db:
            update_database(ctx, data)
        elif not path.is_file():
            raise BaleError(
                f"No local vulnerability database at {path}",
                hint="fetch it with `bale audit --update-db`, or give one with --db FILE",
            )
        database = OfflineDatabase.open(path)
        fetched = database.modified()
        age = _now() - fetched
        if age > STALE_AFTER:
            warnings.append(
                f"The local vulnerability database is {age.days} days old (fetched {fetched:%Y-%m-%d}); "
                "run `bale audit --update-db`"
            )
        label = f"the local database (fetched {fetched:%Y-%m-%d %H:%M} UTC)"
        return database.advisories_for(name for name, _ in packages), label, warnings
    if ctx.offline:
        raise BaleError(
            "--offline is set, so OSV cannot be asked",
            hint="audit with the local database: `bale audit --offline` uses it once `bale audit "
            "--update-db` has fetched it",
        )
    from bale.audit.osv_client import DEFAULT_SERVICE_URL, OsvService

    url = (data.service_url or os.environ.get("BALE_OSV_URL") or DEFAULT_SERVICE_URL).rstrip("/")
    service = OsvService(ctx.http, url)
    return service.advisories_for(list(packages)), f"OSV ({url})", warnings


def update_database(ctx: Context, data: DataSettings) -> UpdateOutcome:
    from bale.audit.database import DEFAULT_DB_URL
    from bale.audit.database import update_database as fetch

    if ctx.offline:
        raise BaleError("--update-db needs the network, and --offline is set")
    url = data.db_url or os.environ.get("BALE_OSV_DB_URL") or DEFAULT_DB_URL
    return fetch(ctx.http, url, database_file(ctx))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ---------------------------------------------------------------------------------------------- audit


def project_ignores(project: Project | None) -> tuple[tuple[Ignore, ...], bool]:
    """``[tool.bale.audit] ignore`` and ``ignore-until-fixed`` of the project (none outside one)."""
    from bale.audit.ignores import parse_ignores

    if project is None:
        return (), False
    table = project.settings.raw.get("audit")
    if table is None:
        return (), False
    where = str(project.pyproject)
    if not isinstance(table, dict):
        raise BaleError(f"[tool.bale.audit] in {where} must be a table")
    unknown = sorted(set(table) - {"ignore", "ignore-until-fixed"})
    if unknown:
        raise BaleError(
            f"Unknown key {', '.join(unknown)} in [tool.bale.audit] of {where}",
            hint="known keys: ignore, ignore-until-fixed",
        )
    until_fixed = table.get("ignore-until-fixed", False)
    if not isinstance(until_fixed, bool):
        raise BaleError(f"[tool.bale.audit] ignore-until-fixed in {where} must be true or false")
    return parse_ignores(table.get("ignore"), source=where), until_fixed


def audit(ctx: Context, settings: AuditSettings) -> AuditResult:
    from bale.audit.findings import findings
    from bale.audit.formats import AuditReport
    from bale.audit.ignores import command_line_ignores, triage

    audited = collect(ctx, settings)
    pairs = [(p.name, p.version) for p in audited.packages]
    found_advisories, label, warnings = advisories(ctx, settings.data, pairs)
    found, skipped = findings(pairs, found_advisories.by_name)
    configured, until_fixed = project_ignores(audited.project)
    ignores = (*configured, *command_line_ignores(settings.ignores))
    today = settings.today or _now().date()
    sorted_out = triage(found, ignores, today=today, until_fixed=settings.ignore_until_fixed or until_fixed)
    notes = [*warnings, *found_advisories.warnings, *skipped]
    for finding, ignore in sorted_out.expired:
        until = ignore.until.isoformat() if ignore.until else "?"
        notes.append(
            f"The ignore of {ignore.id} ({ignore.origin}) expired on {until}: {finding.name} "
            f"{finding.version} is reported again"
        )
    report = AuditReport(
        target=audited.target,
        audited=len(audited.packages),
        source=label,
        triage=sorted_out,
        warnings=tuple(notes),
        target_uri=audited.target_uri,
        lines=audited.lines,
    )
    return AuditResult(report, audited, found_advisories)


def lock_vulnerabilities(ctx: Context, project: Project, lock_text: str) -> int | None:
    """How many known vulnerabilities the lock holds by the local database (ignores applied), or None
    when there is no local database: a stat, and no network, when there is none."""
    from bale.audit.database import OfflineDatabase
    from bale.audit.findings import findings
    from bale.audit.ignores import triage
    from bale.lock.pylock import read_pylock

    path = database_file(ctx)
    if not path.is_file():
        return None
    try:
        lock = read_pylock(lock_text, source="pylock.toml")
        packages, _ = _locked(lock.packages)
        pairs = [(p.name, p.version) for p in packages]
        found, _ = findings(pairs, OfflineDatabase.open(path).advisories_for(n for n, _ in pairs).by_name)
        ignores, until_fixed = project_ignores(project)
    except BaleError:
        return None  # a damaged database or bad ignores: `bale audit` says so, lock and sync go on
    return len(triage(found, ignores, today=_now().date(), until_fixed=until_fixed).remaining)
