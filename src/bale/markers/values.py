"""Sets of marker string values: a finite set, or everything except a finite set."""

from __future__ import annotations

from bale.model.record import record

__all__ = ["ValueSet", "quote"]


def quote(value: str) -> str:
    """A marker string literal: single quotes, or double quotes when the value holds a single one."""
    return f'"{value}"' if "'" in value else f"'{value}'"


@record(frozen=True, slots=True)
class ValueSet:
    """``values`` when ``negated`` is False, else every string but ``values``."""

    values: frozenset[str] = frozenset()
    negated: bool = False

    @staticmethod
    def full() -> ValueSet:
        return _FULL

    @staticmethod
    def empty() -> ValueSet:
        return _EMPTY

    @staticmethod
    def of(*values: str) -> ValueSet:
        return ValueSet(frozenset(values))

    def __and__(self, other: ValueSet) -> ValueSet:
        if not self.negated and not other.negated:
            return ValueSet(self.values & other.values)
        if self.negated and other.negated:
            return ValueSet(self.values | other.values, True)
        positive, negative = (other, self) if self.negated else (self, other)
        return ValueSet(positive.values - negative.values)

    def __or__(self, other: ValueSet) -> ValueSet:
        return ~(~self & ~other)

    def __invert__(self) -> ValueSet:
        return ValueSet(self.values, not self.negated)

    def __sub__(self, other: ValueSet) -> ValueSet:
        return self & ~other

    @property
    def is_empty(self) -> bool:
        return not self.negated and not self.values

    @property
    def is_full(self) -> bool:
        return self.negated and not self.values

    def contains(self, value: str) -> bool:
        return (value in self.values) != self.negated

    def sort_key(self) -> tuple[bool, tuple[str, ...]]:
        return (self.negated, tuple(sorted(self.values)))


_FULL = ValueSet(frozenset(), True)
_EMPTY = ValueSet(frozenset(), False)
