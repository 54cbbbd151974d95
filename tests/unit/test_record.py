"""``record`` behaves as ``dataclasses.dataclass`` does for every option bale uses: each class is
defined twice, once with each decorator, and the two are driven the same way."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import field
from typing import Any

import pytest

from bale.model.record import record

SHAPES = [dict(frozen=True, slots=True), dict(frozen=True), dict(), dict(frozen=True, slots=True, order=True)]


def _define(decorator: Any, options: dict[str, bool]) -> type:
    class Point:
        x: int
        y: str = "a"
        tags: tuple[int, ...] = field(default_factory=tuple)
        note: str = field(default="n", compare=False, repr=False)
        seen: int = field(default=0, init=False)

    Point.__qualname__ = "Point"
    return decorator(**options)(Point)


def _both(options: dict[str, bool]) -> tuple[type, type]:
    return _define(dataclasses.dataclass, options), _define(record, options)


def _view(obj: Any) -> Any:
    # what the caller can see of one instance: fields, repr and class name
    return dataclasses.asdict(obj), repr(obj).split("(", 1)[1]


@pytest.mark.parametrize("options", SHAPES, ids=lambda o: ",".join(o) or "mutable")
def test_record_matches_dataclass(options: dict[str, bool]) -> None:
    made: list[list[Any]] = []
    for cls in _both(options):
        a, b = cls(1), cls(1, "a", (), "other")  # note does not take part in eq
        c = cls(x=2, y="b", tags=(3,))
        outcome: list[Any] = [_view(a), _view(c), a == b, a == c, a != c, a == "1", c.tags, a.seen]
        outcome.append(dataclasses.replace(c, y="z").y)
        outcome.append([f.name for f in dataclasses.fields(cls)])
        outcome.append(dataclasses.is_dataclass(cls))
        outcome.append(cls.__match_args__)
        if options.get("frozen"):
            outcome.append(hash(a) == hash(b))
            with pytest.raises(dataclasses.FrozenInstanceError):
                a.x = 5
            with pytest.raises(dataclasses.FrozenInstanceError):
                del a.x
            outcome.append(copy.copy(c) == c)
        else:
            outcome.append(cls.__hash__ is None)
            a.x = 7
            outcome.append(a.x)
        if options.get("order"):
            outcome.extend([a < c, c <= a, c > a, a >= b, sorted([c, a]) == [a, c]])
            with pytest.raises(TypeError):
                _ = a < 1
        with pytest.raises(TypeError):
            cls()  # x has no default
        made.append(outcome)
    assert made[0] == made[1]


@record(frozen=True, slots=True)
class Pickled:
    name: str
    parts: tuple[int, ...] = ()


def test_frozen_slotted_record_copies_and_pickles() -> None:
    value = Pickled("n", (1, 2))
    assert pickle.loads(pickle.dumps(value)) == value
    assert copy.deepcopy(value) == value
    assert not hasattr(value, "__dict__")


def test_methods_the_class_defines_are_kept_and_post_init_runs() -> None:
    @record(frozen=True)
    class Named:
        name: str
        key: str = field(init=False, compare=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "key", self.name.lower())

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __hash__(self) -> int:
            return 42

    value = Named("Ab")
    assert (value.key, repr(value), hash(value)) == ("ab", "<Ab>", 42)
    assert value == Named("Ab") and value != Named("ab")


def test_a_record_subclass_takes_the_base_fields_first() -> None:
    @record(frozen=True, slots=True)
    class Base:
        a: int

    @record(frozen=True, slots=True)
    class Child(Base):
        b: int = 2

    child = Child(1)
    assert (child.a, child.b) == (1, 2) and repr(child).endswith(".Child(a=1, b=2)")
    assert child != Base(1) and Base(1) == Base(1)


def test_a_field_without_default_after_one_with_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default field 'b'"):

        @record
        class Wrong:
            a: int = 1
            b: int
