"""Read-only views of an environment: list, show, freeze and check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bale.context import Context
from bale.model.names import NormalizedName
from bale.model.record import record

if TYPE_CHECKING:
    from bale.install.installed import InstalledDist
    from bale.python.venv import PythonEnvironment


@record(frozen=True)
class Listed:
    name: str  # as the distribution spells it
    version: str
    editable_location: str | None = None
    direct_url: str | None = None
    latest: str | None = None
    latest_kind: str | None = None  # "wheel" or "sdist"


def _display_name(dist: InstalledDist) -> str:
    """The name as the distribution spells it (pip shows ``Flask``, not ``flask``)."""
    from bale.install.installed import metadata

    try:
        return str(metadata(dist).name)
    except Exception:  # unreadable METADATA: the normalized name still identifies it
        return str(dist.name)


def snapshot(
    ctx: Context, python: str | None
) -> tuple[PythonEnvironment, dict[NormalizedName, InstalledDist]]:
    from bale.install.installed import scan_site_packages

    env = ctx.environment(python)
    _recover(ctx, env)
    return env, scan_site_packages(env.site_packages())


def _recover(ctx: Context, env: PythonEnvironment) -> None:
    """Complete a change a killed bale left half-done before reading the environment (one lstat when
    there is none; the environment's lock only when there is)."""
    import os

    from bale.install.journal import recover_environment

    timeout = float(os.environ.get("BALE_LOCK_TIMEOUT", "300"))
    for note in recover_environment(env.root, env.scheme(), timeout=timeout):
        ctx.reporter.warn(f"{env.root}: {note}")


def _direct(dist: InstalledDist) -> dict[str, object] | None:
    value = dist.direct_url
    return value if isinstance(value, dict) else None


def listed(dists: Iterable[InstalledDist]) -> list[Listed]:
    rows: list[Listed] = []
    for dist in dists:
        direct = _direct(dist)
        url = direct.get("url") if direct else None
        if direct and "vcs_info" in direct:
            from bale.vcs import direct_reference

            url = direct_reference(direct) or url  # freeze pins the commit: ``git+URL@COMMIT``
        editable = None
        dir_info = direct.get("dir_info") if direct else None
        if isinstance(dir_info, dict) and dir_info.get("editable"):
            editable = str(url).removeprefix("file://")
        rows.append(
            Listed(_display_name(dist), str(dist.version), editable, url if isinstance(url, str) else None)
        )
    return sorted(rows, key=lambda r: canonicalize_name(r.name))


def freeze_lines(rows: Iterable[Listed]) -> list[str]:
    lines = []
    for row in rows:
        if row.editable_location:
            lines.append(f"-e {row.direct_url}")
        elif row.direct_url:
            lines.append(f"{row.name} @ {row.direct_url}")
        else:
            lines.append(f"{row.name}=={row.version}")
    return lines


@record
class Problem:
    text: str


def requires(dist: InstalledDist) -> list[Requirement]:
    from bale.install.installed import requires as read_requires

    return read_requires(dist)


def check(dists: dict[NormalizedName, InstalledDist], markers: dict[str, str]) -> list[str]:
    """Every unmet or conflicting requirement among installed distributions, pip check's wording."""
    problems: list[str] = []
    for name in sorted(dists):
        dist = dists[name]
        display = _display_name(dist)
        for req in requires(dist):
            if req.marker is not None and not req.marker.evaluate({**markers, "extra": ""}):
                continue
            dep = dists.get(canonicalize_name(req.name))
            if dep is None:
                problems.append(f"{display} {dist.version} requires {req.name}, which is not installed.")
            elif not req.specifier.contains(dep.version, prereleases=True):
                problems.append(
                    f"{display} {dist.version} has requirement {_req_text(req)}, but you have "
                    f"{_display_name(dep)} {dep.version}."
                )
    return problems


def damaged(dists: dict[NormalizedName, InstalledDist]) -> list[str]:
    """A line per distribution whose RECORD lists files that are gone (deleted by hand, a crashed
    tool): it imports half or not at all, and only a reinstall brings the files back."""
    from bale.install.installed import missing_files

    lines: list[str] = []
    listings: dict[str, frozenset[str]] = {}
    for name in sorted(dists):
        dist = dists[name]
        missing = missing_files(dist, listings)
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            count = (
                "1 of its installed files" if len(missing) == 1 else f"{len(missing)} of its installed files"
            )
            lines.append(f"{_display_name(dist)} {dist.version} is missing {count}: {shown}.")
    return lines


def _req_text(req: Requirement) -> str:
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"


@record
class ShowInfo:
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def show(dist: InstalledDist, dists: dict[NormalizedName, InstalledDist], *, files: bool) -> ShowInfo:
    from bale.install.installed import metadata

    meta = metadata(dist)
    required_by = sorted(
        _display_name(other)
        for other in dists.values()
        if any(canonicalize_name(r.name) == dist.name for r in requires(other))
    )
    requirement_names = sorted(
        dict.fromkeys(r.name for r in requires(dist) if r.marker is None or "extra" not in str(r.marker))
    )
    home = getattr(meta, "home_page", None) or ""
    urls = getattr(meta, "project_urls", None) or {}
    if not home and isinstance(urls, dict):
        home = next((u for k, u in urls.items() if k.lower() in ("homepage", "home", "source")), "")
    license_text = getattr(meta, "license_expression", None) or getattr(meta, "license", None) or ""
    info = ShowInfo()
    info.fields = [
        ("Name", _display_name(dist)),
        ("Version", str(dist.version)),
        ("Summary", getattr(meta, "summary", None) or ""),
        ("Home-page", home),
        ("Author", getattr(meta, "author", None) or getattr(meta, "author_email", None) or ""),
        ("License", str(license_text).splitlines()[0] if license_text else ""),
        ("Location", str(Path(dist.dist_info).parent)),
        ("Requires", ", ".join(requirement_names)),
        ("Required-by", ", ".join(required_by)),
    ]
    installer = dist.installer
    if installer:
        info.fields.append(("Installer", str(installer)))
    if files:
        info.files = _record_files(Path(dist.dist_info))
    return info


def _record_files(dist_info: Path) -> list[str]:
    import csv

    record = dist_info / "RECORD"
    if not record.is_file():
        return []
    with record.open(newline="", encoding="utf-8") as handle:
        return sorted(row[0] for row in csv.reader(handle) if row)
