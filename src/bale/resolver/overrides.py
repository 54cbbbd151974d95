"""Overrides: a provider wrapper that replaces every requirement on a package with the user's own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.model.names import NormalizedName
from bale.resolver.provider import Dependencies, Dependency, PackageId, Provider, Unavailable


class OverridingProvider:
    """Answers like ``inner``, except that any dependency on an overridden package gets the override's
    specifier instead of its own (``--override``: "trust me, this version works", as uv and pip-tools do).
    """

    def __init__(self, inner: Provider, overrides: Mapping[NormalizedName, SpecifierSet]) -> None:
        self.inner = inner
        self.overrides = dict(overrides)

    @property
    def python_version(self) -> Version | None:
        return self.inner.python_version

    def available_versions(self, package: PackageId) -> Sequence[Version] | Unavailable:
        return self.inner.available_versions(package)

    def yanked(self, package: PackageId) -> Mapping[Version, str]:
        return self.inner.yanked(package)

    def dependencies(self, package: PackageId, version: Version) -> Dependencies | Unavailable:
        found = self.inner.dependencies(package, version)
        if isinstance(found, Unavailable) or not self.overrides:
            return found
        return Dependencies(tuple(self.apply(found.dependencies)), found.requires_python)

    def apply(self, dependencies: Iterable[Dependency]) -> list[Dependency]:
        result = []
        for dependency in dependencies:
            override = self.overrides.get(dependency.package.name)
            if override is not None and not dependency.package.is_root:
                dependency = replace(dependency, specifier=override)  # keeps the edge's marker
            result.append(dependency)
        return result

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        self.inner.prefetch(names)

    def for_fork(self, marker: Any) -> OverridingProvider:
        """The same overrides over the inner provider's view of one universal fork."""
        return OverridingProvider(self.inner.for_fork(marker), self.overrides)  # type: ignore[attr-defined]
