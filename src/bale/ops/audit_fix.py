"""``bale audit --fix``: the lowest safe versions, as a minimal-change relock or new pins in place."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.ops.audit import AuditResult, AuditSettings, advisories

if TYPE_CHECKING:
    from bale.audit.fix_plan import Blocker, FixTarget, NoFix
    from bale.model.dists import IndexFile
    from bale.ops.project import LockOutcome
    from bale.ops.settings import IndexSettings
    from bale.project.model import Project


@record
class FixOutcome:
    """What ``--fix`` chose (``targets``), could not fix (``missing``: no safe version; ``blockers``: a
    declared range excludes it), widened (``widened``: old, new, file:line) and wrote. ``lock`` is the
    relock (``text`` is what it would write in a dry run); ``rewritten`` the requirements files changed."""

    targets: list[FixTarget] = field(default_factory=list)
    missing: list[NoFix] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    widened: list[tuple[str, str, str]] = field(default_factory=list)
    lock: LockOutcome | None = None
    rewritten: list[Path] = field(default_factory=list)
    dry_run: bool = False


def _available(
    ctx: Context, index: IndexSettings, names: Iterable[NormalizedName]
) -> dict[NormalizedName, list[Version]]:
    """The versions the indexes offer for ``names``, yanked ones left out."""
    client = ctx.index_client(index)
    wanted = sorted(set(names))
    client.prefetch(wanted)
    found: dict[NormalizedName, list[Version]] = {}
    for name in wanted:
        files = client.project_files(name)
        if files:
            found[name] = sorted({f.version for f in files if f.yanked is None})
    return found


def plan(
    ctx: Context, settings: AuditSettings, result: AuditResult, index: IndexSettings
) -> tuple[list[FixTarget], list[NoFix]]:
    """The lowest version of each vulnerable package that no advisory affects, asking the data source
    about every candidate in one batch."""
    from bale.audit.fix_plan import plan_fixes
    from bale.audit.matching import match

    found = result.report.findings
    names = {f.name for f in found}
    available = _available(ctx, index, names)
    current = {(f.name, f.version) for f in found}
    candidates = [
        (name, version)
        for name, versions in available.items()
        for version in versions
        if any(version > v for n, v in current if n == name)
    ]
    known = {name: list(records) for name, records in result.advisories.by_name.items()}
    if candidates:
        more, _, _ = advisories(ctx, settings.data, candidates)
        for name, records in more.by_name.items():
            ids = {a.id for a in known.get(name, ())}
            known.setdefault(name, []).extend(a for a in records if a.id not in ids)

    def affected(name: NormalizedName, version: Version) -> bool:
        return any(
            record.withdrawn is None and match(record, name, version).affected
            for record in known.get(name, ())
        )

    return plan_fixes(found, available, affected)


# ---------------------------------------------------------------------------------------------- projects


def fix_project(
    ctx: Context, settings: AuditSettings, result: AuditResult, *, dry_run: bool, bounds: bool
) -> FixOutcome:
    """Relock with each fix as a lower bound (and preferred), every other pin kept where the resolver can.
    A declared requirement that excludes a fix is named; with ``bounds`` it is widened in its file first."""
    from bale.ops.project import lock_project, project_index
    from bale.ops.views import choose_project

    root, _ = choose_project(settings.start, None)  # the project that holds the lock: a workspace's root
    index = project_index(root, settings.lock)
    targets, missing = plan(ctx, settings, result, index)
    outcome = FixOutcome(missing=missing, dry_run=dry_run)
    if not targets:
        return outcome
    blockers = _blockers(root, targets)
    if blockers and bounds:
        outcome.widened = _widen(blockers, dry_run=dry_run)
        blockers = []
        if not dry_run:
            from bale.project.model import read_project

            root = read_project(root.pyproject)
    blocked = {b.target.name for b in blockers}
    outcome.blockers = blockers
    outcome.targets = [t for t in targets if t.name not in blocked]
    if not outcome.targets:
        return outcome
    fixes = tuple((str(t.name), str(t.version)) for t in outcome.targets)
    lock_settings = dataclasses.replace(settings.lock, fixes=fixes, dry_run=dry_run)
    try:
        outcome.lock = lock_project(ctx, root, lock_settings)
    except BaleError as err:
        wanted = ", ".join(f"{t.name}>={t.version}" for t in outcome.targets)
        raise BaleError(
            f"The fixes ({wanted}) do not fit the project's other requirements",
            context=[err.message, *err.context],
            hint=err.hint or "widen the requirements named above, then run `bale audit --fix` again",
        ) from err
    return outcome


def _blockers(project: Project, targets: Sequence[FixTarget]) -> list[Blocker]:
    """The project's declared requirements (every workspace member's, dependency groups and extras too)
    that exclude a fix, by file and line."""
    from bale.audit.fix_plan import Blocker, blocked_by
    from bale.ops.project import _roots
    from bale.ops.project_workspace import load_workspace

    by_name = {t.name: t for t in targets}
    found: list[Blocker] = []
    specs = [spec for group in _roots(project, load_workspace(project)).values() for spec in group]
    specs.extend(project.settings.constraint_dependencies)
    for spec in specs:
        target = by_name.get(spec.name) if spec.name is not None else None
        if target is None or spec.requirement is None or not blocked_by(target, spec.requirement):
            continue
        found.append(Blocker(target, str(spec.requirement), str(spec.origin)))
    return sorted(set(found), key=lambda b: (b.target.name, b.where))


def _widen(blockers: Sequence[Blocker], *, dry_run: bool) -> list[tuple[str, str, str]]:
    """Rewrite each blocking requirement in its pyproject.toml (comments and layout kept)."""
    from packaging.requirements import Requirement

    from bale.audit.fix_plan import widened
    from bale.fs.atomic import write_atomic
    from bale.project.edit import replace_requirement

    changed: list[tuple[str, str, str]] = []
    texts: dict[Path, str] = {}
    for blocker in blockers:
        file = Path(blocker.where.rsplit(":", 1)[0])
        if file.name != "pyproject.toml":
            raise BaleError(
                f"{blocker.requirement} ({blocker.where}) excludes {blocker.target.name} "
                f"{blocker.target.version}, and --bounds widens only pyproject.toml requirements",
                hint="widen it by hand",
            )
        new = str(widened(Requirement(blocker.requirement), blocker.target.version))
        text = texts.get(file)
        if text is None:
            text = file.read_text(encoding="utf-8")
        texts[file] = replace_requirement(text, blocker.requirement, new, where=str(file))
        changed.append((blocker.requirement, new, blocker.where))
    if not dry_run:
        for file, text in texts.items():
            write_atomic(file, text.encode("utf-8"))
    return changed


# ---------------------------------------------------------------------------------------------- requirements


def fix_requirements(
    ctx: Context, settings: AuditSettings, result: AuditResult, *, dry_run: bool
) -> FixOutcome:
    """New pins, in place, for each fixed package of the -r files (hashes made anew from the index
    when the line had any); lines that do not pin a package exactly are not rewritten."""
    from bale.audit.pin_rewrite import NewPin, rewrite_pins
    from bale.fs.atomic import write_atomic
    from bale.requirements import parse_requirements_file
    from bale.requirements.parse import pinned_version

    outcome = FixOutcome(dry_run=dry_run)
    parsed = {path: parse_requirements_file(path) for path in settings.requirements}
    index = settings.lock.index
    for file in parsed.values():
        index = index.merged_with_requirements(file, explicit_index=settings.lock.explicit_index)
    targets, outcome.missing = plan(ctx, settings, result, index)
    by_name = {t.name: t for t in targets}
    client = ctx.index_client(index) if targets else None
    pinned: set[NormalizedName] = set()
    for path, file in parsed.items():
        pins: dict[str, NewPin] = {}
        for spec in file.requirements:
            target = by_name.get(spec.name) if spec.name is not None else None
            if target is None or pinned_version(spec) != target.current or spec.origin.line is None:
                continue
            if spec.origin.file is not None and Path(spec.origin.file) != path:
                continue  # a line of a file this one includes: that file is named with -r itself
            hashes: list[str] = []
            if spec.hashes:
                assert client is not None
                hashes = _hashes(client.project_files(target.name), target)
            pins[target.name] = NewPin(spec.origin.line, str(target.version), hashes)
            pinned.add(target.name)
        if not pins:
            continue
        text = path.read_text(encoding="utf-8")
        new = rewrite_pins(text, pins)
        if new != text:
            outcome.rewritten.append(path)
            if not dry_run:
                write_atomic(path, new.encode("utf-8"))
    outcome.targets = [t for t in targets if t.name in pinned]
    return outcome


def _hashes(files: Sequence[IndexFile], target: FixTarget) -> list[str]:
    """Every file of the new version, as pip-compile --generate-hashes lists them."""
    digests: list[str] = []
    for file in files:
        if file.version != target.version:
            continue
        sha = file.hashes.get("sha256")
        if not sha:
            raise BaleError(
                f"The index gives no sha256 for {file.filename}, so the new pin of {target.name} cannot "
                "carry --hash options",
            )
        digests.append(f"sha256:{sha}")
    if not digests:
        raise BaleError(f"The index lists no file of {target.name} {target.version}")
    return digests
