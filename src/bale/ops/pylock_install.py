"""``bale pip install|sync -r pylock.toml``: install exactly what a PEP 751 lock selects for an env."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.context import Context
    from bale.ops.install import InstallOutcome
    from bale.ops.settings import InstallSettings


def is_pylock(path: Path) -> bool:
    """``pylock.toml`` or ``pylock.NAME.toml`` (PEP 751's file names)."""
    name = path.name
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


def pylock_files(settings: InstallSettings) -> list[Path]:
    return [path for path in settings.requirement_files if is_pylock(path)]


def install_pylock(ctx: Context, settings: InstallSettings, locks: Sequence[Path]) -> InstallOutcome:
    """Install the lock's packages for this environment (``settings.exact``: and remove the rest).

    As uv does, a lock is the whole answer: no resolution runs, and other requirements cannot join it.
    Every file is checked against the lock's hashes (a lock without sha256 hashes is refused on read).
    """
    from bale.lock.pylock import read_pylock, select_for_environment
    from bale.ops.install import install_artifacts
    from bale.ops.project import locked_artifact, read_lock_text
    from bale.ops.project_sources import direct_artifact_from_lock

    others = [str(p) for p in settings.requirement_files if not is_pylock(p)]
    others += [*settings.packages, *settings.editables, *(str(p) for p in settings.constraint_files)]
    if len(locks) > 1 or others:
        extra = [str(p) for p in locks[1:]] + others
        raise BaleError(
            f"{locks[0]} is a lock file: it installs exactly what it locks and cannot be combined with "
            f"other requirements ({', '.join(extra)})",
            hint="install the lock file alone, then add packages with another `bale pip install`",
        )
    path = locks[0]
    start = time.perf_counter()
    text = read_lock_text(path)
    lock = read_pylock(text, source=str(path))
    from bale.ops.policy_in_force import effective_policy

    policy = effective_policy(ctx, None)
    if policy is not None:  # the rules' modules are imported only when there are rules
        from bale.ops.policy import enforce_lock

        enforce_lock(policy, lock, path)
    env = ctx.environment(settings.python)
    target = env.interpreter.target()
    selected = select_for_environment(
        lock, environment=dict(env.interpreter.markers), tags=target.tags, source=str(path)
    )
    ctx.use_builds(settings.index, env.interpreter, settings.build, environment=env)
    base = path.resolve().parent
    artifacts = [
        direct_artifact_from_lock(ctx, item, True, base)
        if item.is_direct
        else locked_artifact(item, True, path)
        for item in selected
    ]
    outcome = install_artifacts(ctx, env, artifacts, exact=settings.exact, settings=settings)
    outcome.timings.setdefault("resolve", time.perf_counter() - start)
    return outcome
