"""Suggest names close to one an index does not have ("did you mean requests?")."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from bale.context import Context
from bale.model.names import normalize
from bale.ops.settings import IndexSettings

# PyPI's root listing is ~600,000 names (tens of MB): too much to fetch for an error message.
_TOO_LARGE_HOSTS = ("pypi.org", "pypi.python.org", "files.pythonhosted.org")
_ANCHOR = re.compile(r"<a[^>]*>([^<]+)</a>", re.IGNORECASE)


def _index_names(ctx: Context, url: str) -> set[str]:
    if any(host in url for host in _TOO_LARGE_HOSTS):
        return set()
    root = url.rstrip("/") + "/"
    if root.startswith("file:"):
        # A file:// index is a folder: its root page is the index.json or index.html inside.
        from urllib.parse import unquote, urlsplit

        folder = Path(unquote(urlsplit(root).path))
        page = next((folder / n for n in ("index.json", "index.html") if (folder / n).is_file()), None)
        if page is None:
            return {normalize(p.name) for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
        root = page.as_uri()
    try:
        response = ctx.http.get(
            root, headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}, cache=True
        )
    except Exception:  # a suggestion must never turn one error into another
        return set()
    body = response.body.decode("utf-8", "replace")
    if "json" in response.content_type or root.endswith(".json"):
        try:
            return {normalize(p["name"]) for p in json.loads(body).get("projects", [])}
        except (ValueError, KeyError, TypeError, AttributeError):
            return set()
    return {normalize(name.strip()) for name in _ANCHOR.findall(body)}


def _find_links_names(location: str) -> set[str]:
    from bale.model.dists import parse_filename

    folder = Path(location.removeprefix("file://"))
    if not folder.is_dir():
        return set()
    names: set[str] = set()
    for entry in folder.iterdir():
        parsed = parse_filename(entry.name)
        if parsed is not None:
            names.add(parsed.name)
    return names


def close_names(ctx: Context, index: IndexSettings, name: str, *, limit: int = 3) -> list[str]:
    """Up to ``limit`` project names that the configured sources do have and that look like ``name``."""
    names: set[str] = set()
    if not index.no_index:
        for url in (index.index_url, *index.extra_index_urls):
            names |= _index_names(ctx, url)
    for location in index.find_links:
        names |= _find_links_names(location)
    names.discard(name)
    return difflib.get_close_matches(normalize(name), sorted(names), n=limit, cutoff=0.75)
