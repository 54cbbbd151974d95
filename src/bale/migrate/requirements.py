"""requirements.txt / requirements.in files (pip, pip-tools) as an Imported value.

Which file is what follows common practice: ``requirements.in`` (pip-tools' input) or else
``requirements.txt`` holds the project's dependencies; ``requirements-dev.txt``, ``dev-requirements.txt``
and ``requirements/dev.txt`` (``.in`` likewise) the ``dev`` dependency group; ``requirements/base.txt``
(or ``main``, ``common``, ``prod``) the dependencies. A ``.txt`` beside an ``.in`` of the same stem is
pip-compile's output: only its pins are read, as the first lock's preferences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import field
from pathlib import Path

from packaging.utils import canonicalize_name

from bale.migrate.imported import Imported, ImportedIndex, index_name, problem
from bale.model.record import record
from bale.model.requirement import RequirementSpec

__all__ = ["RequirementsInput", "from_requirements", "group_of", "is_compiled"]

_MAIN = {"", "base", "main", "common", "prod", "production", "requirements", "default"}
_STEM = re.compile(r"^(?:requirements[-_.]?(?P<a>.*)|(?P<b>.+?)[-_.]requirements)$", re.IGNORECASE)


def group_of(relative: str) -> str | None:
    """The dependency group a requirements file's path names; None for the project's dependencies,
    ``""`` when the path is no requirements file at all."""
    path = Path(relative)
    if path.suffix not in (".txt", ".in"):
        return ""
    if len(path.parts) == 2 and path.parts[0] == "requirements":
        stem = path.stem.lower()
    elif len(path.parts) == 1:
        match = _STEM.match(path.stem)
        if match is None:
            return ""
        stem = (match["a"] or match["b"] or "").lower()
    else:
        return ""
    if stem in _MAIN:
        return None
    return str(canonicalize_name(stem))


@record(frozen=True)
class RequirementsInput:
    """One requirements file, parsed (by ``bale.requirements``), with its raw text for annotations."""

    label: str  # as shown to the user (relative to the project)
    group: str | None
    requirements: Sequence[RequirementSpec]
    constraints: Sequence[RequirementSpec] = ()
    index_url: str | None = None
    extra_index_urls: Sequence[str] = ()
    text: str = ""
    compiled_only: bool = False  # pip-compile output of an .in beside it: pins only
    hashes: bool = field(default=False)


def is_compiled(specs: Sequence[RequirementSpec], pinned: Callable[[RequirementSpec], object]) -> bool:
    """Every requirement pins one version (pip-compile, pip freeze output)."""
    return bool(specs) and all(pinned(spec) is not None for spec in specs)


_VIA = re.compile(r"^\s*#\s+via\b(?P<rest>.*)$")


def _direct_names(text: str) -> set[str] | None:
    """The packages pip-compile's ``# via -r FILE`` annotations call direct; None without annotations.

    A requirement's annotation follows it: ``# via -r requirements.in`` on one line, or ``# via``
    then indented ``#   -r requirements.in`` lines."""
    names: set[str] = set()
    current: str | None = None
    in_via = False
    seen = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not stripped.startswith("-"):
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", stripped)
            current = str(canonicalize_name(match[1])) if match else None
            in_via = False
            continue
        via = _VIA.match(line)
        if via:
            seen, in_via = True, True
            if "-r " in via["rest"] and current:
                names.add(current)
            continue
        if in_via and stripped.startswith("#") and "-r " in stripped and current:
            names.add(current)
    return names if seen else None


def from_requirements(
    files: Sequence[RequirementsInput],
    *,
    relative: Callable[[Path], str],
    pinned: Callable[[RequirementSpec], object],
    tool: str = "requirements",
) -> Imported:
    """The project the files describe. ``relative`` writes a local path as the pyproject.toml will see
    it; ``pinned`` answers the one version a requirement pins (``bale.requirements.pinned_version``)."""
    imported = Imported(tool=tool, files=[f.label for f in files])
    taken: set[str] = set()
    urls: list[str] = []
    seen: dict[str | None, set[str]] = {}
    main_texts: set[str] = set()
    for file in files:
        for spec in file.requirements:
            version = pinned(spec)
            if version is not None and spec.name is not None:
                imported.prefer(spec.name, str(version), file.label)
        if file.index_url and file.index_url not in urls:
            if any(i.default for i in imported.indexes):
                raise problem(file.label, f"a second --index-url ({file.index_url}); one index replaces PyPI")
            urls.append(file.index_url)
            imported.indexes.append(
                ImportedIndex(index_name(file.index_url, taken), file.index_url, default=True)
            )
        for url in file.extra_index_urls:
            if url not in urls:
                urls.append(url)
                imported.indexes.insert(
                    sum(1 for i in imported.indexes if not i.default),
                    ImportedIndex(index_name(url, taken), url),
                )
                imported.notes.append(
                    f"{file.label}: --extra-index-url {url}: pip merges every index's versions; bale asks "
                    "the indexes in order and takes a package from the first that has it"
                )
        if file.compiled_only:
            continue
        if file.hashes:
            imported.notes.append(
                f"{file.label}: --hash options dropped: pylock.toml records every file's hash"
            )
        direct = _direct_names(file.text)
        compiled = is_compiled(file.requirements, pinned)
        if direct is not None and compiled:
            imported.notes.append(
                f"{file.label}: pip-compile output: the {len(direct)} packages its `# via -r` notes call "
                "direct are imported without their pins; every pin is kept in the lock"
            )
        for spec in file.requirements:
            text = _requirement_text(spec, file, imported, relative)
            if direct is not None and compiled:
                if spec.name is None or spec.name not in direct:
                    continue
                text = _unpinned(spec, text)
            if file.group is not None and text in main_texts:
                continue  # `-r requirements.txt` inside a dev file: already a dependency
            group = seen.setdefault(file.group, set())
            if text in group:
                continue
            group.add(text)
            if file.group is None:
                main_texts.add(text)
                imported.dependencies.append(text)
            else:
                imported.groups.setdefault(file.group, []).append(text)
        for spec in file.constraints:
            text = _requirement_text(spec, file, imported, relative)
            if text not in imported.constraints:
                imported.constraints.append(text)
    return imported


def _unpinned(spec: RequirementSpec, text: str) -> str:
    requirement = spec.requirement
    if requirement is None or requirement.url:
        return text
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{requirement.name}{extras}{marker}"


def _requirement_text(
    spec: RequirementSpec, file: RequirementsInput, imported: Imported, relative: Callable[[Path], str]
) -> str:
    where = str(spec.origin)
    if spec.path is not None:
        if spec.name is None:
            raise problem(
                where,
                f"{spec.path}: the package's name is unknown",
                hint="write it as `NAME @ ./path` (or `-e` the same), then import again",
            )
        source: dict[str, object] = {"path": relative(spec.path)}
        if spec.editable:
            source["editable"] = True
        imported.sources[spec.name] = source
        requirement = spec.requirement
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement and requirement.extras else ""
        marker = f"; {requirement.marker}" if requirement and requirement.marker else ""
        return f"{spec.name}{extras}{marker}"
    if spec.requirement is None:
        raise problem(where, f"{spec}: a URL without a package name", hint="write it as `NAME @ URL`")
    if spec.editable:
        imported.notes.append(
            f"{where}: {spec.name}: editable only applies to local folders; installed as usual"
        )
    return str(spec.requirement)
