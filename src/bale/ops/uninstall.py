"""``pip uninstall``: remove named distributions from an environment by their RECORD."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import normalize


@dataclass
class UninstallOutcome:
    environment: Path
    removed: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def uninstall(
    ctx: Context, packages: list[str], requirement_files: list[Path], python: str | None, *, dry_run: bool
) -> UninstallOutcome:
    from bale.fs.lock import FileLock
    from bale.install.installed import scan_site_packages
    from bale.install.uninstall import uninstall as remove_dist
    from bale.requirements import parse_requirement_arg, parse_requirements_file

    names: list[str] = []
    for text in packages:
        spec = parse_requirement_arg(text)
        if spec.name is None:
            raise BaleError(f"Cannot uninstall {text}: name the package, not a file")
        names.append(spec.name)
    for path in requirement_files:
        names.extend(spec.name for spec in parse_requirements_file(path).requirements if spec.name)
    if not names:
        raise BaleError("Nothing to uninstall: name packages or pass -r FILE")
    env = ctx.environment(python)
    outcome = UninstallOutcome(env.root)
    with FileLock(
        env.root / ".lock",
        timeout=float(os.environ.get("BALE_LOCK_TIMEOUT", "300")),
        label=f"the environment {env.root}",
    ):
        installed = scan_site_packages(env.site_packages())
        targets = []
        for name in dict.fromkeys(normalize(n) for n in names):
            dist = installed.get(name)
            if dist is None:
                outcome.missing.append(name)
            else:
                targets.append(dist)
        scheme = env.scheme()
        for dist in targets:
            if not dry_run:
                remove_dist(dist, scheme)
            outcome.removed.append((dist.name, str(dist.version)))
    return outcome
