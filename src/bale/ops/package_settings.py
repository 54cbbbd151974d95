"""Per-package settings written ``NAME=VALUE`` (``--prerelease-package``, ``--exclude-newer-package``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from packaging.utils import InvalidName, NormalizedName, canonicalize_name

from bale.errors import BaleError
from bale.model.dates import parse_cutoff
from bale.resolver.candidates import PreReleases

PackageValues = Iterable[str] | Mapping[str, object]
"""``["numpy=allow", ...]`` from a command line, or a ``{numpy = "allow"}`` table from a config file."""


def _pairs(values: PackageValues, option: str, where: str) -> list[tuple[NormalizedName, object]]:
    items: list[tuple[str, object]] = []
    if isinstance(values, Mapping):
        items = [(str(key), value) for key, value in values.items()]
    else:
        for text in values:
            name, sep, value = text.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise BaleError(
                    f"Invalid {option} value {text!r} (in {where}): expected NAME=VALUE",
                    hint=f"for example: {option} numpy=allow" if "prerelease" in option else None,
                )
            items.append((name.strip(), value.strip()))
    pairs: list[tuple[NormalizedName, object]] = []
    for written, given in items:
        try:
            pairs.append((canonicalize_name(written, validate=True), given))
        except InvalidName:
            raise BaleError(f"Invalid package name {written!r} in {option} (in {where})") from None
    return pairs


def package_prereleases(values: PackageValues, *, where: str) -> dict[NormalizedName, PreReleases]:
    """``{name: mode}`` from ``NAME=MODE`` values; an unknown mode names the accepted ones."""
    result: dict[NormalizedName, PreReleases] = {}
    for name, value in _pairs(values, "--prerelease-package", where):
        try:
            result[name] = PreReleases(str(value))
        except ValueError:
            choices = ", ".join(mode.value for mode in PreReleases)
            raise BaleError(
                f"Invalid pre-release mode {value!r} for {name} in --prerelease-package (in {where})",
                hint=f"use one of: {choices}",
            ) from None
    return result


def package_cutoffs(
    values: PackageValues, now: datetime, *, where: str
) -> dict[NormalizedName, datetime | None]:
    """``{name: cutoff}`` from ``NAME=DATE`` values (a date, a timestamp or a duration); ``NAME=false``
    exempts the package from ``--exclude-newer``, as in uv."""
    result: dict[NormalizedName, datetime | None] = {}
    for name, value in _pairs(values, "--exclude-newer-package", where):
        if value is False or str(value).lower() == "false":
            result[name] = None
            continue
        try:
            result[name] = parse_cutoff(str(value), now)
        except ValueError as err:
            raise BaleError(
                f"Invalid date {value!r} for {name} in --exclude-newer-package (in {where})",
                context=[str(err)],
            ) from None
    return result
