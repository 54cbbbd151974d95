"""The project folder a ``#subdirectory=`` names inside a source archive, unpacked once into the cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.cache.cache import Cache


def split_subdirectory(url: str) -> tuple[str, str | None]:
    """``url`` without its fragment, and the fragment's ``subdirectory`` (None when it names none).

    Raises ``BaleError`` for a subdirectory that is absolute or climbs out of the archive (``..``).
    """
    base, hash_mark, fragment = url.partition("#")
    if not hash_mark:
        return url, None
    subdirectory: str | None = None
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "subdirectory" and value:
            subdirectory = unquote(value).replace("\\", "/").strip("/") or None
    if subdirectory is not None and (
        Path(subdirectory).is_absolute() or ".." in subdirectory.split("/") or subdirectory[1:2] == ":"
    ):
        raise BaleError(
            f"Cannot use {base}#subdirectory={subdirectory}: the subdirectory must be a relative path "
            "inside the archive"
        )
    return base, subdirectory


def subdirectory_tree(cache: Cache, archive: Path, sha256: str, subdirectory: str, name: str) -> Path:
    """The folder ``subdirectory`` of the source archive ``archive`` (whose sha256 is ``sha256``),
    relative to the archive's single top folder when it has one (as GitHub's tarballs do).

    Unpacked once into ``sdists-v1/<name>/<sha256>/unpacked`` (temp dir, then rename: readers never
    see half a tree); a later call costs two stats.
    """
    from bale.dist.build import unpack_sdist
    from bale.fs.atomic import replace_dir

    final = cache.package_dir("sdists", name) / sha256 / "unpacked"
    if not final.is_dir():
        with cache.temp_dir() as temp:
            unpack_sdist(archive, temp / "tree")
            final.parent.mkdir(parents=True, exist_ok=True)
            replace_dir(temp / "tree", final)
    entries = list(final.iterdir())
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else final
    folder = root / subdirectory
    if not folder.is_dir():
        raise BaleError(
            f"Cannot install {name}: its archive {archive.name} has no folder {subdirectory!r}",
            hint="check the subdirectory: it is relative to the archive's top folder",
        )
    return folder
