"""The smallest upgrades that fix an audit's findings, and the declared ranges standing in their way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.audit.findings import Finding
from bale.model.names import NormalizedName
from bale.model.record import record


@record(frozen=True, slots=True)
class FixTarget:
    """Move ``name`` from ``current`` to at least ``version``, which fixes ``ids``."""

    name: NormalizedName
    current: Version
    version: Version
    ids: tuple[str, ...]


@record(frozen=True, slots=True)
class NoFix:
    """No version bale may choose fixes ``ids`` in ``name`` ``current``; ``reason`` says why."""

    name: NormalizedName
    current: Version
    ids: tuple[str, ...]
    reason: str


@record(frozen=True, slots=True)
class Blocker:
    """A declared requirement (``where``: file and line) that excludes the fix ``target``."""

    target: FixTarget
    requirement: str
    where: str


def vulnerable(findings: Iterable[Finding]) -> dict[tuple[NormalizedName, Version], list[Finding]]:
    """The findings by affected package and version, in name order."""
    grouped: dict[tuple[NormalizedName, Version], list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: (f.name, f.version, f.id)):
        grouped.setdefault((finding.name, finding.version), []).append(finding)
    return grouped


def plan_fixes(
    findings: Iterable[Finding],
    available: Mapping[NormalizedName, Sequence[Version]],
    affected: Callable[[NormalizedName, Version], bool],
) -> tuple[list[FixTarget], list[NoFix]]:
    """For each vulnerable package, the lowest available version above the current one that no known
    advisory affects (so it fixes all of the package's findings and brings no known other). Pre-releases
    only for a package already at one. ``available``: the versions the indexes offer (yanked ones left
    out); ``affected(name, version)``: whether any advisory for ``name`` matches ``version``."""
    targets: list[FixTarget] = []
    missing: list[NoFix] = []
    for (name, current), found in vulnerable(findings).items():
        ids = tuple(sorted({f.id for f in found}))
        offered = sorted(
            v
            for v in available.get(name, ())
            if v > current and (current.is_prerelease or not v.is_prerelease)
        )
        if name not in available:
            missing.append(
                NoFix(name, current, ids, "it is not from an index, so bale cannot choose another version")
            )
            continue
        chosen = next((v for v in offered if not affected(name, v)), None)
        if chosen is not None:
            targets.append(FixTarget(name, current, chosen, ids))
            continue
        if not offered:
            reason = f"no version newer than {current} is available"
        else:
            reason = f"every newer version up to {offered[-1]} is affected too"
        fixes = sorted({v for f in found for v in f.fixed_in if v > current})
        if fixes:
            reason += f" (the advisories say fixed in {', '.join(str(v) for v in fixes)})"
        missing.append(NoFix(name, current, ids, reason))
    return targets, missing


def blocked_by(target: FixTarget, requirement: Requirement) -> bool:
    """Whether ``requirement`` (for ``target.name``) excludes the fixed version."""
    return not requirement.specifier.contains(target.version, prereleases=True)


def widened(requirement: Requirement, version: Version) -> Requirement:
    """``requirement`` with the clauses that exclude ``version`` dropped (``lib>=1,<2`` for 2.1 becomes
    ``lib>=1``); when none is left, ``>=version``. Extras, marker and URL are kept."""
    kept = [spec for spec in requirement.specifier if spec.contains(version, prereleases=True)]
    new = Requirement(str(requirement))
    new.specifier = SpecifierSet(",".join(str(s) for s in kept) if kept else f">={version}")
    return new
