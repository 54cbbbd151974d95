"""The pure PEP 723 block reader and editor (bale.project.script), in memory."""

from __future__ import annotations

import pytest

from bale.errors import BaleError
from bale.project.script import add_dependencies, find_block, insert_block, parse_script, remove_dependencies

SCRIPT = """\
#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["rich", "requests<3"]  # why
# [tool.bale]
# indexes = ["https://a.example/simple", "https://b.example/simple"]
# exclude-newer = "2024-01-01"
# ///
import rich
"""


def test_parse_reads_every_field() -> None:
    meta = parse_script(SCRIPT, "s.py")
    assert meta.present
    assert meta.dependencies == ("rich", "requests<3")
    assert meta.requires_python == ">=3.11"
    assert meta.indexes == ("https://a.example/simple", "https://b.example/simple")
    assert meta.exclude_newer == "2024-01-01"


def test_other_block_types_and_plain_comments_are_not_the_script_block() -> None:
    text = "# /// pyproject\n# x = 1\n# ///\n# just a comment\nprint()\n"
    assert find_block(text, "s.py") is None
    assert not parse_script(text, "s.py").present


def test_the_block_ends_at_the_last_closing_line_before_code() -> None:
    text = "# /// script\n# dependencies = []\n# ///\n# a comment, not the end\n# ///\nx = 1\n"
    block = find_block(text, "s.py")
    assert block is not None and (block.start, block.end) == (0, 4)


def test_index_tables_are_read() -> None:
    text = '# /// script\n# [[tool.bale.index]]\n# url = "https://x/simple"\n# ///\n'
    assert parse_script(text, "s.py").indexes == ("https://x/simple",)


def test_add_keeps_comments_and_every_other_line() -> None:
    edited = add_dependencies(SCRIPT, "s.py", ["httpx>=1", "Rich>=13"])
    assert (
        edited.replace(
            '# dependencies = [\n#     "Rich>=13",\n#     "requests<3",\n#     "httpx>=1",\n# ]  # why\n',
            '# dependencies = ["rich", "requests<3"]  # why\n',
        )
        == SCRIPT
    )


def test_remove_then_add_round_trips_crlf_files() -> None:
    crlf = SCRIPT.replace("\n", "\r\n")
    removed = remove_dependencies(crlf, "s.py", ["requests"])
    assert "\n" not in removed.replace("\r\n", "")
    assert parse_script(removed, "s.py").dependencies == ("rich",)


def test_insert_refuses_a_second_block() -> None:
    with pytest.raises(BaleError, match="already has"):
        insert_block(SCRIPT, "s.py", ">=3.12")
    assert insert_block("", "s.py", None) == "# /// script\n# dependencies = []\n# ///\n"
