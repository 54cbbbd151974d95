"""Findings: the audited packages each advisory affects, one finding per flaw however many records tell it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from packaging.version import Version

from bale.audit.matching import match
from bale.audit.osv import Advisory
from bale.model.names import NormalizedName
from bale.model.record import record


@record(frozen=True, slots=True)
class Finding:
    """``name`` ``version`` is affected by ``id`` (also known as ``aliases``); fixed in ``fixed_in``
    (ascending; empty when no fixed version is known). ``summary`` is one line; ``link`` a web page."""

    name: NormalizedName
    version: Version
    id: str
    aliases: tuple[str, ...]
    summary: str
    severity: str | None
    fixed_in: tuple[Version, ...]
    link: str

    def ids(self) -> frozenset[str]:
        """The id and its aliases: what an ignore may name."""
        return frozenset((self.id, *self.aliases))


# The primary id of records that tell one flaw. pip-audit keeps the PYSEC record and folds the others
# into it (its ``Auditor.audit``: "PYSEC-identified results are given priority"); uv's ``best_id``
# prefers PYSEC, then GHSA, then CVE. bale does both: among the records' own ids (so the link and
# summary are that record's), PYSEC first (the PyPA's database, PyPI's own ecosystem), then GHSA,
# then any other, CVE last (NVD records rarely name PyPI versions well); ties by id, so the choice
# never depends on the order a service answers in.
_PREFERENCE = ("PYSEC-", "GHSA-")


def _rank(ident: str) -> tuple[int, str]:
    for position, prefix in enumerate(_PREFERENCE):
        if ident.startswith(prefix):
            return position, ident
    return (len(_PREFERENCE) + 1 if ident.startswith("CVE-") else len(_PREFERENCE)), ident


def findings(
    packages: Iterable[tuple[NormalizedName, Version]],
    advisories: Mapping[NormalizedName, Sequence[Advisory]],
) -> tuple[list[Finding], list[str]]:
    """The findings for ``packages``, sorted by name, version and id, and warnings naming each record
    (and package) that could not be evaluated in full: a range type bale does not evaluate, a
    version that is not PEP 440, a malformed part skipped when the record was read.

    Withdrawn records count for nothing. Records of one package that share an id or alias, directly
    or through another record (PYSEC-x lists GHSA-y, GHSA-y lists PYSEC-x, both list CVE-z), are one
    finding: aliases and fixed versions merged, the primary id chosen as ``_PREFERENCE`` says, the
    summary and link that record's (the next record's summary when it has none).
    """
    found: list[Finding] = []
    warnings: dict[str, None] = {}
    for name, version in sorted(set(packages)):
        hits: list[tuple[Advisory, tuple[Version, ...]]] = []
        seen: set[str] = set()
        for advisory in advisories.get(name, ()):
            if advisory.withdrawn is not None or advisory.id in seen:
                continue
            seen.add(advisory.id)
            result = match(advisory, name, version)
            for item in result.unevaluated:
                what = f"its {item} range" if item.isupper() else item
                warnings[f"{advisory.id} for {name} {version}: skipped {what} (not evaluated)"] = None
            for problem in advisory.problems:
                warnings[f"{advisory.id} for {name}: {problem}"] = None
            if result.affected:
                hits.append((advisory, result.fixed_in))
        found.extend(_grouped(name, version, hits))
    found.sort(key=lambda f: (f.name, f.version, f.id))
    return found, list(warnings)


def _grouped(
    name: NormalizedName, version: Version, hits: list[tuple[Advisory, tuple[Version, ...]]]
) -> list[Finding]:
    """Records whose ids and aliases meet, directly or through another record, become one finding."""
    groups: list[tuple[set[str], list[tuple[Advisory, tuple[Version, ...]]]]] = []
    for advisory, fixed in hits:
        ids = set(advisory.ids())
        meeting = [group for group in groups if group[0] & ids]
        merged_ids, merged = ids, [(advisory, fixed)]
        for group in meeting:
            merged_ids |= group[0]
            merged.extend(group[1])
            groups.remove(group)
        groups.append((merged_ids, merged))
    result: list[Finding] = []
    for ids, members in groups:
        members.sort(key=lambda m: _rank(m[0].id))
        records = [advisory for advisory, _ in members]
        primary = records[0]
        summary = next((s for s in (r.short_summary() for r in records) if s), "")
        severity = next((r.severity for r in records if r.severity), None)
        fixed_in = tuple(sorted({v for _, fixes in members for v in fixes}))
        aliases = tuple(sorted(ids - {primary.id}))
        result.append(
            Finding(name, version, primary.id, aliases, summary, severity, fixed_in, primary.link())
        )
    return result
