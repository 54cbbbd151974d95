"""A failed resolution in plain words: its PubGrub derivation as numbered sentences, with hints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.ranges import VersionRange
from packaging.version import Version

from bale.resolver.candidates import PreReleases
from bale.resolver.incompatibility import (
    ConstraintCause,
    DependencyCause,
    DerivedCause,
    Incompatibility,
    MergedCause,
    NoVersionsCause,
    RequiresPythonCause,
    RootCause,
    UnavailableCause,
)
from bale.resolver.provider import PackageId, full_range, spec_range
from bale.resolver.term import Term, describe_range

__all__ = ["explain", "hints"]

_UNARY_CAUSES = (NoVersionsCause, UnavailableCause, RequiresPythonCause, MergedCause)


def explain(
    incompatibility: Incompatibility,
    *,
    root_label: str | None = None,
    versions: Mapping[PackageId, Sequence[Version]] | None = None,
) -> str:
    """The derivation of ``incompatibility`` (a failure) as numbered English sentences.

    ``root_label`` names the root ("app"); without it the root is "your requirements".
    ``versions`` (the versions the solver saw) lets ranges be printed in their simplest form:
    ``a==2.0 or ==2.1`` becomes ``a>=2.0`` when those are the newest versions of ``a``.
    """
    return _Explainer(_Words(root_label, versions or {}), incompatibility).write()


def hints(
    incompatibility: Incompatibility,
    *,
    versions: Mapping[PackageId, Sequence[Version]] | None = None,
    python_version: Version | None = None,
    prereleases: PreReleases | None = None,
) -> list[str]:
    """Facts that are not part of the proof but suggest a way out: pre-releases or yanked versions
    that would match, versions held back by ``Requires-Python``."""
    words = _Words(None, versions or {})
    found: list[str] = []
    seen: set[int] = set()
    python_groups: dict[tuple[PackageId, str], list[Version]] = {}
    stack = [incompatibility]
    order: list[Incompatibility] = []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        if isinstance(node.cause, DerivedCause):
            stack.append(node.cause.other)
            stack.append(node.cause.conflict)
    for node in order:
        cause = node.cause
        if not node.terms:
            continue
        term = node.terms[0]
        if isinstance(cause, NoVersionsCause):
            wanted = words.range_text(term.package, term.allowed)
            if cause.prereleases:
                listed = ", ".join(str(v) for v in sorted(cause.prereleases, reverse=True)[:3])
                way = "allow them with --prerelease allow"
                if prereleases is PreReleases.EXPLICIT:
                    way += f", or name one in the requirement ({term.package}>={cause.prereleases[0]})"
                found.append(
                    f"pre-releases of {term.package} match {wanted} ({listed}), but pre-releases are not "
                    f"allowed for it ({way})"
                )
            for version, reason in sorted(cause.yanked, reverse=True):
                because = f" (reason: {reason})" if reason else ""
                found.append(
                    f"{term.package}=={version} matches {wanted} but was yanked{because}; "
                    f"it is used only when pinned exactly ({term.package}=={version})"
                )
        elif isinstance(cause, RequiresPythonCause):
            group = python_groups.setdefault((term.package, cause.requires_python), [])
            group.extend(words.versions_in(term.package, term.allowed))
    target = f", but the target Python is {python_version}" if python_version is not None else ""
    for (package, spec), group_versions in python_groups.items():
        listed = " and ".join(f"{package}=={v}" for v in sorted(set(group_versions)))
        verb = "requires" if len(set(group_versions)) <= 1 else "require"
        found.append(f"{listed or package} {verb} Python{spec}{target}")
    return list(dict.fromkeys(found))


class _Words:
    """How terms and single incompatibilities read."""

    def __init__(self, root_label: str | None, versions: Mapping[PackageId, Sequence[Version]]) -> None:
        self.root_subject = root_label or "your requirements"
        self.root_verb = "depends on" if root_label else "depend on"
        self.root_constrain = "constrains" if root_label else "constrain"
        owner = f"{root_label}'s" if root_label else "your"
        self.conclusion = f"{owner} requirements are unsatisfiable"
        self._versions = {package: tuple(sorted(found)) for package, found in versions.items()}

    # -- ranges --------------------------------------------------------------------------------

    def versions_in(self, package: PackageId, allowed: VersionRange) -> list[Version]:
        return [v for v in self._versions.get(package.base, ()) if allowed.contains(v)]

    def _simplified(self, package: PackageId, allowed: VersionRange) -> VersionRange:
        """The simplest range holding the same known versions of ``package`` as ``allowed``."""
        known = self._versions.get(package.base, ())
        flags = [allowed.contains(v) for v in known]
        if not any(flags):
            return allowed
        if all(flags):
            return full_range()
        result = VersionRange.empty(prereleases=True)
        index = 0
        while index < len(known):
            if not flags[index]:
                index += 1
                continue
            end = index
            while end + 1 < len(known) and flags[end + 1]:
                end += 1
            if index == end:
                piece = VersionRange.singleton(known[index], prereleases=True)
            else:
                lower = f">={known[index]}" if index > 0 else ""
                upper = f"<{known[end + 1]}" if end + 1 < len(known) else ""
                piece = spec_range(",".join(part for part in (lower, upper) if part))
            result = result | piece
            index = end + 1
        return result

    def covers(self, narrow: Term, wide: Term) -> bool:
        """``narrow`` satisfies ``wide``, as sets or as far as the known versions go."""
        if narrow.satisfies(wide):
            return True
        if not (narrow.positive and wide.positive):
            return False
        inside = self.versions_in(narrow.package, narrow.allowed)
        return bool(inside) and all(wide.allowed.contains(v) for v in inside)

    def same(self, first: Incompatibility, second: Incompatibility) -> bool:
        """Both say the same thing about the known versions of each package."""
        if set(first.packages) != set(second.packages):
            return False
        for term in first.terms:
            other = second.term(term.package)
            if other is None or other.positive != term.positive:
                return False
            if term.allowed == other.allowed:
                continue
            known = self._versions.get(term.package.base)
            if not known or any(term.allowed.contains(v) != other.allowed.contains(v) for v in known):
                return False
        return True

    def range_text(self, package: PackageId, allowed: VersionRange, *, simplify: str = "never") -> str:
        """``a>=2`` (or just ``a`` for every version).

        ``simplify``: "never" prints the range as it is (what someone wrote); "complex" simplifies
        only ranges made of several pieces (set algebra leftovers); "shorter" takes the simplest
        range holding the same known versions whenever it reads shorter.
        """
        text = describe_range(allowed)
        if simplify == "shorter" or (simplify == "complex" and (" or " in text or "!=" in text)):
            shorter = describe_range(self._simplified(package, allowed))
            if len(shorter) < len(text):
                text = shorter
        return f"{package}{text}"

    def _is_full(self, package: PackageId, allowed: VersionRange) -> bool:
        return self.range_text(package, allowed) == str(package)

    # -- terms ---------------------------------------------------------------------------------

    def subject(self, term: Term, *, every: bool = False) -> str:
        """A positive term as the subject of a sentence: "every version of a>=2", "a==1.0", "a"."""
        if term.package.is_root:
            return self.root_subject
        text = self.range_text(term.package, term.allowed, simplify="shorter")
        if text == str(term.package):
            return f"every version of {term.package}" if every else str(term.package)
        exact = text[len(str(term.package)) :].startswith("==") and " or " not in text and "*" not in text
        return f"every version of {text}" if every and not exact else text

    def obj(self, term: Term, *, derived: bool = False) -> str:
        """A positive term as an object: "a>=2", or "a" for any version of it."""
        if term.package.is_root:
            return self.root_subject
        return self.range_text(term.package, term.allowed, simplify="complex" if derived else "never")

    def verb(self, term: Term) -> str:
        return self.root_verb if term.package.is_root else "depends on"

    # -- incompatibilities ---------------------------------------------------------------------

    def text(self, incompatibility: Incompatibility) -> str:
        cause = incompatibility.cause
        terms = incompatibility.terms
        if isinstance(cause, DependencyCause):
            depender = incompatibility.term(cause.package)
            dependency = incompatibility.term(cause.dependency)
            if depender is not None and dependency is not None and not dependency.positive:
                return (
                    f"{self.subject(depender, every=True)} {self.verb(depender)} "
                    f"{self.obj(dependency.negate())}"
                )
        if isinstance(cause, ConstraintCause) and len(terms) == 2:
            constrained = incompatibility.term(cause.package)
            if constrained is not None:
                allowed = constrained.negate()
                return f"{self.root_subject} {self.root_constrain} {self.obj(allowed)}"
        if isinstance(cause, RootCause):
            return f"{self.root_subject} must be satisfied"
        if len(terms) == 1 and not isinstance(cause, DerivedCause):
            predicate = self.unary_predicate(incompatibility)
            if predicate is not None:
                return predicate
        return self._general(incompatibility)

    def unary_predicate(self, incompatibility: Incompatibility) -> str | None:
        """The sentence for an external fact about one package."""
        term = incompatibility.terms[0]
        cause = incompatibility.cause
        package = term.package
        if isinstance(cause, NoVersionsCause):
            if package.is_python:
                current = self._versions.get(package, ())
                found = f" ({current[-1]})" if current else ""
                return f"the target Python{found} does not satisfy {self.obj(term)}"
            held_back = _held_back(cause)
            if held_back:
                return f"{self.range_text(package, term.allowed)} matches only {held_back}"
            if self._is_full(package, term.allowed):
                return f"there is no version of {package}"
            return f"there is no version of {self.range_text(package, term.allowed)}"
        if isinstance(cause, UnavailableCause):
            if self._is_full(package, term.allowed):
                return f"{package} {cause.reason}"
            return f"{self.subject(term, every=True)} {cause.reason}"
        if isinstance(cause, RequiresPythonCause):
            return f"{self.subject(term, every=True)} requires Python{cause.requires_python}"
        if isinstance(cause, MergedCause):
            return self._merged(package, cause.parts)
        return None

    def _merged(self, package: PackageId, parts: Sequence[Incompatibility]) -> str:
        python: dict[str, VersionRange] = {}
        unavailable: dict[str, VersionRange] = {}
        missing: list[VersionRange] = []
        union = VersionRange.empty(prereleases=True)
        for part in parts:
            allowed = part.terms[0].allowed
            union = union | allowed
            cause = part.cause
            if isinstance(cause, RequiresPythonCause):
                python[cause.requires_python] = python.get(cause.requires_python, _empty()) | allowed
            elif isinstance(cause, UnavailableCause):
                unavailable[cause.reason] = unavailable.get(cause.reason, _empty()) | allowed
            else:
                missing.append(allowed)
        phrases: list[str] = []
        for spec, allowed in python.items():
            phrases.append(f"{self.subject(Term(package, allowed), every=True)} requires Python{spec}")
        for reason, allowed in unavailable.items():
            phrases.append(f"{self.subject(Term(package, allowed), every=True)} {reason}")
        held_back = [a for a in missing if self.versions_in(package, a)]
        if held_back or not phrases:
            other = "other " if phrases else ""
            phrases.append(f"there is no {other}version of {self.range_text(package, union)}")
        return _join(phrases)

    def _general(self, incompatibility: Incompatibility) -> str:
        terms = incompatibility.terms
        if incompatibility.is_failure:
            return self.conclusion
        if len(terms) == 1:
            term = terms[0]
            if term.positive:
                subject = self.subject(term)
                if subject == str(term.package):
                    return f"no version of {term.package} can be used"
                return f"{subject} cannot be used"
            return f"{self.root_subject} {self.root_verb} {self.obj(term.negate(), derived=True)}"
        positives = [t for t in terms if t.positive]
        negatives = [self.obj(t.negate(), derived=True) for t in terms if not t.positive]
        if positives and negatives:
            if len(positives) == 1:
                only = positives[0]
                return f"{self.subject(only, every=True)} {self.verb(only)} {' or '.join(negatives)}"
            chosen = _join([self.subject(t) for t in positives])
            return f"if {chosen} are selected, then {' or '.join(negatives)} is required"
        if positives:
            if len(positives) == 2:
                return f"{self.subject(positives[0])} is incompatible with {self.subject(positives[1])}"
            return f"{_join([self.subject(t) for t in positives])} are incompatible"
        return f"{self.root_subject} {self.root_verb} {' or '.join(negatives)}"

    def and_text(
        self, first: Incompatibility, second: Incompatibility, first_line: int | None, second_line: int | None
    ) -> str:
        """Two facts joined, in the shortest way their shapes allow."""
        for attempt in (self._both, self._through, self._forbidden):
            text = attempt(first, second, first_line, second_line)
            if text is None:
                text = attempt(second, first, second_line, first_line)
            if text is not None:
                return text
        return f"{self.text(first)}{_ref(first_line)} and {self.text(second)}{_ref(second_line)}"

    @staticmethod
    def _split(incompatibility: Incompatibility) -> tuple[Term, Term] | None:
        """(positive, negative) for an "X depends on Y" shaped incompatibility."""
        terms = incompatibility.terms
        if len(terms) != 2 or incompatibility.is_failure:
            return None
        positive = [t for t in terms if t.positive]
        negative = [t for t in terms if not t.positive]
        if len(positive) != 1 or len(negative) != 1:
            return None
        return positive[0], negative[0]

    def _both(
        self, first: Incompatibility, second: Incompatibility, first_line: int | None, second_line: int | None
    ) -> str | None:
        one, two = self._split(first), self._split(second)
        if one is None or two is None or one[0] != two[0] or one[1].package == two[1].package:
            return None
        simplify_one = not isinstance(first.cause, DependencyCause)
        simplify_two = not isinstance(second.cause, DependencyCause)
        return (
            f"{self.subject(one[0], every=True)} {self.verb(one[0])} both "
            f"{self.obj(one[1].negate(), derived=simplify_one)}{_ref(first_line)} and "
            f"{self.obj(two[1].negate(), derived=simplify_two)}{_ref(second_line)}"
        )

    def _through(
        self, first: Incompatibility, second: Incompatibility, first_line: int | None, second_line: int | None
    ) -> str | None:
        one, two = self._split(first), self._split(second)
        if one is None or two is None:
            return None
        needed = one[1].negate()
        if needed.package != two[0].package or not self.covers(needed, two[0]):
            return None
        simplify_one = not isinstance(first.cause, DependencyCause)
        simplify_two = not isinstance(second.cause, DependencyCause)
        return (
            f"{self.subject(one[0], every=True)} {self.verb(one[0])} "
            f"{self.obj(needed, derived=simplify_one)}{_ref(first_line)} which depends on "
            f"{self.obj(two[1].negate(), derived=simplify_two)}{_ref(second_line)}"
        )

    def _forbidden(
        self, first: Incompatibility, second: Incompatibility, first_line: int | None, second_line: int | None
    ) -> str | None:
        one = self._split(first)
        if one is None or len(second.terms) != 1 or not second.terms[0].positive:
            return None
        needed = one[1].negate()
        if needed.package != second.terms[0].package or not self.covers(needed, second.terms[0]):
            return None
        cause = second.cause
        if isinstance(cause, NoVersionsCause) and not needed.package.is_python:
            held_back = _held_back(cause)
            which = f"which matches only {held_back}" if held_back else "which does not match any version"
        elif isinstance(cause, RequiresPythonCause):
            which = f"which requires Python{cause.requires_python}"
        elif isinstance(cause, UnavailableCause):
            which = f"which {cause.reason}"
        elif isinstance(cause, DerivedCause):
            which = "which cannot be used"
        else:
            return None
        simplify_one = not isinstance(first.cause, DependencyCause)
        return (
            f"{self.subject(one[0], every=True)} {self.verb(one[0])} "
            f"{self.obj(needed, derived=simplify_one)}{_ref(first_line)} {which}{_ref(second_line)}"
        )


def _held_back(cause: NoVersionsCause) -> str:
    """What the versions in range were, when the options turned all of them down."""
    kinds = []
    if cause.prereleases:
        kinds.append("pre-releases")
    if cause.yanked:
        kinds.append("yanked versions")
    return " and ".join(kinds)


def _ref(line: int | None) -> str:
    return f" ({line})" if line is not None else ""


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _empty() -> VersionRange:
    return VersionRange.empty(prereleases=True)


def _unary_package(incompatibility: Incompatibility) -> PackageId | None:
    """The package of an external fact about one package's versions, else None."""
    if not isinstance(incompatibility.cause, _UNARY_CAUSES) or len(incompatibility.terms) != 1:
        return None
    term = incompatibility.terms[0]
    return term.package if term.positive else None


class _Explainer:
    """Walks the derivation tree, writing one sentence per derived incompatibility."""

    def __init__(self, words: _Words, root: Incompatibility) -> None:
        self._words = words
        self._shared: set[int] = set()
        self._keep: list[Incompatibility] = []  # holds rewritten nodes so their ids stay unique
        counts = self._count(root)
        self._shared = {key for key, count in counts.items() if count > 1}
        self._top = root
        self._root = self._collapse(root, {})
        self._derivations = self._count(self._root)
        self._lines: list[tuple[str, int | None]] = []
        self._numbers: dict[int, int] = {}

    @staticmethod
    def _count(root: Incompatibility) -> dict[int, int]:
        """How many times each derived node is used as a cause."""
        counts: dict[int, int] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            if not isinstance(node.cause, DerivedCause):
                continue
            for child in (node.cause.conflict, node.cause.other):
                counts[id(child)] = counts.get(id(child), 0) + 1
                if counts[id(child)] == 1:
                    stack.append(child)
        return counts

    def _collapse(self, node: Incompatibility, memo: dict[int, Incompatibility]) -> Incompatibility:
        """Merge runs of one-package facts about the same package into one fact (see MergedCause)."""
        cause = node.cause
        if not isinstance(cause, DerivedCause):
            return node
        done = memo.get(id(node))
        if done is not None:
            return done
        conflict = self._collapse(cause.conflict, memo)
        other = self._collapse(cause.other, memo)
        result = node
        if conflict is not cause.conflict or other is not cause.other:
            result = self._rewrite(node, conflict, other)
        while True:
            merged = self._merge_step(result)
            if merged is None:
                break
            result = merged
        if node is not self._top and id(node) not in self._shared:
            result = self._skip_empty_gap(result)
            result = self._merge_pair(result)
        memo[id(node)] = result
        return result

    def _merge_pair(self, node: Incompatibility) -> Incompatibility:
        """A conclusion about one package drawn from two facts about that package becomes one fact."""
        cause = node.cause
        if not isinstance(cause, DerivedCause) or len(node.terms) != 1 or not node.terms[0].positive:
            return node
        package = node.terms[0].package
        if _unary_package(cause.conflict) != package or _unary_package(cause.other) != package:
            return node
        parts: list[Incompatibility] = []
        for piece in (cause.conflict, cause.other):
            if isinstance(piece.cause, MergedCause):
                parts.extend(piece.cause.parts)
            else:
                parts.append(piece)
        merged = Incompatibility(node.terms, MergedCause(tuple(parts)))
        self._keep.append(merged)
        return merged

    def _skip_empty_gap(self, node: Incompatibility) -> Incompatibility:
        """Drop a step that only says "there is no version of a>1.0,<2" (a range between known versions
        holding none of them) when the conclusion reads the same as the other premise without it."""
        cause = node.cause
        assert isinstance(cause, DerivedCause)
        for fact, rest in ((cause.conflict, cause.other), (cause.other, cause.conflict)):
            if not isinstance(fact.cause, NoVersionsCause) or len(fact.terms) != 1:
                continue
            if fact.cause.prereleases or fact.cause.yanked:
                continue
            term = fact.terms[0]
            if term.package.is_python or self._words.versions_in(term.package, term.allowed):
                continue
            if self._words.same(rest, node):
                return rest
        return node

    def _rewrite(
        self, like: Incompatibility, conflict: Incompatibility, other: Incompatibility
    ) -> Incompatibility:
        rewritten = Incompatibility(like.terms, DerivedCause(conflict, other))
        self._keep.append(rewritten)
        if id(like) in self._shared:
            self._shared.add(id(rewritten))
        return rewritten

    def _merge_step(self, node: Incompatibility) -> Incompatibility | None:
        cause = node.cause
        assert isinstance(cause, DerivedCause)
        for fact, rest in ((cause.conflict, cause.other), (cause.other, cause.conflict)):
            package = _unary_package(fact)
            if package is None or not isinstance(rest.cause, DerivedCause) or id(rest) in self._shared:
                continue
            inner = rest.cause
            for inner_fact, inner_rest in ((inner.conflict, inner.other), (inner.other, inner.conflict)):
                if _unary_package(inner_fact) != package:
                    continue
                parts: list[Incompatibility] = []
                for piece in (inner_fact, fact):
                    if isinstance(piece.cause, MergedCause):
                        parts.extend(piece.cause.parts)
                    else:
                        parts.append(piece)
                union = parts[0].terms[0]
                for piece in parts[1:]:
                    union = Term(package, union.allowed | piece.terms[0].allowed)
                merged = Incompatibility([union], MergedCause(tuple(parts)))
                self._keep.append(merged)
                return self._rewrite(node, inner_rest, merged)
        return None

    # -- writing -------------------------------------------------------------------------------

    def write(self) -> str:
        root = self._root
        if isinstance(root.cause, DerivedCause):
            self._visit(root)
        else:
            self._emit(root, f"Because {self._words.text(root)}, {self._words.conclusion}.", numbered=False)
        width = len(f"({max(self._numbers.values())}) ") if self._numbers else 0
        out: list[str] = []
        for message, number in self._lines:
            if not message:
                if out and out[-1] != "":
                    out.append("")
                continue
            prefix = f"({number}) ".ljust(width) if number is not None else " " * width
            out.append(prefix + message)
        return "\n".join(out)

    def _emit(self, node: Incompatibility, message: str, *, numbered: bool) -> None:
        if numbered:
            number = len(self._numbers) + 1
            self._numbers[id(node)] = number
            self._lines.append((message, number))
        else:
            self._lines.append((message, None))

    def _single_line(self, node: Incompatibility) -> bool:
        cause = node.cause
        assert isinstance(cause, DerivedCause)
        return cause.conflict.is_external and cause.other.is_external

    def _collapsible(self, node: Incompatibility) -> bool:
        if self._derivations.get(id(node), 0) > 1:
            return False
        cause = node.cause
        assert isinstance(cause, DerivedCause)
        if cause.conflict.is_external == cause.other.is_external:
            return False  # both derived or both external: not a simple chain link
        derived = cause.other if cause.conflict.is_external else cause.conflict
        return id(derived) not in self._numbers

    def _visit(self, node: Incompatibility, *, conclusion: bool = False) -> None:
        words = self._words
        numbered = conclusion or self._derivations.get(id(node), 0) > 1
        conjunction = "So," if numbered else "And"
        statement = words.text(node)
        cause = node.cause
        assert isinstance(cause, DerivedCause)
        conflict, other = cause.conflict, cause.other
        if not conflict.is_external and not other.is_external:
            conflict_line = self._numbers.get(id(conflict))
            other_line = self._numbers.get(id(other))
            if conflict_line is not None and other_line is not None:
                joined = words.and_text(conflict, other, conflict_line, other_line)
                self._emit(node, f"Because {joined}, {statement}.", numbered=numbered)
            elif conflict_line is not None or other_line is not None:
                if conflict_line is not None:
                    with_line, without_line = conflict, other
                else:
                    with_line, without_line = other, conflict
                line = conflict_line if conflict_line is not None else other_line
                self._visit(without_line)
                self._emit(
                    node,
                    f"{conjunction} because {words.text(with_line)} ({line}), {statement}.",
                    numbered=numbered,
                )
            elif self._single_line(conflict) or self._single_line(other):
                first, second = (conflict, other) if self._single_line(other) else (other, conflict)
                self._visit(first)
                self._visit(second)
                self._emit(node, f"Thus, {statement}.", numbered=numbered)
            else:
                self._visit(conflict, conclusion=True)
                self._lines.append(("", None))
                self._visit(other)
                self._emit(
                    node,
                    f"{conjunction} because {words.text(conflict)} ({self._numbers[id(conflict)]}), "
                    f"{statement}.",
                    numbered=numbered,
                )
        elif not conflict.is_external or not other.is_external:
            derived, external = (conflict, other) if not conflict.is_external else (other, conflict)
            derived_line = self._numbers.get(id(derived))
            if derived_line is not None:
                joined = words.and_text(external, derived, None, derived_line)
                self._emit(node, f"Because {joined}, {statement}.", numbered=numbered)
            elif self._collapsible(derived):
                inner = derived.cause
                assert isinstance(inner, DerivedCause)
                if inner.conflict.is_external:
                    inner_derived, inner_external = inner.other, inner.conflict
                else:
                    inner_derived, inner_external = inner.conflict, inner.other
                self._visit(inner_derived)
                joined = words.and_text(inner_external, external, None, None)
                self._emit(node, f"{conjunction} because {joined}, {statement}.", numbered=numbered)
            else:
                self._visit(derived)
                self._emit(
                    node, f"{conjunction} because {words.text(external)}, {statement}.", numbered=numbered
                )
        else:
            joined = words.and_text(conflict, other, None, None)
            self._emit(node, f"Because {joined}, {statement}.", numbered=numbered)
