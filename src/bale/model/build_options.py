"""How a run's own packages are built: isolation and config settings (build requirements use defaults)."""

from __future__ import annotations

from collections.abc import Mapping

from bale.model.record import record


@record(frozen=True)
class BuildOptions:
    """How the builder is called for the packages of this run (not for build requirements)."""

    isolation: bool = True
    config_settings: Mapping[str, str | list[str]] | None = None
    no_isolation_packages: frozenset[str] = frozenset()  # normalized names (--no-build-isolation-package)

    def isolation_for(self, name: str | None) -> bool:
        """Whether the package ``name`` is built in an isolated environment."""
        return self.isolation and (name is None or name not in self.no_isolation_packages)


DEFAULT_BUILD_OPTIONS = BuildOptions()
