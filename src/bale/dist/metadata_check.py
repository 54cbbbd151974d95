"""What resolution believed is what gets installed: a wheel's METADATA against the metadata read for it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.dists import IndexFile

if TYPE_CHECKING:
    from packaging.metadata import Metadata

    from bale.index.metadata import CoreMetadata


def check_wheel_metadata(file: IndexFile, tree: Path, believed: bytes | None) -> None:
    """Refuse the wheel ``file`` (unpacked at ``tree``) when its METADATA disagrees with ``believed``,
    the metadata resolution read for it (a PEP 658 ``.metadata`` file, a range request or an earlier
    download), on name, version, Requires-Dist or Requires-Python. Nothing to check when ``believed``
    is None. Cost: one directory listing and one small read (~50 µs); parsing only when the bytes differ.
    """
    if believed is None:
        return
    own = _own_metadata(tree)
    if own is None or own == believed:
        return  # no .dist-info: the unpacker's validation has already refused such a wheel
    from bale.index.metadata import parse_metadata

    theirs = _facts(parse_metadata(believed, f"the metadata read for {file.filename}"))
    ours = _facts(parse_metadata(own, file.filename))
    differences = [
        f"{field}: resolution read {theirs[field] or '(none)'}, the wheel has {ours[field] or '(none)'}"
        for field in theirs
        if theirs[field] != ours[field]
    ]
    if not differences:
        return
    from bale.http.auth import redact_url

    raise BaleError(
        f"The metadata resolution used for {file.filename} differs from the wheel's own METADATA",
        context=[*differences, f"from {redact_url(file.url)}"],
        hint="the index serves metadata (a PEP 658 .metadata file, or a range of the file) that does "
        "not match its wheel: report it to the index's maintainers; nothing was installed",
    )


def _own_metadata(tree: Path) -> bytes | None:
    with os.scandir(tree) as entries:
        for entry in entries:
            if entry.name.endswith(".dist-info") and entry.is_dir():
                try:
                    return (Path(entry.path) / "METADATA").read_bytes()
                except OSError:
                    return None
    return None


def _facts(metadata: Metadata | CoreMetadata) -> dict[str, str]:
    """The fields resolution acts on, in a form that compares (requirements as a sorted list)."""
    from packaging.utils import canonicalize_name

    requires = sorted(str(r) for r in metadata.requires_dist or ())
    python = metadata.requires_python
    return {
        "Name": canonicalize_name(metadata.name),
        "Version": str(metadata.version),
        "Requires-Dist": ", ".join(requires),
        "Requires-Python": str(python) if python is not None else "",
    }
