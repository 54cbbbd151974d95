"""The versions a ``pylock.toml`` text pins, by package name."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize

# No ``sys.version_info`` test: the pure layer does not import sys (tests/unit/test_layers.py).
try:
    import tomllib  # type: ignore[import-not-found, unused-ignore]
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef, unused-ignore]


def locked_pins(text: str, *, source: str) -> dict[NormalizedName, list[Version]]:
    """Each package's versions, lowest first; entries without a version (source trees) are left out.
    A text that is not TOML is an error naming ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BaleError(f"{source} is not a valid lock file: {err}") from err
    pins: dict[NormalizedName, set[Version]] = {}
    packages = data.get("packages")
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        try:
            version = Version(str(package["version"]))
        except (KeyError, InvalidVersion):
            continue
        pins.setdefault(normalize(package["name"]), set()).add(version)
    return {name: sorted(versions) for name, versions in sorted(pins.items())}
