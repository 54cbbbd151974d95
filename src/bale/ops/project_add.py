"""What ``bale add`` writes: each argument as a dependency entry and its ``[tool.bale.sources]`` entry."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from bale.context import Context
    from bale.model.requirement import RequirementSpec
    from bale.ops.project import LockSettings
    from bale.project.model import Project
    from bale.project.workspace import Workspace

__all__ = ["Addition", "SourceOptions", "add_to_text", "plan_additions", "remove_from_text"]

SourceEntry = dict[str, "str | bool"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@record(frozen=True, slots=True)
class SourceOptions:
    """``bale add``'s source flags: ``--index NAME``, ``--editable`` and one of ``--tag/--branch/--rev``."""

    index: str | None = None
    editable: bool = False
    tag: str | None = None
    branch: str | None = None
    rev: str | None = None


@record(frozen=True, slots=True)
class Addition:
    """One package to add: the dependency entry to write, its source entry (None: none to write), and
    whether the entry gets a version bound from the locked version (``--bounds``) once locked."""

    name: NormalizedName
    requirement: str
    source: SourceEntry | None
    bound: bool


# ---------------------------------------------------------------------------------------------- planning


def plan_additions(
    ctx: Context,
    workspace: Workspace,
    member: Project,
    arguments: Sequence[str],
    options: SourceOptions,
    settings: LockSettings,
    *,
    cwd: Path,
) -> list[Addition]:
    """Read every ``bale add`` argument (a PEP 508 requirement, a path, a URL, ``git+URL``, ``NAME @ ...``)
    into an Addition for ``member``'s pyproject.toml. Nothing is written; a name-less git repository,
    sdist or folder without a static ``[project]`` name is built for its metadata (cached)."""
    from bale.requirements.parse import parse_requirement_line

    _check_index(workspace, member, options.index)
    specs = [parse_requirement_line(argument, base_dir=str(cwd)) for argument in arguments]
    ref_flags = [flag for flag in ("tag", "branch", "rev") if getattr(options, flag)]
    if len(ref_flags) > 1:
        raise BaleError(f"Give one of --tag, --branch, --rev at most (got {', '.join(ref_flags)})")
    builds_ready = False
    additions: list[Addition] = []
    for argument, spec in zip(arguments, specs, strict=True):
        if spec.url is None:
            additions.append(_registry(workspace, member, argument, spec, options))
            continue
        if options.index is not None:
            raise BaleError(
                f"Cannot take {argument!r} from the index {options.index!r}: it names a path or URL",
                hint="drop --index, or name the package alone",
            )
        name = spec.name if spec.path is None or spec.name is not None else _static_name(spec.path)
        if name is None:
            if not builds_ready:
                _enable_builds(ctx, workspace, settings)
                builds_ready = True
            from bale.ops.sources import direct_source

            name = direct_source(ctx, spec).name
        source = _source_entry(workspace, member, argument, spec, options, name)
        spelled = spec.requirement.name if spec.requirement is not None else name
        additions.append(Addition(name, _plain(spelled, spec.requirement), source, bound=False))
    return additions


def _registry(
    workspace: Workspace, member: Project, argument: str, spec: RequirementSpec, options: SourceOptions
) -> Addition:
    """A requirement by name: from an index, or (a workspace member's name) ``{ workspace = true }``."""
    from bale.project.model import IndexSource

    requirement = spec.requirement
    assert spec.name is not None and requirement is not None
    name = spec.name
    git_flag = options.tag or options.branch or options.rev
    if git_flag:
        raise BaleError(f"--tag, --branch and --rev need a git+URL argument, not {argument!r}")
    if workspace.root.settings.workspace is not None and name in workspace.members:
        if name == member.name:
            raise BaleError(f"Cannot add {name!r} to {member.pyproject}: a project cannot depend on itself")
        if options.index is not None:
            raise BaleError(f"Cannot take workspace member {name!r} from the index {options.index!r}")
        return Addition(name, _plain(requirement.name, requirement), {"workspace": True}, bound=False)
    if options.editable:
        raise BaleError(
            f"Cannot add {argument!r} as editable: editable installs need a source tree",
            hint="name a folder (bale add --editable ./path) or a workspace member",
        )
    if options.index is not None:
        bound = not requirement.specifier and requirement.url is None
        return Addition(name, argument.strip(), {"index": options.index}, bound=bound)
    existing = workspace.sources(member).get(name)
    sourced = existing is not None and not isinstance(existing, IndexSource)
    bound = not requirement.specifier and not sourced
    return Addition(name, argument.strip(), None, bound=bound)


def _source_entry(
    workspace: Workspace,
    member: Project,
    argument: str,
    spec: RequirementSpec,
    options: SourceOptions,
    name: NormalizedName,
) -> SourceEntry:
    """The ``[tool.bale.sources]`` entry for a path, URL or git requirement named ``name``."""
    assert spec.url is not None
    if name == member.name:
        raise BaleError(f"Cannot add {argument!r} to {member.pyproject}: it is the project itself")
    git_flag = next((flag for flag in ("tag", "branch", "rev") if getattr(options, flag)), None)
    if spec.url.startswith("git+"):
        return _git_entry(argument, spec.url, options, git_flag)
    if git_flag is not None:
        raise BaleError(f"--{git_flag} needs a git+URL argument, not {argument!r}")
    if spec.path is not None:
        path = Path(os.path.normpath(spec.path))
        if not path.exists():
            raise BaleError(f"Cannot add {argument!r}: {path} does not exist")
        target = workspace.members.get(name)
        if target is not None and target.root.resolve() == path.resolve() and target is not member:
            return {"workspace": True}
        if options.editable and not path.is_dir():
            raise BaleError(
                f"Cannot add {argument!r} as editable: editable installs need a source tree (a folder)"
            )
        relative = Path(os.path.relpath(path, member.root)).as_posix()
        entry: SourceEntry = {"path": relative}
        if options.editable:
            entry["editable"] = True
        return entry
    if options.editable:
        raise BaleError(f"Cannot add {argument!r} as editable: editable installs need a local folder")
    if "://" not in spec.url or spec.url.startswith(("hg+", "svn+", "bzr+")):
        raise BaleError(f"Cannot add {argument!r}: bale takes sources from paths, https URLs and git+URLs")
    return {"url": spec.url}


def _git_entry(argument: str, url: str, options: SourceOptions, flag: str | None) -> SourceEntry:
    from bale.vcs import parse_git_url, strip_credentials

    try:
        request = parse_git_url(url)
    except ValueError as err:
        raise BaleError(f"Cannot add {strip_credentials(url)}: {err}") from None
    if options.editable:
        raise BaleError(
            f"Cannot add {strip_credentials(url)} as editable: bale does not make editable installs from git",
            hint="clone the repository and add the folder: bale add --editable ./folder",
        )
    entry: SourceEntry = {"git": request.url}
    if flag is not None:
        value = getattr(options, flag)
        if request.revision is not None and request.revision != value:
            raise BaleError(
                f"Cannot add {argument!r} with --{flag} {value}: the URL already names revision "
                f"{request.revision!r}",
                hint="give the revision once: in the URL (@REV) or with --tag/--branch/--rev",
            )
        entry[flag] = value
    elif request.revision is not None:
        entry["rev"] = request.revision
    if request.subdirectory is not None:
        entry["subdirectory"] = request.subdirectory
    return entry


def _plain(name: str, requirement: Requirement | None) -> str:
    """The dependency entry for a sourced package: its name with the user's extras and marker, no URL."""
    if requirement is None:
        return name
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{name}{extras}{marker}"


def _static_name(path: Path) -> NormalizedName | None:
    """A folder's name from its pyproject.toml ``[project]`` (static by PEP 621), sparing a backend run."""
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        return None
    from bale.project.inputs import load_toml

    try:
        project = load_toml(pyproject).get("project")
    except BaleError:
        return None
    if not isinstance(project, dict):
        return None
    name = project.get("name")
    if not isinstance(name, str) or "name" in (project.get("dynamic") or []):
        return None
    from bale.project.model import is_valid_name

    return normalize(name) if is_valid_name(name) else None


def _check_index(workspace: Workspace, member: Project, index: str | None) -> None:
    """``--index NAME`` must name a ``[[tool.bale.index]]`` of the member or its workspace root."""
    if index is None:
        return
    known = [i.name for i in (*member.settings.indexes, *workspace.root.settings.indexes)]
    if index not in known:
        raise BaleError(
            f"No index named {index!r} in [[tool.bale.index]] of {member.pyproject}",
            context=[f"indexes defined: {', '.join(dict.fromkeys(known)) or 'none'}"],
            hint=f'define it first: [[tool.bale.index]] name = "{index}" url = "..."',
        )


def _enable_builds(ctx: Context, workspace: Workspace, settings: LockSettings) -> None:
    """Let ``direct_source`` build metadata, with the indexes and interpreter the lock will use."""
    from bale.ops.project import project_index
    from bale.ops.project_python import find_project_interpreter, project_python

    root = workspace.root
    index = project_index(root, settings, workspace)
    choice = project_python(root, settings.python)
    cache_dir = ctx.cache.bucket("interpreters-v1")
    # Found when a build first needs it: .python-version within requires-python, as the lock does.
    ctx.use_builds(index, lambda: find_project_interpreter(choice, cache_dir), settings.build)


# ---------------------------------------------------------------------------------------------- editing


def add_to_text(
    text: str,
    additions: Sequence[Addition],
    *,
    group: str | None,
    optional: str | None,
    dev: bool,
    where: str,
    bounded: Mapping[str, str] | None = None,
) -> str:
    """``text`` with every addition's dependency entry (``bounded`` replaces an entry by name) and source."""
    from bale.project.edit import add_dependency, add_source

    for addition in additions:
        requirement = (bounded or {}).get(addition.name, addition.requirement)
        text = add_dependency(text, requirement, group=group, optional=optional, dev=dev, where=where)
        if addition.source is not None:
            # Keyed as the entry spells the name (normalized names match either way).
            spelled = _NAME.match(addition.requirement)
            key = spelled.group(0) if spelled else addition.name
            text = add_source(text, key, addition.source, where=where)
    return text


def remove_from_text(
    text: str, names: Sequence[str], *, group: str | None, optional: str | None, dev: bool, where: str
) -> str:
    """``text`` without the packages ``names`` in the chosen array, and without their
    ``[tool.bale.sources]`` entries once no dependency array of the file names them any more."""
    from bale.project.edit import listed_in, remove_dependency, remove_source

    for name in names:
        text = remove_dependency(text, name, group=group, optional=optional, dev=dev, where=where)
    for name in names:
        if not listed_in(text, name, where=where):
            text = remove_source(text, name, where=where)
    return text
