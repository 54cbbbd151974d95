"""Read requirements out of pyproject.toml (PEP 621, PEP 735) and setup.cfg for ``pip compile``."""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from bale.errors import BaleError, utf8_error
from bale.model.names import normalize
from bale.model.requirement import Origin, RequirementSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def read_utf8(path: Path) -> str:
    """The text of ``path``; bytes that are not UTF-8 (TOML requires it) are an error naming the
    file, the line and the column, with the line shown up to the bad byte."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise BaleError(
            f"Cannot read {path}: {err.strerror or err}",
            hint="Check that the file exists and that you may read it.",
        ) from err
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise utf8_error(
            str(path),
            raw,
            err,
            hint="Save the file as UTF-8 (TOML files must be UTF-8; an editor's 'Latin-1' or "
            "'Windows-1252' encoding is the usual cause).",
        ) from None


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error or a byte that is not UTF-8 names the file, line and column."""
    return load_toml_text(read_utf8(path), path)


def load_toml_text(text: str, path: Path) -> dict[str, Any]:
    """Parse ``text``, what ``path`` says (or is about to say); a syntax error names the line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        where = f"{path}:{match.group(1)}:{match.group(2)}" if match else str(path)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        context: list[str] = []
        if match:
            line_no, col = int(match.group(1)), int(match.group(2))
            lines = text.splitlines()
            if 0 < line_no <= len(lines):
                context = [lines[line_no - 1], " " * (col - 1) + "^"]
        raise BaleError(f"{where}: invalid TOML: {reason}", context=context) from err


def _line_of(text: str, needle: str) -> int | None:
    """1-based line where ``needle`` (a requirement string as written) first appears, for error origins."""
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _specs(values: Iterable[object], path: Path, text: str, where: str) -> list[RequirementSpec]:
    specs: list[RequirementSpec] = []
    problems: list[str] = []
    for value in values:
        if not isinstance(value, str):
            problems.append(f"{where}: expected a requirement string, got {value!r}")
            continue
        line = _line_of(text, value)
        try:
            requirement = Requirement(value)
        except InvalidRequirement as err:
            from bale.model.requirement_errors import describe

            problems.append(f"{path}:{line or '?'}: {where}: {value!r}: {describe(err, value)}")
            continue
        specs.append(
            RequirementSpec(
                normalize(requirement.name), requirement, Origin(str(path), line), url=requirement.url
            )
        )
    if problems:
        raise BaleError(f"Invalid requirements in {path}", context=problems)
    return specs


def pyproject_requirements(
    path: Path, *, extras: Sequence[str] = (), all_extras: bool = False, groups: Sequence[str] = ()
) -> list[RequirementSpec]:
    """``[project] dependencies`` plus the chosen optional dependencies and dependency groups."""
    data = load_toml(path)
    text = read_utf8(path)
    project = data.get("project")
    if not isinstance(project, dict):
        raise BaleError(f"{path} has no [project] table", hint="pip compile reads PEP 621 metadata")
    dynamic = project.get("dynamic") or []
    if "dependencies" in dynamic:
        raise BaleError(
            f"{path} declares its dependencies as dynamic: only its build backend can list them, and "
            "they are read from pyproject.toml without running it",
            hint=f"list the project itself as a requirement ({path.parent} in a requirements "
            "file, or -e with it), which bale builds to read its metadata",
        )
    specs = _specs(project.get("dependencies") or [], path, text, "project.dependencies")
    optional: Mapping[str, list[object]] = project.get("optional-dependencies") or {}
    by_name = {normalize(k): (k, v) for k, v in optional.items()}
    wanted = list(by_name) if all_extras else [normalize(e) for e in extras]
    for extra in wanted:
        if extra not in by_name:
            known = ", ".join(sorted(by_name)) or "none"
            raise BaleError(f"{path} has no optional dependencies named {extra!r} (it has: {known})")
        key, values = by_name[extra]
        specs.extend(_specs(values, path, text, f"project.optional-dependencies.{key}"))
    if groups:
        from packaging.dependency_groups import resolve_dependency_groups

        table = data.get("dependency-groups") or {}
        for group in groups:
            try:
                resolved = resolve_dependency_groups(table, group)
            except (LookupError, ValueError, TypeError) as err:
                known = ", ".join(sorted(table)) or "none"
                raise BaleError(
                    f"{path}: cannot use dependency group {group!r}: {err}",
                    context=[f"groups in the file: {known}"],
                ) from err
            specs.extend(_specs(resolved, path, text, f"dependency-groups.{group}"))
    return specs


def setup_cfg_requirements(
    path: Path, *, extras: Sequence[str] = (), all_extras: bool = False
) -> list[RequirementSpec]:
    """``[options] install_requires`` and ``[options.extras_require]`` of a setuptools setup.cfg."""
    parser = configparser.ConfigParser(interpolation=None)
    text = read_utf8(path)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as err:
        raise BaleError(f"{path}: invalid setup.cfg: {err}") from err

    def lines(value: str) -> list[str]:
        return [
            line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")
        ]

    specs = _specs(
        lines(parser.get("options", "install_requires", fallback="")), path, text, "options.install_requires"
    )
    section = "options.extras_require"
    available = {normalize(k): k for k in parser.options(section)} if parser.has_section(section) else {}
    wanted = list(available) if all_extras else [normalize(e) for e in extras]
    for extra in wanted:
        if extra not in available:
            raise BaleError(
                f"{path} has no extra named {extra!r} (it has: {', '.join(sorted(available)) or 'none'})"
            )
        specs.extend(_specs(lines(parser.get(section, available[extra])), path, text, f"{section}.{extra}"))
    return specs
