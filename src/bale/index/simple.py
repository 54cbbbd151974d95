"""Parse simple-repository project pages (PEP 691 JSON, PEP 503 HTML) into IndexFile values; no I/O."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urljoin

from packaging.utils import NormalizedName

from bale.errors import BaleError
from bale.model.dists import IndexFile, parse_filename

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
# JSON first: it is smaller to parse and carries sizes and upload times; plain HTML last for old servers.
ACCEPT = f"{JSON_V1}, {HTML_V1};q=0.2, text/html;q=0.01"


def parse_project_page(
    body: bytes, content_type: str, page_url: str, project: NormalizedName, *, source: str = ""
) -> list[IndexFile]:
    """The files of ``project`` listed on its page; files of other projects and unparseable names are skipped.

    ``page_url`` (the final URL, without credentials) resolves relative links and names the page in errors;
    ``source`` is recorded on every file (the index URL, credentials removed).
    """
    return _parse(body, content_type, page_url, source, project)


def parse_links_page(body: bytes, content_type: str, page_url: str, *, source: str = "") -> list[IndexFile]:
    """Every distribution file a page links to, whatever its project (find-links pages list many)."""
    return _parse(body, content_type, page_url, source, None)


def _parse(
    body: bytes, content_type: str, page_url: str, source: str, project: NormalizedName | None
) -> list[IndexFile]:
    if _page_kind(body, content_type, page_url) == "json":
        return _parse_json(body, page_url, source, project)
    return _parse_html(body, page_url, source, project)


def _page_kind(body: bytes, content_type: str, page_url: str) -> str:
    mime = content_type.partition(";")[0].strip().lower()
    if mime.endswith("json"):
        return "json"
    if "html" in mime:
        return "html"
    # No usable Content-Type (file:// pages, sloppy servers): sniff the first byte.
    head = body.lstrip()[:1]
    if head == b"{":
        return "json"
    if head == b"<" or not head:
        return "html"
    raise BaleError(
        f"The index page {page_url} is neither HTML nor JSON (Content-Type: {content_type or 'none'})",
        hint="Check that the index URL points at a simple repository (e.g. https://pypi.org/simple).",
    )


# --- PEP 691 JSON -------------------------------------------------------------------------------------


def _parse_json(body: bytes, page_url: str, source: str, project: NormalizedName | None) -> list[IndexFile]:
    import json

    try:
        page = json.loads(body)
    except ValueError as err:
        raise BaleError(
            f"The index page {page_url} is not valid JSON: {err}",
            hint="The index may be misconfigured or returned an error page.",
        ) from None
    if not isinstance(page, dict):
        raise _invalid(page_url, "the top level is not an object")
    version = page.get("meta", {}).get("api-version", "1.0") if isinstance(page.get("meta"), dict) else "1.0"
    if str(version).partition(".")[0] != "1":
        raise BaleError(
            f"The index page {page_url} uses simple API version {version}; bale understands 1.x",
        )
    files = page.get("files")
    if not isinstance(files, list):
        raise _invalid(page_url, "'files' is missing or not a list")
    out: list[IndexFile] = []
    for entry in files:
        if not isinstance(entry, dict):
            raise _invalid(page_url, "an entry of 'files' is not an object")
        made = _json_file(entry, page_url, source, project)
        if made is not None:
            out.append(made)
    return out


def _json_file(
    entry: Mapping[str, Any], page_url: str, source: str, project: NormalizedName | None
) -> IndexFile | None:
    filename, href = entry.get("filename"), entry.get("url")
    if not isinstance(filename, str) or not isinstance(href, str):
        raise _invalid(page_url, "a file has no 'filename' or 'url' string")
    parsed = parse_filename(filename)
    if parsed is None or (project is not None and parsed.name != project):
        return None
    url, fragment_hashes = _split_fragment(urljoin(page_url, href))
    hashes = _hash_map(entry.get("hashes")) or fragment_hashes
    metadata = entry.get("core-metadata", entry.get("dist-info-metadata"))
    requires_python = entry.get("requires-python")
    size = entry.get("size")
    return IndexFile(
        filename=filename,
        url=url,
        name=parsed.name,
        version=parsed.version,
        kind=parsed.kind,
        hashes=hashes,
        requires_python=(requires_python.strip() or None) if isinstance(requires_python, str) else None,
        yanked=_yanked(entry.get("yanked")),
        upload_time=_timestamp(entry.get("upload-time")),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        metadata_hashes=_json_metadata(metadata),
        source=source,
        provenance=_provenance_url(entry.get("provenance"), page_url),
    )


def _json_metadata(value: object) -> Mapping[str, str] | None:
    if value is True:
        return {}
    if isinstance(value, dict):
        return _hash_map(value)
    return None


def _provenance_url(value: object, base: str) -> str | None:
    # PEP 740: a URL (relative ones resolve against the page) or null when the file has no provenance.
    if isinstance(value, str) and value.strip():
        return urljoin(base, value.strip())
    return None


def _yanked(value: object) -> str | None:
    if value is True:
        return ""
    if isinstance(value, str) and value:
        return value
    return None


def _hash_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k).lower(): v.lower() for k, v in value.items() if isinstance(v, str) and v}


def _invalid(page_url: str, what: str) -> BaleError:
    return BaleError(f"The index page {page_url} is not a valid PEP 691 response: {what}")


# --- PEP 503 HTML -------------------------------------------------------------------------------------


# PEP 503 pages are machine-written: a regular-expression scan reads PyPI's 30,000 links for jupyter's
# dependencies in ~0.2 s where html.parser took ~1 s. Quoted, unquoted and bare attributes are handled.
_TAG = re.compile(r"<(a|base)(\s[^>]*)?>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _attributes(text: str) -> dict[str, str | None]:
    attrs: dict[str, str | None] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        if name in attrs:
            continue  # HTML keeps the first of duplicated attributes
        value = match.group(2)
        if value is None:
            value = match.group(3) if match.group(3) is not None else match.group(4)
        attrs[name] = html.unescape(value) if value is not None and "&" in value else value
    return attrs


def _anchors(text: str) -> tuple[str | None, list[dict[str, str | None]]]:
    if "<!--" in text:
        text = _COMMENT.sub("", text)
    base: str | None = None
    anchors: list[dict[str, str | None]] = []
    for match in _TAG.finditer(text):
        attrs = _attributes(match.group(2) or "")
        if match.group(1).lower() == "a":
            anchors.append(attrs)
        elif base is None:
            base = attrs.get("href")
    return base, anchors


def _absolute(base: str, href: str) -> str:
    # Most indexes (PyPI included) link files by absolute URL: urljoin per link is then wasted work.
    if href.startswith(("https://", "http://")):
        return href
    return urljoin(base, href)


def _parse_html(body: bytes, page_url: str, source: str, project: NormalizedName | None) -> list[IndexFile]:
    base_href, anchors = _anchors(body.decode("utf-8", errors="replace"))
    base = urljoin(page_url, base_href) if base_href else page_url
    out: list[IndexFile] = []
    for attrs in anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, hashes = _split_fragment(_absolute(base, href.strip()))
        filename = url.partition("?")[0].rsplit("/", 1)[-1]
        if "%" in filename:
            filename = unquote(filename)
        parsed = parse_filename(filename)
        if parsed is None or (project is not None and parsed.name != project):
            continue
        requires_python = attrs.get("data-requires-python")
        yanked = attrs.get("data-yanked")
        metadata_hashes: Mapping[str, str] | None = None
        for attr in ("data-core-metadata", "data-dist-info-metadata"):
            if attr in attrs:
                metadata_hashes = _html_metadata(attrs[attr])
                break
        out.append(
            IndexFile(
                filename=filename,
                url=url,
                name=parsed.name,
                version=parsed.version,
                kind=parsed.kind,
                hashes=hashes,
                requires_python=(requires_python.strip() or None) if requires_python else None,
                # A bare data-yanked attribute (value None) yanks without a reason.
                yanked=(yanked or "") if "data-yanked" in attrs else None,
                upload_time=_timestamp(attrs.get("data-upload-time")),
                metadata_hashes=metadata_hashes,
                source=source,
                provenance=_provenance_url(attrs.get("data-provenance"), base),
            )
        )
    return out


def _html_metadata(value: str | None) -> Mapping[str, str] | None:
    # PEP 658/714: "true", or "<algo>=<hex>"; anything else counts as not advertised.
    if value is None or value.strip().lower() == "true":
        return {}
    algo, sep, digest = value.strip().partition("=")
    if sep and algo and digest:
        return {algo.lower(): digest.lower()}
    return None


def _split_fragment(url: str) -> tuple[str, dict[str, str]]:
    """Split ``url#sha256=...`` into the bare URL and its hash."""
    bare, hashmark, fragment = url.partition("#")
    if not hashmark or not fragment:
        return bare, {}
    algo, sep, digest = fragment.partition("=")
    if sep and algo and digest:
        return bare, {algo.lower(): digest.lower()}
    return bare, {}


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat rejects the Z suffix
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
