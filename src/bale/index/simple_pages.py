"""Spell a PEP 503 simple index (root page and one page per project) for a folder of files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from urllib.parse import quote

from bale.model.names import NormalizedName
from bale.model.record import record

__all__ = ["IndexEntry", "simple_pages"]


@record(frozen=True, slots=True)
class IndexEntry:
    """One file a project page links to: ``href`` is relative to the page's folder."""

    project: NormalizedName
    filename: str
    href: str
    sha256: str
    requires_python: str | None = None


_HEAD = (
    '<!DOCTYPE html>\n<html>\n<head><meta name="pypi:repository-version" content="1.0">'
    "<title>{}</title></head>\n<body>\n"
)
_TAIL = "</body>\n</html>\n"


def simple_pages(entries: Iterable[IndexEntry]) -> dict[str, bytes]:
    """The pages, keyed by their path below the index root (``index.html``, ``NAME/index.html``).

    Links carry ``#sha256=`` (pip and bale check it) and ``data-requires-python`` when known, so an
    installer picks the same file from the pages as from the lock. Same entries, same bytes.
    """
    projects: dict[NormalizedName, list[IndexEntry]] = {}
    for entry in entries:
        projects.setdefault(entry.project, []).append(entry)
    pages: dict[str, bytes] = {}
    root = [_HEAD.format("Simple index")]
    for project in sorted(projects):
        root.append(f'<a href="{quote(project)}/">{escape(project)}</a><br>\n')
        pages[f"{project}/index.html"] = _project_page(project, projects[project])
    root.append(_TAIL)
    pages["index.html"] = "".join(root).encode("utf-8")
    return pages


def _project_page(project: str, entries: list[IndexEntry]) -> bytes:
    lines = [_HEAD.format(f"Links for {escape(project)}"), f"<h1>Links for {escape(project)}</h1>\n"]
    for entry in sorted(entries, key=lambda e: e.filename):
        attributes = _attributes({"href": f"{entry.href}#sha256={entry.sha256}"})
        if entry.requires_python:
            attributes += _attributes({"data-requires-python": entry.requires_python})
        lines.append(f"<a{attributes}>{escape(entry.filename)}</a><br>\n")
    lines.append(_TAIL)
    return "".join(lines).encode("utf-8")


def _attributes(values: Mapping[str, str]) -> str:
    return "".join(f' {name}="{escape(value, quote=True)}"' for name, value in values.items())
