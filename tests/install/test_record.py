"""RECORD files read and written as the csv module does, quoted rows included, through the fast path."""

from __future__ import annotations

import csv
import io

import pytest

from bale.install.record import RecordRow, format_record, parse_record


def _csv_rows(text: str) -> list[RecordRow]:
    rows: list[RecordRow] = []
    for fields in csv.reader(io.StringIO(text)):
        if fields and fields[0]:
            rows.append(
                (fields[0], fields[1] if len(fields) > 1 else "", fields[2] if len(fields) > 2 else "")
            )
    return rows


def _csv_text(rows: list[RecordRow]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "demo/__init__.py,sha256=abc,12\ndemo-1.0.dist-info/RECORD,,\n",
        "a\n\nb,c\n",  # short rows padded, blank lines skipped
        ",sha256=x,1\nkept,h,2\n",  # a row without a path is skipped
        "a,b,c,d\n",  # extra fields ignored
        "  spaced name ,h , 3",  # spaces kept, no final newline
        '"with,comma.py",sha256=x,1\n"say ""hi"".txt",h,2\n',  # quoted: the csv module reads them
        "windows.py,h,1\r\nother.py,h,2\r\n",
    ],
)
def test_rows_are_read_as_the_csv_module_reads_them(text: str) -> None:
    assert parse_record(text) == _csv_rows(text)


@pytest.mark.parametrize(
    "rows",
    [
        [("demo/__init__.py", "sha256=abc", "12"), ("demo-1.0.dist-info/RECORD", "", "")],
        [("with,comma.py", "sha256=x", "1")],
        [('say "hi".txt', "h", "2")],
        [("line\nbreak.txt", "h", "3"), ("after.txt", "", "")],
        [],
    ],
)
def test_rows_are_written_as_the_csv_module_writes_them_and_read_back(rows: list[RecordRow]) -> None:
    text = format_record(rows)
    assert text == _csv_text(rows)
    assert parse_record(text) == rows
