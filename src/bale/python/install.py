"""Install and uninstall managed CPython builds from a python-build-standalone mirror."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from bale.errors import BaleError, HashMismatchError
from bale.model.record import record
from bale.python.managed import ManagedPython, Platform, install_name, installed_pythons
from bale.python.mirror import MIRROR_SETTING, Build, Listing, all_builds, published_sha256

if TYPE_CHECKING:
    from bale.http.client import HttpClient
    from bale.python.discover import PythonRequest
    from bale.python.probe import Interpreter

_MIRROR_HINT = (
    f"set {MIRROR_SETTING} to a folder or URL laid out as python-build-standalone's releases "
    "(RELEASE/cpython-VERSION+RELEASE-TRIPLE-install_only.tar.gz), for example "
    "https://github.com/astral-sh/python-build-standalone/releases/download"
)


@record(frozen=True, slots=True)
class Installed:
    """What ``install`` did: the build it chose, where it went, and whether a sha256 vouched for it."""

    build: Build
    python: ManagedPython
    interpreter: Interpreter
    verified: bool


def wants(request: PythonRequest, version: Version) -> bool:
    """Whether a build of CPython ``version`` satisfies ``request``."""
    if request.implementation not in (None, "cpython") or request.free_threaded:
        return False
    if request.kind == "version":
        return version.release[: len(request.version)] == request.version
    if request.kind == "specifier" and request.specifier is not None:
        return request.specifier.contains(version, prereleases=True)
    return request.kind == "any"


def check_installable(request: PythonRequest) -> None:
    """Refuse requests no python-build-standalone CPython can answer (a path, PyPy, free-threaded)."""
    if request.kind in ("path", "name"):
        raise BaleError(
            f"Cannot install {request.text!r}: give a Python version (3.12, 3.12.1) or a range (>=3.11)",
            hint="bale python install 3.12",
        )
    if request.implementation not in (None, "cpython") or request.free_threaded:
        raise BaleError(
            f"Cannot install {request}: the managed-Python mirror offers standard CPython builds only",
            hint="ask for a CPython version, for example `bale python install 3.12`",
        )


def installed_match(request: PythonRequest, directory: Path, target: Platform) -> ManagedPython | None:
    """The newest installed managed Python for ``target`` that satisfies ``request``, if any."""
    for python in installed_pythons(directory):
        if (
            python.platform_key == target.key
            and wants(request, python.version)
            and python.executable.exists()
        ):
            return python
    return None


def mirror_listing(mirror: str | None, http: HttpClient) -> Listing:
    """A Listing of the mirror named by ``BALE_PYTHON_INSTALL_MIRROR``; BaleError when it is unset."""
    if not mirror:
        raise BaleError(
            f"No managed-Python source is configured: {MIRROR_SETTING} is not set",
            hint=_MIRROR_HINT,
        )

    def fetch(url: str) -> bytes | None:
        try:
            response = http.get(url, missing_ok=True)
        except BaleError as err:
            raise _unreachable(mirror, err) from err
        return None if response.status in (404, 410) else response.body

    return Listing(mirror, fetch)


def _unreachable(mirror: str, err: BaleError) -> BaleError:
    return BaleError(
        f"Could not read the managed-Python mirror {mirror} ({MIRROR_SETTING})",
        context=[err.message, *err.context],
        # The network error's own hint (--offline, the cache) does not apply: an install needs the mirror.
        hint=f"check that {MIRROR_SETTING} names a reachable folder or URL, and that the network is up",
    )


def choose_build(request: PythonRequest, listing: Listing, target: Platform) -> tuple[Build, list[str]]:
    """The build to install for ``request`` on ``target`` and its release folder's entries.

    Release folders are read newest first and the first holding a match wins (one or two listings
    on a real mirror); within it, the newest final version (pre-releases only when nothing else
    matches), the full ``install_only`` archive before the stripped one.
    """
    offered: set[str] = set()
    platforms: set[str] = set()
    for _release, entries, builds in all_builds(listing):
        for build in builds:
            platforms.add(build.triple)
        ours = [build for build in builds if build.triple == target.triple]
        offered.update(str(build.version) for build in ours)
        matching = [build for build in ours if wants(request, build.version)]
        finals = [build for build in matching if not build.version.is_prerelease]
        if finals or matching:
            best = max(finals or matching, key=lambda build: (build.version, not build.stripped))
            return best, entries
    if not offered:
        context = (
            [f"it offers builds for {', '.join(sorted(platforms))}"]
            if platforms
            else ["it holds no cpython-VERSION+RELEASE-TRIPLE-install_only.tar.gz archives"]
        )
        raise BaleError(
            f"The managed-Python mirror {listing.mirror} has no CPython build for this platform "
            f"({target.triple})",
            context=[*context, f"{MIRROR_SETTING}={listing.mirror}"],
            hint=f"point {MIRROR_SETTING} at a mirror with {target.triple} builds",
        )
    versions = sorted(offered, key=Version, reverse=True)
    raise BaleError(
        f"No CPython build on the managed-Python mirror matches {request} for {target.triple}",
        context=[f"the mirror offers {', '.join(versions)}", f"{MIRROR_SETTING}={listing.mirror}"],
        hint=f"ask for one of those, for example `bale python install {versions[0]}`",
    )


def install(
    build: Build,
    entries: list[str],
    listing: Listing,
    http: HttpClient,
    directory: Path,
    target: Platform,
    cache_dir: Path | None,
    *,
    reinstall: bool = False,
) -> Installed:
    """Download ``build`` (checking the published sha256), unpack it and put it in ``directory``.

    The archive is unpacked in a temp folder inside ``directory`` and renamed into place, so no
    reader (discovery, another bale) ever sees half an installation; the new interpreter is run
    once before the command reports success.
    """
    from bale.fs.atomic import replace_dir
    from bale.fs.temp import remove_tree, temp_dir
    from bale.python.probe import probe

    sha256 = published_sha256(listing, build, entries)
    final = directory / install_name(build.version, target)
    directory.mkdir(parents=True, exist_ok=True)
    with temp_dir(directory) as work:
        archive = work / build.filename
        try:
            http.download(
                build.url, archive, expected={"sha256": sha256} if sha256 else None, label=build.filename
            )
        except HashMismatchError as err:
            raise BaleError(
                f"The download of {build.filename} does not match the sha256 the mirror publishes",
                context=[err.message, *err.context, f"from {build.url}"],
                hint="the mirror or the download is damaged; nothing was installed",
            ) from err
        except BaleError as err:
            raise _unreachable(listing.mirror, err) from err
        unpacked = work / "unpacked"
        _extract(archive, unpacked, build)
        root = unpacked / "python"
        if reinstall and final.exists():
            old = work / "old"
            os.rename(final, old)
        if not replace_dir(root, final):
            raise BaleError(f"{final} appeared while installing {build.filename}: another bale installed it")
    python = ManagedPython(final, build.version, target.key)
    try:
        interpreter = probe(python.executable, cache_dir)
    except BaleError as err:
        remove_tree(final)
        raise BaleError(
            f"The Python in {build.filename} does not run on this machine",
            context=[err.message, *err.context],
            hint="choose another build, or a mirror with builds for this platform",
        ) from err
    return Installed(build, python, interpreter, sha256 is not None)


def _extract(archive: Path, destination: Path, build: Build) -> None:
    """Unpack a python-build-standalone archive (one top folder, ``python/``) into ``destination``."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            if not members or any(not (m.name == "python" or m.name.startswith("python/")) for m in members):
                raise BaleError(
                    f"{build.filename} is not a python-build-standalone archive: "
                    "its files are not all in python/",
                    context=[f"from {build.url}"],
                )
            data_filter = getattr(tarfile, "data_filter", None)
            if data_filter is not None:
                # The "data" filter refuses absolute paths, links out of the tree and device files.
                tar.extractall(destination, filter=data_filter)
            else:  # pragma: no cover - Python 3.10 before 3.10.12
                for member in members:
                    if member.name.startswith("/") or ".." in Path(member.name).parts:
                        raise BaleError(f"{build.filename} holds an unsafe path: {member.name}")
                tar.extractall(destination)
    except (tarfile.TarError, OSError, EOFError) as err:
        raise BaleError(f"Could not unpack {build.filename}: {err}", context=[f"from {build.url}"]) from err
    executable = destination / "python" / ("python.exe" if os.name == "nt" else "bin")
    if not executable.exists():
        raise BaleError(
            f"{build.filename} is not a python-build-standalone install_only archive: "
            f"it has no python/{executable.name}",
            context=[f"from {build.url}"],
        )


def uninstall(request: PythonRequest | None, directory: Path) -> list[ManagedPython]:
    """Remove the managed Pythons matching ``request`` (all when None); returns those removed.

    Each folder is renamed to a temp name first, then deleted: discovery never sees half of one.
    """
    from bale.fs.temp import make_temp_dir, remove_tree

    chosen = [p for p in installed_pythons(directory) if request is None or wants(request, p.version)]
    for python in chosen:
        parking = make_temp_dir(directory)
        os.rename(python.path, parking / python.name)
        remove_tree(parking)
    return chosen
