"""``record``: a dataclass that costs a fifth as much to define.

``dataclasses.dataclass`` writes each method as source and ``exec``s it: on CPython 3.10-3.13 a
frozen, slotted class costs 0.6-1.0 ms to define, and one bale command defines 50-100 of them
before it does any work (about 50 ms of a 150 ms ``pip compile``). ``record`` lets
``dataclasses`` collect the fields (so ``fields``, ``replace``, ``asdict`` and ``is_dataclass``
work as before), compiles only ``__init__``, and builds ``__eq__``, ``__hash__``, the order
methods, ``__repr__`` and the frozen guards from ``operator.attrgetter`` over the fields, which
compare and hash as fast as the generated methods. Defining a class costs ~0.2 ms.

It takes the dataclass options bale uses (``frozen``, ``slots``, ``order``) and means the same by
them: eq over the fields with ``compare=True``, a hash for frozen classes, none for mutable ones,
``__post_init__`` called, ``field(default_factory=..., init=False, repr=False, compare=False)``
honoured, and a method the class defines itself kept.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter, ge, gt, le, lt
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        return lambda decorated: decorated  # only type checkers read it (typing has it from 3.11)


T = TypeVar("T")

_FACTORY = object()  # the default of an __init__ parameter whose field has a default_factory


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(
    cls: type[T] | None = None, /, *, frozen: bool = False, slots: bool = False, order: bool = False
) -> Any:
    """Decorate a class as ``dataclasses.dataclass(frozen=..., slots=..., order=...)`` would."""

    def wrap(cls: type[T]) -> type[T]:
        return _build(cls, frozen=frozen, slots=slots, order=order)

    return wrap if cls is None else wrap(cls)


def _build(cls: type[T], *, frozen: bool, slots: bool, order: bool) -> type[T]:
    own = dict(cls.__dict__)
    if not own.get("__doc__"):
        cls.__doc__ = cls.__name__  # dataclasses would compute a signature with inspect for it
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=slots)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if len(fields) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__qualname__}: record does not take InitVar or ClassVar fields")
    names = tuple(f.name for f in fields)

    def put(name: str, value: object) -> None:
        if name not in own:
            setattr(cls, name, value)

    put("__init__", _init(cls, fields, frozen=frozen))
    put("__repr__", _repr(tuple(f.name for f in fields if f.repr)))
    compared = _key(tuple(f.name for f in fields if f.compare))
    put("__eq__", _eq(compared))
    if order:
        for name, test in (("__lt__", lt), ("__le__", le), ("__gt__", gt), ("__ge__", ge)):
            put(name, _ordering(compared, test))
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit_hash:
        if frozen:
            hashed = _key(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
            cls.__hash__ = lambda self: hash(hashed(self))  # type: ignore[method-assign]
        else:
            cls.__hash__ = None  # type: ignore[assignment]
    if frozen:
        put("__setattr__", _frozen_setattr(cls, frozenset(names)))
        put("__delattr__", _frozen_delattr(cls, frozenset(names)))
        if slots:
            # copy and pickle restore slots with setattr, which the guard refuses
            put("__getstate__", lambda self: _tuple(self, names))
            put("__setstate__", _setstate(names))
    return cls


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...], *, frozen: bool) -> Callable[..., None]:
    env: dict[str, Any] = {"__record_set": object.__setattr__, "__record_factory": _FACTORY}
    params = ["self"]
    body = []
    defaulted = False
    for f in fields:
        name = f.name
        if name == "self":
            raise TypeError(f"{cls.__qualname__}: a record field may not be named 'self'")
        has_factory = f.default_factory is not dataclasses.MISSING
        if has_factory:
            env[f"__record_factory_{name}"] = f.default_factory
        if f.default is not dataclasses.MISSING:
            env[f"__record_default_{name}"] = f.default
        if f.init:
            if has_factory:
                defaulted = True
                params.append(f"{name}=__record_factory")
                value = f"__record_factory_{name}() if {name} is __record_factory else {name}"
            elif f.default is not dataclasses.MISSING:
                defaulted = True
                params.append(f"{name}=__record_default_{name}")
                value = name
            else:
                if defaulted:
                    raise TypeError(f"{cls.__qualname__}: non-default field {name!r} follows a default one")
                params.append(name)
                value = name
        elif has_factory:
            value = f"__record_factory_{name}()"
        elif f.default is not dataclasses.MISSING:
            value = f"__record_default_{name}"
        else:
            continue
        body.append(f"__record_set(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n    " + ("\n    ".join(body) or "pass") + "\n"
    exec(source, env)
    init: Callable[..., None] = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _tuple(obj: object, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(obj, name) for name in names)


def _key(names: tuple[str, ...]) -> Callable[[Any], Any]:
    """What two records compare and hash by: a tuple of the fields (one field: its value, which
    compares and orders as its 1-tuple would)."""
    if not names:
        return lambda self: ()
    return attrgetter(*names)


def _eq(key: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _ordering(key: Callable[[Any], Any], test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    def compare(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return test(key(self), key(other))
        return NotImplemented

    return compare


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


def _frozen_setattr(owner: type[Any], names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is owner or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(owner, self).__setattr__(name, value)

    return __setattr__


def _frozen_delattr(owner: type[Any], names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is owner or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(owner, self).__delattr__(name)

    return __delattr__


def _setstate(names: tuple[str, ...]) -> Callable[[Any, Any], None]:
    def __setstate__(self: Any, state: Any) -> None:
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)

    return __setstate__
