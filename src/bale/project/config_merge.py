"""How settings from several places combine, as uv combines them: the first (highest) place that sets
a value wins; arrays are joined, the higher place's entries first; tables merge key by key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bale.model.record import record

if TYPE_CHECKING:  # merge_values is also used where no project is read: keep packaging unimported
    from bale.project.model import BaleSettings, Index

__all__ = ["Layer", "Setting", "merge_project", "merge_values"]


@record(frozen=True, slots=True)
class Layer:
    """One place settings come from (``origin`` names it for the user) and the values it sets."""

    origin: str
    values: Mapping[str, Any]


@record(frozen=True, slots=True)
class Setting:
    """A value in force and where it came from (several places for a joined array or table)."""

    value: Any
    origins: tuple[str, ...]


def merge_values(layers: Sequence[Layer]) -> dict[str, Setting]:
    """Every key any layer sets, merged over ``layers`` (highest first)."""
    merged: dict[str, Setting] = {}
    for layer in layers:
        for key, value in layer.values.items():
            if value is None:
                continue
            before = merged.get(key)
            if before is None:
                merged[key] = Setting(value, (layer.origin,))
            elif isinstance(before.value, list) and isinstance(value, list):
                joined = list(before.value) + [item for item in value if item not in before.value]
                merged[key] = Setting(joined, (*before.origins, layer.origin))
            elif isinstance(before.value, dict) and isinstance(value, dict):
                merged[key] = Setting({**value, **before.value}, (*before.origins, layer.origin))
    return merged


# The [tool.bale] keys kept as written in ``BaleSettings.raw`` (read by the use cases, and a lock's
# fingerprint of its inputs: a file's constraint makes the lock stale as the project's would), merged there.
_RAW_KEYS = (
    "index",
    "constraint-dependencies",
    "override-dependencies",
    "index-strategy",
    "prerelease",
    "resolution",
    "fork-strategy",
    "exclude-newer",
    "prerelease-package",
    "exclude-newer-package",
)


def merge_project(project: BaleSettings, layers: Sequence[BaleSettings]) -> BaleSettings:
    """A project's settings with those of configuration files (highest first) under them.

    Indexes: the project's, then each file's whose name (or URL, when unnamed) is not taken yet, so
    that the project's ``default = true`` index comes first and wins. Constraints and overrides
    are joined; every other key is the project's when it sets one.
    """
    if not layers:
        return project
    indexes: list[Index] = list(project.indexes)
    for layer in layers:
        for index in layer.indexes:
            taken = {i.name for i in indexes if i.name} | {i.url for i in indexes}
            if (index.name or index.url) not in taken:
                indexes.append(index)
    raw = dict(project.raw)
    below = merge_values([Layer("", {k: v for k, v in s.raw.items() if k in _RAW_KEYS}) for s in layers])
    for key, setting in below.items():
        if key not in raw:
            raw[key] = setting.value
        elif isinstance(raw[key], dict) and isinstance(setting.value, dict):
            raw[key] = {**setting.value, **raw[key]}
        elif isinstance(raw[key], list) and isinstance(setting.value, list):
            raw[key] = [*raw[key], *(item for item in setting.value if item not in raw[key])]
    exclude_newer = project.exclude_newer
    if exclude_newer is None:
        exclude_newer = next((s.exclude_newer for s in layers if s.exclude_newer is not None), None)
    return replace(
        project,
        indexes=tuple(indexes),
        constraint_dependencies=(
            *project.constraint_dependencies,
            *(spec for s in layers for spec in s.constraint_dependencies),
        ),
        override_dependencies=(
            *project.override_dependencies,
            *(spec for s in layers for spec in s.override_dependencies),
        ),
        exclude_newer=exclude_newer,
        raw=raw,
    )
