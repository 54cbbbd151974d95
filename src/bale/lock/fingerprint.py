"""The inputs of a project's resolution as a normalised summary, its fingerprint, and what changed.

A lock stores the summary (``[tool.bale.inputs]``) and its fingerprint. The lock is fresh when the
fingerprint of today's inputs is the stored one; when it is not, :func:`changed_fields` compares the
two summaries and says what changed, without the pyproject.toml the lock was made from.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timezone
from typing import Any

from packaging.utils import canonicalize_name

__all__ = [
    "INPUTS_FORMAT",
    "changed_fields",
    "fingerprint",
    "normalize_requirement",
    "project_inputs",
    "without_credentials",
]

# Part of every fingerprint: when bale changes how it normalises inputs, every lock reads as stale
# (and is re-resolved) instead of being trusted on a comparison of different spellings.
INPUTS_FORMAT = "bale-inputs-1"

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# The ``user:password@`` of a URL anywhere in a text (greedy: up to the netloc's last ``@``).
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<userinfo>[^/?#\s\"']*)@")


def without_credentials(text: str) -> str:
    """``text`` with the credentials of every URL in it removed (an ssh user name such as ``git@``
    is kept): the summary is written to the lock file, and a new password must not make it stale."""
    if "@" not in text or "://" not in text:
        return text

    def strip(match: re.Match[str]) -> str:
        scheme, userinfo = match["scheme"], match["userinfo"]
        if scheme.lower().endswith("ssh") and ":" not in userinfo:
            return match[0]
        return f"{scheme}://"

    return _USERINFO.sub(strip, text)


def normalize_requirement(text: str) -> str:
    """One spelling per requirement (``Requests >= 2.0`` -> ``requests>=2.0``); text that does not
    parse is kept, stripped, so that the resolver reports it rather than the fingerprint."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return text.strip()
    requirement.name = canonicalize_name(requirement.name)
    requirement.extras = {canonicalize_name(extra) for extra in requirement.extras}
    return str(requirement)


def _requirements(values: Iterable[Any]) -> list[Any]:
    """Requirements as a set (their order does not change a resolution), sorted; include-group
    tables (PEP 735) are kept as tables."""
    seen: dict[str, Any] = {}
    for value in values:
        item: Any = normalize_requirement(value) if isinstance(value, str) else _canonical(value)
        seen[_dumps(item)] = item
    return [seen[key] for key in sorted(seen)]


def project_inputs(
    *,
    requires_python: str | None = None,
    dependencies: Iterable[str] = (),
    optional_dependencies: Mapping[str, Iterable[str]] | None = None,
    dependency_groups: Mapping[str, Iterable[str | Mapping[str, str]]] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary of what a project's resolution depends on, ready to store in the lock.

    Requirement lists are sets (normalised, sorted); extra and group names are normalised.
    ``settings`` are the ``tool.bale`` settings that change a resolution (indexes, sources,
    constraints, overrides, environments, exclude-newer, prerelease and resolution modes), kept as
    given except that tables are sorted: list order matters there (index priority). None values are
    dropped, as TOML cannot hold them; the summary holds only TOML values, and no URL's credentials.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    summary: dict[str, Any] = {}
    if requires_python:
        try:
            summary["requires-python"] = str(SpecifierSet(requires_python))
        except InvalidSpecifier:
            summary["requires-python"] = requires_python.strip()
    project: dict[str, Any] = {"dependencies": _requirements(dependencies)}
    if optional_dependencies:
        project["optional-dependencies"] = {
            canonicalize_name(name): _requirements(values) for name, values in optional_dependencies.items()
        }
    summary["project"] = project
    if dependency_groups:
        summary["dependency-groups"] = {
            canonicalize_name(name): _requirements(values) for name, values in dependency_groups.items()
        }
    if settings:
        summary["tool"] = {"bale": _canonical(settings)}
    return _canonical(summary)  # type: ignore[no-any-return]


def _canonical(value: Any) -> Any:
    """``value`` as TOML would give it back: tables with sorted keys and no None values, lists for
    tuples, datetimes in UTC."""
    if isinstance(value, Mapping):
        return {str(key): _canonical(value[key]) for key in sorted(value, key=str) if value[key] is not None}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo is not None else value
    if isinstance(value, str):
        return without_credentials(value)
    if value is None or isinstance(value, (int, float, bool, date, time)):
        return value
    raise TypeError(f"cannot use {type(value).__name__} {value!r} as a resolution input")


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def fingerprint(inputs: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` over the summary: equal for equal inputs, whatever their key order, and equal
    for a summary read back from the lock file."""
    digest = hashlib.sha256(f"{INPUTS_FORMAT}\n{_dumps(_canonical(inputs))}".encode())
    return f"sha256:{digest.hexdigest()}"


# -- what changed ------------------------------------------------------------------------------------


def _flatten(value: Any, path: str, into: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and (value or not path):
        for key in value:
            _flatten(value[key], f"{path}.{key}" if path else str(key), into)
    else:
        into[path] = value


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    from bale.lock.toml_writer import inline

    try:
        return inline(value, sort_keys=True)
    except TypeError:
        return repr(value)


def _requirement_name(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    match = _NAME.match(value)
    return canonicalize_name(match.group(1)) if match else None


def _list_changes(path: str, old: Sequence[Any], new: Sequence[Any]) -> list[str]:
    old_keys = [_show(item) for item in old]
    new_keys = [_show(item) for item in new]
    removed = [key for key in old_keys if key not in new_keys]
    added = [key for key in new_keys if key not in old_keys]
    changes: list[str] = []
    # A requirement whose specifier changed reads better as one change than as a removal and an addition.
    changed: list[str] = []
    for before in list(removed):
        name = _requirement_name(before)
        if name is None:
            continue
        match = next((after for after in added if _requirement_name(after) == name), None)
        if match is not None:
            changed.append(f"{before} -> {match}")
            removed.remove(before)
            added.remove(match)
    if added:
        changes.append(f"{path}: added {', '.join(added)}")
    if removed:
        changes.append(f"{path}: removed {', '.join(removed)}")
    if changed:
        changes.append(f"{path}: changed {', '.join(changed)}")
    if not changes and old_keys != new_keys:
        if sorted(old_keys) == sorted(new_keys):
            changes.append(f"{path}: order changed: {', '.join(old_keys)} -> {', '.join(new_keys)}")
        else:
            changes.append(f"{path}: {_show(list(old))} -> {_show(list(new))}")
    return changes


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between two summaries, one line per field, in words:
    ``project.dependencies: added requests>=2``, ``requires-python: >=3.9 -> >=3.10``.

    Empty when the summaries are equal (a different fingerprint then means bale's own input
    format changed).
    """
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(_canonical(old), "", before)
    _flatten(_canonical(new), "", after)
    changes: list[str] = []
    for path in sorted(set(before) | set(after)):
        if path in before and path not in after:
            value = before[path]
            if isinstance(value, list):
                changes.append(
                    f"{path}: removed {', '.join(map(_show, value))}" if value else f"{path}: removed"
                )
            else:
                changes.append(f"{path}: removed (was {_show(value)})")
        elif path in after and path not in before:
            value = after[path]
            if isinstance(value, list):
                changes.append(f"{path}: added {', '.join(map(_show, value))}" if value else f"{path}: added")
            else:
                changes.append(f"{path}: set to {_show(value)}")
        else:
            old_value, new_value = before[path], after[path]
            if old_value == new_value and type(old_value) is type(new_value):
                continue
            if isinstance(old_value, list) and isinstance(new_value, list):
                changes.extend(_list_changes(path, old_value, new_value))
            else:
                changes.append(f"{path}: {_show(old_value)} -> {_show(new_value)}")
    return changes
