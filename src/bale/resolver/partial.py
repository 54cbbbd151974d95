"""The partial solution: the ordered decisions and derivations the solver has made so far."""

from __future__ import annotations

from packaging.ranges import VersionRange
from packaging.version import Version

from bale.model.record import record
from bale.resolver.incompatibility import Incompatibility
from bale.resolver.provider import PackageId
from bale.resolver.term import Relation, Term

__all__ = ["Assignment", "PartialSolution"]


@record(frozen=True, slots=True)
class Assignment:
    """One step: a decision (``cause`` None, ``version`` set) or a term derived from ``cause``.

    ``accumulated`` is the intersection of this and every earlier assignment of the same package.
    """

    term: Term
    level: int
    index: int
    accumulated: Term
    cause: Incompatibility | None = None
    version: Version | None = None

    @property
    def is_decision(self) -> bool:
        return self.cause is None


class PartialSolution:
    """Assignments in order, with the running intersection of the terms of each package.

    The decision level is the number of decisions made; the root's decision is level 1, so
    backtracking never goes below it.
    """

    def __init__(self) -> None:
        self._assignments: list[Assignment] = []
        self._by_package: dict[PackageId, list[Assignment]] = {}
        self._terms: dict[PackageId, Term] = {}
        self._decisions: dict[PackageId, Version] = {}
        # When each package's term entered ``_terms`` (its place in ``undecided()``'s order), and the
        # packages whose term or decision changed since ``drain_changed``: the solver keeps its pick
        # order in a heap from these instead of scanning every undecided package at each decision.
        self._seq: dict[PackageId, int] = {}
        self._next_seq = 0
        self._changed: list[PackageId] = []

    @property
    def level(self) -> int:
        return len(self._decisions)

    @property
    def decisions(self) -> dict[PackageId, Version]:
        return dict(self._decisions)

    def is_decided(self, package: PackageId) -> bool:
        return package in self._decisions

    def decided_version(self, package: PackageId) -> Version | None:
        return self._decisions.get(package)

    def term(self, package: PackageId) -> Term | None:
        """Everything known about ``package`` (the intersection of its assignments), None if nothing."""
        return self._terms.get(package)

    def seq(self, package: PackageId) -> int:
        """The place of ``package`` among the known ones (``undecided()`` lists them in this order)."""
        return self._seq[package]

    def drain_changed(self) -> list[PackageId]:
        """The packages whose term or decision changed since the last call (repeats possible)."""
        changed, self._changed = self._changed, []
        return changed

    def undecided(self) -> list[PackageId]:
        """Packages that must be selected but have no version yet, in the order they came up."""
        return [
            package
            for package, term in self._terms.items()
            if term.positive and package not in self._decisions
        ]

    def decide(self, package: PackageId, version: Version, allowed: VersionRange) -> None:
        self._decisions[package] = version
        self._assign(Term(package, allowed), None, version)

    def derive(self, term: Term, cause: Incompatibility) -> None:
        self._assign(term, cause, None)

    def _assign(self, term: Term, cause: Incompatibility | None, version: Version | None) -> None:
        package = term.package
        previous = self._terms.get(package)
        if previous is None:
            self._seq[package] = self._next_seq
            self._next_seq += 1
        self._changed.append(package)
        accumulated = term if previous is None else previous.intersect(term)
        assignment = Assignment(term, self.level, len(self._assignments), accumulated, cause, version)
        self._assignments.append(assignment)
        self._by_package.setdefault(package, []).append(assignment)
        self._terms[package] = accumulated

    def backtrack(self, level: int) -> None:
        """Drop every assignment made above decision ``level``."""
        touched: set[PackageId] = set()
        while self._assignments and self._assignments[-1].level > level:
            assignment = self._assignments.pop()
            package = assignment.term.package
            touched.add(package)
            self._by_package[package].pop()
            if assignment.is_decision:
                del self._decisions[package]
        self._changed.extend(touched)
        for package in touched:
            remaining = self._by_package[package]
            if not remaining:
                del self._by_package[package]
                del self._terms[package]
                del self._seq[package]
                continue
            self._terms[package] = remaining[-1].accumulated

    def relation(self, term: Term) -> Relation:
        known = self._terms.get(term.package)
        if known is None:
            return Relation.INCONCLUSIVE
        return known.relation(term)

    def satisfies(self, term: Term) -> bool:
        known = self._terms.get(term.package)
        return known is not None and known.satisfies(term)

    def satisfier(self, incompatibility: Incompatibility) -> tuple[Assignment, int]:
        """The earliest assignment after which ``incompatibility`` is satisfied, and the decision level
        to backtrack to: the latest level at which the rest of it (plus the satisfier) was satisfied.

        The incompatibility must be satisfied by the whole partial solution.
        """
        found: dict[PackageId, Assignment] = {}
        for term in incompatibility.terms:
            found[term.package] = self._first_satisfying(term, None)
        satisfier = max(found.values(), key=lambda assignment: assignment.index)
        previous = 1
        for package, assignment in found.items():
            if package != satisfier.term.package:
                previous = max(previous, assignment.level)
        own = incompatibility.term(satisfier.term.package)
        assert own is not None
        if not satisfier.term.satisfies(own):
            # A partial satisfier: the earlier assignments of its package that complete it count too.
            earlier = self._first_satisfying(own, satisfier)
            previous = max(previous, earlier.level)
        return satisfier, previous

    def _first_satisfying(self, term: Term, start: Assignment | None) -> Assignment:
        """The first assignment of ``term.package`` whose accumulated term (intersected with
        ``start``'s term, when given, and looking only before ``start``) satisfies ``term``.

        Accumulated terms only narrow, so "satisfies" is monotone along the list: binary search.
        """
        assignments = self._by_package.get(term.package, [])
        high = len(assignments)
        if start is not None:
            while high and assignments[high - 1].index >= start.index:
                high -= 1

        def good(position: int) -> bool:
            accumulated = assignments[position].accumulated
            if start is not None:
                accumulated = accumulated.intersect(start.term)
            return accumulated.satisfies(term)

        low = 0
        if high == 0 or not good(high - 1):
            raise AssertionError(f"{term} is not satisfied by the partial solution")  # pragma: no cover
        high -= 1
        while low < high:
            middle = (low + high) // 2
            if good(middle):
                high = middle
            else:
                low = middle + 1
        return assignments[low]
