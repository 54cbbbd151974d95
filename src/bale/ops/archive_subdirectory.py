"""The project folder a ``#subdirectory=`` names inside a source archive, unpacked once into the cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.context import Context
    from bale.model.dists import IndexFile
    from bale.model.names import NormalizedName
    from bale.ops.prepare import AllowedHashes
    from bale.ops.sources import Artifact


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


def subdirectory_tree(ctx: Context, archive: Path, sha256: str, subdirectory: str, name: str) -> Path:
    """The folder ``subdirectory`` of the source archive ``archive`` (whose sha256 is ``sha256``),
    relative to the archive's single top folder when it has one (as GitHub's tarballs do).

    Unpacked once into ``sdists-v1/<name>/<sha256>/unpacked`` (temp dir, then rename: readers never
    see half a tree); a later call costs two stats.
    """
    from bale.dist.build import unpack_sdist
    from bale.fs.atomic import replace_dir

    final = ctx.cache.package_dir("sdists", name) / sha256 / "unpacked"
    if not final.is_dir():
        with ctx.cache.temp_dir() as temp:
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


def unpacked_folder(
    ctx: Context, file: IndexFile, allowed: AllowedHashes, subdirectory: str, *, label: str
) -> tuple[Path, str]:
    """The folder ``subdirectory`` of the source archive ``file`` (fetched into the cache and checked
    against the index's and ``allowed`` hashes first) and the archive's sha256."""
    from bale.ops.prepare import source_archive

    archive, sha256 = source_archive(ctx, file, allowed, label=label)
    return subdirectory_tree(ctx, archive, sha256, subdirectory, file.name), sha256


def folder_metadata(ctx: Context, folder: Path, name: NormalizedName, *, label: str) -> bytes:
    """The core metadata of the project in ``folder`` (built once per process, see ``source_metadata``)."""
    from packaging.version import Version

    from bale.model.dists import FileKind, IndexFile
    from bale.ops.prepare import source_metadata

    url = folder.as_uri()
    tree = IndexFile(
        filename=folder.name, url=url, name=name, version=Version("0"), kind=FileKind.SDIST, source=url
    )
    return source_metadata(ctx, tree, label=label)[0]


def artifact_metadata(ctx: Context, artifact: Artifact) -> bytes:
    """The metadata of an archive's subdirectory artifact, for the resolver (its file's URL names the
    whole archive, whose root is not the project)."""
    assert artifact.subdirectory is not None
    label = f"{artifact.file.url}#subdirectory={artifact.subdirectory}"
    folder, _ = unpacked_folder(
        ctx, artifact.file, artifact.allowed_hashes, artifact.subdirectory, label=label
    )
    return folder_metadata(ctx, folder, artifact.name, label=label)
