"""Where distributions come from (indexes, find-links) and the client that lists a project's files there."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName
from packaging.version import Version

from bale.errors import BaleError
from bale.http.auth import split_credentials
from bale.http.pool import OnceMap, shared_executor
from bale.index.simple import ACCEPT, parse_links_page, parse_project_page
from bale.model.dists import IndexFile, parse_filename
from bale.model.record import record
from bale.report import NULL_REPORTER, Reporter

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from bale.http.client import HttpClient

PYPI_SIMPLE = "https://pypi.org/simple"
_FLAT_PAGE_ACCEPT = "text/html, */*;q=0.1"


FIRST_INDEX = "first-index"
UNSAFE_FIRST_MATCH = "unsafe-first-match"
UNSAFE_BEST_MATCH = "unsafe-best-match"
STRATEGIES = (FIRST_INDEX, UNSAFE_FIRST_MATCH, UNSAFE_BEST_MATCH)


@record(frozen=True, slots=True)
class IndexSources:
    """The indexes and find-links locations to search.

    Indexes are asked in ``search_order()``: extra indexes first, then ``index_urls`` (the primary,
    default ``https://pypi.org/simple``, last). ``strategy`` (uv's ``--index-strategy``) says how
    their answers combine:

    - ``first-index`` (default): the first index that knows a project supplies all of its files, so a
      public index cannot shadow a private one (dependency confusion);
    - ``unsafe-first-match``: every index is asked; versions are tried index by index (all of the
      first index's versions before any of the next one's);
    - ``unsafe-best-match``: every index is asked and the best version wins wherever it is (pip).

    With both unsafe strategies a version found on several indexes takes its files from the first.
    Find-links files are always added. ``pins`` (name, index URL) take a package from that one index
    only, find-links left out.
    """

    index_urls: tuple[str, ...] = (PYPI_SIMPLE,)
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    pins: tuple[tuple[NormalizedName, str], ...] = ()
    strategy: str = FIRST_INDEX

    def search_order(self) -> tuple[str, ...]:
        if self.no_index:
            return ()
        return tuple(dict.fromkeys((*self.extra_index_urls, *self.index_urls)))

    def pinned(self, name: NormalizedName) -> str | None:
        """The one index ``name`` must come from, if it is pinned to one (``--no-index`` drops pins)."""
        if self.no_index:
            return None
        for pinned_name, url in self.pins:
            if pinned_name == name:
                return url
        return None


def _is_url(location: str) -> bool:
    scheme, sep, _ = location.partition("://")
    return bool(sep) and scheme.isalpha() and len(scheme) > 1  # "C://" is a Windows drive, not a URL


class IndexClient:
    """Lists a project's files across the configured sources; memoized per process and thread-safe.

    ``project_files`` costs one page fetch per index asked (usually one: the first index that has the
    project wins), served from the HTTP page cache when fresh. ``prefetch`` starts those fetches on the
    shared pool so that the resolver's later ``project_files`` calls find them done.
    """

    def __init__(
        self,
        http: HttpClient,
        sources: IndexSources,
        reporter: Reporter = NULL_REPORTER,
        *,
        executor: Executor | None = None,
    ) -> None:
        self.http = http
        self.sources = sources
        self.reporter = reporter
        self._executor = executor
        self._projects: OnceMap[NormalizedName, tuple[IndexFile, ...]] = OnceMap()
        self._find_links: OnceMap[str, tuple[IndexFile, ...]] = OnceMap()

    @property
    def index_order(self) -> bool:
        """Whether versions are to be tried index by index (``unsafe-first-match``), not newest first;
        ``project_files`` then lists the files of the first index that has a project before the next's."""
        return self.sources.strategy == UNSAFE_FIRST_MATCH

    def project_files(self, name: NormalizedName) -> list[IndexFile]:
        """Every file of ``name`` the sources list (empty when none has it), in index order.
        Raises BaleError on failure."""
        return list(self._projects.get(name, lambda: self._fetch_project(name)))

    def is_local(self, name: NormalizedName) -> bool:
        """Whether ``project_files(name)`` needs no network: already known, or each index that will be
        asked (the first, or all with an unsafe strategy) is a folder or has a fresh page in the cache.
        Cheap (a small file read per index); never raises."""
        if name in self._projects:
            return True
        try:
            pinned = self.sources.pinned(name)
            for location in () if pinned else self.sources.find_links:
                if _is_url(location) and location[:5].lower() != "file:":
                    return False
            indexes = (pinned,) if pinned else self.sources.search_order()
            if self.sources.strategy == FIRST_INDEX:
                indexes = indexes[:1]  # the first index answers (a miss there is a fetch anyway)
            for index in indexes:
                if index[:5].lower() == "file:":
                    continue
                if not self.http.has_fresh_page(f"{index.rstrip('/')}/{name}/", {"Accept": ACCEPT}):
                    return False
        except Exception:  # a check must never fail a resolution; the real fetch will report problems
            return False
        return True

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        """Start fetching these projects' pages in the background; errors surface in ``project_files``."""
        executor = self._executor or shared_executor()
        for name in names:
            if name not in self._projects:
                executor.submit(self._prefetch_one, name)

    def _prefetch_one(self, name: NormalizedName) -> None:
        # The once-map keeps any error for the caller that needs this project.
        with contextlib.suppress(Exception):
            self.project_files(name)

    def _fetch_project(self, name: NormalizedName) -> tuple[IndexFile, ...]:
        pinned = self.sources.pinned(name)
        if pinned is not None:
            return tuple(self._from_index(pinned, name) or ())
        files: list[IndexFile] = []
        versions: set[Version] = set()  # versions listed by an earlier index (unsafe strategies)
        for index in self.sources.search_order():
            found = self._from_index(index, name)
            if found is None:
                continue
            if self.sources.strategy == FIRST_INDEX:
                files.extend(found)
                break
            # A version an earlier index has keeps that index's files only (uv does the same).
            files.extend(f for f in found if f.version not in versions)
            versions.update(f.version for f in found)
        for location in self.sources.find_links:
            files.extend(f for f in self._find_links_files(location) if f.name == name)
        unique = {f.url: f for f in reversed(files)}  # the first listing of a URL wins
        return tuple(f for f in files if unique.get(f.url) is f)

    # --- indexes --------------------------------------------------------------------------------------

    def _from_index(self, index: str, name: NormalizedName) -> list[IndexFile] | None:
        """The project's files on one index, or None when that index does not have the project."""
        source = split_credentials(index)[0].rstrip("/")
        if index[:5].lower() == "file:":
            return self._from_file_index(index, name, source)
        url = f"{index.rstrip('/')}/{name}/"
        response = self.http.get(url, {"Accept": ACCEPT}, cache=True, missing_ok=True)
        if response.status in (404, 410):
            self.reporter.debug(f"{name} is not on {source}")
            return None
        return parse_project_page(response.body, response.content_type, response.url, name, source=source)

    def _from_file_index(self, index: str, name: NormalizedName, source: str) -> list[IndexFile] | None:
        from bale.http.client import file_url_to_path

        self.http.pages_complete = False  # a folder can change without any page cache knowing
        folder = file_url_to_path(index) / name
        for page, content_type in (("index.json", "application/vnd.pypi.simple.v1+json"), ("index.html", "")):
            path = folder / page
            if path.is_file():
                response = self.http.get(path.as_uri())
                return parse_project_page(response.body, content_type, path.as_uri(), name, source=source)
        if folder.is_dir():
            return [f for f in _list_folder(folder, source) if f.name == name]
        return None

    # --- find-links -----------------------------------------------------------------------------------

    def _find_links_files(self, location: str) -> tuple[IndexFile, ...]:
        return self._find_links.get(location, lambda: self._list(location))

    def _list(self, location: str) -> tuple[IndexFile, ...]:
        """Every distribution file one find-links location offers."""
        source = split_credentials(location)[0]
        if _is_url(location) and location[:5].lower() != "file:":
            response = self.http.get(location, {"Accept": _FLAT_PAGE_ACCEPT}, cache=True)
            return tuple(parse_links_page(response.body, response.content_type, response.url, source=source))
        self.http.pages_complete = False  # a folder can change without any page cache knowing
        if _is_url(location):
            from bale.http.client import file_url_to_path

            path = file_url_to_path(location)
        else:
            path = Path(location).absolute()
        if path.is_dir():
            return tuple(_list_folder(path, source))
        if path.is_file():
            body = self.http.get(path.as_uri()).body
            return tuple(parse_links_page(body, "text/html", path.as_uri(), source=source))
        raise BaleError(
            f"The find-links location {source} does not exist",
            hint="Pass an existing folder, an HTML page of links, or a URL.",
        )


def _list_folder(folder: Path, source: str) -> list[IndexFile]:
    out: list[IndexFile] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as err:
        raise BaleError(f"Could not list the find-links folder {folder}: {err.strerror or err}") from err
    for entry in entries:
        parsed = parse_filename(entry.name)
        if parsed is None or not entry.is_file():
            continue
        out.append(
            IndexFile(
                filename=entry.name,
                url=Path(entry.path).as_uri(),
                name=parsed.name,
                version=parsed.version,
                kind=parsed.kind,
                source=source,
            )
        )
    return out
