"""``pip list --outdated``: the newest version each installed package could be upgraded to."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.context import Context
from bale.model.names import normalize
from bale.ops.inspect import Listed
from bale.ops.settings import IndexSettings
from bale.resolver.candidates import Choice, PreReleases, SelectOptions, select

if TYPE_CHECKING:
    from bale.python.venv import PythonEnvironment


def outdated(ctx: Context, env: PythonEnvironment, rows: list[Listed], index: IndexSettings) -> list[Listed]:
    client = ctx.index_client(index)
    names = [normalize(r.name) for r in rows if not r.direct_url]
    client.prefetch(names)
    target = env.interpreter.target()
    result: list[Listed] = []
    for row in rows:
        if row.direct_url:
            continue
        files = client.project_files(normalize(row.name))
        current = Version(row.version)
        policy = PreReleases.ALLOW if current.is_prerelease else PreReleases.DISALLOW
        choice = select(files, SpecifierSet(), target, SelectOptions(prereleases=policy, allow_sdist=True))
        if isinstance(choice, Choice) and choice.file.version > current:
            result.append(replace(row, latest=str(choice.file.version), latest_kind=choice.file.kind.value))
    return result
