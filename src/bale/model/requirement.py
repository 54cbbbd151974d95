"""Requirements as users write them, each remembering where it came from."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path

from packaging.requirements import Requirement

from bale.model.names import NormalizedName
from bale.model.record import record


@record(frozen=True, slots=True)
class Origin:
    """Where a requirement was written: a file and 1-based line, or the command line."""

    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.file is None:
            return "the command line"
        return f"{self.file}:{self.line}" if self.line is not None else self.file


COMMAND_LINE = Origin()


@record(frozen=True)
class RequirementSpec:
    """One requirement: a PEP 508 requirement, or a local/remote archive or directory.

    ``name`` is None only for a path or URL whose name cannot be known without reading or building it.
    ``requirement`` is the parsed PEP 508 form when there is one (a bare path has none); ``url`` is
    set for URL and path requirements (``file://`` for paths, absolute). ``hashes`` are
    ``algorithm:hexdigest`` strings from ``--hash`` options.
    """

    name: NormalizedName | None
    requirement: Requirement | None
    origin: Origin = COMMAND_LINE
    url: str | None = None
    path: Path | None = None
    editable: bool = False
    hashes: tuple[str, ...] = field(default=())

    @property
    def extras(self) -> frozenset[str]:
        return frozenset(self.requirement.extras) if self.requirement else frozenset()

    def __str__(self) -> str:
        if self.requirement is not None:
            return str(self.requirement)
        return self.url or (str(self.path) if self.path else "<unknown>")
