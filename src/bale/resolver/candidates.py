"""Pick the best installable file of a package for a target, or explain why none fits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from bale.model.dists import FileKind, IndexFile, parse_filename
from bale.model.record import record
from bale.model.target import TargetEnv


class PreReleases(Enum):
    """When a pre-release may be chosen (uv's ``--prerelease`` values).

    ``if-necessary`` (the default) and ``explicit`` never let a pre-release beat a stable version:
    pre-releases are tried only after every stable candidate in range was rejected. ``explicit``
    admits them at all only for first-party requirements that name one. ``if-necessary-or-explicit``
    is uv's deprecated alias of ``if-necessary``.
    """

    DISALLOW = "disallow"
    ALLOW = "allow"
    IF_NECESSARY = "if-necessary"
    EXPLICIT = "explicit"
    IF_NECESSARY_OR_EXPLICIT = "if-necessary-or-explicit"


class PreReleaseSelection(Enum):
    """How pre-releases of one package take part in choosing its version."""

    DISALLOW = "disallow"
    ALLOW = "allow"  # in plain version order
    PREFER_STABLE = "prefer-stable"  # only once the stable candidates are exhausted


def prerelease_selection(policy: PreReleases, explicit: bool) -> PreReleaseSelection:
    """The selection ``policy`` gives one package; ``explicit``: a first-party requirement names one."""
    if policy is PreReleases.ALLOW:
        return PreReleaseSelection.ALLOW
    if policy is PreReleases.DISALLOW or (policy is PreReleases.EXPLICIT and not explicit):
        return PreReleaseSelection.DISALLOW
    return PreReleaseSelection.PREFER_STABLE


@record(frozen=True, slots=True)
class Rejection:
    """Why one version of a package cannot be used; ``detail`` completes "name version: ..."."""

    version: Version
    detail: str


@record(frozen=True, slots=True)
class Choice:
    """The chosen file, plus a warning when the choice deserves one (a yanked exact pin)."""

    file: IndexFile
    warning: str | None = None


@record(frozen=True, slots=True)
class NoCandidate:
    """No file fits: every version considered with the reason it was turned down."""

    rejections: tuple[Rejection, ...]
    matching_versions: int  # versions that satisfied the specifier, before file checks
    total_versions: int


@record(frozen=True, slots=True)
class SelectOptions:
    """``allow_sdist``: a version whose only fitting file is an sdist may be chosen (the caller can
    build it); a fitting wheel is always preferred to the sdist of the same version, as pip and uv do."""

    prereleases: PreReleases = PreReleases.IF_NECESSARY
    allow_sdist: bool = False
    # Only for the lowest strategies of the resolver; installs always want the highest.
    lowest: bool = False


@lru_cache(maxsize=4096)
def _requires_python(spec: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(spec)
    except InvalidSpecifier:
        return None  # an index typo must not hide the file; pip ignores such values too


def python_allows(requires_python: str | SpecifierSet | None, python: Version) -> bool:
    """Whether a dependency's ``Requires-Python`` admits ``python``, counting its lower bound only.

    As uv does: upper bounds are nearly always defensive (``<4``) and would push the resolver to old
    releases, so ``>=3.8,<4`` means ``>=3.8`` and ``<=3.8`` alone constrains nothing. (A project's own
    ``requires-python`` is not checked here and keeps its full meaning.)
    """
    if not requires_python:
        return True
    text = str(requires_python)
    return _requires_python(text) is None or _lower_bound_allows(text, python)


@lru_cache(maxsize=4096)
def _lower_bound_allows(requires_python: str, python: Version) -> bool:
    # The lower bound admits ``python`` exactly when some admitted version is at or below it.
    admitted = SpecifierSet(requires_python, prereleases=True).to_range()
    at_or_below = SpecifierSet(f"<={python}", prereleases=True).to_range()
    return not admitted.intersection(at_or_below).is_empty


def names_prerelease(spec: SpecifierSet) -> bool:
    """Whether a specifier names a pre-release (``>=2.0b1``), which opts its package into pre-releases.

    An exclusion (``!=2.0b1``) asks for nothing, so it does not count (as in uv).
    """
    for item in spec:
        if item.operator == "!=":
            continue
        try:
            if Version(item.version.removesuffix(".*")).is_prerelease:
                return True
        except ValueError:
            continue
    return False


def _is_exact_pin(spec: SpecifierSet) -> bool:
    specs = list(spec)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and not specs[0].version.endswith(".*")


def _build_key(file: IndexFile) -> tuple[int, str]:
    parsed = parse_filename(file.filename)
    if parsed is None or not parsed.build:
        return (0, "")
    return parsed.build


def _best_file(
    files: Sequence[IndexFile], target: TargetEnv, allow_sdist: bool
) -> tuple[IndexFile | None, str]:
    """Best file of one version; when none fits, the reason in words."""
    best: IndexFile | None = None
    best_key: tuple[int, int, str] | None = None
    sdist: IndexFile | None = None
    wheel_tags: list[str] = []
    python_blocked: str | None = None
    for file in files:
        if not python_allows(file.requires_python, target.python_version):
            python_blocked = file.requires_python
            continue
        if file.kind is FileKind.SDIST:
            sdist = sdist or file
            continue
        rank = target.tag_rank(file.tags)
        if rank is None:
            wheel_tags.extend(sorted(str(t) for t in file.tags))
            continue
        number, label = _build_key(file)
        # A lower tag rank is better; among equal tags the higher build number wins (PEP 427).
        key = (rank, -number, label)
        if best_key is None or key < best_key:
            best, best_key = file, key
    if best is not None:
        return best, ""
    if sdist is not None:
        if allow_sdist:
            return sdist, ""
        return None, "has only a source distribution here, and this command does not build from source"
    if wheel_tags:
        distinct = list(dict.fromkeys(wheel_tags))
        more = len(distinct) - 3
        tail = f" and {more} more" if more > 0 else ""
        return None, f"has no wheel for this platform (its wheels are for {', '.join(distinct[:3])}{tail})"
    if python_blocked is not None:
        return None, f"requires Python {python_blocked}"
    return None, "has no installable files"


def group_by_version(files: Iterable[IndexFile]) -> dict[Version, list[IndexFile]]:
    by_version: dict[Version, list[IndexFile]] = {}
    for file in files:
        by_version.setdefault(file.version, []).append(file)
    return by_version


def select(
    files: Iterable[IndexFile],
    specifier: SpecifierSet,
    target: TargetEnv,
    options: SelectOptions = SelectOptions(),
) -> Choice | NoCandidate:
    """The highest (or lowest) version satisfying ``specifier`` that has a file for ``target``.

    Yanked files count only for an exact ``==`` pin (PEP 592), with a warning. Pre-releases follow
    ``options.prereleases`` (the specifier is first-party: naming a pre-release opts in under
    ``explicit``); unless allowed outright, they are tried only after every stable version in range
    was turned down.
    """
    by_version = group_by_version(files)
    versions = sorted(by_version, reverse=not options.lowest)
    exact = _is_exact_pin(specifier)
    selection = prerelease_selection(options.prereleases, names_prerelease(specifier))
    rejections: list[Rejection] = []
    matching = [v for v in versions if specifier.contains(v, prereleases=True)]
    order = matching
    if selection is not PreReleaseSelection.ALLOW:
        order = [v for v in matching if not v.is_prerelease]
        pre = [v for v in matching if v.is_prerelease]
        if selection is PreReleaseSelection.PREFER_STABLE:
            order += pre
        else:
            reason = "is a pre-release (allow it with --prerelease allow)"
            rejections.extend(Rejection(version, reason) for version in pre)
    for version in order:
        candidates = by_version[version]
        live = [f for f in candidates if not f.is_yanked]
        warning = None
        if not live:
            reason = candidates[0].yanked or ""
            if not exact:
                text = f"was yanked ({reason})" if reason else "was yanked"
                rejections.append(Rejection(version, text))
                continue
            live = candidates
            warning = f"{candidates[0].name}=={version} is yanked" + (
                f" (reason: {reason})" if reason else ""
            )
        file, why = _best_file(live, target, options.allow_sdist)
        if file is None:
            rejections.append(Rejection(version, why))
            continue
        return Choice(file, warning)
    return NoCandidate(tuple(rejections), len(matching), len(versions))
