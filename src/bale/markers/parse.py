"""Turn a ``packaging.markers.Marker`` into a decision diagram (see :mod:`bale.markers.tree`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from packaging.markers import Marker
from packaging.utils import canonicalize_name

from bale.markers.python import PythonRange
from bale.markers.tree import FALSE, PYTHON, TRUE, Node, and_, atom, opaque, or_
from bale.markers.values import ValueSet, quote

__all__ = ["parse_marker"]

# Compared as plain strings by PEP 508 (``<``/``>`` are false, ``<=``/``>=`` mean ``==``).
STRING_VARIABLES = frozenset(
    {
        "extra",
        "implementation_name",
        "os_name",
        "platform_machine",
        "platform_python_implementation",
        "platform_system",
        "platform_version",
        "sys_platform",
    }
)
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATION = {
    "<": ">=",
    ">=": "<",
    "<=": ">",
    ">": "<=",
    "==": "!=",
    "!=": "==",
    "in": "not in",
    "not in": "in",
}
_POSITIVE = {"<", "<=", "==", "in"}


def parse_marker(marker: Marker | str) -> Node:
    """The diagram of ``marker``. Raises ``ValueError`` for a comparison PEP 508 leaves undefined
    (``os_name ~= 'x'``), which would also fail to evaluate."""
    return _parse_text(str(marker))


@lru_cache(maxsize=8192)
def _parse_text(text: str) -> Node:
    return _expression(Marker(text)._markers)


def _expression(items: list[Any]) -> Node:
    """``items`` alternates operands and "and"/"or"; ``and`` binds tighter, as in PEP 508."""
    result = FALSE
    conjunction = TRUE
    for item in items:
        if item == "or":
            result = or_(result, conjunction)
            conjunction = TRUE
        elif item == "and":
            continue
        elif isinstance(item, list):
            conjunction = and_(conjunction, _expression(item))
        else:
            conjunction = and_(conjunction, _comparison(*item))
    return or_(result, conjunction)


def _comparison(lhs: Any, op: Any, rhs: Any) -> Node:
    operator = op.serialize()
    left_is_variable = type(lhs).__name__ == "Variable"
    right_is_variable = type(rhs).__name__ == "Variable"
    if left_is_variable and not right_is_variable:
        return _variable_op(str(lhs.value), operator, str(rhs.value), swapped=False)
    if right_is_variable and not left_is_variable:
        return _variable_op(str(rhs.value), operator, str(lhs.value), swapped=True)
    raise ValueError(f"unsupported marker comparison: {lhs.serialize()} {operator} {rhs.serialize()}")


def _variable_op(variable: str, operator: str, value: str, *, swapped: bool) -> Node:
    if operator in ("in", "not in"):
        return _opaque(variable, operator, value, swapped=swapped)
    if swapped:
        flipped = _FLIP.get(operator)
        if flipped is None:
            return _opaque(variable, operator, value, swapped=True)
        operator = flipped
    if variable in ("python_version", "python_full_version"):
        return _python(variable, operator, value)
    if variable in STRING_VARIABLES:
        if variable == "extra":
            value = canonicalize_name(value)
        if operator in ("==", "<=", ">="):
            return atom(variable, ValueSet.of(value))
        if operator == "!=":
            return atom(variable, ~ValueSet.of(value))
        if operator in ("<", ">"):
            return FALSE
        raise ValueError(f"'{operator}' is not defined for {variable} (PEP 508 compares it as a string)")
    return _opaque(variable, operator, value, swapped=False)


def _python(variable: str, operator: str, value: str) -> Node:
    found = (
        PythonRange.from_minor_specifier(operator, value)
        if variable == "python_version"
        else PythonRange.from_specifier(operator, value)
    )
    if found is not None:
        return atom(PYTHON, found)
    # Not a version: PEP 508 falls back to comparing strings, which an interpreter version never equals.
    if operator == "!=":
        return TRUE
    if operator in ("==", "<=", ">=", "<", ">", "==="):
        return FALSE
    return _opaque(variable, operator, value, swapped=False)


def _opaque(variable: str, operator: str, value: str, *, swapped: bool) -> Node:
    def spell(op: str) -> str:
        return f"{quote(value)} {op} {variable}" if swapped else f"{variable} {op} {quote(value)}"

    negated = _NEGATION.get(operator)
    if negated is None:
        raise ValueError(f"'{spell(operator)}' cannot be used in universal resolution")
    if operator in _POSITIVE:
        return opaque(spell(operator), spell(negated))
    from bale.markers.tree import not_

    return not_(opaque(spell(negated), spell(operator)))
