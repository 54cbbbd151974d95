"""What a resolution is asked: light enough to build (and key a memo with) before resolving."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from bale.model.names import NormalizedName
from bale.model.record import record
from bale.model.requirement import RequirementSpec
from bale.model.target import TargetEnv
from bale.ops.settings import IndexSettings
from bale.resolver.candidates import PreReleases

if TYPE_CHECKING:
    from bale.index.provider import AllPackages
    from bale.policy.model import Policy


@record(frozen=True)
class ResolveRequest:
    requirements: Sequence[RequirementSpec]
    target: TargetEnv
    index: IndexSettings
    constraints: Sequence[RequirementSpec] = ()
    overrides: Sequence[RequirementSpec] = ()
    prereleases: PreReleases = PreReleases.IF_NECESSARY
    # ``--prerelease-package NAME=MODE``: per-package pre-release modes over ``prereleases``.
    package_prereleases: Mapping[NormalizedName, PreReleases] = field(default_factory=dict)
    strategy: str = "highest"
    # Universal resolutions only: uv's ``--fork-strategy`` (``requires-python`` or ``fewest``).
    fork_strategy: str = "requires-python"
    preferences: Mapping[NormalizedName, Version] = field(default_factory=dict)
    exclude_newer: datetime | None = None
    # ``--exclude-newer-package NAME=DATE``: a package's own cutoff (None: none) over ``exclude_newer``.
    exclude_newer_package: Mapping[NormalizedName, datetime | None] = field(default_factory=dict)
    no_binary: frozenset[NormalizedName] | AllPackages = frozenset()
    only_binary: frozenset[NormalizedName] | AllPackages = frozenset()
    root_label: str | None = None
    # The package policy in force (bale.policy); ``policy_home``: the project's folder, whose own
    # members the policy's ``sources`` rule does not judge.
    policy: Policy | None = None
    policy_home: Path | None = None
