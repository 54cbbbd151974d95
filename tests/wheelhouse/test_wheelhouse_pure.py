"""The pure parts of a wheelhouse: the Python versions chosen and the PEP 503 pages."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet

from bale.errors import BaleError
from bale.index.simple_pages import IndexEntry, simple_pages
from bale.lock.wheelhouse import pythons_for
from bale.model.names import normalize


def test_pythons_follow_requires_python() -> None:
    assert pythons_for(SpecifierSet(">=3.12.2"), ()) == ["3.12", "3.13", "3.14"]
    assert pythons_for(None, ("3.11", "3.11")) == ["3.11"]
    with pytest.raises(BaleError, match="admits none"):
        pythons_for(SpecifierSet("<3"), ())


def test_pages_link_with_hashes_and_requires_python() -> None:
    entries = [
        IndexEntry(normalize("b"), "b-1.0-py3-none-any.whl", "../../files/b-1.0-py3-none-any.whl", "ab" * 32),
        IndexEntry(normalize("a"), "a-1.0.tar.gz", "../../files/a-1.0.tar.gz", "cd" * 32, ">=3.9"),
    ]
    pages = simple_pages(entries)
    assert sorted(pages) == ["a/index.html", "b/index.html", "index.html"]
    assert pages == simple_pages(reversed(entries))  # same entries, same bytes
    page = pages["a/index.html"].decode()
    assert f'href="../../files/a-1.0.tar.gz#sha256={"cd" * 32}"' in page
    assert 'data-requires-python="&gt;=3.9"' in page
    assert pages["index.html"].decode().index('href="a/"') < pages["index.html"].decode().index('href="b/"')
