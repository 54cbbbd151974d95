"""The fetch layer alone: provenance objects of several files come in parallel, a missing one is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.errors import BaleError
from bale.http.client import HttpClient
from bale.index.provenance import fetch_provenance
from bale.model.dists import FileKind, IndexFile


def _file(name: str, url: str | None) -> IndexFile:
    filename = f"{name}-1.0-py3-none-any.whl"
    return IndexFile(
        filename, f"https://x/{filename}", canonicalize_name(name), Version("1.0"), FileKind.WHEEL,
        hashes={"sha256": "a" * 64}, provenance=url,
    )  # fmt: skip


def test_provenance_of_several_files_is_fetched_once_each(make_pkg, static_index, tmp_path: Path) -> None:
    wheels = [make_pkg(name, "1.0") for name in ("one", "two", "three")]
    provenance = {wheel.name: f'{{"for": "{wheel.name}"}}'.encode() for wheel in wheels}
    server = static_index(wheels, provenance=provenance)
    files = [
        _file(n, f"{server.base}/provenance/{n}-1.0-py3-none-any.whl.provenance")
        for n in ("one", "two", "three")
    ]
    bodies = fetch_provenance(HttpClient(retries=0), files)
    assert bodies == {file.filename: provenance[file.filename] for file in files}
    fetched = sorted(r.path for r in server.requests if r.path.startswith("/provenance/"))
    assert fetched == sorted(f"/provenance/{file.filename}.provenance" for file in files)

    missing = _file("four", f"{server.base}/provenance/four-1.0-py3-none-any.whl.provenance")
    with pytest.raises(BaleError) as caught:
        fetch_provenance(HttpClient(retries=0), [missing])
    assert caught.value.message == (
        f"Cannot verify four-1.0-py3-none-any.whl: its index advertises provenance at {missing.provenance}, "
        "which answered HTTP 404"
    )
