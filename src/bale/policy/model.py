"""An organisation's package policy as values: each rule with the file and line it was written at, layered.

A policy is a stack of layers, the organisation's first, then the project's ``[tool.bale.policy]``. A
candidate must satisfy every layer, so a project can only tighten what the organisation set; when the
organisation's file says ``project-overrides = true``, each key the project sets replaces the
organisation's instead. Parsing collects every problem of a file before failing, each naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from bale.errors import BaleError
from bale.model.describe import describe_value as _describe
from bale.model.record import record

__all__ = [
    "KEYS",
    "SEVERITIES",
    "Layer",
    "PackageRule",
    "Policy",
    "RuleOrigin",
    "layer_from_table",
    "layered",
]

Typosquat = Literal["warn", "deny", "off"]
Unknown = Literal["allow", "warn", "deny"]

# Ordered lowest first: ``max-vulnerability = "medium"`` refuses high and critical.
SEVERITIES = ("none", "low", "medium", "high", "critical")
SOURCE_KINDS = ("url", "git", "path")
KEYS = (
    "allow",
    "deny",
    "indexes",
    "sources",
    "licenses",
    "min-release-age",
    "only-binary",
    "require-hashes",
    "max-vulnerability",
    "require-provenance",
    "typosquat",
    "project-overrides",
)
_TYPOSQUAT_RANK = {"off": 0, "warn": 1, "deny": 2}


@record(frozen=True, slots=True)
class RuleOrigin:
    """Where a rule was written: a file and its 1-based line (None when it could not be found)."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@record(frozen=True, slots=True)
class PackageRule:
    """One ``allow`` or ``deny`` entry: a name and the versions it covers (empty specifier: all)."""

    name: NormalizedName
    specifier: SpecifierSet
    text: str
    origin: RuleOrigin
    reason: str | None = None

    def covers(self, name: NormalizedName, version: object) -> bool:
        if name != self.name:
            return False
        return not str(self.specifier) or self.specifier.contains(str(version), prereleases=True)


@record(frozen=True, slots=True)
class Layer:
    """The rules of one policy file (or one ``[tool.bale.policy]``); ``origins``: each key's line.

    ``None`` / empty means the key is not set. Durations are ``timedelta``; licences canonical SPDX.
    """

    label: str
    file: str
    origins: Mapping[str, RuleOrigin] = field(default_factory=dict)
    allow: tuple[PackageRule, ...] | None = None
    deny: tuple[PackageRule, ...] = ()
    indexes: tuple[str, ...] | None = None
    sources: Mapping[str, bool] = field(default_factory=dict)
    license_allow: tuple[str, ...] | None = None
    license_deny: tuple[str, ...] = ()
    license_unknown: Unknown | None = None
    min_release_age: timedelta | None = None
    min_release_age_packages: Mapping[NormalizedName, timedelta] = field(default_factory=dict)
    only_binary: bool | frozenset[NormalizedName] = False
    require_hashes: bool = False
    max_vulnerability: str | None = None
    require_provenance: frozenset[NormalizedName] = frozenset()
    typosquat: Typosquat | None = None
    project_overrides: bool = False

    def origin(self, key: str) -> RuleOrigin:
        return self.origins.get(key, RuleOrigin(self.file))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key in KEYS if key in self.origins)

    @property
    def unknown_licenses(self) -> Unknown:
        """``licenses.unknown`` as written, else ``deny`` under an allow-list (a licence nobody can
        read is not on it) and ``allow`` otherwise."""
        if self.license_unknown is not None:
            return self.license_unknown
        return "deny" if self.license_allow is not None else "allow"

    def age_for(self, name: NormalizedName) -> timedelta | None:
        return self.min_release_age_packages.get(name, self.min_release_age)


@record(frozen=True, slots=True)
class Policy:
    """The layers in force, the organisation's first; ``notices``: what the layering decided (a
    project key the organisation does not let it loosen)."""

    layers: tuple[Layer, ...] = ()
    notices: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(layer.origins for layer in self.layers)

    @property
    def timeless(self) -> bool:
        """No rule whose answer moves while the policy stays the same: a cooldown moves with the
        clock, a vulnerability ceiling with the audit database. Only then may a stored resolution
        (keyed by the policy's content) answer again."""
        return all(
            layer.min_release_age is None
            and not layer.min_release_age_packages
            and layer.max_vulnerability is None
            for layer in self.layers
        )

    @property
    def files(self) -> tuple[str, ...] | None:
        """The files the layers were read from, as given (None when one came from a URL, whose
        content no file on disk vouches for)."""
        if any("://" in layer.file for layer in self.layers):
            return None
        return tuple(layer.file for layer in self.layers)

    @property
    def require_provenance(self) -> frozenset[NormalizedName]:
        return frozenset(name for layer in self.layers for name in layer.require_provenance)

    @property
    def typosquat(self) -> Typosquat | None:
        """The strictest layer's setting; None when no layer sets it (the guard's default applies)."""
        chosen = [layer.typosquat for layer in self.layers if layer.typosquat is not None]
        return max(chosen, key=lambda value: _TYPOSQUAT_RANK[value], default=None)

    @property
    def require_hashes(self) -> bool:
        return any(layer.require_hashes for layer in self.layers)

    @property
    def has_license_rules(self) -> bool:
        return any("licenses" in layer.origins for layer in self.layers)

    @property
    def has_age_rules(self) -> bool:
        return any(layer.min_release_age or layer.min_release_age_packages for layer in self.layers)

    @property
    def max_vulnerability(self) -> tuple[str, RuleOrigin] | None:
        """The lowest ceiling any layer sets, and where."""
        found = [
            (layer.max_vulnerability, layer.origin("max-vulnerability"))
            for layer in self.layers
            if layer.max_vulnerability is not None
        ]
        if not found:
            return None
        return min(found, key=lambda item: SEVERITIES.index(item[0]))


def layered(organisation: Layer | None, project: Layer | None) -> Policy:
    """The policy of ``organisation`` with ``project`` over it (see the module docstring)."""
    if organisation is None:
        return Policy(tuple(layer for layer in (project,) if layer is not None))
    if project is None:
        return Policy((organisation,))
    if organisation.project_overrides:
        # Each key the project sets replaces the organisation's; the other keys stay.
        trimmed = _without(organisation, set(project.keys))
        return Policy((trimmed, project))
    notices = tuple(_looser(organisation, project))
    return Policy((organisation, project), notices)


def _without(layer: Layer, keys: set[str]) -> Layer:
    blank = Layer(layer.label, layer.file)
    changes: dict[str, Any] = {}
    for key in keys:
        for attribute in _ATTRIBUTES[key]:
            changes[attribute] = getattr(blank, attribute)
    origins = {key: origin for key, origin in layer.origins.items() if key not in keys}
    return replace(layer, origins=origins, **changes)


_ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "allow": ("allow",),
    "deny": ("deny",),
    "indexes": ("indexes",),
    "sources": ("sources",),
    "licenses": ("license_allow", "license_deny", "license_unknown"),
    "min-release-age": ("min_release_age", "min_release_age_packages"),
    "only-binary": ("only_binary",),
    "require-hashes": ("require_hashes",),
    "max-vulnerability": ("max_vulnerability",),
    "require-provenance": ("require_provenance",),
    "typosquat": ("typosquat",),
    "project-overrides": ("project_overrides",),
}


def _looser(organisation: Layer, project: Layer) -> list[str]:
    """What the project writes that would loosen the organisation's rules (both still apply)."""
    found: list[str] = []

    def say(key: str, what: str) -> None:
        found.append(
            f"{project.origin(key)}: {key} {what} is looser than the organisation's policy at "
            f"{organisation.origin(key)}; the organisation's applies "
            "(it does not set project-overrides = true)"
        )

    org_age, project_age = organisation.min_release_age, project.min_release_age
    if org_age is not None and project_age is not None and project_age < org_age:
        say("min-release-age", f"({_duration(project_age)})")
    for name, age in project.min_release_age_packages.items():
        limit = organisation.age_for(name)
        if limit is not None and age < limit:
            say("min-release-age", f"({_duration(age)} for {name})")
    if "require-hashes" in project.origins and organisation.require_hashes and not project.require_hashes:
        say("require-hashes", "= false")
    squat, org_squat = project.typosquat, organisation.typosquat
    if squat is not None and org_squat is not None and _TYPOSQUAT_RANK[squat] < _TYPOSQUAT_RANK[org_squat]:
        say("typosquat", f'= "{project.typosquat}"')
    for kind, allowed in project.sources.items():
        if allowed and organisation.sources.get(kind) is False:
            say("sources", f"({kind} = true)")
    ceiling, org_ceiling = project.max_vulnerability, organisation.max_vulnerability
    if (
        ceiling is not None
        and org_ceiling is not None
        and SEVERITIES.index(ceiling) > SEVERITIES.index(org_ceiling)
    ):
        say("max-vulnerability", f'= "{project.max_vulnerability}"')
    return found


def _duration(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds == 0:
        return "0 days"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


# ---------------------------------------------------------------------------------------------- parsing


class _Lines:
    """Finds where a key of the policy table is written in the TOML text (tomllib keeps no positions)."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text: str, table: tuple[str, ...]) -> None:
        self.lines = text.splitlines()
        self.table = table

    @staticmethod
    def _path(header: str) -> tuple[str, ...]:
        return tuple(part.strip().strip("\"'") for part in header.split("."))

    def key(self, key: str) -> int | None:
        """The line of ``key =`` in the policy table, ``policy.key =`` in its parent table, or the
        ``[...policy.key]`` header; else the line of the policy table's own header or inline table."""
        current: tuple[str, ...] = ()
        fallback: int | None = None
        name = self.table[-1] if self.table else ""
        quoted = rf"[\"']?{re.escape(key)}[\"']?"
        here = re.compile(rf"^\s*{quoted}\s*[=.]")
        dotted = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*\.\s*{quoted}\s*[=.]")
        inline = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=\s*\{{")
        inline_key = re.compile(rf"[{{,]\s*{quoted}\s*=")
        for number, line in enumerate(self.lines, start=1):
            header = self._HEADER.match(line)
            if header:
                current = self._path(header.group(1))
                if current == (*self.table, key):
                    return number
                if current == self.table and fallback is None:
                    fallback = number
                continue
            if current == self.table and here.match(line):
                return number
            if self.table and current == self.table[:-1]:
                if dotted.match(line):
                    return number
                if inline.match(line):
                    if inline_key.search(line):
                        return number
                    fallback = fallback or number
        return fallback

    def value(self, text: str, after: int | None) -> int | None:
        """The first line at or after ``after`` holding ``text`` as a quoted string."""
        start = (after or 1) - 1
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            if f'"{text}"' in line or f"'{text}'" in line:
                return number + 1
        return after


class _Parser:
    def __init__(self, file: str, text: str, table: tuple[str, ...], label: str) -> None:
        self.file = file
        self.lines = _Lines(text, table)
        self.label = label
        self.where = ".".join(table)
        self.problems: list[str] = []
        self.origins: dict[str, RuleOrigin] = {}

    def origin(self, key: str) -> RuleOrigin:
        found = self.origins.get(key)
        if found is None:
            found = self.origins[key] = RuleOrigin(self.file, self.lines.key(key))
        return found

    def problem(self, key: str, what: str, line: int | None = None) -> None:
        at = line if line is not None else self.origin(key).line
        prefix = f"line {at}: " if at is not None else ""
        path = f"{self.where}.{key}" if self.where else key
        self.problems.append(f"{prefix}{path}: {what}")

    def item_origin(self, key: str, text: str) -> RuleOrigin:
        return RuleOrigin(self.file, self.lines.value(text, self.origin(key).line))


def layer_from_table(
    table: Mapping[str, Any], *, file: str, text: str, label: str, where: tuple[str, ...] = ()
) -> Layer:
    """Parse a policy table (a policy file's top level, or ``[tool.bale.policy]`` with ``where``
    ``("tool", "bale", "policy")``); ``text`` is the file's, for line numbers. Every problem at once
    in one BaleError naming the file and each line."""
    parser = _Parser(file, text, where, label)
    values: dict[str, Any] = {}
    for key in table:
        parser.origin(key)
        if key not in KEYS:
            import difflib

            close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
            guess = close[0] if close else None
            tail = f"; did you mean {guess!r}?" if guess else f" (expected one of: {', '.join(KEYS)})"
            parser.problem(key, f"unknown policy key{tail}")
    for key, read in _READERS.items():
        if key in table:
            values.update(read(parser, table[key]))
    if parser.problems:
        if len(parser.problems) == 1:
            raise BaleError(f"Invalid policy in {file}: {parser.problems[0]}")
        raise BaleError(f"Invalid policy in {file}: {len(parser.problems)} problems", context=parser.problems)
    origins = {key: parser.origin(key) for key in table if key in KEYS}
    return Layer(label=label, file=file, origins=origins, **values)


def _package_rules(parser: _Parser, key: str, value: object) -> tuple[PackageRule, ...]:
    if not isinstance(value, list):
        parser.problem(key, f'expected an array of requirements ("name>=1"), got {_describe(value)}')
        return ()
    rules: list[PackageRule] = []
    for item in value:
        reason: str | None = None
        if isinstance(item, dict):
            extra = sorted(set(item) - {"package", "reason"})
            if extra:
                parser.problem(key, f"unknown key {extra[0]!r} in an entry (expected: package, reason)")
                continue
            text, reason = item.get("package"), item.get("reason")
            if reason is not None and not isinstance(reason, str):
                parser.problem(key, f"reason: expected a string, got {_describe(reason)}")
                continue
        else:
            text = item
        if not isinstance(text, str):
            parser.problem(
                key,
                f"expected a requirement string or {{ package = ..., reason = ... }}, got {_describe(text)}",
            )
            continue
        origin = parser.item_origin(key, text)
        try:
            requirement = Requirement(text)
        except InvalidRequirement as err:
            parser.problem(key, f"invalid requirement {text!r}: {err}", origin.line)
            continue
        if requirement.url or requirement.extras or requirement.marker:
            parser.problem(key, f"{text!r}: write a name and an optional version range only", origin.line)
            continue
        name = canonicalize_name(requirement.name)
        rules.append(PackageRule(name, requirement.specifier, text, origin, reason))
    return tuple(rules)


def _read_allow(parser: _Parser, value: object) -> dict[str, Any]:
    return {"allow": _package_rules(parser, "allow", value)}


def _read_deny(parser: _Parser, value: object) -> dict[str, Any]:
    return {"deny": _package_rules(parser, "deny", value)}


def _strings(parser: _Parser, key: str, value: object, what: str) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        parser.problem(key, f"expected an array of {what}, got {_describe(value)}")
        return None
    return list(value)


def _read_indexes(parser: _Parser, value: object) -> dict[str, Any]:
    urls = _strings(parser, "indexes", value, "index URL prefixes")
    if urls is None:
        return {}
    for url in urls:
        if "://" not in url:
            parser.problem("indexes", f"{url!r} is not a URL (write https://host/path/)")
    return {"indexes": tuple(url.rstrip("/") for url in urls)}


def _read_sources(parser: _Parser, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        parser.problem(
            "sources", f"expected a table like {{ url = false, git = false }}, got {_describe(value)}"
        )
        return {}
    kinds: dict[str, bool] = {}
    for kind, allowed in value.items():
        if kind not in SOURCE_KINDS:
            parser.problem("sources", f"unknown source kind {kind!r} (expected: {', '.join(SOURCE_KINDS)})")
        elif not isinstance(allowed, bool):
            parser.problem("sources", f"{kind}: expected true or false, got {_describe(allowed)}")
        else:
            kinds[kind] = allowed
    return {"sources": kinds}


def _licence_list(parser: _Parser, value: object, part: str) -> tuple[str, ...] | None:
    texts = _strings(parser, "licenses", value, f"SPDX licence identifiers for {part}")
    if texts is None:
        return None
    found: list[str] = []
    for text in texts:
        try:
            found.append(canonicalize_license_expression(text))
        except InvalidLicenseExpression:
            parser.problem("licenses", f"{part}: {text!r} is not an SPDX licence identifier (like MIT)")
    return tuple(found)


def _read_licenses(parser: _Parser, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        parser.problem("licenses", f'expected a table like {{ allow = ["MIT"] }}, got {_describe(value)}')
        return {}
    found: dict[str, Any] = {}
    for part in sorted(set(value) - {"allow", "deny", "unknown"}):
        parser.problem("licenses", f"unknown key {part!r} (expected: allow, deny, unknown)")
    if "allow" in value:
        found["license_allow"] = _licence_list(parser, value["allow"], "allow")
    if "deny" in value:
        found["license_deny"] = _licence_list(parser, value["deny"], "deny") or ()
    if "unknown" in value:
        unknown = value["unknown"]
        if unknown not in ("allow", "warn", "deny"):
            parser.problem(
                "licenses", f'unknown: expected "allow", "warn" or "deny", got {_describe(unknown)}'
            )
        else:
            found["license_unknown"] = unknown
    return found


def _age(parser: _Parser, value: object, part: str) -> timedelta | None:
    from bale.model.dates import is_duration, parse_cutoff

    if not isinstance(value, str) or not is_duration(value):
        parser.problem(
            "min-release-age",
            f'{part}expected a duration ("7 days", "12 hours", "P7D"), got {_describe(value)}',
        )
        return None
    epoch = datetime(2000, 1, 1, tzinfo=timezone.utc)
    return epoch - parse_cutoff(value, epoch)


def _read_age(parser: _Parser, value: object) -> dict[str, Any]:
    if isinstance(value, str):
        age = _age(parser, value, "")
        return {} if age is None else {"min_release_age": age}
    if not isinstance(value, dict):
        parser.problem(
            "min-release-age",
            f'expected a duration or {{ default = "7 days", packages = {{ ... }} }}, got {_describe(value)}',
        )
        return {}
    found: dict[str, Any] = {}
    for part in sorted(set(value) - {"default", "packages"}):
        parser.problem("min-release-age", f"unknown key {part!r} (expected: default, packages)")
    if "default" in value:
        found["min_release_age"] = _age(parser, value["default"], "default: ")
    packages = value.get("packages", {})
    if not isinstance(packages, dict):
        parser.problem(
            "min-release-age", f"packages: expected a table of name = duration, got {_describe(packages)}"
        )
        return found
    ages: dict[NormalizedName, timedelta] = {}
    for name, text in packages.items():
        age = _age(parser, text, f"packages.{name}: ")
        if age is not None:
            ages[canonicalize_name(name)] = age
    found["min_release_age_packages"] = ages
    return found


def _names(parser: _Parser, key: str, value: Sequence[object]) -> frozenset[NormalizedName] | None:
    texts = _strings(parser, key, value, "package names")
    if texts is None:
        return None
    return frozenset(canonicalize_name(text) for text in texts)


def _read_only_binary(parser: _Parser, value: object) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"only_binary": value}
    if isinstance(value, list):
        names = _names(parser, "only-binary", value)
        return {} if names is None else {"only_binary": names}
    parser.problem(
        "only-binary", f"expected true, false or an array of package names, got {_describe(value)}"
    )
    return {}


def _flag(parser: _Parser, key: str, value: object, attribute: str) -> dict[str, Any]:
    if not isinstance(value, bool):
        parser.problem(key, f"expected true or false, got {_describe(value)}")
        return {}
    return {attribute: value}


def _read_hashes(parser: _Parser, value: object) -> dict[str, Any]:
    return _flag(parser, "require-hashes", value, "require_hashes")


def _read_overrides(parser: _Parser, value: object) -> dict[str, Any]:
    return _flag(parser, "project-overrides", value, "project_overrides")


def _read_vulnerability(parser: _Parser, value: object) -> dict[str, Any]:
    if value not in SEVERITIES:
        parser.problem(
            "max-vulnerability", f"expected one of {', '.join(SEVERITIES)}, got {_describe(value)}"
        )
        return {}
    return {"max_vulnerability": value}


def _read_provenance(parser: _Parser, value: object) -> dict[str, Any]:
    if not isinstance(value, list):
        parser.problem("require-provenance", f"expected an array of package names, got {_describe(value)}")
        return {}
    names = _names(parser, "require-provenance", value)
    return {} if names is None else {"require_provenance": names}


def _read_typosquat(parser: _Parser, value: object) -> dict[str, Any]:
    if value not in _TYPOSQUAT_RANK:
        parser.problem("typosquat", f'expected "warn", "deny" or "off", got {_describe(value)}')
        return {}
    return {"typosquat": value}


_READERS = {
    "allow": _read_allow,
    "deny": _read_deny,
    "indexes": _read_indexes,
    "sources": _read_sources,
    "licenses": _read_licenses,
    "min-release-age": _read_age,
    "only-binary": _read_only_binary,
    "require-hashes": _read_hashes,
    "max-vulnerability": _read_vulnerability,
    "require-provenance": _read_provenance,
    "typosquat": _read_typosquat,
    "project-overrides": _read_overrides,
}
