"""Whether a policy refuses a candidate (a version, a file, a licence, a source), and by which rule.

Each check walks the layers in order and returns the first rule that refuses, as a ``Refusal`` whose
``text`` completes "<name> <version> ..." in the resolver's explanations. Pure: the clock comes in as
``now``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from packaging.utils import NormalizedName
from packaging.version import Version

from bale.audit.licenses import DeclaredLicense
from bale.model.record import record
from bale.policy.model import SEVERITIES, Layer, Policy, RuleOrigin, _duration

__all__ = [
    "FileFacts",
    "Refusal",
    "Verdict",
    "explain",
    "license_allowed",
    "refuse_file",
    "refuse_license",
    "refuse_severity",
    "refuse_source",
    "refuse_version",
    "severity_level",
]


@record(frozen=True, slots=True)
class Refusal:
    """A rule that refuses a candidate: ``why`` completes "<name> <version> ..." ("is denied"),
    ``rule`` is how the rule reads (``deny "alpha>=2"``), ``reason`` the policy's own words."""

    key: str
    rule: str
    origin: RuleOrigin
    why: str
    reason: str | None = None

    @property
    def text(self) -> str:
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.why} (policy rule {self.rule} at {self.origin}{reason})"


@record(frozen=True, slots=True)
class FileFacts:
    """What the file rules read of one distribution file. ``index``: the index that listed it (None
    for a file given directly); ``local``: on this machine (``file://``), where no age is checked."""

    name: NormalizedName
    version: Version
    is_wheel: bool
    index: str | None = None
    upload_time: datetime | None = None
    hashed: bool = True
    local: bool = False


@record(frozen=True, slots=True)
class Verdict:
    """One rule's word on a candidate, for ``bale policy explain``."""

    allows: bool
    rule: str
    origin: RuleOrigin
    detail: str


# ---------------------------------------------------------------------------------------------- versions


def refuse_version(policy: Policy, name: NormalizedName, version: Version) -> Refusal | None:
    """The ``deny`` or ``allow`` rule that refuses ``name==version``, if any."""
    for layer in policy.layers:
        for rule in layer.deny:
            if rule.covers(name, version):
                return Refusal("deny", f'deny "{rule.text}"', rule.origin, "is denied", rule.reason)
        if layer.allow is not None:
            entries = [rule for rule in layer.allow if rule.name == name]
            if not entries:
                return Refusal("allow", "allow", layer.origin("allow"), "is not on the allow-list")
            if not any(rule.covers(name, version) for rule in entries):
                rule = entries[0]
                return Refusal(
                    "allow", f'allow "{rule.text}"', rule.origin, "is outside the allowed versions"
                )
    return None


# ---------------------------------------------------------------------------------------------- files


def _only_binary(layer: Layer, name: NormalizedName) -> bool:
    value = layer.only_binary
    return value is True or (isinstance(value, frozenset) and name in value)


def _age_text(layer: Layer, name: NormalizedName) -> str:
    if name in layer.min_release_age_packages:
        return f'min-release-age.packages.{name} = "{_duration(layer.min_release_age_packages[name])}"'
    age = layer.min_release_age
    return f'min-release-age = "{_duration(age)}"' if age is not None else "min-release-age"


def refuse_file(policy: Policy, file: FileFacts, now: datetime) -> Refusal | None:
    """The rule that refuses this file: only-binary, indexes, min-release-age or require-hashes."""
    for layer in policy.layers:
        if not file.is_wheel and _only_binary(layer, file.name):
            rule = "only-binary = true" if layer.only_binary is True else "only-binary"
            return Refusal("only-binary", rule, layer.origin("only-binary"), "has no wheel")
        if layer.indexes is not None and file.index is not None:
            index = file.index.rstrip("/")
            if not any(index == prefix or index.startswith(prefix + "/") for prefix in layer.indexes):
                return Refusal(
                    "indexes", "indexes", layer.origin("indexes"), f"is only on {index}, not an allowed index"
                )
        age = layer.age_for(file.name)
        if age and not file.local:
            origin = layer.origin("min-release-age")
            if file.upload_time is None:
                return Refusal(
                    "min-release-age",
                    _age_text(layer, file.name),
                    origin,
                    "has no upload time on its index, so its age cannot be checked",
                )
            uploaded = _utc(file.upload_time)
            if now - uploaded < age:
                return Refusal(
                    "min-release-age",
                    _age_text(layer, file.name),
                    origin,
                    f"was uploaded less than {_duration(age)} ago",
                )
        if layer.require_hashes and not file.hashed:
            return Refusal(
                "require-hashes",
                "require-hashes = true",
                layer.origin("require-hashes"),
                "has no hash on its index",
            )
    return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def refuse_source(policy: Policy, kind: str) -> Refusal | None:
    """The ``sources`` rule that refuses a requirement of ``kind`` (url, git or path), if any."""
    for layer in policy.layers:
        if layer.sources.get(kind) is False:
            return Refusal(
                "sources",
                f"sources.{kind} = false",
                layer.origin("sources"),
                f"comes from a {kind} requirement",
            )
    return None


# ---------------------------------------------------------------------------------------------- licences

_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def _identifiers(expression: str) -> Iterator[str]:
    for token in _TOKEN.findall(expression):
        if token not in ("(", ")") and token.upper() not in ("AND", "OR", "WITH"):
            yield token


class _Expression:
    """An SPDX expression evaluated over AND/OR (an OR holds when one side does, an AND when both do)."""

    def __init__(self, text: str, allowed: frozenset[str] | None, denied: frozenset[str]) -> None:
        self.tokens = _TOKEN.findall(text)
        self.position = 0
        self.allowed = allowed
        self.denied = denied

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        token: str = self.tokens[self.position]
        self.position += 1
        return token

    def evaluate(self) -> bool:
        result = self._or()
        return result and self._peek() is None

    def _or(self) -> bool:
        result = self._and()
        while (self._peek() or "").upper() == "OR":
            self._take()
            right = self._and()
            result = result or right
        return result

    def _and(self) -> bool:
        result = self._atom()
        while (self._peek() or "").upper() == "AND":
            self._take()
            right = self._atom()
            result = result and right
        return result

    def _atom(self) -> bool:
        token = self._peek()
        if token is None:
            return False
        if token == "(":
            self._take()
            result = self._or()
            if self._peek() == ")":
                self._take()
            return result
        identifier = self._take()
        exception = None
        if (self._peek() or "").upper() == "WITH":
            self._take()
            exception = self._take() if self._peek() is not None else None
        return self._allows(identifier, exception)

    def _allows(self, identifier: str, exception: str | None) -> bool:
        key = identifier.lower()
        full = f"{key} with {exception.lower()}" if exception else key
        if key in self.denied or full in self.denied:
            return False
        # An exception only adds permissions: the base licence on the list is enough.
        return self.allowed is None or key in self.allowed or full in self.allowed


def license_allowed(expression: str, allowed: tuple[str, ...] | None, denied: tuple[str, ...]) -> bool:
    """Whether a canonical SPDX ``expression`` satisfies an allow-list (None: anything not denied)."""
    allow = frozenset(text.lower() for text in allowed) if allowed is not None else None
    return _Expression(expression, allow, frozenset(text.lower() for text in denied)).evaluate()


def _spdx(declared: DeclaredLicense) -> str | None:
    if declared.spdx is None:
        return None
    try:
        return canonicalize_license_expression(declared.spdx)
    except InvalidLicenseExpression:
        return None


def refuse_license(policy: Policy, declared: DeclaredLicense) -> tuple[Refusal | None, list[str]]:
    """The ``licenses`` rule that refuses a distribution declaring ``declared``, and warnings
    (``unknown = "warn"``: a licence that could not be read is let through, said so)."""
    warnings: list[str] = []
    spdx = _spdx(declared)
    for layer in policy.layers:
        if "licenses" not in layer.origins:
            continue
        origin = layer.origin("licenses")
        if spdx is None:
            mode = layer.unknown_licenses
            what = (
                f'declares the licence "{declared.name}", which is not an SPDX expression'
                if declared.name
                else "declares no licence"
            )
            if mode == "deny":
                rule = 'licenses.unknown = "deny"' if layer.license_unknown else "licenses.allow"
                return Refusal("licenses", rule, origin, what), warnings
            if mode == "warn":
                warnings.append(f'{what} (policy rule licenses.unknown = "warn" at {origin})')
            continue
        if not license_allowed(spdx, layer.license_allow, layer.license_deny):
            denied = [i for i in _identifiers(spdx) if i.lower() in {d.lower() for d in layer.license_deny}]
            rule = "licenses.deny" if denied else "licenses.allow"
            why = f"has a licence the policy refuses, {spdx}"
            return Refusal("licenses", rule, origin, why), warnings
    return None, warnings


# ---------------------------------------------------------------------------------------------- advisories


def severity_level(severity: str | None) -> str:
    """An advisory's severity as a level of ``SEVERITIES``: its word (GitHub's ``MODERATE`` is
    medium), else CVSS v3's bands of its score; critical when it has none (nobody said it is milder)."""
    if severity is None:
        return "critical"
    word = severity.strip().lower()
    word = {"moderate": "medium"}.get(word, word)
    if word in SEVERITIES:
        return word
    try:
        score = float(word)
    except ValueError:
        return "critical"
    if score == 0:
        return "none"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    return "high" if score < 9 else "critical"


def refuse_severity(policy: Policy, severity: str, advisory: str) -> Refusal | None:
    """The ``max-vulnerability`` ceiling a known vulnerability of ``severity`` exceeds, if any.
    An advisory without a severity counts as critical: nobody has said it is milder."""
    ceiling = policy.max_vulnerability
    if ceiling is None:
        return None
    level, origin = ceiling
    rank = SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES) - 1
    if rank <= SEVERITIES.index(level):
        return None
    return Refusal(
        "max-vulnerability",
        f'max-vulnerability = "{level}"',
        origin,
        f"has a known {severity} vulnerability ({advisory})",
    )


# ---------------------------------------------------------------------------------------------- explain


def explain(policy: Policy, name: NormalizedName, version: Version) -> list[Verdict]:
    """Every rule that bears on ``name==version`` by name and version alone, with its word on it."""
    verdicts: list[Verdict] = []
    for layer in policy.layers:
        for rule in layer.deny:
            if rule.name != name:
                continue
            covered = rule.covers(name, version)
            detail = "denies it" if covered else "does not cover this version"
            if covered and rule.reason:
                detail += f": {rule.reason}"
            verdicts.append(Verdict(not covered, f'deny "{rule.text}"', rule.origin, detail))
        if layer.allow is not None:
            entries = [rule for rule in layer.allow if rule.name == name]
            if not entries:
                verdicts.append(Verdict(False, "allow", layer.origin("allow"), f"does not list {name}"))
            for rule in entries:
                covered = rule.covers(name, version)
                detail = "allows it" if covered else "does not include this version"
                verdicts.append(Verdict(covered, f'allow "{rule.text}"', rule.origin, detail))
        if _only_binary(layer, name):
            verdicts.append(
                Verdict(
                    True,
                    "only-binary",
                    layer.origin("only-binary"),
                    "its source distributions may not be used, only its wheels",
                )
            )
        age = layer.age_for(name)
        if age:
            verdicts.append(
                Verdict(
                    True,
                    _age_text(layer, name),
                    layer.origin("min-release-age"),
                    f"its files must have been uploaded at least {_duration(age)} before use",
                )
            )
        if "licenses" in layer.origins:
            allowed = ", ".join(layer.license_allow) if layer.license_allow is not None else "any"
            denied = ", ".join(layer.license_deny) or "none"
            verdicts.append(
                Verdict(
                    True,
                    "licenses",
                    layer.origin("licenses"),
                    f"its licence must be allowed (allow: {allowed}; deny: {denied}; "
                    f"unknown: {layer.unknown_licenses})",
                )
            )
        if name in layer.require_provenance:
            verdicts.append(
                Verdict(
                    True,
                    "require-provenance",
                    layer.origin("require-provenance"),
                    "its files must carry PEP 740 provenance",
                )
            )
    return verdicts
