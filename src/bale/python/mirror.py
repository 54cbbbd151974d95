"""Read a managed-Python mirror laid out as python-build-standalone's releases: the builds it offers.

The mirror (``BALE_PYTHON_INSTALL_MIRROR``) stands where uv's mirror setting stands, in place of
``https://github.com/astral-sh/python-build-standalone/releases/download``: each release is a folder
named by its date, holding ``cpython-{version}+{release}-{triple}-install_only.tar.gz`` files and,
optionally, a ``SHA256SUMS`` file or one ``{file}.sha256`` per archive. With no metadata list bundled
in bale, the release folders are read from the mirror's directory listing (a ``file://`` folder, or
an HTTP server's index page such as nginx's autoindex or ``python -m http.server``); archives may
also sit at the mirror's top level.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.model.record import record

MIRROR_SETTING = "BALE_PYTHON_INSTALL_MIRROR"

_ARCHIVE = re.compile(
    r"^cpython-(?P<version>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)\+(?P<release>\d+)-(?P<triple>[A-Za-z0-9_-]+?)"
    r"-(?P<flavor>install_only|install_only_stripped)\.tar\.gz$"
)
_RELEASE = re.compile(r"^\d{8}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@record(frozen=True, slots=True)
class Build:
    """One archive on the mirror and the URL to fetch it from."""

    filename: str
    url: str
    version: Version
    release: str
    triple: str
    stripped: bool
    folder: str  # the mirror folder it was listed in ("" for the top level)


def parse_archive_name(name: str) -> tuple[Version, str, str, bool] | None:
    """(version, release, triple, stripped) of a python-build-standalone ``install_only`` archive name."""
    match = _ARCHIVE.match(name)
    if match is None:
        return None
    try:
        version = Version(match.group("version"))
    except InvalidVersion:
        return None
    return version, match.group("release"), match.group("triple"), match.group("flavor") != "install_only"


class Listing:
    """Reads folder listings and small files of one mirror, through ``fetch`` for HTTP(S).

    ``fetch(url)`` returns the body, or None when the server answers 404; it raises BaleError for
    anything else. ``file://`` URLs and plain paths are read from disk.
    """

    def __init__(self, mirror: str, fetch: Callable[[str], bytes | None]) -> None:
        self.mirror = mirror.strip()
        self._fetch = fetch
        self.local = _local_path(self.mirror)

    @property
    def root_url(self) -> str:
        if self.local is not None:
            return self.local.as_uri() + "/"
        return self.mirror.rstrip("/") + "/"

    def names(self, folder: str = "") -> list[str]:
        """The entries of ``folder`` (relative to the mirror root), folders with a trailing ``/``."""
        if self.local is not None:
            path = self.local / folder
            try:
                with os.scandir(path) as entries:
                    return [entry.name + ("/" if entry.is_dir() else "") for entry in entries]
            except FileNotFoundError:
                if folder:
                    return []
                raise BaleError(
                    f"The managed-Python mirror {self.mirror} does not exist",
                    context=[f"{MIRROR_SETTING}={self.mirror}"],
                    hint=f"set {MIRROR_SETTING} to a folder or URL laid out as "
                    "python-build-standalone's releases",
                ) from None
            except OSError as err:
                raise BaleError(
                    f"Could not read the managed-Python mirror folder {path}: {err.strerror or err}",
                    context=[f"{MIRROR_SETTING}={self.mirror}"],
                ) from err
        url = self.url(folder) + "/" if folder else self.root_url  # relative links resolve below it
        body = self._fetch(url)
        if body is None:
            return []
        return _links(body.decode("utf-8", "replace"), url)

    def read(self, path: str) -> bytes | None:
        """The bytes of a small file (a checksum list) on the mirror, or None when it is missing."""
        if self.local is not None:
            try:
                return (self.local / path).read_bytes()
            except FileNotFoundError:
                return None
            except OSError as err:
                raise BaleError(f"Could not read {self.local / path}: {err.strerror or err}") from err
        return self._fetch(self.url(path))

    def url(self, path: str) -> str:
        """The URL of ``path`` (``20240107/cpython-...tar.gz``), quoted as GitHub's (``+`` as ``%2B``)."""
        return self.root_url + "/".join(quote(part, safe="") for part in path.split("/"))


def _local_path(mirror: str) -> Path | None:
    if mirror[:5].lower() == "file:":
        from bale.http.client import file_url_to_path

        return file_url_to_path(mirror.rstrip("/") or mirror)
    if "://" in mirror:
        return None
    return Path(mirror).expanduser().absolute()


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for key, value in attrs:
                if key == "href" and value:
                    self.hrefs.append(value)


def _links(page: str, base: str) -> list[str]:
    """The entry names an index page links to directly below ``base`` (folders keep their ``/``)."""
    parser = _LinkParser()
    parser.feed(page)
    base_path = urlsplit(base).path
    names: list[str] = []
    for href in parser.hrefs:
        target = urlsplit(urljoin(base, href))
        path = target.path
        if not path.startswith(base_path) or path == base_path:
            continue  # the parent folder, sorting links, other sites
        name = unquote(path[len(base_path) :])
        if name.rstrip("/") and "/" not in name.rstrip("/") and name not in names:
            names.append(name)
    return names


def releases(top: list[str]) -> list[str]:
    """The release folders among the mirror's entries ``top``, newest first, with ``""`` (the top
    level itself) last."""
    found = sorted({name.rstrip("/") for name in top if _RELEASE.match(name.rstrip("/"))}, reverse=True)
    return [*found, ""]


def builds_in(listing: Listing, release: str, entries: list[str]) -> list[Build]:
    """The ``install_only`` builds among one release folder's ``entries``, for every platform."""
    prefix = f"{release}/" if release else ""
    builds = []
    for name in entries:
        parsed = parse_archive_name(name)
        if parsed is not None:
            version, build_release, triple, stripped = parsed
            builds.append(
                Build(name, listing.url(prefix + name), version, build_release, triple, stripped, release)
            )
    return builds


def all_builds(listing: Listing) -> Iterator[tuple[str, list[str], list[Build]]]:
    """(release, its entries, its builds) for each release folder, newest release first: one
    listing read per release, and only as far as the caller iterates."""
    top = listing.names()
    for release in releases(top):
        entries = listing.names(release) if release else top
        yield release, entries, builds_in(listing, release, entries)


def published_sha256(listing: Listing, build: Build, entries: list[str]) -> str | None:
    """The sha256 the mirror publishes for ``build`` (``SHA256SUMS``, else ``{file}.sha256``), if any."""
    prefix = f"{build.folder}/" if build.folder else ""
    if "SHA256SUMS" in entries:
        body = listing.read(f"{prefix}SHA256SUMS")
        for line in (body or b"").decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("*") == build.filename and _SHA256.match(parts[0].lower()):
                return parts[0].lower()
    if f"{build.filename}.sha256" in entries:
        body = listing.read(f"{prefix}{build.filename}.sha256")
        words = (body or b"").decode("utf-8", "replace").split()
        if words and _SHA256.match(words[0].lower()):
            return words[0].lower()
    return None
