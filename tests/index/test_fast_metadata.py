"""The hand-written METADATA reader gives exactly what packaging's parser gives, or defers to it."""

from __future__ import annotations

import pytest
from packaging.metadata import Metadata

from bale.errors import BaleError
from bale.index.metadata import CoreMetadata, parse_metadata, requirements_of_extra

SAMPLES = {
    "plain": "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.0.post1\nRequires-Python: >=3.8\n"
    "Requires-Dist: idna>=2.5\n"
    "Requires-Dist: pysocks!=1.5.7,>=1.5.6; extra == 'socks'\n"
    "Provides-Extra: socks\nProvides-Extra: Use_Chardet\n\nLong description\nRequires-Dist: not-a-header\n",
    "crlf": "Metadata-Version: 2.1\r\nName: x\r\nVersion: 2\r\n"
    "Requires-Dist: a ; python_version < '3.9'\r\n\r\nbody",
    "folded-other": "Metadata-Version: 2.1\nName: x\nVersion: 2\n"
    "License: line one\n   line two\nRequires-Dist: b\n",
    "no-requirements": "Metadata-Version: 2.1\nName: x\nVersion: 2\n",
}


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_fast_reader_matches_packaging(key: str) -> None:
    data = SAMPLES[key].encode()
    fast = parse_metadata(data, "sample")
    assert isinstance(fast, CoreMetadata)
    reference = Metadata.from_email(data, validate=False)
    assert (fast.name, fast.version) == (reference.name, reference.version)
    assert [str(r) for r in fast.requires_dist] == [str(r) for r in reference.requires_dist or []]
    assert str(fast.requires_python or "") == str(reference.requires_python or "")
    assert sorted(fast.provides_extra) == sorted(reference.provides_extra or [])


def test_folded_requirement_defers_to_packaging() -> None:
    # A folded Requires-Dist is left to packaging's parser, which rejects it and names the field.
    data = b"Metadata-Version: 2.1\nName: x\nVersion: 2\nRequires-Dist: a\n  >=1\n"
    with pytest.raises(BaleError) as caught:
        parse_metadata(data, "sample")
    assert "requires-dist" in caught.value.message


def test_invalid_requirement_is_reported_with_its_field() -> None:
    data = b"Metadata-Version: 2.1\nName: x\nVersion: 2\nRequires-Dist: a >=>1\n"
    with pytest.raises(BaleError) as caught:
        parse_metadata(data, "x-2-py3-none-any.whl")
    assert "x-2-py3-none-any.whl" in caught.value.message and "requires-dist" in caught.value.message.lower()


def test_requirements_of_an_extra_are_kept_as_text_until_asked_for() -> None:
    data = (
        b"Metadata-Version: 2.1\nName: x\nVersion: 2\nRequires-Dist: a>=1\n"
        b"Requires-Dist: b[y] (>=2) ; extra == 'Docs_Extra'\n"
        b"Requires-Dist: c ; extra == 'test' and python_version < '3.9'\n"
        b"Requires-Dist: d >=>1 ; extra == 'broken'\n"
    )
    fast = parse_metadata(data, "sample")
    assert isinstance(fast, CoreMetadata)
    # Only the bare `extra == "x"` form waits; any other marker is parsed now.
    general = [str(r) for r in fast.general_requires]
    assert general == ["a>=1", 'c; extra == "test" and python_version < "3.9"']
    assert fast.extra_requires == {
        "docs-extra": ("b[y] (>=2) ; extra == 'Docs_Extra'",),
        "broken": ("d >=>1 ; extra == 'broken'",),
    }
    assert [str(r) for r in requirements_of_extra(fast.extra_requires["docs-extra"])] == [
        'b[y]>=2; extra == "docs-extra"'
    ]
    with pytest.raises(ValueError):
        requirements_of_extra(fast.extra_requires["broken"])
