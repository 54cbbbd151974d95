"""The environment a resolution or an install is for: Python version, marker values, wheel tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING

from packaging.version import Version

from bale.model.record import record

if TYPE_CHECKING:  # the tags module costs ~8 ms to import; `bale venv` needs none of it
    from packaging.tags import Tag


@record(frozen=True)
class TargetEnv:
    """Facts about one concrete target interpreter, enough to pick files and evaluate markers.

    ``tags`` is ordered most preferred first (as ``packaging.tags.sys_tags`` orders them); ``markers``
    is a PEP 508 marker environment (``python_version``, ``sys_platform``, ...).
    """

    python_version: Version
    markers: Mapping[str, str] = field(compare=False, hash=False)
    tags: tuple[Tag, ...] = field(compare=False, hash=False)
    _rank: dict[Tag, int] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rank", {tag: i for i, tag in enumerate(self.tags)})

    def tag_rank(self, tags: frozenset[Tag]) -> int | None:
        """Best (lowest) preference index of any of ``tags`` for this target; None if none is supported."""
        best: int | None = None
        for tag in tags:
            rank = self._rank.get(tag)
            if rank is not None and (best is None or rank < best):
                best = rank
        return best

    def supports(self, tags: frozenset[Tag]) -> bool:
        return self.tag_rank(tags) is not None
