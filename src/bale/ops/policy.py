"""The package policy put to work: the resolver's refusal rules, a lock file checked, a version explained."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from bale.audit.licenses import DeclaredLicense
from bale.errors import BaleError
from bale.model.record import record
from bale.policy.evaluate import (
    FileFacts,
    Refusal,
    refuse_file,
    refuse_license,
    refuse_severity,
    refuse_source,
    refuse_version,
)
from bale.policy.model import Policy

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

    from bale.context import Context
    from bale.model.dists import IndexFile
    from bale.model.requirement import RequirementSpec
    from bale.ops.project import LockSettings
    from bale.ops.settings import IndexSettings
    from bale.report import Reporter

__all__ = [
    "LockCheck",
    "Violation",
    "check_lock",
    "check_sources",
    "enforce_lock",
    "provider_rules",
]


# ---------------------------------------------------------------------------------------------- resolving


def provider_rules(
    policy: Policy,
    now: datetime,
    reporter: Reporter,
    severities: Callable[[NormalizedName, Version], list[tuple[str, str]]] | None = None,
    exempt: frozenset[NormalizedName] = frozenset(),
) -> dict[str, Any]:
    """The ``refuse_*`` keyword arguments of ``ProviderOptions`` that enforce ``policy``;
    ``severities`` gives a version's known vulnerabilities (id, level) for ``max-vulnerability``;
    ``exempt``: the project's own packages (its workspace members, path sources inside it)."""
    from bale.audit.licenses import license_from_metadata

    def version_rule(name: NormalizedName, version: Version) -> str | None:
        if name in exempt:
            return None
        refusal = refuse_version(policy, name, version)
        if refusal is None and severities is not None:
            for advisory, level in severities(name, version):
                refusal = refuse_severity(policy, level, advisory)
                if refusal is not None:
                    break
        return refusal.text if refusal is not None else None

    def file_rule(file: IndexFile) -> str | None:
        facts = FileFacts(
            file.name,
            file.version,
            file.is_wheel,
            index=file.source or None,
            upload_time=file.upload_time,
            hashed=bool(file.hashes),
            local=file.url.startswith("file:"),
        )
        refusal = refuse_file(policy, facts, now)
        return refusal.text if refusal is not None else None

    warned: set[tuple[NormalizedName, Version]] = set()
    lock = threading.Lock()  # metadata is read on prefetch threads too

    def metadata_rule(name: NormalizedName, version: Version, data: bytes) -> str | None:
        if name in exempt:
            return None
        refusal, warnings = refuse_license(policy, license_from_metadata(data))
        with lock:
            fresh = (name, version) not in warned
            warned.add((name, version))
        if fresh:
            for warning in warnings:
                reporter.warn(f"{name} {version} {warning}")
        return refusal.text if refusal is not None else None

    rules: dict[str, Any] = {"refuse_version": version_rule, "refuse_file": file_rule}
    if policy.has_license_rules:
        rules["refuse_metadata"] = metadata_rule
    return rules


def allowed_files(
    policy: Policy, spec: RequirementSpec, files: Sequence[IndexFile], specifier: SpecifierSet
) -> list[IndexFile]:
    """The files of ``spec``'s package the policy lets through, for installs that pick a file without
    resolving (``--no-deps``); when none in ``specifier`` is left, a BaleError naming the rule that
    refused the newest there."""
    now = datetime.now(timezone.utc)
    from bale.report import NULL_REPORTER

    rules = provider_rules(policy, now, NULL_REPORTER)
    version_rule, file_rule = rules["refuse_version"], rules["refuse_file"]
    kept: list[IndexFile] = []
    refused: list[tuple[Version, str]] = []
    for file in files:
        why = version_rule(file.name, file.version) or file_rule(file)
        if why is None:
            kept.append(file)
        else:
            refused.append((file.version, why))
    wanted = [item for item in refused if specifier.contains(item[0], prereleases=True)]
    if wanted and not any(specifier.contains(file.version, prereleases=True) for file in kept):
        version, why = max(wanted, key=lambda item: item[0])
        raise BaleError(
            f"No file of {spec.name} that the policy allows ({spec} at {spec.origin}): "
            f"{spec.name} {version} {why}",
            hint="see `bale policy explain NAME==VERSION`",
        )
    return kept


def source_kind(spec: RequirementSpec) -> str | None:
    """``git``, ``path`` or ``url`` for a requirement not served by an index; None for one that is."""
    url = spec.url or ""
    if url.startswith("git+"):
        return "git"
    if spec.path is not None or url.startswith("file:"):
        return "path"
    return "url" if url else None


def own_packages(specs: Iterable[RequirementSpec], home: Path | None) -> frozenset[NormalizedName]:
    """The path requirements inside ``home`` (the project's folder): the project's own packages."""
    if home is None:
        return frozenset()
    return frozenset(
        spec.name
        for spec in specs
        if spec.name is not None
        and spec.path is not None
        and spec.path.resolve().is_relative_to(home.resolve())
    )


def check_sources(policy: Policy, specs: Iterable[RequirementSpec], home: Path | None) -> None:
    """Refuse a git, path or URL requirement the ``sources`` rule forbids; paths inside ``home`` (the
    project's own workspace members) are the project's, not a source."""
    problems: list[str] = []
    for spec in specs:
        kind = source_kind(spec)
        if kind is None:
            continue
        if kind == "path" and spec.name in own_packages([spec], home):
            continue
        refusal = refuse_source(policy, kind)
        if refusal is not None:
            label = spec.name or str(spec)
            problems.append(f"{label} ({spec.origin}) {refusal.text}")
    if problems:
        raise BaleError(
            problems[0] if len(problems) == 1 else f"{len(problems)} requirements break the policy",
            context=problems if len(problems) > 1 else [],
            hint="ask for the package from an allowed index instead, or change the policy's sources rule",
        )


# ---------------------------------------------------------------------------------------------- lock files


@record(frozen=True, slots=True)
class Violation:
    """A locked package a rule refuses."""

    name: str
    version: str | None
    refusal: Refusal

    @property
    def text(self) -> str:
        label = f"{self.name} {self.version}" if self.version else self.name
        return f"{label} {self.refusal.text}"


@record(frozen=True)
class LockCheck:
    """What ``bale policy check`` found: the violations, and the rules it could not check (why)."""

    violations: Sequence[Violation] = ()
    unchecked: Sequence[str] = field(default_factory=list)
    warnings: Sequence[str] = field(default_factory=list)
    packages: int = 0


def _version(package: Package) -> Version | None:
    if package.version is None:
        return None
    try:
        return Version(str(package.version))
    except InvalidVersion:
        return None


def _artifacts(package: Package, lock_dir: Path) -> list[tuple[bool, str, datetime | None, bool]]:
    """(is a wheel, URL or path, upload time, has a hash) of each file the entry may install."""
    found: list[tuple[bool, str, datetime | None, bool]] = []
    for wheel in package.wheels or ():
        found.append((True, wheel.url or str(wheel.path or ""), wheel.upload_time, bool(wheel.hashes)))
    if package.sdist is not None:
        sdist = package.sdist
        found.append((False, sdist.url or str(sdist.path or ""), sdist.upload_time, bool(sdist.hashes)))
    return found


def _source_of(package: Package, lock_dir: Path) -> str | None:
    if package.vcs is not None:
        return "git"
    if package.directory is not None:
        return "path"
    if package.archive is not None:
        where = package.archive.url or ""
        return "url" if where and not where.startswith("file:") else "path"
    return None


def _own(package: Package, lock_dir: Path) -> bool:
    """A source tree beside the lock: the project itself or one of its members, not a dependency."""
    if package.directory is None:
        return False
    return (lock_dir / package.directory.path).resolve().is_relative_to(lock_dir.resolve())


def _package_refusal(policy: Policy, package: Package, lock_dir: Path, now: datetime) -> Refusal | None:
    if _own(package, lock_dir):
        return None
    name = canonicalize_name(str(package.name))
    version = _version(package)
    if version is not None:
        refusal = refuse_version(policy, name, version)
        if refusal is not None:
            return refusal
    kind = _source_of(package, lock_dir)
    if kind is not None:
        refusal = refuse_source(policy, kind)
        if refusal is not None:
            return refusal
    artifacts = _artifacts(package, lock_dir)
    if version is None or not artifacts:
        return None
    first: Refusal | None = None
    for is_wheel, where, uploaded, hashed in artifacts:
        facts = FileFacts(
            name,
            version,
            is_wheel,
            index=package.index or None,
            upload_time=uploaded,
            hashed=hashed,
            local=not where.startswith(("http://", "https://")),
        )
        refusal = refuse_file(policy, facts, now)
        if refusal is None:
            return None  # one file the policy lets through is enough to install the package
        first = first or refusal
    return first


def check_lock(
    policy: Policy,
    lock: Pylock,
    lock_dir: Path,
    now: datetime,
    *,
    licenses: Callable[[Sequence[int]], Mapping[int, DeclaredLicense | str]] | None = None,
    advisories: Callable[[Sequence[tuple[str, str]]], dict[tuple[str, str], list[tuple[str, str]]]]
    | None = None,
) -> LockCheck:
    """Every locked package a rule refuses. ``licenses`` reads entries' declared licences (or why
    not, for licence rules); ``advisories`` maps (name, version) to (advisory id, severity) pairs
    from the local audit database (for ``max-vulnerability``); None: that rule cannot be checked."""
    violations: list[Violation] = []
    unchecked: list[str] = []
    warnings: list[str] = []
    packages = list(lock.packages)
    for package in packages:
        refusal = _package_refusal(policy, package, lock_dir, now)
        if refusal is not None:
            violations.append(Violation(str(package.name), _text(package.version), refusal))
    refused = {violation.name for violation in violations}
    if policy.has_license_rules:
        if licenses is None:
            unchecked.append("licenses: the metadata of the locked packages could not be read")
        else:
            keys = [
                i
                for i, p in enumerate(packages)
                if str(p.name) not in refused and _version(p) is not None and not _own(p, lock_dir)
            ]
            found = licenses(keys)
            for key in keys:
                package = packages[key]
                declared = found.get(key, "no metadata")
                if isinstance(declared, str):
                    warnings.append(
                        f"could not read the licence of {package.name} {package.version}: {declared}"
                    )
                    declared = DeclaredLicense()
                refusal, notes = refuse_license(policy, declared)
                warnings.extend(f"{package.name} {package.version} {note}" for note in notes)
                if refusal is not None:
                    violations.append(Violation(str(package.name), _text(package.version), refusal))
    if policy.max_vulnerability is not None:
        level, origin = policy.max_vulnerability
        if advisories is None:
            unchecked.append(
                f'max-vulnerability = "{level}" ({origin}): there is no local vulnerability database; '
                "run `bale audit --update-db` first"
            )
        else:
            pairs = [(str(p.name), str(p.version)) for p in packages if p.version is not None]
            known = advisories(pairs)
            for (name, version), found_advisories in sorted(known.items()):
                for advisory, severity in found_advisories:
                    refusal = refuse_severity(policy, severity, advisory)
                    if refusal is not None:
                        violations.append(Violation(name, version, refusal))
                        break
    return LockCheck(violations, unchecked, warnings, len(packages))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def enforce_lock(policy: Policy | None, lock: Pylock, path: Path, now: datetime | None = None) -> None:
    """Refuse to install from a lock file (``bale sync``, ``bale pip install -r pylock.toml``) that a
    rule refuses: a lock can be edited by hand, or written before the rule. Licences are checked
    when locking (and by ``bale policy check``), not here: that would read every package's metadata."""
    if policy is None:
        return
    moment = now or datetime.now(timezone.utc)
    found = check_lock(policy, lock, path.parent, moment)
    if not found.violations:
        return
    lines = [violation.text for violation in found.violations]
    count = len(lines)
    raise BaleError(
        f"Refusing to install from {path}: {lines[0]}"
        if count == 1
        else f"Refusing to install from {path}: {count} locked packages break the policy",
        context=lines if count > 1 else [],
        hint="relock (`bale lock`) to pick versions the policy allows, or see `bale policy check`",
    )


# ---------------------------------------------------------------------------------------------- facts


def lock_licenses(
    ctx: Context, lock: Pylock, path: Path, settings: LockSettings
) -> Callable[[Sequence[int]], Mapping[int, DeclaredLicense | str]]:
    """Declared licences of lock entries, read as ``bale licenses`` reads them (cache, PEP 658 files):
    through the project's checks when the lock is a project's, else straight from the locked URLs."""

    def read(keys: Sequence[int]) -> Mapping[int, DeclaredLicense | str]:
        from bale.audit.licenses import license_from_metadata
        from bale.ops.licenses import locked_licenses, locked_metadata

        found: dict[int, DeclaredLicense | str] = {}
        project = _project_at(path.parent)
        if project is not None:
            from bale.ops.views import LoadedLock

            text = path.read_text(encoding="utf-8")
            lookup = locked_licenses(ctx, LoadedLock(project, path, text, lock), keys, settings)
            found.update(lookup.licenses)
            found.update(lookup.problems)
            return found
        for key, data in locked_metadata(ctx, lock, path.parent, keys).items():
            found[key] = data.message if isinstance(data, BaleError) else license_from_metadata(data)
        return found

    return read


def _project_at(folder: Path) -> Any:
    if not (folder / "pyproject.toml").is_file():
        return None
    from bale.project.model import read_project

    try:
        return read_project(folder / "pyproject.toml")
    except BaleError:
        return None


def local_advisories(
    ctx: Context,
) -> Callable[[Sequence[tuple[str, str]]], dict[tuple[str, str], list[tuple[str, str]]]] | None:
    """Known vulnerabilities by (name, version) from the local audit database, with each one's
    severity (none, low, medium, high, critical); None when there is no local database."""
    from bale.ops.audit import database_file

    path = database_file(ctx)
    if not path.is_file():
        return None

    def read(pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[tuple[str, str]]]:
        from bale.audit.database import OfflineDatabase
        from bale.audit.findings import findings
        from bale.policy.evaluate import severity_level

        wanted: list[tuple[NormalizedName, Version]] = []
        for name, version in pairs:
            try:
                wanted.append((canonicalize_name(name), Version(version)))
            except InvalidVersion:
                continue
        advisories = OfflineDatabase.open(path).advisories_for(n for n, _ in wanted).by_name
        found, _ = findings(wanted, advisories)
        result: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for finding in found:
            key = (str(finding.name), str(finding.version))
            result.setdefault(key, []).append((finding.id, severity_level(finding.severity)))
        return result

    return read


def version_severities(ctx: Context) -> Callable[[NormalizedName, Version], list[tuple[str, str]]] | None:
    """A version's known vulnerabilities (id, level) by the local audit database, read once per
    package (a few milliseconds each: the database keeps an index by name); None without a database."""
    from bale.ops.audit import database_file

    path = database_file(ctx)
    if not path.is_file():
        return None
    from bale.audit.database import OfflineDatabase
    from bale.audit.findings import findings
    from bale.policy.evaluate import severity_level

    database = OfflineDatabase.open(path)
    lock = threading.Lock()  # asked from prefetch threads too
    by_name: dict[NormalizedName, Any] = {}

    def read(name: NormalizedName, version: Version) -> list[tuple[str, str]]:
        with lock:
            advisories = by_name.get(name)
            if advisories is None:
                advisories = by_name[name] = database.advisories_for([name]).by_name
        found, _ = findings([(name, version)], advisories)
        return [(finding.id, severity_level(finding.severity)) for finding in found]

    return read


# ---------------------------------------------------------------------------------------------- explain


def explain_files(
    ctx: Context, policy: Policy, name: NormalizedName, version: Version, index: IndexSettings
) -> tuple[list[str], bool]:
    """What the file and licence rules say of ``name==version`` as the index lists it: one line per
    file, then its licence; and whether every file (or the licence) is refused. Costs the index page
    and one metadata file, as a resolution would."""
    from bale.audit.licenses import license_from_metadata

    files = [f for f in ctx.index_client(index).project_files(name) if f.version == version]
    if not files:
        return [f"{name} {version} is not on the index"], False
    now = datetime.now(timezone.utc)
    rules = provider_rules(policy, now, ctx.reporter)
    lines: list[str] = []
    usable: list[IndexFile] = []
    for file in sorted(files, key=lambda f: (not f.is_wheel, f.filename)):
        why = rules["refuse_file"](file)
        if why is None:
            usable.append(file)
            lines.append(f"{file.filename}: allowed")
        else:
            lines.append(f"{file.filename}: refused: it {why}")
    if not usable:
        return lines, True
    if not policy.has_license_rules:
        return lines, False
    readable = [f for f in usable if f.is_wheel or f.metadata_hashes is not None]
    if not readable:
        return [*lines, "licence: not checked (only a source distribution without PEP 658 metadata)"], False
    declared = license_from_metadata(ctx.database.metadata.fetch(readable[0]))
    refusal, notes = refuse_license(policy, declared)
    if refusal is not None:
        return [*lines, f"licence {declared.text}: refused: it {refusal.text}"], True
    return [*lines, f"licence {declared.text}: allowed", *(f"licence: {note}" for note in notes)], False
