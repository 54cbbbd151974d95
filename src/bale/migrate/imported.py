"""The neutral value every importer returns: what a bale pyproject.toml and its first lock need."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.model.record import record


@record(frozen=True, slots=True)
class ImportedIndex:
    """One ``[[tool.bale.index]]`` to write."""

    name: str
    url: str
    explicit: bool = False
    default: bool = False


@record
class Imported:
    """A project as another tool described it, in bale's terms.

    Requirements are PEP 508 strings; ``sources`` are ``[tool.bale.sources]`` tables as written (paths
    relative to the project). ``preferences`` are the versions the old lock held (seeds of the first
    lock, never requirements). ``notes`` say what was translated with care or could not be kept;
    ``system`` lists what the environment needs from outside Python's index (conda's compilers, say).
    """

    tool: str
    files: list[str] = field(default_factory=list)
    name: str | None = None
    version: str | None = None
    description: str | None = None
    requires_python: str | None = None
    dependencies: list[str] = field(default_factory=list)
    optional_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # PEP 735: requirement strings, or {include-group = NAME} tables.
    groups: dict[str, list[str | dict[str, str]]] = field(default_factory=dict)
    default_groups: list[str] | None = None  # [tool.bale] default-groups, when bale's own would differ
    indexes: list[ImportedIndex] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    constraints: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)
    preferences: dict[str, str] = field(default_factory=dict)
    lock_file: str | None = None  # where ``preferences`` came from
    notes: list[str] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    # Keys written into [tool.bale] as they are (a [tool.uv] bale cannot read as it stands, copied).
    tool_bale: dict[str, Any] = field(default_factory=dict)
    # The [project] table already holds the dependencies (poetry 2, pdm, uv): leave them as written.
    keep_project_table: bool = False

    def prefer(self, name: str, version: str, where: str) -> None:
        """Record a locked version; one that is not a PEP 440 version is noted, never passed on."""
        try:
            Version(version)
        except InvalidVersion:
            self.notes.append(f"{where}: {name} {version} is not a PEP 440 version; not kept")
            return
        self.preferences[canonicalize_name(name)] = version


def index_name(url: str, taken: set[str]) -> str:
    """A name for an index known only by its URL: its host's first label (``pypi``, ``download``), made
    unique with a number."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or "index"
    if host == "localhost" or host.replace(".", "").isdigit() or ":" in host:
        host = "index"  # an address says nothing about the index
    labels = [label for label in host.split(".") if label not in ("www", "pypi", "org", "com", "io")]
    base = canonicalize_name(labels[0] if labels else host.split(".")[0]) or "index"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def problem(where: str, what: str, *, hint: str | None = None) -> BaleError:
    """The one error shape of importers: the file (and key or line) first, then what is wrong."""
    return BaleError(f"{where}: {what}", hint=hint)


def line_of(text: str, key: str, *, after: str | None = None) -> int | None:
    """The 1-based line where ``key = ...`` is first written (after the line holding ``after``, a table
    header), for messages; None when it cannot be told (a dotted or inline spelling)."""
    import re

    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next((i + 1 for i, line in enumerate(lines) if line.strip().startswith(after)), 0)
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]", re.IGNORECASE)
    for number, line in enumerate(lines[start:], start + 1):
        if pattern.match(line):
            return number
    return None


def at(file: str, text: str, key: str, *, after: str | None = None) -> str:
    """``file:line`` of ``key`` (just ``file`` when the line cannot be told)."""
    line = line_of(text, key, after=after)
    return f"{file}:{line}" if line is not None else file
