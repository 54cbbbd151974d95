"""Marker functions as reduced, ordered decision diagrams: one shared node per distinct function.

Each inner node tests one variable and has edges labelled by disjoint value sets that cover the
variable's whole domain (a ``PythonRange`` for ``python_full_version``, a ``ValueSet`` otherwise).
Nodes are interned, so two expressions denote the same function exactly when they are the same node:
equality, "always true" and "always false" are identity checks. Variables come in a fixed order
(:func:`rank`: Python first, then the platform), which is also the order of a clause's comparisons
when spelled; opaque atoms (``'x' in platform_machine``, ``platform_release >= '5'``) are boolean
variables named ``~<atom>`` and come last.

Knowledge about real environments (``sys_platform == 'win32'`` goes with ``platform_system ==
'Windows'`` and ``os_name == 'nt'``; ``implementation_name == 'cpython'`` with
``platform_python_implementation == 'CPython'``) is applied by :func:`satisfiable` and the
functions built on it, and by :func:`canonical`, which gives the one diagram of a function over
real environments only (so ``sys_platform == 'win32'`` and ``os_name == 'nt'`` become equal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bale.markers.python import PythonRange
from bale.markers.values import ValueSet
from bale.model.record import record

__all__ = [
    "FALSE",
    "PYTHON",
    "TRUE",
    "Domain",
    "Node",
    "OpaqueAtom",
    "and_",
    "atom",
    "canonical",
    "clause_node",
    "consistent",
    "evaluate",
    "not_",
    "opaque",
    "or_",
    "paths",
    "python_projection",
    "restrict_python",
    "satisfiable",
    "specialize",
]

PYTHON = "python_full_version"
Domain = PythonRange | ValueSet
_TERMINAL = "\x7f"
_HOLDS = ValueSet.of("1")  # an opaque atom's "true" edge

# sys_platform before platform_system and os_name: a marker that says the same with either (what real
# platforms imply) is then spelled with sys_platform, the most common one.
_ORDER = (
    PYTHON,
    "sys_platform",
    "platform_system",
    "os_name",
    "platform_machine",
    "implementation_name",
    "platform_python_implementation",
    "platform_version",
    "extra",
)
_RANKS: dict[str, tuple[int, str]] = {name: (index, "") for index, name in enumerate(_ORDER)}
_RANKS[_TERMINAL] = (len(_ORDER) + 2, "")


def rank(var: str) -> tuple[int, str]:
    """The position of ``var`` in the diagram order (terminals last)."""
    found = _RANKS.get(var)
    if found is None:
        found = (len(_ORDER) + (1 if var.startswith("~") else 0), var)
        _RANKS[var] = found
    return found


class Node:
    """One interned diagram node; build them only through this module's functions."""

    __slots__ = ("edges", "var")

    def __init__(self, var: str, edges: tuple[tuple[Domain, Node], ...]) -> None:
        self.var = var
        self.edges = edges

    @property
    def is_terminal(self) -> bool:
        return self.var == _TERMINAL

    def __repr__(self) -> str:
        if self is TRUE:
            return "TRUE"
        if self is FALSE:
            return "FALSE"
        return f"Node({self.var}, {len(self.edges)} edges)"


TRUE = Node(_TERMINAL, ())
FALSE = Node(_TERMINAL, ())

_UNIQUE: dict[tuple[object, ...], Node] = {}
_MEMO: dict[tuple[object, ...], object] = {}
_MEMO_LIMIT = 200_000


def _memo(key: tuple[object, ...], compute: Callable[[], object]) -> object:
    found = _MEMO.get(key, _MEMO)
    if found is not _MEMO:
        return found
    value = compute()
    if len(_MEMO) > _MEMO_LIMIT:
        # Keys hold node ids, which stay valid (interned nodes live forever); this only bounds memory.
        _MEMO.clear()
    _MEMO[key] = value
    return value


def _full(var: str) -> Domain:
    return PythonRange.full() if var == PYTHON else ValueSet.full()


def make(var: str, pairs: list[tuple[Domain, Node]]) -> Node:
    """The reduced, interned node testing ``var`` with these edges (which must cover the domain)."""
    merged: dict[int, tuple[Domain, Node]] = {}
    for values, child in pairs:
        if values.is_empty:
            continue
        previous = merged.get(id(child))
        merged[id(child)] = (values if previous is None else _union(previous[0], values), child)
    if not merged:
        return FALSE
    if len(merged) == 1:
        return next(iter(merged.values()))[1]
    edges = tuple(sorted(merged.values(), key=lambda edge: edge[0].sort_key()))
    key = (var, *((values, id(child)) for values, child in edges))
    node = _UNIQUE.get(key)
    if node is None:
        node = _UNIQUE.setdefault(key, Node(var, edges))
    return node


def _union(a: Domain, b: Domain) -> Domain:
    if isinstance(a, PythonRange) and isinstance(b, PythonRange):
        return a | b
    assert isinstance(a, ValueSet) and isinstance(b, ValueSet)
    return a | b


def _intersect(a: Domain, b: Domain) -> Domain:
    if isinstance(a, PythonRange) and isinstance(b, PythonRange):
        return a & b
    assert isinstance(a, ValueSet) and isinstance(b, ValueSet)
    return a & b


@lru_cache(maxsize=65536)
def atom(var: str, values: Domain) -> Node:
    """The function "``var`` takes a value in ``values``"."""
    return make(var, [(values, TRUE), (~values, FALSE)])


# -- boolean operations -------------------------------------------------------------------------------


def _edges(node: Node, var: str) -> tuple[tuple[Domain, Node], ...]:
    return node.edges if node.var == var else ((_full(var), node),)


def and_(a: Node, b: Node) -> Node:
    if a is FALSE or b is FALSE:
        return FALSE
    if a is TRUE or a is b:
        return b
    if b is TRUE:
        return a
    first, second = (a, b) if id(a) < id(b) else (b, a)
    return _memo(("and", id(first), id(second)), lambda: _apply(and_, first, second))  # type: ignore[return-value]


def or_(a: Node, b: Node) -> Node:
    if a is TRUE or b is TRUE:
        return TRUE
    if a is FALSE or a is b:
        return b
    if b is FALSE:
        return a
    first, second = (a, b) if id(a) < id(b) else (b, a)
    return _memo(("or", id(first), id(second)), lambda: _apply(or_, first, second))  # type: ignore[return-value]


def _apply(operation: Callable[[Node, Node], Node], a: Node, b: Node) -> Node:
    var = a.var if rank(a.var) <= rank(b.var) else b.var
    pairs: list[tuple[Domain, Node]] = []
    for left, left_child in _edges(a, var):
        for right, right_child in _edges(b, var):
            common = _intersect(left, right)
            if not common.is_empty:
                pairs.append((common, operation(left_child, right_child)))
    return make(var, pairs)


def not_(node: Node) -> Node:
    if node is TRUE:
        return FALSE
    if node is FALSE:
        return TRUE
    return _memo(  # type: ignore[return-value]
        ("not", id(node)), lambda: make(node.var, [(values, not_(child)) for values, child in node.edges])
    )


def specialize(node: Node, var: str, value: str) -> Node:
    """``node`` with string variable ``var`` fixed to ``value`` (e.g. ``extra`` to ``"test"``)."""
    if node.is_terminal or rank(node.var) > rank(var):
        return node

    def compute() -> Node:
        if node.var == var:
            for values, child in node.edges:
                assert isinstance(values, ValueSet)
                if values.contains(value):
                    return child
            return FALSE
        return make(node.var, [(values, specialize(child, var, value)) for values, child in node.edges])

    return _memo(("fix", id(node), var, value), compute)  # type: ignore[return-value]


def restrict_python(node: Node, allowed: PythonRange) -> Node:
    """A simplest function equal to ``node`` on the interpreters in ``allowed`` (others don't matter).

    Each ``python_full_version`` edge keeps its part of ``allowed``; the versions below (above) the
    whole of ``allowed`` join the edge that holds its lowest (highest) versions, so an edge reaching
    the end of the range loses that bound, and an edge holding all of it disappears.
    """
    if node.is_terminal or rank(node.var) > rank(PYTHON) or allowed.is_full:
        return node

    def compute() -> Node:
        if node.var != PYTHON:
            return make(node.var, [(values, restrict_python(child, allowed)) for values, child in node.edges])
        segments = allowed.segments()
        if not segments:
            return node
        first, last = segments[0], segments[-1]
        below = PythonRange.between(None, first[0])
        above = PythonRange.between(last[1], None) if last[1] is not None else PythonRange.empty()
        inside_gaps = ~allowed - below - above
        pairs: list[tuple[Domain, Node]] = []
        for values, child in node.edges:
            assert isinstance(values, PythonRange)
            kept = (values & allowed) | (values & inside_gaps)
            if values.contains_after(first[0]):
                kept = kept | below
            if last[1] is not None and values.contains_before(last[1]):
                kept = kept | above
            pairs.append((kept, child))
        return make(PYTHON, pairs)

    return _memo(("python", id(node), allowed), compute)  # type: ignore[return-value]


# -- knowledge about real environments ----------------------------------------------------------------

_LINUX, _DARWIN, _WINDOWS, _OTHER_OS = 1, 2, 4, 8
_CPYTHON, _PYPY, _OTHER_IMPL = 1, 2, 4


@record(frozen=True)
class _Group:
    index: int
    known: Mapping[str, int]  # value -> classes it belongs to
    default: int  # classes of every other value


_GROUPS: dict[str, _Group] = {
    "os_name": _Group(0, {"nt": _WINDOWS, "posix": _LINUX | _DARWIN | _OTHER_OS}, _OTHER_OS),
    "platform_system": _Group(0, {"Linux": _LINUX, "Darwin": _DARWIN, "Windows": _WINDOWS}, _OTHER_OS),
    "sys_platform": _Group(0, {"linux": _LINUX, "darwin": _DARWIN, "win32": _WINDOWS}, _OTHER_OS),
    "implementation_name": _Group(1, {"cpython": _CPYTHON, "pypy": _PYPY}, _OTHER_IMPL),
    "platform_python_implementation": _Group(1, {"CPython": _CPYTHON, "PyPy": _PYPY}, _OTHER_IMPL),
}
_ANY_STATE = (15, 7)
State = tuple[int, int]


def _class_values(group: _Group, bit: int) -> ValueSet:
    """The values of a group's variable that fit class ``bit``."""
    inside = frozenset(value for value, classes in group.known.items() if classes & bit)
    if group.default & bit:
        return ValueSet(frozenset(group.known) - inside, negated=True)
    return ValueSet(inside)


_CONSISTENT: list[Node] = []


def consistent() -> Node:
    """The real environments: those whose platform variables agree on one class."""
    if not _CONSISTENT:
        result = TRUE
        platforms = (_LINUX, _DARWIN, _WINDOWS, _OTHER_OS)
        for index, classes in ((0, platforms), (1, (_CPYTHON, _PYPY, _OTHER_IMPL))):
            members = [(var, group) for var, group in _GROUPS.items() if group.index == index]
            either = FALSE
            for bit in classes:
                term = TRUE
                for var, group in members:
                    term = and_(term, atom(var, _class_values(group, bit)))
                either = or_(either, term)
            result = and_(result, either)
        _CONSISTENT.append(result)
    return _CONSISTENT[0]


def canonical(node: Node) -> Node:
    """``node`` over real environments only (false elsewhere): one diagram per meaning."""
    if node.is_terminal:
        return node
    return and_(node, consistent())


def _classes(group: _Group, values: ValueSet) -> int:
    mask = 0
    for value, classes in group.known.items():
        if values.contains(value):
            mask |= classes
    if values.negated or any(value not in group.known for value in values.values):
        mask |= group.default
    return mask


def _narrow(state: State, var: str, values: Domain) -> State | None:
    """The state after taking an edge; None when no real environment fits."""
    group = _GROUPS.get(var)
    if group is None:
        return state
    assert isinstance(values, ValueSet)
    mask = state[group.index] & _classes(group, values)
    if not mask:
        return None
    return (mask, state[1]) if group.index == 0 else (state[0], mask)


def satisfiable(node: Node, state: State = _ANY_STATE) -> bool:
    """Whether some real environment makes ``node`` true."""
    if node is TRUE:
        return True
    if node is FALSE:
        return False

    def compute() -> bool:
        for values, child in node.edges:
            narrowed = _narrow(state, node.var, values)
            if narrowed is not None and satisfiable(child, narrowed):
                return True
        return False

    return _memo(("sat", id(node), state), compute)  # type: ignore[return-value]


def python_projection(node: Node, state: State = _ANY_STATE) -> PythonRange:
    """The interpreters for which some real environment makes ``node`` true."""
    if node is TRUE:
        return PythonRange.full()
    if node is FALSE:
        return PythonRange.empty()

    def compute() -> PythonRange:
        result = PythonRange.empty()
        for values, child in node.edges:
            narrowed = _narrow(state, node.var, values)
            if narrowed is None:
                continue
            found = python_projection(child, narrowed)
            if isinstance(values, PythonRange):
                found = found & values
            result = result | found
        return result

    return _memo(("projection", id(node), state), compute)  # type: ignore[return-value]


Clause = tuple[tuple[str, Domain], ...]


def paths(node: Node) -> Iterator[Clause]:
    """The paths to TRUE that a real environment can follow, in edge order, as (variable, values) lists."""

    def walk(current: Node, state: State, prefix: list[tuple[str, Domain]]) -> Iterator[Clause]:
        if current is TRUE:
            yield tuple(prefix)
            return
        for values, child in current.edges:
            narrowed = _narrow(state, current.var, values)
            if narrowed is None or child is FALSE or not satisfiable(child, narrowed):
                continue
            prefix.append((current.var, values))
            yield from walk(child, narrowed, prefix)
            prefix.pop()

    yield from walk(node, _ANY_STATE, [])


@lru_cache(maxsize=65536)
def clause_node(clause: Clause) -> Node:
    """The conjunction of ``var in values`` over a clause (variables in diagram order)."""
    result = TRUE
    for var, values in sorted(clause, key=lambda item: rank(item[0]), reverse=True):
        result = and_(atom(var, values), result)
    return result


# -- opaque atoms ------------------------------------------------------------------------------------


@record(frozen=True)
class OpaqueAtom:
    """A comparison kept as a boolean variable: its text, and the text of its negation."""

    text: str
    negation: str


_OPAQUE: dict[str, OpaqueAtom] = {}


def opaque(text: str, negation: str) -> Node:
    """The boolean variable for the comparison ``text`` (whose negation reads ``negation``)."""
    var = "~" + text
    _OPAQUE.setdefault(var, OpaqueAtom(text, negation))
    return atom(var, _HOLDS)


def opaque_atom(var: str) -> OpaqueAtom:
    return _OPAQUE[var]


def opaque_holds(values: ValueSet) -> bool:
    """Whether an opaque variable's edge is its "true" edge."""
    return values.contains("1")


# -- evaluation (for checks) -------------------------------------------------------------------------


def evaluate(node: Node, environment: Mapping[str, str]) -> bool:
    """``node`` for one concrete environment (``extra`` defaults to "")."""
    from packaging.markers import Marker

    while not node.is_terminal:
        var = node.var
        chosen: Node | None = None
        if var == PYTHON:
            try:
                version = Version(environment[PYTHON])
            except InvalidVersion:
                return False
            for values, child in node.edges:
                assert isinstance(values, PythonRange)
                if values.contains(version):
                    chosen = child
                    break
        else:
            if var.startswith("~"):
                holds = Marker(_OPAQUE[var].text).evaluate({"extra": "", **environment})
                value = "1" if holds else "0"
            else:
                value = environment.get(var, "")
                if var == "extra" and value:
                    value = canonicalize_name(value)
            for values, child in node.edges:
                assert isinstance(values, ValueSet)
                if values.contains(value):
                    chosen = child
                    break
        if chosen is None:
            return False
        node = chosen
    return node is TRUE
