"""``MarkerExpr``: a PEP 508 marker as a value with and/or/not, disjointness and a canonical spelling."""

from __future__ import annotations

from collections.abc import Mapping

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from bale.markers import render, tree
from bale.markers.parse import parse_marker
from bale.markers.python import PythonRange

__all__ = [
    "FALSE",
    "TRUE",
    "MarkerExpr",
    "and_",
    "is_always_false",
    "is_always_true",
    "is_disjoint",
    "not_",
    "or_",
    "parse",
    "python_marker",
    "restrict_python",
    "simplify",
    "to_marker",
    "to_string",
]


class MarkerExpr:
    """The set of environments where a marker holds. Immutable; markers that hold in the same real
    environments compare equal (``os_name == 'nt'`` and ``sys_platform == 'win32'`` do, see
    :mod:`bale.markers.tree`).

    ``&``, ``|`` and ``~`` combine; ``str()`` gives the canonical marker ("" when always true).
    """

    __slots__ = ("node",)

    def __init__(self, node: tree.Node) -> None:
        self.node = node

    def __and__(self, other: MarkerExpr) -> MarkerExpr:
        return MarkerExpr(tree.and_(self.node, other.node))

    def __or__(self, other: MarkerExpr) -> MarkerExpr:
        return MarkerExpr(tree.or_(self.node, other.node))

    def __invert__(self) -> MarkerExpr:
        return MarkerExpr(tree.not_(self.node))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MarkerExpr):
            return NotImplemented
        return other.node is self.node or tree.canonical(other.node) is tree.canonical(self.node)

    def __hash__(self) -> int:
        return id(tree.canonical(self.node))

    @property
    def is_true(self) -> bool:
        """Holds in every real environment."""
        return self.node is tree.TRUE or not tree.satisfiable(tree.not_(self.node))

    @property
    def is_false(self) -> bool:
        """Holds in no real environment."""
        return self.node is tree.FALSE or not tree.satisfiable(self.node)

    def is_disjoint(self, other: MarkerExpr) -> bool:
        """No real environment satisfies both."""
        return not tree.satisfiable(tree.and_(self.node, other.node))

    def implies(self, other: MarkerExpr) -> bool:
        """Every real environment satisfying this one satisfies ``other``."""
        return not tree.satisfiable(tree.and_(self.node, tree.not_(other.node)))

    def python_range(self) -> PythonRange:
        """The interpreter versions under which this can hold."""
        return tree.python_projection(self.node)

    def with_value(self, variable: str, value: str) -> MarkerExpr:
        """This marker with a string variable fixed, e.g. ``extra`` to ``"test"`` (or "" for none)."""
        return MarkerExpr(tree.specialize(self.node, variable, value))

    def evaluate(self, environment: Mapping[str, str]) -> bool:
        """The value for one concrete environment (as ``Marker.evaluate``, ``extra`` defaulting to "")."""
        return tree.evaluate(self.node, environment)

    def to_string(self) -> str:
        """Canonical PEP 508 text; "" when always true, ``python_full_version < '0'`` when never."""
        return render.to_text(self.node)

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"MarkerExpr({self.to_string()!r})"


TRUE = MarkerExpr(tree.TRUE)
FALSE = MarkerExpr(tree.FALSE)


def parse(marker: Marker | str | None) -> MarkerExpr:
    """A marker as an expression (None or "" is always true). Raises ``ValueError`` for comparisons
    PEP 508 leaves undefined (``os_name ~= 'x'``) and ``InvalidMarker`` for bad text."""
    if marker is None or (isinstance(marker, str) and not marker.strip()):
        return TRUE
    return MarkerExpr(parse_marker(marker))


def and_(*items: MarkerExpr) -> MarkerExpr:
    result = tree.TRUE
    for item in items:
        result = tree.and_(result, item.node)
    return MarkerExpr(result)


def or_(*items: MarkerExpr) -> MarkerExpr:
    result = tree.FALSE
    for item in items:
        result = tree.or_(result, item.node)
    return MarkerExpr(result)


def not_(item: MarkerExpr) -> MarkerExpr:
    return ~item


def is_disjoint(a: MarkerExpr, b: MarkerExpr) -> bool:
    """No real environment satisfies both ``a`` and ``b``."""
    return a.is_disjoint(b)


def is_always_true(item: MarkerExpr) -> bool:
    return item.is_true


def is_always_false(item: MarkerExpr) -> bool:
    return item.is_false


def python_marker(requires_python: SpecifierSet | str) -> MarkerExpr:
    """The environments whose interpreter a ``Requires-Python`` admits."""
    return python_range_marker(PythonRange.from_specifier_set(SpecifierSet(str(requires_python))))


def python_range_marker(pythons: PythonRange) -> MarkerExpr:
    """The environments whose interpreter is in ``pythons``."""
    return MarkerExpr(tree.atom(tree.PYTHON, pythons))


def restrict_python(item: MarkerExpr, requires_python: SpecifierSet | str | None) -> MarkerExpr:
    """The simplest expression equal to ``item`` for every interpreter ``requires_python`` admits.

    What the range already implies goes: with ``>=3.9``, ``python_version >= '3.8'`` is true and
    ``python_full_version >= '3.9' and python_full_version < '3.10'`` reads ``python_full_version < '3.10'``.
    """
    if requires_python is None:
        return item
    allowed = PythonRange.from_specifier_set(SpecifierSet(str(requires_python)))
    return MarkerExpr(tree.restrict_python(item.node, allowed))


def simplify(
    item: MarkerExpr | Marker | str | None, requires_python: SpecifierSet | str | None = None
) -> MarkerExpr:
    """The canonical expression of a marker (expressions are kept canonical; this parses when needed
    and drops what ``requires_python`` implies)."""
    expression = item if isinstance(item, MarkerExpr) else parse(item)
    return restrict_python(expression, requires_python)


def to_string(item: MarkerExpr) -> str:
    return item.to_string()


def to_marker(item: MarkerExpr) -> Marker | None:
    """A ``packaging`` marker, or None when always true."""
    text = item.to_string()
    return Marker(text) if text else None
