"""Names that look like a popular package's name: the typosquatting matcher over a given list (pure)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Literal

from bale.model.record import record

__all__ = [
    "TECHNIQUES",
    "Lookalike",
    "PopularNames",
    "TyposquatMode",
    "describe",
    "homoglyph_skeleton",
    "keyboard_neighbours",
    "popular_from_lines",
]

TyposquatMode = Literal["warn", "deny", "off"]

Technique = Literal[
    "transposition",
    "deletion",
    "insertion",
    "keyboard",
    "homoglyph",
    "substitution",
    "separator",
    "order",
    "affix",
]
# Reported in this order when one name matches a popular one in several ways (the most telling first).
TECHNIQUES: tuple[Technique, ...] = (
    "homoglyph",
    "transposition",
    "keyboard",
    "separator",
    "order",
    "affix",
    "deletion",
    "insertion",
    "substitution",
)
_PRIORITY = {technique: position for position, technique in enumerate(TECHNIQUES)}

# The shortest popular name each technique applies to. Below these lengths one edit turns a name into
# an unrelated real word ("six" -> "sax"). Measured on 20,000 real PyPI names (bench/typosquat.py):
# plain substitutions from 5 letters instead of 7 flag 94 of them instead of 29, and insertions from
# 4 letters instead of 6 flag 61 instead of 39; the keyboard and look-alike rules start lower, being
# rarer by chance.
_MIN_LENGTH: dict[Technique, int] = {
    "homoglyph": 3,
    "transposition": 4,
    "keyboard": 5,
    "separator": 4,
    "order": 4,
    "affix": 4,
    "deletion": 5,
    "insertion": 6,
    "substitution": 7,
}

_PREFIXES = ("python-", "python", "py-", "py")
_SUFFIXES = ("-python", "python", "-py", "py")
# Pairs that read alike in common fonts. Single letters first, so that "c1ick" and "click" both become
# "cllck" before "cl" -> "d" applies to each alike.
_GLYPHS = (("0", "o"), ("1", "l"), ("i", "l"), ("5", "s"), ("rn", "m"), ("vv", "w"), ("cl", "d"))
# The look-alikes one letter's edit cannot reach, both ways ("rn" for "m" and "m" for "rn").
_SWAPS = tuple(
    (a, b) for glyph, alike in _GLYPHS if len(glyph) > 1 for a, b in ((glyph, alike), (alike, glyph))
)
_KEYBOARD_ROWS = ("1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# What a normalized name is spelled with (PEP 503: lower case, runs of ``-_.`` made one ``-``).
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"


def _keyboard() -> dict[str, frozenset[str]]:
    """Each key's neighbours on a QWERTY keyboard, rows staggered as on a real one."""
    where = {key: (row, column) for row, keys in enumerate(_KEYBOARD_ROWS) for column, key in enumerate(keys)}
    near: dict[str, frozenset[str]] = {}
    for key, (row, column) in where.items():
        cells = [(row, column - 1), (row, column + 1), (row - 1, column), (row - 1, column + 1)]
        cells += [(row + 1, column - 1), (row + 1, column)]
        near[key] = frozenset(
            _KEYBOARD_ROWS[r][c]
            for r, c in cells
            if 0 <= r < len(_KEYBOARD_ROWS) and 0 <= c < len(_KEYBOARD_ROWS[r])
        )
    return near


_NEAR = _keyboard()


def keyboard_neighbours(key: str) -> frozenset[str]:
    """The keys next to ``key`` on a QWERTY keyboard (empty for a key bale does not know)."""
    return _NEAR.get(key, frozenset())


def homoglyph_skeleton(name: str) -> str:
    """``name`` with each look-alike spelled one way (``rn`` -> ``m``, ``1`` and ``i`` -> ``l``, ...)."""
    for glyph, canonical in _GLYPHS:
        name = name.replace(glyph, canonical)
    return name


def _affixed(core: str) -> Iterator[str]:
    """``core`` as it is and with every ``py``/``python`` prefix, suffix, or both."""
    yield core
    for prefix in _PREFIXES:
        yield prefix + core
    for suffix in _SUFFIXES:
        yield core + suffix
        for prefix in _PREFIXES:
            yield prefix + core + suffix


def _cores(name: str) -> set[str]:
    """``name`` less a ``py``/``python`` prefix, a suffix, or both (``python-dateutil``: ``dateutil``);
    each way, as ``pythonnumpy`` is ``numpy`` and not ``num``."""
    heads = {name[len(prefix) :].strip("-") for prefix in _PREFIXES if name.startswith(prefix)}
    found = {name, *heads}
    for head in (name, *heads):
        found.update(head[: -len(suffix)].strip("-") for suffix in _SUFFIXES if head.endswith(suffix))
    found.discard(name)
    return found


@record(frozen=True, slots=True)
class Lookalike:
    """``name`` looks like the popular ``popular`` (1-based ``rank`` in the list), by ``technique``."""

    name: str
    popular: str
    rank: int
    technique: Technique


class PopularNames:
    """A ranked list of popular (normalized) names; a check costs set look-ups only, no index to build.

    A check spells every name one edit away from the one checked (``75 * len(name)`` strings:
    deletions, insertions, substitutions, transpositions), its separator orders, its ``py``/``python``
    affix variants and its look-alike swaps, and looks each up in the set of popular names: ~0.1 ms for
    a 10-letter name. Indexing the list's own neighbourhoods up front (SymSpell-style deletions,
    homoglyph skeletons, token orders) took ~30 ms per process, which a command checking one or two
    names never earns back.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.names: tuple[str, ...] = tuple(dict.fromkeys(names))
        self._rank = {name: rank for rank, name in enumerate(self.names, start=1)}

    def __contains__(self, name: object) -> bool:
        return name in self._rank

    def __len__(self) -> int:
        return len(self.names)

    def rank(self, name: str) -> int | None:
        """``name``'s 1-based rank, None when it is not in the list."""
        return self._rank.get(name)

    def lookalike(self, name: str) -> Lookalike | None:
        """The popular name that the normalized ``name`` looks like, or None. A popular name never looks
        like another (it is somebody's real package): only names outside the list are compared."""
        if name in self._rank:
            return None
        found = self.candidates(name)
        if not found:
            return None
        return min(found, key=lambda hit: (hit.rank, _PRIORITY[hit.technique]))

    def candidates(self, name: str) -> list[Lookalike]:
        """Every (popular name, technique) pair ``name`` matches, whether or not ``name`` is popular
        itself (the benchmark measures how often real popular names would collide without the rule)."""
        hits: list[Lookalike] = []
        rank = self._rank

        def hit(popular: str, technique: Technique) -> None:
            if popular != name and len(popular) >= _MIN_LENGTH[technique]:
                hits.append(Lookalike(name, popular, rank[popular], technique))

        size = len(name)
        for position in range(size + 1):
            head, tail = name[:position], name[position:]
            if position < size:
                # ``name`` is a popular name with one character added ...
                shorter = head + tail[1:]
                if shorter in rank:
                    hit(shorter, "separator" if tail[0] == "-" else "insertion")
                # ... or with one character replaced ...
                for letter in _ALPHABET:
                    if letter != tail[0] and (other := head + letter + tail[1:]) in rank:
                        hit(other, _substitution(tail[0], letter))
                # ... or with two neighbours swapped ...
                if position + 1 < size and tail[0] != tail[1]:
                    swapped = head + tail[1] + tail[0] + tail[2:]
                    if swapped in rank:
                        hit(swapped, "transposition")
            # ... or with one dropped.
            for letter in _ALPHABET:
                if (longer := head + letter + tail) in rank:
                    hit(longer, "separator" if letter == "-" else "deletion")
        tokens = name.split("-")
        if 1 < len(tokens) <= 6:  # 720 orders at most: ~0.3 ms
            for order in itertools.permutations(tokens):
                if (other := "-".join(order)) in rank:
                    hit(other, "order")
        # A ``py``/``python`` prefix or suffix added, dropped or swapped; the shared core must be a word
        # of its own (4 letters or more), or ``numpy`` and ``num`` would meet.
        for core in (name, *_cores(name)):
            if len(core) >= 4:
                for other in _affixed(core):
                    if other in rank:
                        hit(other, "affix")
        for glyph, alike in _SWAPS:
            start = name.find(glyph)
            while start != -1:
                other = name[:start] + alike + name[start + len(glyph) :]
                if other in rank:
                    hit(other, "homoglyph")
                start = name.find(glyph, start + 1)
        return hits


def _substitution(typed: str, meant: str) -> Technique:
    """How one letter typed for another is named: a look-alike, a neighbouring key, or any letter."""
    if homoglyph_skeleton(typed) == homoglyph_skeleton(meant):
        return "homoglyph"
    if typed in _NEAR.get(meant, ()):
        return "keyboard"
    return "substitution"


def _age(moment: datetime, now: datetime) -> str:
    """How long ago ``moment`` was, in days up to a year (a squat is usually days old), else its date."""
    days = (now - moment).days
    if days < 1:
        return "today"
    if days < 366:
        return f"{days} day{'s' if days != 1 else ''} ago"
    return f"on {moment.date().isoformat()}"


def describe(found: Lookalike, first_upload: datetime | None, now: datetime) -> str:
    """The warning: ``reqeusts`` looks like ``requests`` (rank 4); first uploaded 3 days ago. Did you mean
    ``requests``? (no upload part when the index gives no upload times)."""
    uploaded = f"; first uploaded {_age(first_upload, now)}" if first_upload is not None else ""
    return (
        f"`{found.name}` looks like `{found.popular}` (rank {found.rank}){uploaded}. "
        f"Did you mean `{found.popular}`?"
    )


def popular_from_lines(lines: Sequence[str]) -> list[str]:
    """Names from the shipped list's lines: one per line, in rank order; ``#`` starts a comment."""
    return [text for line in lines if (text := line.split("#", 1)[0].strip())]
