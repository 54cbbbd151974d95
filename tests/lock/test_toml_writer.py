"""lock/toml_writer.py: what it writes reads back as the same values (tomllib is the judge)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bale.lock import toml_writer as toml
from tests.lock.helpers import tomllib

TRICKY_STRINGS = [
    "",
    "plain",
    'say "hi"',
    "back\\slash\\\\double",
    "C:\\Users\\name\\wheel.whl",
    "tab\there, newline\nthere, return\r, formfeed\f, backspace\b",
    "nul \x00 bell \x07 escape \x1b delete \x7f",
    "unicode: é ü 中文 ✓ 🐍",
    'https://files.example.org/packages/caf%C3%A9-1.0-py3-none-any.whl?x=1&y="2"#frag',
    "'single' and \"double\" and '''triple'''",
    '"""',
    "\u2028 line separator and \u00a0 nbsp",
]


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_strings_read_back_unchanged(text: str) -> None:
    assert tomllib.loads(f"value = {toml.string(text)}")["value"] == text


def test_string_escapes_are_the_short_ones() -> None:
    assert toml.string('a"b\\c\nd\te\x01') == '"a\\"b\\\\c\\nd\\te\\u0001"'
    assert toml.string("é✓") == '"é✓"'  # UTF-8 as is: readable diffs


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("plain-key_1", "plain-key_1"),
        ("has.dot", '"has.dot"'),
        ("has space", '"has space"'),
        ("é", '"é"'),
        ("", '""'),
    ],
)
def test_keys_are_bare_only_when_allowed(name: str, written: str) -> None:
    assert toml.key(name) == written
    assert tomllib.loads(f"{written} = 1") == {name: 1}


def test_datetimes_are_written_in_utc_with_microseconds_only_when_present() -> None:
    paris = timezone(timedelta(hours=2))
    assert toml.datetime_value(datetime(2025, 6, 1, 12, 0, 0, tzinfo=paris)) == "2025-06-01T10:00:00Z"
    assert toml.datetime_value(datetime(2025, 6, 1, 12, 0, 0, 5, tzinfo=timezone.utc)) == (
        "2025-06-01T12:00:00.000005Z"
    )
    assert toml.datetime_value(datetime(2025, 6, 1, 12, 0, 0)) == "2025-06-01T12:00:00"
    moment = datetime(2024, 9, 22, 14, 58, 34, 812643, tzinfo=paris)
    assert tomllib.loads(f"t = {toml.inline(moment)}")["t"] == moment


def test_inline_values_round_trip() -> None:
    value = {
        "name": "x",
        "flag": True,
        "off": False,
        "count": 3,
        "negative": -7,
        "ratio": 0.25,
        "day": date(2025, 1, 2),
        "clock": time(3, 4, 5),
        "list": [1, "two", [3.5], {"nested": "yes"}],
        "empty-table": {},
        "empty-list": [],
        "odd key": "v",
    }
    text = toml.inline(value)
    assert "\n" not in text
    assert tomllib.loads(f"v = {text}")["v"] == value


def test_inline_keeps_key_order_unless_asked_to_sort() -> None:
    assert toml.inline({"b": 1, "a": 2}) == "{ b = 1, a = 2 }"
    assert toml.inline({"b": 1, "a": 2}, sort_keys=True) == "{ a = 2, b = 1 }"


@pytest.mark.parametrize("bad", [None, {1, 2}, object(), b"bytes", {"k": None}, {1: "non-string key"}])
def test_values_toml_cannot_hold_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        toml.inline(bad)


def test_dumps_writes_nested_tables_and_reads_back() -> None:
    document = {
        "zeta": "last",
        "alpha": {"inner": {"deep": [1, 2]}, "x": "y"},
        "tables": [{"a": 1}, {"b": "two"}],
        "weird.key": {"v": "\\"},
    }
    text = toml.dumps(document)
    assert tomllib.loads(text) == document
    assert text == toml.dumps(dict(reversed(list(document.items()))))  # sorted keys: order-free
    assert text.splitlines()[:5] == [
        "tables = [",
        "    { a = 1 },",
        '    { b = "two" },',
        "]",
        'zeta = "last"',
    ]


def test_table_writes_header_even_when_empty() -> None:
    lines = toml.table(["tool", "bale"], {})
    assert lines == ["[tool.bale]"]
    assert tomllib.loads("\n".join(lines)) == {"tool": {"bale": {}}}
