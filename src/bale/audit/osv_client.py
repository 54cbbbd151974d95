"""The OSV API (https://google.github.io/osv.dev/api/): batched queries, then each advisory's record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from packaging.version import Version

from bale.audit.osv import ECOSYSTEM, Advisory, AdvisoryError, AdvisorySet, parse_advisory
from bale.errors import BaleError, OfflineError
from bale.model.names import NormalizedName

if TYPE_CHECKING:
    from bale.http.client import HttpClient

DEFAULT_SERVICE_URL = "https://api.osv.dev"
BATCH = 1000  # the API's limit of queries per /v1/querybatch request
# Records are fetched this many at a time: a lock of 100 packages meets ~10-40 advisories, ~50 ms
# each from api.osv.dev; 8 connections fetch them in ~0.2 s and stay well inside the client's pool.
_WORKERS = 8
# Pages of one batch: OSV pages at ~1,000 ids per query (3,000 per batch), so a real answer needs a
# handful; a service that keeps sending tokens is broken, not generous.
_MAX_PAGES = 100
_HINT = (
    "check --service-url (or BALE_OSV_URL), or audit with the local database: "
    "`bale audit --update-db`, then `bale audit --offline`"
)


class OsvService:
    """Asks the OSV API at ``base_url`` which advisories affect which packages.

    Cost: one POST ``/v1/querybatch`` per 1,000 packages (and per page of a long answer: the API
    pages queries that match over ~1,000 advisories), then one GET ``/v1/vulns/{id}`` per distinct
    advisory id, 8 at a time. Any failure (HTTP error, connection, an answer that is not OSV's) is a
    BaleError naming the URL: never an empty, "clean" answer.
    """

    def __init__(self, client: HttpClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def advisories_for(self, packages: Sequence[tuple[NormalizedName, Version]]) -> AdvisorySet:
        """The full records OSV lists for each package at its version, by package name."""
        wanted = sorted(set(packages))
        ids_by_package: dict[tuple[NormalizedName, Version], list[str]] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            for package, ids in zip(chunk, self._query(chunk), strict=True):
                ids_by_package[package] = ids
        records = self._records(sorted({i for ids in ids_by_package.values() for i in ids}))
        by_name: dict[NormalizedName, dict[str, Advisory]] = {}
        warnings: dict[str, None] = {}
        for (name, version), ids in ids_by_package.items():
            for ident in ids:
                advisory = records[ident]
                if name not in advisory.names():
                    # OSV matched it, bale's matching would not even look: say so, never drop it quietly.
                    warnings[
                        f"OSV lists {ident} for {name} {version}, but the record names no PyPI package {name}"
                    ] = None
                by_name.setdefault(name, {})[ident] = advisory
        return AdvisorySet({name: tuple(found.values()) for name, found in by_name.items()}, tuple(warnings))

    # -- /v1/querybatch ---------------------------------------------------------------------------

    def _query(self, chunk: Sequence[tuple[NormalizedName, Version]]) -> list[list[str]]:
        """The advisory ids for each package of ``chunk``; a query whose answer carries a
        ``next_page_token`` is asked again with it (only those queries), as the API documents."""
        url = f"{self.base_url}/v1/querybatch"
        ids: list[dict[str, None]] = [{} for _ in chunk]
        pending: list[tuple[int, str | None]] = [(i, None) for i in range(len(chunk))]
        seen_tokens: set[tuple[int, str]] = set()
        for _ in range(_MAX_PAGES):
            if not pending:
                return [list(found) for found in ids]
            queries: list[dict[str, Any]] = []
            for position, token in pending:
                name, version = chunk[position]
                query: dict[str, Any] = {
                    "package": {"name": name, "ecosystem": ECOSYSTEM},
                    "version": str(version),
                }
                if token is not None:
                    query["page_token"] = token
                queries.append(query)
            answer = self._post_json(url, {"queries": queries})
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(queries):
                got = f"{len(results)} results" if isinstance(results, list) else "no results list"
                raise _not_osv(url, f"expected {len(queries)} results, got {got}")
            following: list[tuple[int, str | None]] = []
            for (position, _), result in zip(pending, results, strict=True):
                if not isinstance(result, dict):
                    raise _not_osv(url, "a result is not an object")
                vulns = result.get("vulns") or []
                if not isinstance(vulns, list):
                    raise _not_osv(url, "a result's vulns is not a list")
                for vuln in vulns:
                    ident = vuln.get("id") if isinstance(vuln, dict) else None
                    if not isinstance(ident, str) or not ident.strip():
                        raise _not_osv(url, "a vulnerability without an id")
                    ids[position][ident] = None
                token = result.get("next_page_token")
                if isinstance(token, str) and token:
                    if (position, token) in seen_tokens:
                        raise _not_osv(url, f"the page token {token!r} came back twice")
                    seen_tokens.add((position, token))
                    following.append((position, token))
            pending = following
        raise BaleError(f"The vulnerability service at {url} kept paging past {_MAX_PAGES} pages", hint=_HINT)

    def _post_json(self, url: str, payload: object) -> Any:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        try:
            response = self.client.post(url, body, headers)
        except OfflineError:
            raise
        except BaleError as err:
            raise _failed(err) from err
        return _json(url, response.body)

    # -- /v1/vulns/{id} ---------------------------------------------------------------------------

    def _records(self, ids: Sequence[str]) -> dict[str, Advisory]:
        if not ids:
            return {}
        if len(ids) == 1:
            return {ids[0]: self._record(ids[0])}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(_WORKERS, len(ids)), thread_name_prefix="bale-osv") as pool:
            return dict(zip(ids, pool.map(self._record, ids), strict=True))

    def _record(self, ident: str) -> Advisory:
        url = f"{self.base_url}/v1/vulns/{quote(ident, safe='')}"
        try:
            response = self.client.get(url, {"Accept": "application/json"})
        except OfflineError:
            raise
        except BaleError as err:
            raise _failed(err) from err
        try:
            advisory = parse_advisory(_json(url, response.body), source=url)
        except AdvisoryError as err:
            raise BaleError(err.message, hint=_HINT) from err
        if advisory.id != ident:
            raise _not_osv(url, f"asked for {ident}, got the record {advisory.id}")
        return advisory


def _failed(err: BaleError) -> BaleError:
    """The client's error (it names the URL and what went wrong) with the ways out of it for an audit."""
    return BaleError(err.message, context=err.context, hint=_HINT)


def _json(url: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        shown = body[:60].decode("utf-8", "replace")
        raise _not_osv(url, f"the answer is not JSON ({shown!r}...)") from None


def _not_osv(url: str, what: str) -> BaleError:
    return BaleError(
        f"The vulnerability service at {url} gave an answer that is not OSV's: {what}", hint=_HINT
    )
