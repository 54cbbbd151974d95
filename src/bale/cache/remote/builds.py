"""The builder's side of the remote cache: one sdist's wheel and metadata, fetched or offered."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bale.cache.remote.remote import RemoteCache, build_key, manifest_origin
from bale.model.record import record

if TYPE_CHECKING:
    from bale.cache.cache import Cache


@record(frozen=True)
class SharedBuild:
    """The builds of one sdist (``sdist``, with ``sha256``, of project ``project``) as the remote
    cache keys them: by the interpreter's first wheel ``tag`` (interpreter, ABI, platform), the PEP
    517 ``config`` and the locked build dependencies ``pins`` (None: the run locks none for it)."""

    remote: RemoteCache
    cache: Cache
    sha256: str
    sdist: str
    project: str
    tag: str
    config: object
    pins: list[str] | None

    @property
    def key(self) -> str:
        return build_key(tag=self.tag, config=self.config, pins=self.pins)

    def fetch(self, entry: Path) -> Path | None:
        """The wheel the store holds for this build, placed at ``entry/<wheel>`` as a local build's
        is (whole, by one rename); None on a miss, or when the wheel is not of ``project``."""
        from bale.fs.atomic import replace_dir
        from bale.model.dists import FileKind, parse_filename

        found = self.remote.fetch_built(self.sha256, self.key)
        if found is None:
            return None
        name, data = found
        parsed = parse_filename(name)
        if parsed is None or parsed.kind is not FileKind.WHEEL or parsed.name != self.project:
            return None
        with self.cache.temp_dir() as work:
            staged = work / "entry"
            staged.mkdir()
            (staged / name).write_bytes(data)
            replace_dir(staged, entry)
        path = entry / name
        return path if path.is_file() else None

    def offer(self, wheel: Path, environment: Path | None) -> None:
        """Queue the upload of the wheel just built, with its manifest: the sdist it came from, the
        build dependencies locked and those its build ``environment`` held, the tag, bale's version."""
        manifest: dict[str, Any] = {
            "built_from": {"sdist": self.sdist, "sha256": self.sha256},
            "locked_build_dependencies": self.pins,
            "build_environment": _installed(environment),
            "tag": self.tag,
            **manifest_origin(),
        }
        self.remote.offer_built(self.sha256, self.key, wheel, manifest)

    def fetch_metadata(self) -> bytes | None:
        return self.remote.fetch_metadata(self.sha256)

    def offer_metadata(self, data: bytes) -> None:
        self.remote.offer_metadata(self.sha256, data, self.sdist)


def _installed(env: Path | None) -> list[str]:
    """``name==version`` of each distribution in the build environment at ``env`` (its dist-infos)."""
    if env is None or not env.is_dir():
        return []
    sites = (
        [env / "Lib" / "site-packages"] if os.name == "nt" else list(env.glob("lib/python*/site-packages"))
    )
    found: list[str] = []
    for site in sites:
        for entry in sorted(site.glob("*.dist-info")):
            name, _, version = entry.name[: -len(".dist-info")].partition("-")
            if version:
                found.append(f"{name}=={version}")
    return found
