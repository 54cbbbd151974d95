"""The commands' path and URL requirements as artifacts: the database's sources, with the project's checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bale.model.artifact import Artifact
from bale.model.requirement import RequirementSpec

if TYPE_CHECKING:
    from bale.context import Context


def direct_source(ctx: Context, spec: RequirementSpec) -> Artifact:
    """``dist.sources.direct_source`` through the run's database; a source ``[tool.bale.sources]``
    names must also satisfy the version bound the requirement was written with."""
    from bale.dist.sources import direct_source as from_database
    from bale.ops.project_sources import check_source_version

    return from_database(ctx.database, spec, check_source_version)


def name_sources(ctx: Context, specs: Iterable[RequirementSpec]) -> list[RequirementSpec]:
    """``specs`` with every name-less path or URL requirement named from its built metadata."""
    specs = list(specs)
    if all(spec.name is not None for spec in specs):
        return specs  # the usual case: no database (nor its imports) needed
    from bale.dist.sources import name_sources as from_database
    from bale.ops.project_sources import check_source_version

    return from_database(ctx.database, specs, check_source_version)
