"""Spell a marker diagram as a short, canonical PEP 508 marker."""

from __future__ import annotations

import itertools

from bale.markers.python import PythonRange
from bale.markers.tree import (
    FALSE,
    PYTHON,
    TRUE,
    Clause,
    Domain,
    Node,
    and_,
    canonical,
    clause_node,
    not_,
    opaque_atom,
    opaque_holds,
    or_,
    paths,
    rank,
    satisfiable,
)
from bale.markers.values import ValueSet, quote

__all__ = ["NEVER", "to_text"]

# PEP 508 has no "false"; this comparison holds for no interpreter.
NEVER = "python_full_version < '0'"


_TEXTS: dict[int, str] = {}


def to_text(node: Node) -> str:
    """The marker text of ``node`` (see :func:`_spell`); remembered, since forks spell the same
    markers again and again."""
    found = _TEXTS.get(id(node))
    if found is None:
        found = _spell(node)
        if len(_TEXTS) > 50_000:
            _TEXTS.clear()
        _TEXTS[id(node)] = found
    return found


def _spell(node: Node) -> str:
    """The marker text of ``node``: "" when always true, :data:`NEVER` when never true.

    The same function always gives the same text. Each path of the diagram becomes a clause, widened
    while it still implies the whole (so ``python < 3.10 and win32 or python >= 3.10`` reads
    ``python_full_version >= '3.10' or sys_platform == 'win32'``); clauses differing in one
    variable join, and clauses that others cover go.
    """
    if node is TRUE or not satisfiable(not_(node)):
        return ""
    if node is FALSE or not satisfiable(node):
        return NEVER
    # The canonical diagram makes the text depend on the meaning only, not on how it was written.
    node = canonical(node)
    clauses: list[Clause] = []
    for path in paths(node):
        widened = _widen(path, node)
        if widened not in clauses:
            clauses.append(widened)
    clauses = sorted(_drop_covered(_merge(clauses)), key=_clause_key)
    texts = [_clause_text(clause) for clause in clauses]
    if len(texts) > 1:
        texts = [f"({text})" if " and " in text else text for text in texts]
    return " or ".join(texts)


def _implies(clause: Clause, node: Node) -> bool:
    return not satisfiable(and_(clause_node(clause), not_(node)))


def _replace(clause: Clause, var: str, values: Domain) -> Clause:
    return tuple(
        (name, values) if name == var else (name, old)
        for name, old in clause
        if not (name == var and values.is_full)
    )


def _widen(clause: Clause, node: Node) -> Clause:
    # Last variables first, so that of two comparisons saying the same thing (``sys_platform ==
    # 'win32'`` and ``os_name == 'nt'``) the one earlier in the diagram order stays.
    for var, values in reversed(clause):
        trial = _replace(clause, var, _full_of(values))
        if _implies(trial, node):
            clause = trial
            continue
        if isinstance(values, PythonRange):
            current = values
            for wider in (_without_lower(current), None):
                candidate = wider if wider is not None else _without_upper(current)
                if candidate == current:
                    continue
                trial = _replace(clause, var, candidate)
                if _implies(trial, node):
                    clause, current = trial, candidate
        elif values.negated and len(values.values) > 1:
            # ``sys_platform != 'darwin' and sys_platform != 'win32'`` may need fewer exclusions.
            current_set = values
            for excluded in sorted(values.values):
                candidate_set = ValueSet(current_set.values - {excluded}, negated=True)
                trial = _replace(clause, var, candidate_set)
                if _implies(trial, node):
                    clause, current_set = trial, candidate_set
    return clause


def _full_of(values: Domain) -> Domain:
    return PythonRange.full() if isinstance(values, PythonRange) else ValueSet.full()


def _without_lower(values: PythonRange) -> PythonRange:
    if not values.cuts:
        return values
    return values | PythonRange.between(None, values.cuts[0])


def _without_upper(values: PythonRange) -> PythonRange:
    if len(values.cuts) % 2 == 1:
        return values
    return values | PythonRange.between(values.cuts[-1], None)


def _merge(clauses: list[Clause]) -> list[Clause]:
    """Join clauses that differ in the values of one variable only (their union is exact)."""
    merged = list(clauses)
    changed = True
    while changed:
        changed = False
        for i, j in itertools.combinations(range(len(merged)), 2):
            joined = _join(merged[i], merged[j])
            if joined is not None:
                merged[i] = joined
                del merged[j]
                changed = True
                break
    return merged


def _join(left: Clause, right: Clause) -> Clause | None:
    if [var for var, _ in left] != [var for var, _ in right]:
        return None
    differing = [index for index, (a, b) in enumerate(zip(left, right, strict=True)) if a[1] != b[1]]
    if len(differing) != 1:
        return None
    index = differing[0]
    var, values = left[index]
    union = _union(values, right[index][1])
    middle: Clause = () if union.is_full else ((var, union),)
    return left[:index] + middle + left[index + 1 :]


def _union(a: Domain, b: Domain) -> Domain:
    if isinstance(a, PythonRange) and isinstance(b, PythonRange):
        return a | b
    assert isinstance(a, ValueSet) and isinstance(b, ValueSet)
    return a | b


def _drop_covered(clauses: list[Clause]) -> list[Clause]:
    kept = list(clauses)
    index = 0
    while index < len(kept):
        others = FALSE
        for position, other in enumerate(kept):
            if position != index:
                others = or_(others, clause_node(other))
        if len(kept) > 1 and _implies(kept[index], others):
            del kept[index]
        else:
            index += 1
    return kept


def _clause_key(clause: Clause) -> tuple[tuple[tuple[int, str], object], ...]:
    return tuple((rank(var), values.sort_key()) for var, values in clause)


def _clause_text(clause: Clause) -> str:
    atoms = [_atom_text(var, values) for var, values in clause]
    if len(atoms) > 1:
        atoms = [f"({text})" if " or " in text else text for text in atoms]
    return " and ".join(atoms)


def _atom_text(var: str, values: Domain) -> str:
    if isinstance(values, PythonRange):
        assert var == PYTHON
        return values.marker_text(var)
    if var.startswith("~"):
        found = opaque_atom(var)
        return found.text if opaque_holds(values) else found.negation
    names = sorted(values.values)
    if values.negated:
        return " and ".join(f"{var} != {quote(value)}" for value in names)
    return " or ".join(f"{var} == {quote(value)}" for value in names)
