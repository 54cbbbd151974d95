"""Core metadata from an sdist's static ``[project]`` table, so a resolver needs no build.

PEP 621 makes every field not listed in ``project.dynamic`` final: when the name, version,
dependencies, optional dependencies and requires-python are all static, the METADATA a backend would
write holds exactly those for resolution, as uv also assumes. Pure: bytes in, bytes (or None) out;
anything unexpected in the untrusted file means "not static", and the caller builds as before.
"""

from __future__ import annotations

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

try:
    import tomllib  # type: ignore[import-not-found, unused-ignore]
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef, unused-ignore]

_NEEDED_STATIC = frozenset({"version", "dependencies", "optional-dependencies", "requires-python"})


def metadata_from_pyproject(data: bytes) -> bytes | None:
    """METADATA (2.2) for resolution from ``pyproject.toml`` bytes, or None unless it is all static."""
    try:
        project = tomllib.loads(data.decode("utf-8")).get("project")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic", [])
    if not isinstance(dynamic, list) or any(
        not isinstance(field, str) or field in _NEEDED_STATIC for field in dynamic
    ):
        return None
    name, version = project.get("name"), project.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    try:
        canonicalize_name(name, validate=True)
        Version(version)
    except (InvalidName, InvalidVersion):
        return None
    lines = ["Metadata-Version: 2.2", f"Name: {name}", f"Version: {version}"]
    requires_python = project.get("requires-python")
    if requires_python is not None:
        if not isinstance(requires_python, str):
            return None
        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier:
            return None
        lines.append(f"Requires-Python: {requires_python}")
    dependencies = _requirements(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    if dependencies is None or not isinstance(optional, dict):
        return None
    lines += [f"Requires-Dist: {dep}" for dep in dependencies]
    for extra, entries in optional.items():
        requirements = _requirements(entries)
        if requirements is None:
            return None
        try:
            extra_name = canonicalize_name(extra, validate=True)
        except InvalidName:
            return None
        lines.append(f"Provides-Extra: {extra_name}")
        for req in requirements:
            marker, req.marker = req.marker, None
            condition = f'({marker}) and extra == "{extra_name}"' if marker else f'extra == "{extra_name}"'
            lines.append(f"Requires-Dist: {req} ; {condition}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _requirements(entries: object) -> list[Requirement] | None:
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        return None
    try:
        return [Requirement(entry) for entry in entries]
    except InvalidRequirement:
        return None
