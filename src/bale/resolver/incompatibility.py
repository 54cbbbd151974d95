"""Incompatibilities: sets of terms that cannot all hold, each remembering why (its cause)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from packaging.version import Version

from bale.model.record import record
from bale.resolver.provider import PackageId, UnavailableKind
from bale.resolver.term import Term

__all__ = [
    "Cause",
    "ConstraintCause",
    "DependencyCause",
    "DerivedCause",
    "Incompatibility",
    "MergedCause",
    "NoVersionsCause",
    "RequiresPythonCause",
    "RootCause",
    "UnavailableCause",
]


@record(frozen=True, slots=True)
class RootCause:
    """The root must be selected."""


@record(frozen=True, slots=True)
class DependencyCause:
    """``{package in R, not dependency in S}``: versions R of ``package`` depend on ``dependency`` in S."""

    package: PackageId
    dependency: PackageId


@record(frozen=True, slots=True)
class ConstraintCause:
    """``{root, package in S}``: a constraint keeps ``package`` out of S if it is selected at all."""

    package: PackageId


@record(frozen=True, slots=True)
class NoVersionsCause:
    """No usable version in the term's range. Versions in range that the options turned down are kept
    for hints: ``prereleases`` (not allowed by the pre-release policy) and ``yanked`` (with reasons)."""

    prereleases: tuple[Version, ...] = ()
    yanked: tuple[tuple[Version, str], ...] = ()


@record(frozen=True, slots=True)
class UnavailableCause:
    """The provider said these versions (or the whole package) cannot be used."""

    reason: str
    kind: UnavailableKind = UnavailableKind.OTHER


@record(frozen=True, slots=True)
class RequiresPythonCause:
    """The version's ``Requires-Python`` excludes the target interpreter."""

    requires_python: str
    python: Version


@record(frozen=True, slots=True)
class MergedCause:
    """Several one-package facts (unavailable versions, requires-python, no versions) merged into one
    statement by the explanation, so that "a 2.0 and a 2.1 require Python>=3.12" reads as one line."""

    parts: tuple[Incompatibility, ...]


@record(frozen=True, slots=True)
class DerivedCause:
    """Learned during conflict resolution from two earlier incompatibilities."""

    conflict: Incompatibility
    other: Incompatibility


Cause = (
    RootCause
    | DependencyCause
    | ConstraintCause
    | NoVersionsCause
    | UnavailableCause
    | RequiresPythonCause
    | MergedCause
    | DerivedCause
)


class Incompatibility:
    """Terms that must not all be true together. Compared by identity: each one is a node of the
    derivation graph, and the explanation counts how often a node is reused."""

    __slots__ = ("_by_package", "cause", "terms")

    def __init__(self, terms: Iterable[Term], cause: Cause) -> None:
        merged: dict[PackageId, Term] = {}
        for term in terms:
            previous = merged.get(term.package)
            merged[term.package] = term if previous is None else previous.intersect(term)
        if isinstance(cause, DerivedCause) and len(merged) > 1:
            # The root is always selected, so "root and X" says no more than "X" and reads worse.
            root = merged.get(PackageId.root())
            if root is not None and root.positive:
                del merged[PackageId.root()]
        self.terms: tuple[Term, ...] = tuple(merged.values())
        self._by_package = merged
        self.cause: Cause = cause

    def term(self, package: PackageId) -> Term | None:
        return self._by_package.get(package)

    @property
    def packages(self) -> Iterator[PackageId]:
        return iter(self._by_package)

    @property
    def is_failure(self) -> bool:
        """Nothing can satisfy the root: no terms left, or only "root is selected"."""
        if not self.terms:
            return True
        return len(self.terms) == 1 and self.terms[0].package.is_root and self.terms[0].positive

    @property
    def is_external(self) -> bool:
        return not isinstance(self.cause, DerivedCause)

    def __repr__(self) -> str:
        body = ", ".join(str(term) for term in self.terms)
        return f"<Incompatibility {{{body}}} {type(self.cause).__name__}>"
