"""A ``LockDiff`` rendered for people (text), for a pull-request comment (markdown) and for tools (JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bale.audit.findings import Finding
from bale.audit.formats import finding_json
from bale.lock.diff import LockDiff, PackageChange, SourceBuild, SourceChange

__all__ = ["diff_json", "render_diff", "review_line", "summary_line"]

_KINDS = ("added", "removed", "upgraded", "downgraded", "changed")


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def summary_line(diff: LockDiff) -> str:
    """``1 added, 2 upgraded`` (kinds in a fixed order), or ``no package changes``."""
    parts = [f"{diff.count(kind)} {kind}" for kind in _KINDS if diff.count(kind)]
    return ", ".join(parts) if parts else "no package changes"


def review_line(diff: LockDiff) -> str | None:
    """What deserves a reviewer's look, counted: None when nothing does."""
    parts: list[str] = []
    if diff.source_builds:
        parts.append(f"{_plural(len(diff.source_builds), 'package')} building from source")
    hosts = sum(1 for s in diff.sources if s.kind == "host")
    indexes = sum(1 for s in diff.sources if s.kind == "index")
    moved = sum(1 for s in diff.sources if s.kind == "moved")
    if hosts:
        parts.append(f"{_plural(hosts, 'new host')}")
    if indexes:
        parts.append(f"{_plural(indexes, 'new index', 'new indexes')}")
    if moved:
        parts.append(f"{_plural(moved, 'package')} on another index")
    flagged = sum(1 for p in diff.publishers if p.flagged)
    if flagged:
        parts.append(f"{_plural(flagged, 'publisher')} changed or lost")
    licences = sum(1 for change in diff.licenses or () if change.old is not None)
    if licences:
        parts.append(f"{_plural(licences, 'licence')} changed")
    introduced = len(diff.introduced())
    if introduced:
        parts.append(f"{_plural(introduced, 'vulnerability', 'vulnerabilities')} introduced")
    return ", ".join(parts) if parts else None


def _version(text: str | None) -> str:
    return text if text is not None else "(dynamic)"


def _versions(change: PackageChange) -> str:
    if change.kind == "added":
        return _version(change.new)
    if change.kind == "removed":
        return _version(change.old)
    if change.kind == "changed":
        shown = _version(change.new)
        return (
            f"{shown} ({change.detail})" if change.old == change.new else f"{_version(change.old)} -> {shown}"
        )
    return f"{_version(change.old)} -> {_version(change.new)}"


def _with_marker(text: str, marker: str | None) -> str:
    return f"{text} ; {marker}" if marker else text


def _build_text(build: SourceBuild) -> str:
    return f"{build.name} {_version(build.version)}: {build.what} ({build.why})"


def _source_text(source: SourceChange) -> str:
    names = ", ".join(source.packages)
    if source.kind == "moved":
        return f"{names}: index {source.value}"
    return f"{source.kind} {source.value}: {names}"


def _finding_text(finding: Finding, kind: str) -> str:
    severity = f" ({finding.severity})" if finding.severity else ""
    fixed = ", ".join(str(v) for v in finding.fixed_in) or "no fix yet"
    also = f" ({', '.join(finding.aliases)})" if finding.aliases else ""
    tail = f"fixed in {fixed}" if kind == "introduced" else "no longer affects the lock"
    return f"{finding.id}{also} in {finding.name} {finding.version}{severity}: {finding.summary}; {tail}"


# ---------------------------------------------------------------------------------------------- text


def _text(diff: LockDiff, old: str, new: str) -> list[str]:
    lines = [f"{old} -> {new}: {summary_line(diff)}"]
    review = review_line(diff)
    if review is not None:
        lines.append(f"To review: {review}")
    if diff.packages:
        width = max(len(c.kind) for c in diff.packages)
        lines.append("")
        lines.append("Packages:")
        for change in diff.packages:
            shown = _with_marker(f"{change.name} {_versions(change)}", change.marker)
            lines.append(f"  {change.kind:<{width}}  {shown}")
    sections: list[tuple[str, list[str]]] = [
        (
            "Builds from source at install (its code runs there):",
            [_with_marker(_build_text(b), b.marker) for b in diff.source_builds],
        ),
        ("New indexes and hosts:", [_source_text(s) for s in diff.sources]),
        (
            "Publishers (attestation identities):",
            [
                _publisher_text(p.kind, p.name, p.old_version, p.new_version, p.old, p.new)
                for p in diff.publishers
            ],
        ),
        (
            "Licences:",
            [_license_text(c.name, c.old_version, c.new_version, c.old, c.new) for c in diff.licenses or ()],
        ),
        (
            "Vulnerabilities:",
            [f"{v.kind}  {_finding_text(v.finding, v.kind)}" for v in diff.vulnerabilities or ()],
        ),
    ]
    for title, items in sections:
        if items:
            lines.extend(["", title, *(f"  {item}" for item in items)])
    if diff.notes:
        lines.append("")
        lines.extend(f"note: {note}" for note in diff.notes)
    return lines


def _publisher_text(
    kind: str,
    name: str,
    old_version: str | None,
    new_version: str | None,
    old: Iterable[str],
    new: Iterable[str],
) -> str:
    versions = (
        _version(new_version)
        if old_version == new_version
        else f"{_version(old_version)} -> {_version(new_version)}"
    )
    was, now = "; ".join(old) or "none", "; ".join(new) or "none"
    return f"{name} {versions}: {kind}: {was} -> {now}"


def _license_text(
    name: str, old_version: str | None, new_version: str | None, old: str | None, new: str
) -> str:
    if old is None:
        return f"{name} {_version(new_version)}: {new} (new package)"
    return f"{name} {_version(old_version)} -> {_version(new_version)}: {old} -> {new}"


# ---------------------------------------------------------------------------------------------- markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else text


def _markdown(diff: LockDiff, old: str, new: str) -> list[str]:
    lines = [f"**Lock changes** ({_cell(old)} -> {_cell(new)}): {summary_line(diff)}"]
    review = review_line(diff)
    if review is not None:
        lines.extend(["", f"> **To review:** {review}"])
    if diff.packages:
        lines.extend(
            [
                "",
                "#### Packages",
                "",
                "| Change | Package | Old | New | Environment |",
                "|---|---|---|---|---|",
            ]
        )
        for change in diff.packages:
            old_version = "" if change.kind == "added" else _version(change.old)
            new_version = "" if change.kind == "removed" else _version(change.new)
            if change.kind == "changed" and change.detail:
                new_version = f"{new_version} ({change.detail})"
            marker = _code(change.marker) if change.marker else ""
            lines.append(_row(change.kind, _code(change.name), old_version, new_version, marker))
    if diff.source_builds:
        lines.extend(["", "#### Builds from source at install", ""])
        lines.extend(
            f"- {_code(b.name)} {_version(b.version)}: {b.what} ({b.why})"
            + (f", {_code(b.marker)}" if b.marker else "")
            for b in diff.source_builds
        )
    if diff.sources:
        lines.extend(["", "#### New indexes and hosts", ""])
        for source in diff.sources:
            names = ", ".join(_code(n) for n in source.packages)
            if source.kind == "moved":
                lines.append(f"- {names}: index {_code(source.value)}")
            else:
                lines.append(f"- {source.kind} {_code(source.value)}: {names}")
    if diff.publishers:
        lines.extend(["", "#### Publishers (attestation identities)", ""])
        for p in diff.publishers:
            was = "; ".join(_code(i) for i in p.old) or "none"
            now = "; ".join(_code(i) for i in p.new) or "none"
            versions = (
                _version(p.new_version)
                if p.old_version == p.new_version
                else f"{_version(p.old_version)} -> {_version(p.new_version)}"
            )
            lines.append(f"- {_code(p.name)} {versions}: **{p.kind}**: {was} -> {now}")
    if diff.licenses:
        lines.extend(
            [
                "",
                "#### Licences",
                "",
                "| Package | Version | Old licence | New licence |",
                "|---|---|---|---|",
            ]
        )
        for c in diff.licenses:
            versions = (
                _version(c.new_version)
                if c.old_version is None
                else f"{_version(c.old_version)} -> {_version(c.new_version)}"
            )
            lines.append(
                f"| {_code(c.name)} | {versions} | {_cell(c.old or '(new package)')} | {_cell(c.new)} |"
            )
    if diff.vulnerabilities:
        lines.extend(
            [
                "",
                "#### Vulnerabilities",
                "",
                "| | ID | Package | Severity | Fixed in | Summary |",
                "|---|---|---|---|---|---|",
            ]
        )
        for v in diff.vulnerabilities:
            f = v.finding
            fixed = ", ".join(str(x) for x in f.fixed_in) or "no fix yet"
            ident = f"[{f.id}]({f.link})" if f.link else f.id
            package = f"{_code(f.name)} {f.version}"
            lines.append(_row(v.kind, ident, package, f.severity or "-", fixed, f.summary))
    if diff.notes:
        lines.append("")
        lines.extend(f"_Note: {_cell(note)}_  " for note in diff.notes)
    return lines


# ---------------------------------------------------------------------------------------------- JSON


def diff_json(diff: LockDiff, old: str, new: str) -> dict[str, object]:
    """The diff as JSON-ready values: ``licenses`` null when not looked up, ``vulnerabilities``
    null when there was no advisory data, else ``{"introduced": [...], "fixed": [...]}``."""
    vulnerabilities = None
    if diff.vulnerabilities is not None:
        vulnerabilities = {
            "introduced": [finding_json(f) for f in diff.introduced()],
            "fixed": [finding_json(f) for f in diff.fixed()],
        }
    return {
        "old": old,
        "new": new,
        "changed": diff.changed,
        "summary": {kind: diff.count(kind) for kind in _KINDS},
        "packages": [
            {
                "change": c.kind,
                "name": c.name,
                "old": c.old,
                "new": c.new,
                "marker": c.marker,
                "detail": c.detail,
            }
            for c in diff.packages
        ],
        "source_builds": [
            {"name": b.name, "version": b.version, "what": b.what, "why": b.why, "marker": b.marker}
            for b in diff.source_builds
        ],
        "sources": [{"kind": s.kind, "value": s.value, "packages": list(s.packages)} for s in diff.sources],
        "publishers": [
            {
                "change": p.kind,
                "name": p.name,
                "old_version": p.old_version,
                "new_version": p.new_version,
                "old": list(p.old),
                "new": list(p.new),
            }
            for p in diff.publishers
        ],
        "licenses": None
        if diff.licenses is None
        else [
            {
                "name": c.name,
                "old_version": c.old_version,
                "new_version": c.new_version,
                "old": c.old,
                "new": c.new,
            }
            for c in diff.licenses
        ],
        "vulnerabilities": vulnerabilities,
        "notes": list(diff.notes),
    }


def render_diff(diff: LockDiff, shape: str, *, old: str, new: str) -> str:
    """``shape``: text, markdown or json; ``old`` and ``new`` name the two locks. Ends with a newline."""
    if shape == "json":
        return json.dumps(diff_json(diff, old, new), indent=2, sort_keys=False) + "\n"
    lines = _markdown(diff, old, new) if shape == "markdown" else _text(diff, old, new)
    return "\n".join(lines) + "\n"
