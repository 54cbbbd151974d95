"""Which package policy is in force for a command, found at little cost when there is none.

Every ``bale sync``, ``lock`` and ``pip install`` asks, so this module imports nothing of the rules
(``bale.policy.model``/``evaluate``, ``bale.ops.policy``: about 30 ms of imports) until a policy
file or a ``[tool.bale.policy]`` table exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bale.context import Context
    from bale.policy.model import Policy

__all__ = ["effective_policy"]

_warned: set[str] = set()


def effective_policy(ctx: Context, project_root: Path | None) -> Policy | None:
    """The policy in force for a command (None when there is none): the organisation's under the
    ``[tool.bale.policy]`` of ``project_root``'s pyproject.toml; layering notices become warnings."""
    from bale.policy.load import load_policy

    pyproject = project_root / "pyproject.toml" if project_root is not None else None
    policy = load_policy(ctx.settings.policy, pyproject, lambda: ctx.http)
    if policy is None:
        return None
    for notice in policy.notices:
        if notice not in _warned:  # sync asks again when it relocks: say it once
            _warned.add(notice)
            ctx.reporter.warn(notice)
    return None if policy.empty else policy
