"""Compare what should be installed with what is installed: what to keep, add, replace and remove."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Generic, TypeVar

from packaging.version import Version

from bale.model.names import NormalizedName
from bale.model.record import record

W = TypeVar("W")


@record(frozen=True, slots=True)
class Present:
    """One installed distribution as the plan sees it."""

    name: NormalizedName
    version: Version
    url: str | None = None  # PEP 610 URL when it was installed from a URL or path, else None


@record(frozen=True, slots=True)
class Wanted(Generic[W]):
    """One distribution that should end up installed; ``payload`` is opaque to the plan."""

    name: NormalizedName
    version: Version
    url: str | None
    payload: W


@record(frozen=True, slots=True)
class Plan(Generic[W]):
    keep: tuple[Present, ...]
    install: tuple[Wanted[W], ...]  # not installed at all
    replace: tuple[tuple[Present, Wanted[W]], ...]  # installed, but another version or source
    remove: tuple[Present, ...]  # extraneous (exact sync) or asked to uninstall

    @property
    def is_noop(self) -> bool:
        return not (self.install or self.replace or self.remove)

    def to_fetch(self) -> list[Wanted[W]]:
        return [*self.install, *(new for _, new in self.replace)]


def _same_source(present: Present, wanted: Wanted[W]) -> bool:
    return present.version == wanted.version and present.url == wanted.url


def make_plan(
    wanted: Iterable[Wanted[W]],
    installed: Mapping[NormalizedName, Present],
    *,
    exact: bool,
    reinstall: Collection[NormalizedName] | bool = False,
    protected: Collection[NormalizedName] = (),
) -> Plan[W]:
    """Diff ``wanted`` against ``installed``.

    ``exact`` removes every installed distribution that is not wanted (``pip sync``), except
    ``protected`` ones. ``reinstall`` (all, or some names) replaces even a matching installation.
    """
    keep: list[Present] = []
    install: list[Wanted[W]] = []
    replace: list[tuple[Present, Wanted[W]]] = []
    seen: set[NormalizedName] = set()
    for item in wanted:
        seen.add(item.name)
        present = installed.get(item.name)
        forced = reinstall is True or (not isinstance(reinstall, bool) and item.name in reinstall)
        if present is None:
            install.append(item)
        elif forced or not _same_source(present, item):
            replace.append((present, item))
        else:
            keep.append(present)
    remove: list[Present] = []
    if exact:
        remove = [p for name, p in sorted(installed.items()) if name not in seen and name not in protected]
    return Plan(tuple(keep), tuple(install), tuple(replace), tuple(remove))
