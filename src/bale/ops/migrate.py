"""``bale import``: find another tool's project files, translate them, write pyproject.toml, lock."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.errors import BaleError
from bale.migrate.imported import Imported
from bale.model.record import record
from bale.ops.project import LockOutcome, LockSettings

if TYPE_CHECKING:
    from bale.context import Context
    from bale.model.requirement import RequirementSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["FORMATS", "ImportOutcome", "ImportSettings", "Moved", "detect", "import_project", "read_import"]

FORMATS = ("requirements", "pip-tools", "pipenv", "poetry", "pdm", "uv", "conda")
PYPROJECT = "pyproject.toml"


@record(frozen=True)
class ImportSettings:
    root: Path
    tool: str | None = None  # --from; else detected
    dry_run: bool = False
    remove_old: bool = False
    lock: LockSettings = field(default_factory=LockSettings)


@record(frozen=True)
class Moved:
    """A locked version the first lock did not keep: ``new`` None when the package left the lock."""

    name: str
    old: str
    new: str | None
    why: str


@record
class ImportOutcome:
    imported: Imported
    pyproject: Path
    text: str
    written: bool = False
    lock: LockOutcome | None = None
    kept: int = 0
    moved: list[Moved] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- detect


def _pyproject_tools(root: Path) -> set[str]:
    path = root / PYPROJECT
    if not path.is_file():
        return set()
    data = _toml(path, root)
    tool = data.get("tool", {})
    return {name for name in ("poetry", "pdm", "uv") if isinstance(tool, dict) and name in tool}


def _requirements_files(root: Path) -> list[Path]:
    from bale.migrate.requirements import group_of

    found = [p for p in sorted(root.iterdir()) if p.is_file() and group_of(p.name) != ""]
    folder = root / "requirements"
    if folder.is_dir():
        found += [
            p for p in sorted(folder.iterdir()) if p.is_file() and group_of(f"requirements/{p.name}") != ""
        ]
    return found


def _conda_file(root: Path) -> Path | None:
    return next((root / n for n in ("environment.yml", "environment.yaml") if (root / n).is_file()), None)


def detect(root: Path) -> str:
    """The tool whose files ``root`` holds, in the order the more specific files win."""
    tools = _pyproject_tools(root)
    if "poetry" in tools or (root / "poetry.lock").is_file():
        return "poetry"
    if (root / "Pipfile").is_file():
        return "pipenv"
    if "pdm" in tools or (root / "pdm.lock").is_file():
        return "pdm"
    if "uv" in tools or (root / "uv.lock").is_file():
        return "uv"
    files = _requirements_files(root)
    if files:
        return "pip-tools" if any(p.suffix == ".in" for p in files) else "requirements"
    if _conda_file(root) is not None:
        return "conda"
    raise BaleError(
        f"Found nothing to import in {root}",
        context=[
            "looked for: pyproject.toml with [tool.poetry], [tool.pdm] or [tool.uv]; Pipfile; poetry.lock, "
            "pdm.lock, uv.lock; requirements*.txt, *-requirements.txt, requirements/*.txt (.in too); "
            "environment.yml"
        ],
        hint="name the source with --from, or the folder as PATH",
    )


# ---------------------------------------------------------------------------------------------- read


def _text(path: Path, root: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BaleError(f"Cannot read {_label(path, root)}: {error}") from None


def _toml(path: Path, root: Path) -> dict[str, Any]:
    text = _text(path, root)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BaleError(f"{_label(path, root)} is not valid TOML: {error}") from None


def _label(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def read_import(root: Path, tool: str, exists: Callable[[str], bool] | None = None) -> Imported:
    """Every file of ``tool`` in ``root``, translated. Reads only (``exists`` asks the index whether it
    has a project, for conda's packages); raises BaleError naming file and line."""
    if tool == "poetry":
        return _read_poetry(root)
    if tool == "pipenv":
        return _read_pipenv(root)
    if tool == "pdm":
        return _read_pdm(root)
    if tool == "uv":
        return _read_uv(root)
    if tool in ("requirements", "pip-tools"):
        return _read_requirements(root, tool)
    if tool == "conda":
        from bale.ops.migrate_conda import read_conda

        if exists is None:
            raise BaleError("importing a conda environment needs an index to look its packages up")
        return read_conda(root, exists)
    raise BaleError(f"Unknown import source {tool!r}", hint=f"choose one of: {', '.join(FORMATS)}")


def _need(path: Path, tool: str) -> None:
    if not path.is_file():
        raise BaleError(f"{path} does not exist: there is no {tool} project to import")


def _read_poetry(root: Path) -> Imported:
    from bale.migrate.poetry import from_poetry, poetry_lock_preferences

    path = root / PYPROJECT
    _need(path, "poetry")
    data = _toml(path, root)
    if "poetry" not in data.get("tool", {}):
        raise BaleError(f"{path} has no [tool.poetry] table: there is no poetry project to import")
    imported = from_poetry(data, _text(path, root))
    if (root / "poetry.lock").is_file():
        poetry_lock_preferences(imported, _toml(root / "poetry.lock", root))
    return imported


def _read_pipenv(root: Path) -> Imported:
    import json

    from bale.migrate.pipfile import from_pipfile, pipfile_lock_preferences

    path = root / "Pipfile"
    _need(path, "pipenv")
    imported = from_pipfile(_toml(path, root), _text(path, root))
    lock = root / "Pipfile.lock"
    if lock.is_file():
        try:
            data = json.loads(_text(lock, root))
        except json.JSONDecodeError as error:
            raise BaleError(f"Pipfile.lock:{error.lineno}: not valid JSON: {error.msg}") from None
        pipfile_lock_preferences(imported, data)
    return imported


def _read_pdm(root: Path) -> Imported:
    from bale.migrate.locks import toml_lock_preferences
    from bale.migrate.pdm import from_pdm

    path = root / PYPROJECT
    _need(path, "pdm")
    imported = from_pdm(_toml(path, root), _text(path, root))
    if (root / "pdm.lock").is_file():
        toml_lock_preferences(imported, _toml(root / "pdm.lock", root), "pdm.lock")
    return imported


def _read_uv(root: Path) -> Imported:
    from bale.migrate.locks import toml_lock_preferences

    path = root / PYPROJECT
    _need(path, "uv")
    # bale reads [tool.uv] itself (project/uv_keys.py): the file needs no translation, only the lock;
    # unless it names indexes the old way, which bale refuses to read (never a quiet fall-back to PyPI).
    imported = Imported(tool="uv", files=[PYPROJECT], keep_project_table=True)
    uv = _toml(path, root).get("tool", {}).get("uv", {})
    if isinstance(uv, dict) and (uv.get("index-url") or uv.get("extra-index-url")):
        imported.tool_bale = _uv_as_bale(uv)
        imported.notes.append(
            "pyproject.toml: [tool.uv] index-url / extra-index-url became [[tool.bale.index]] entries; "
            "the other [tool.uv] keys bale reads were copied to [tool.bale], which bale now reads instead"
        )
    else:
        imported.notes.append("pyproject.toml: bale reads [tool.uv] as it is; nothing to translate")
    if (root / "uv.lock").is_file():
        toml_lock_preferences(imported, _toml(root / "uv.lock", root), "uv.lock")
    return imported


def _uv_as_bale(uv: dict[str, Any]) -> dict[str, Any]:
    """``[tool.uv]``'s keys bale reads, with ``extra-index-url`` entries (asked first, as in uv) and
    ``index-url`` (the default) as named indexes after its ``[[tool.uv.index]]`` ones."""
    from bale.migrate.imported import index_name
    from bale.project.model import _SETTINGS_KEYS

    copied = {key: value for key, value in uv.items() if key in _SETTINGS_KEYS and key != "index"}
    indexes = [dict(entry) for entry in uv.get("index", []) if isinstance(entry, dict)]
    taken = {str(entry["name"]) for entry in indexes if entry.get("name")}
    for entry in indexes:  # uv's names are optional; [tool.bale]'s are not
        entry.setdefault("name", index_name(str(entry.get("url", "")), taken))
    extra = uv.get("extra-index-url") or []
    for url in [extra] if isinstance(extra, str) else extra:
        indexes.insert(0, {"name": index_name(str(url), taken), "url": str(url)})
    if uv.get("index-url"):
        indexes.append(
            {"name": index_name(str(uv["index-url"]), taken), "url": str(uv["index-url"]), "default": True}
        )
    if indexes:
        copied["index"] = indexes
    return copied


def _read_requirements(root: Path, tool: str) -> Imported:
    from bale.migrate.requirements import RequirementsInput, from_requirements, group_of
    from bale.requirements import parse_requirements, pinned_version, read_local

    files = _requirements_files(root)
    if not files:
        raise BaleError(
            f"Found no requirements files in {root}", hint="bale import looks for requirements*.txt"
        )
    stems = {(p.parent, p.stem) for p in files if p.suffix == ".in"}
    inputs = []
    # The project's own files first: a group's `-r requirements.txt` is then known as a dependency.
    ordered = sorted(files, key=lambda p: (group_of(_label(p, root)) is not None, _label(p, root)))
    for path in ordered:
        label = _label(path, root)
        # Named as the user sees them (relative to the project), whatever the working directory.
        parsed = parse_requirements(str(path), filename=label, read=read_local, env=os.environ)
        inputs.append(
            RequirementsInput(
                label=label,
                group=group_of(label),
                requirements=[_named(spec) for spec in parsed.requirements],
                constraints=parsed.constraints,
                index_url=parsed.index_url,
                extra_index_urls=parsed.extra_index_urls,
                text=_text(path, root),
                compiled_only=path.suffix == ".txt" and (path.parent, path.stem) in stems,
                hashes=any(spec.hashes for spec in parsed.requirements),
            )
        )

    def relative(path: Path) -> str:
        return Path(os.path.relpath(path, root)).as_posix()

    imported = from_requirements(inputs, relative=relative, pinned=pinned_version, tool=tool)
    if imported.preferences:
        pinning = [f.label for f in inputs if any(pinned_version(spec) for spec in f.requirements)]
        imported.lock_file = ", ".join(pinning)
    return imported


def _named(spec: RequirementSpec) -> RequirementSpec:
    """A bare ``-e ./lib`` with the name its pyproject.toml gives (pip would build it to learn it)."""
    if spec.name is not None or spec.path is None or not (spec.path / PYPROJECT).is_file():
        return spec
    try:
        name = tomllib.loads((spec.path / PYPROJECT).read_text(encoding="utf-8"))["project"]["name"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return spec
    return replace(spec, name=canonicalize_name(str(name)))


# ---------------------------------------------------------------------------------------------- write


def import_project(ctx: Context, settings: ImportSettings) -> ImportOutcome:
    """Translate, write pyproject.toml, lock with the old versions preferred; report what moved.

    Everything is read and translated before anything is written; a lock that fails puts the
    previous pyproject.toml back (or removes the new one), so the folder is as it was."""
    from bale.fs.atomic import write_atomic
    from bale.migrate.write import pyproject_text
    from bale.ops.project import lock_project
    from bale.project.model import read_project

    root = settings.root
    tool = settings.tool or detect(root)
    imported = read_import(root, tool, _exists(ctx, settings) if tool == "conda" else None)
    pyproject = root / PYPROJECT
    existing = _text(pyproject, root) if pyproject.is_file() else None
    if existing is not None and tool in ("requirements", "pip-tools", "pipenv", "conda"):
        project = tomllib.loads(existing).get("project", {})
        if isinstance(project, dict) and project.get("dependencies"):
            raise BaleError(
                f"{pyproject} already lists [project] dependencies: bale import does not merge {tool} "
                "files into them",
                hint="import into a folder whose pyproject.toml has no dependencies yet, or use `bale add`",
            )
    text = (
        existing
        if tool == "uv" and existing is not None and not imported.tool_bale
        else pyproject_text(imported, existing, default_name=_name(root))
    )
    _check_requirements(imported, pyproject)
    outcome = ImportOutcome(imported=imported, pyproject=pyproject, text=text)
    if settings.dry_run:
        return outcome
    if text != existing:
        write_atomic(pyproject, text)
    outcome.written = True
    preferred = tuple(sorted(imported.preferences.items()))
    try:
        outcome.lock = lock_project(ctx, read_project(pyproject), replace(settings.lock, preferred=preferred))
    except BaseException as error:
        if existing is None:
            pyproject.unlink(missing_ok=True)
        elif text != existing:
            write_atomic(pyproject, existing)
        outcome.written = False
        if isinstance(error, BaleError):
            raise BaleError(
                error.message,
                context=[*error.context, f"{PYPROJECT} was not changed: the import is undone"],
                hint=error.hint,
                code=error.code,
            ) from error
        raise
    _compare(outcome)
    if settings.remove_old:
        outcome.removed = _remove_old(root, tool, imported)
    return outcome


def _exists(ctx: Context, settings: ImportSettings) -> Callable[[str], bool]:
    """Whether the index (--index-url's, else the default) has a project page for a name."""
    client = ctx.index_client(settings.lock.index)

    def exists(name: str) -> bool:
        return bool(client.project_files(canonicalize_name(name)))

    return exists


def _name(root: Path) -> str:
    name = canonicalize_name(root.resolve().name) or "project"
    return str(name)


def _check_requirements(imported: Imported, pyproject: Path) -> None:
    """A translation bug must not leave a pyproject.toml bale cannot read."""
    texts = [*imported.dependencies, *imported.constraints, *imported.overrides]
    texts += [t for items in imported.groups.values() for t in items if isinstance(t, str)]
    for text in texts:
        try:
            Requirement(text)
        except InvalidRequirement as error:
            raise BaleError(f"{pyproject}: would write {text!r}, which is not PEP 508: {error}") from None


def _compare(outcome: ImportOutcome) -> None:
    """Which locked versions the new lock kept; for the others, the imported requirement that excludes
    the old one when there is such, else that the resolver chose another."""
    if outcome.lock is None:
        return
    locked = {str(name): version for name, version in outcome.lock.locked.items()}
    imported = outcome.imported
    direct: dict[str, list[tuple[str, Requirement]]] = {}
    texts = [*imported.dependencies, *imported.constraints, *imported.overrides]
    texts += [t for items in imported.groups.values() for t in items if isinstance(t, str)]
    texts += [t for items in imported.optional_dependencies.values() for t in items]
    for text in texts:
        requirement = Requirement(text)
        direct.setdefault(str(canonicalize_name(requirement.name)), []).append((text, requirement))
    # Who needs each package, from the lock (pylock.toml names dependencies, not their specifiers):
    # where the old version went, the cause is among these packages' requirements or the index.
    dependents: dict[str, list[str]] = {}
    for package in tomllib.loads(outcome.lock.text).get("packages", []):
        for dependency in package.get("dependencies", []):
            user = f"{package['name']} {package.get('version', '')}".strip()
            dependents.setdefault(str(canonicalize_name(dependency["name"])), []).append(user)
    for name, old in sorted(imported.preferences.items()):
        new = locked.get(name)
        if new is not None and new == Version(old):
            outcome.kept += 1
            continue
        if new is None:
            why = "no longer in the lock (nothing requires it)"
        else:
            excluding = [
                t for t, r in direct.get(name, []) if not r.specifier.contains(old, prereleases=True)
            ]
            if excluding:
                why = f"the imported {excluding[0]!r} excludes {old}"
            else:
                users = dependents.get(name)
                why = "the resolver chose another version"
                why += f" (required by {', '.join(users)})" if users else ""
        outcome.moved.append(Moved(name, old, str(new) if new is not None else None, why))


def _remove_old(root: Path, tool: str, imported: Imported) -> list[Path]:
    """The other tool's own files, now that pyproject.toml and pylock.toml say it all."""
    names = {
        "poetry": ["poetry.lock"],
        "pipenv": ["Pipfile", "Pipfile.lock"],
        "pdm": ["pdm.lock"],
        "uv": ["uv.lock"],
        "conda": [f for f in imported.files if f != PYPROJECT],
    }.get(tool, [f for f in imported.files if f != PYPROJECT])
    removed = []
    for name in names:
        path = root / name
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed
