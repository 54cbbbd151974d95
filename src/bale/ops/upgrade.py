"""``bale upgrade``: raise the ranges pyproject.toml declares to admit the latest versions, then relock."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import field

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record
from bale.model.requirement import RequirementSpec
from bale.ops.project import LockOutcome, LockSettings
from bale.project.model import IndexSource, Project
from bale.project.range_upgrade import Widen


@record(frozen=True, slots=True)
class RangeRow:
    """One declared requirement: ``new`` its rewritten form (None: kept); ``held``: a cap keeps ``latest``
    out and no ``--bounds`` widens it."""

    name: NormalizedName
    old: str
    new: str | None
    latest: str
    held: bool = False


@record
class UpgradeOutcome:
    ranges: list[RangeRow] = field(default_factory=list)
    lock: LockOutcome | None = None
    dry_run: bool = False


def declared(project: Project) -> Iterator[RequirementSpec]:
    """Every requirement pyproject.toml declares: dependencies, each extra's, each dependency group's."""
    yield from project.dependencies
    for specs in project.optional_dependencies.values():
        yield from specs
    for specs in project.dependency_groups.values():
        yield from specs


def upgrade_project(
    ctx: Context,
    project: Project,
    settings: LockSettings,
    packages: Sequence[str] = (),
    *,
    widen: Widen | None = None,
    dry_run: bool = False,
) -> UpgradeOutcome:
    """Rewrite the requirements on ``packages`` (default: all) to admit each one's latest version, then
    relock preferring the latest. pyproject.toml changes only in those strings, and goes back to what it
    said when the relock fails; ``dry_run`` writes neither file."""
    from bale.fs.atomic import write_atomic
    from bale.ops.latest import latest_versions
    from bale.ops.project import lock_project, project_index
    from bale.project.edit import replace_requirement
    from bale.project.range_upgrade import raise_range

    chosen = {normalize(name) for name in packages}
    specs = [s for s in declared(project) if s.name is not None and s.requirement is not None]
    unknown = sorted(chosen - {s.name for s in specs})
    if unknown:
        raise BaleError(
            f"{project.pyproject} declares no requirement on {', '.join(unknown)}",
            hint="`bale add NAME` adds one; `bale upgrade` raises ranges already declared",
        )
    # Path, git, URL and workspace sources are not versions on an index: nothing to raise.
    sources = project.settings.sources
    candidates = [
        s
        for s in specs
        if (not chosen or s.name in chosen)
        and not s.url
        and (s.name not in sources or isinstance(sources[s.name], IndexSource))
    ]
    index = project_index(project, settings)
    prereleases = {
        s.name
        for s in candidates
        if s.name is not None and s.requirement is not None and s.requirement.specifier.prereleases
    }
    names = {s.name for s in candidates if s.name is not None}
    latest = latest_versions(ctx, index, names, prereleases)
    outcome = UpgradeOutcome(dry_run=dry_run)
    text = original = project.pyproject.read_text(encoding="utf-8")
    seen: set[str] = set()
    for spec in candidates:
        assert spec.name is not None and spec.requirement is not None
        written = str(spec.requirement)
        if spec.name not in latest or written in seen:
            continue
        seen.add(written)
        change = raise_range(written, latest[spec.name], widen)
        outcome.ranges.append(RangeRow(spec.name, written, change.new, str(latest[spec.name]), change.held))
        if change.new is not None:
            text = replace_requirement(text, written, change.new, where=str(project.pyproject))
    upgraded = tuple(sorted(names)) if chosen else ()
    lock_settings = dataclasses.replace(
        settings, upgrade=not chosen, upgrade_packages=upgraded, dry_run=dry_run
    )
    if dry_run or text == original:
        outcome.lock = lock_project(ctx, project, lock_settings, pyproject_text=text)
        return outcome
    write_atomic(project.pyproject, text.encode("utf-8"))
    try:
        outcome.lock = lock_project(ctx, project, lock_settings)
    except BaseException:
        write_atomic(project.pyproject, original.encode("utf-8"))  # as it was: the new ranges did not lock
        raise
    return outcome
