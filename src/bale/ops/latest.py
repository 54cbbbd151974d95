"""The newest version of each package on the project's indexes, as ``bale tree --outdated`` counts it."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from packaging.version import Version

from bale.context import Context
from bale.model.names import NormalizedName
from bale.ops.settings import IndexSettings


def latest_versions(
    ctx: Context,
    index: IndexSettings,
    names: Iterable[NormalizedName],
    prereleases: Collection[NormalizedName] = (),
) -> dict[NormalizedName, Version]:
    """Each name's highest version that has a file not yanked; pre-releases only for ``prereleases``.
    A name the indexes do not know is left out. One index page per name, fetched in parallel."""
    wanted = sorted(set(names))
    client = ctx.index_client(index)
    client.prefetch(wanted)
    result: dict[NormalizedName, Version] = {}
    for name in wanted:
        versions = [
            f.version
            for f in client.project_files(name)
            if not f.is_yanked and (name in prereleases or not f.version.is_prerelease)
        ]
        if versions:
            result[name] = max(versions)
    return result
