"""``pip uninstall``: remove named distributions from an environment by their RECORD."""

from __future__ import annotations

import os
from dataclasses import field
from pathlib import Path

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import normalize
from bale.model.record import record


@record
class UninstallOutcome:
    environment: Path
    removed: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def uninstall(
    ctx: Context, packages: list[str], requirement_files: list[Path], python: str | None, *, dry_run: bool
) -> UninstallOutcome:
    from bale.fs.lock import FileLock
    from bale.install.installed import scan_site_packages
    from bale.install.journal import Transaction
    from bale.install.uninstall import plan_removal
    from bale.ops.install import recover_environment
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
        recover_environment(ctx, env)
        installed = scan_site_packages(env.site_packages())
        targets = []
        for name in dict.fromkeys(normalize(n) for n in names):
            dist = installed.get(name)
            if dist is None:
                outcome.missing.append(name)
            else:
                targets.append(dist)
        scheme = env.scheme()
        # Every removal is decided (and can refuse) before anything is deleted; then one journaled
        # transaction deletes them all, so a crash leaves each package installed or gone.
        removals = [plan_removal(dist, scheme) for dist in targets]
        if not dry_run:
            Transaction(scheme).commit(removals)
            for removal in removals:
                for entry in removal.skipped:
                    ctx.reporter.warn(
                        f"did not delete a file {removal.name} {removal.version} lists: {entry}"
                    )
        outcome.removed.extend((dist.name, str(dist.version)) for dist in targets)
    return outcome
