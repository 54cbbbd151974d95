"""The look-alike matcher over a given list: each technique, the length scaling, and what is never flagged."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bale.model.names import normalize
from bale.policy.popular import popular_names
from bale.policy.typosquat import Lookalike, PopularNames, describe, homoglyph_skeleton, keyboard_neighbours

POPULAR = PopularNames(
    ["boto3", "requests", "numpy", "python-dateutil", "pyyaml", "django", "click", "matplotlib", "six"]
)


@pytest.mark.parametrize(
    ("name", "popular", "technique"),
    [
        ("reqeusts", "requests", "transposition"),
        ("requets", "requests", "deletion"),
        ("requestss", "requests", "insertion"),
        ("requeata", None, None),  # two edits: not one of the techniques
        ("requesta", "requests", "keyboard"),
        ("reqvests", "requests", "substitution"),
        ("djang0", "django", "homoglyph"),
        ("c1ick", "click", "homoglyph"),
        ("nurnpy", "numpy", "homoglyph"),
        ("rnatplotlib", "matplotlib", "homoglyph"),
        ("pythondateutil", "python-dateutil", "separator"),
        ("dateutil-python", "python-dateutil", "order"),
        ("dateutil", "python-dateutil", "affix"),
        ("py-dateutil", "python-dateutil", "affix"),
        ("pyrequests", "requests", "affix"),
        ("requests-python", "requests", "affix"),
        ("pythonnumpy", "numpy", "affix"),
        ("yaml", "pyyaml", "affix"),
        ("py-yaml", "pyyaml", "separator"),
        ("boto4", "boto3", "keyboard"),
    ],
)
def test_each_technique_is_named(name: str, popular: str | None, technique: str | None) -> None:
    found = POPULAR.lookalike(name)
    if popular is None:
        assert found is None
    else:
        assert found == Lookalike(name, popular, POPULAR.rank(popular) or 0, technique)  # type: ignore[arg-type]


def test_short_names_need_a_closer_look_alike() -> None:
    # One arbitrary letter changes "six" into other real words: short names are only compared for
    # look-alike glyphs and swaps long enough to be deliberate.
    assert POPULAR.lookalike("sax") is None
    assert POPULAR.lookalike("sx") is None
    assert POPULAR.lookalike("si") is None
    # A substitution off the keyboard counts from 7 letters: "numpu" is a neighbour key, "numpa" is not.
    assert POPULAR.lookalike("numpu") is not None
    assert POPULAR.lookalike("numpa") is None
    assert POPULAR.lookalike("requeztz") is None


def test_a_popular_name_is_never_flagged_against_another() -> None:
    pair = PopularNames(["attrs", "cattrs", "fastapi", "fastai"])
    assert [pair.lookalike(name) for name in pair.names] == [None, None, None, None]
    # The rule, not a lack of similarity: each would match the other.
    assert {hit.popular for hit in pair.candidates("attrs")} == {"cattrs"}
    assert {hit.popular for hit in pair.candidates("fastai")} == {"fastapi"}


def test_the_shipped_list_flags_no_popular_name_and_ranks_by_downloads() -> None:
    shipped = popular_names()
    assert len(shipped) == 5000
    assert all(normalize(name) == name for name in shipped.names)  # refresh_popular.py normalizes
    assert shipped.rank("boto3") == 1
    assert shipped.rank("requests") is not None
    assert [name for name in shipped.names if shipped.lookalike(name) is not None] == []
    found = shipped.lookalike("reqeusts")
    assert found is not None and found.popular == "requests"


def test_the_warning_names_both_names_the_rank_and_the_first_upload() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)
    found = Lookalike("reqeusts", "requests", 4, "transposition")
    assert describe(found, now - timedelta(days=3, hours=2), now) == (
        "`reqeusts` looks like `requests` (rank 4); first uploaded 3 days ago. Did you mean `requests`?"
    )
    assert describe(found, now - timedelta(hours=5), now).endswith(
        "first uploaded today. Did you mean `requests`?"
    )
    assert "first uploaded on 2020-01-02" in describe(found, datetime(2020, 1, 2, tzinfo=timezone.utc), now)
    assert describe(found, None, now) == "`reqeusts` looks like `requests` (rank 4). Did you mean `requests`?"


def test_keyboard_and_glyph_tables() -> None:
    assert keyboard_neighbours("s") == frozenset("adwezx")
    assert keyboard_neighbours("q") == frozenset("12wa")
    assert homoglyph_skeleton("c1ick") == homoglyph_skeleton("click")
    assert homoglyph_skeleton("rnatplot1ib") == homoglyph_skeleton("matplotlib")
