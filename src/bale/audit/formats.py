"""An audit's outcome as people and tools read it: a table, JSON, SARIF 2.1.0 or a Markdown comment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from bale.audit.findings import Finding
from bale.audit.ignores import Triage
from bale.model.record import record


@record(frozen=True)
class AuditReport:
    """What was audited (``target``: a file, or an environment), how many packages, against which data
    (``source``), what was found (``triage``) and what was skipped (``warnings``). ``lines``: the line
    of each package's entry in ``target_uri`` (a path relative to the project), for SARIF locations."""

    target: str
    audited: int
    source: str
    triage: Triage
    warnings: tuple[str, ...] = ()
    target_uri: str | None = None
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.triage.remaining


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def headline(report: AuditReport) -> str:
    """``Found 2 known vulnerabilities in 1 package`` or ``No known vulnerabilities found``."""
    found = report.findings
    if not found:
        return "No known vulnerabilities found"
    packages = len({(f.name, f.version) for f in found})
    return f"Found {plural(len(found), 'known vulnerability', 'known vulnerabilities')} in " + plural(
        packages, "package"
    )


def fixed_text(finding: Finding) -> str:
    return ", ".join(str(v) for v in finding.fixed_in) if finding.fixed_in else "no fix yet"


# ---------------------------------------------------------------------------------------------- text


def table_lines(report: AuditReport) -> list[str]:
    """The findings as aligned columns, then each advisory's aliases, summary and link."""
    found = report.findings
    if not found:
        return []
    rows = [("Package", "Version", "ID", "Severity", "Fixed in")]
    rows += [(f.name, str(f.version), f.id, f.severity or "-", fixed_text(f)) for f in found]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1] for row in rows
    ]
    lines.append("")
    seen: set[str] = set()
    for f in found:
        if f.id in seen:
            continue
        seen.add(f.id)
        aliases = f" ({', '.join(f.aliases)})" if f.aliases else ""
        lines.append(f"{f.id}{aliases}: {f.summary}" if f.summary else f"{f.id}{aliases}")
        lines.append(f"  {f.link}")
    return lines


# ---------------------------------------------------------------------------------------------- JSON


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding as JSON-ready values (``bale audit --format json``, ``bale diff --format json``)."""
    return {
        "name": finding.name,
        "version": str(finding.version),
        "id": finding.id,
        "aliases": list(finding.aliases),
        "severity": finding.severity,
        "fixed_in": [str(v) for v in finding.fixed_in],
        "summary": finding.summary,
        "link": finding.link,
    }


def report_json(report: AuditReport) -> dict[str, Any]:
    triage = report.triage
    return {
        "target": report.target,
        "source": report.source,
        "audited": report.audited,
        "vulnerabilities": [finding_json(f) for f in triage.remaining],
        "ignored": [{**finding_json(i.finding), "why": i.why} for i in triage.ignored],
        "expired_ignores": [
            {
                "id": ig.id,
                "until": ig.until.isoformat() if ig.until else None,
                "origin": ig.origin,
                "name": f.name,
                "version": str(f.version),
            }
            for f, ig in triage.expired
        ],
        "warnings": list(report.warnings),
    }


# ---------------------------------------------------------------------------------------------- SARIF

# GitHub's code scanning ranks security results by this number (CVSS-like, 0.0-10.0).
_SEVERITY_SCORES = {"LOW": "3.0", "MODERATE": "5.5", "MEDIUM": "5.5", "HIGH": "8.0", "CRITICAL": "9.5"}


def _score(severity: str | None) -> str | None:
    if severity is None:
        return None
    word = severity.strip().upper()
    if word in _SEVERITY_SCORES:
        return _SEVERITY_SCORES[word]
    try:
        number = float(word)
    except ValueError:
        return None
    return f"{number:.1f}" if 0.0 <= number <= 10.0 else None


def report_sarif(report: AuditReport, *, tool_version: str) -> dict[str, Any]:
    """SARIF 2.1.0 for code scanning: one rule per advisory, one result per affected package, placed
    on the package's entry in the audited file when it is a file."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for f in report.findings:
        if f.id not in index:
            index[f.id] = len(rules)
            rule: dict[str, Any] = {
                "id": f.id,
                "shortDescription": {"text": f.summary or f.id},
                "helpUri": f.link,
                "help": {
                    "text": f"{f.summary}\n{f.link}",
                    "markdown": f"[{f.id}]({f.link}): {_md(f.summary)}",
                },
                "properties": {"tags": ["security", "vulnerability", *f.aliases]},
            }
            score = _score(f.severity)
            if score is not None:
                rule["properties"]["security-severity"] = score
            rules.append(rule)
        aliases = f" ({', '.join(f.aliases)})" if f.aliases else ""
        result: dict[str, Any] = {
            "ruleId": f.id,
            "ruleIndex": index[f.id],
            "level": "error",
            "message": {
                "text": f"{f.name} {f.version} is affected by {f.id}{aliases}; fixed in {fixed_text(f)}"
            },
            "partialFingerprints": {"packageVulnerability": f"{f.name}@{f.version}/{f.id}"},
        }
        if report.target_uri is not None:
            location: dict[str, Any] = {"artifactLocation": {"uri": report.target_uri}}
            line = report.lines.get(f.name)
            if line is not None:
                location["region"] = {"startLine": line}
            result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "bale", "version": tool_version, "rules": rules}},
                "results": results,
            }
        ],
    }


# ---------------------------------------------------------------------------------------------- Markdown


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_markdown(report: AuditReport) -> str:
    """A pull-request comment: the headline, a table with links, and what was ignored."""
    lines = [f"### bale audit: {headline(report)}", ""]
    lines.append(
        f"Audited {plural(report.audited, 'package')} in {_md(report.target)} against {_md(report.source)}."
    )
    if report.findings:
        lines += [
            "",
            "| Package | Version | Advisory | Severity | Fixed in | Summary |",
            "|---|---|---|---|---|---|",
        ]
        for f in report.findings:
            aliases = f" ({', '.join(f.aliases)})" if f.aliases else ""
            lines.append(
                f"| {f.name} | {f.version} | [{f.id}]({f.link}){aliases} | {f.severity or '-'} | "
                f"{fixed_text(f)} | {_md(f.summary)} |"
            )
    if report.triage.ignored:
        lines += [
            "",
            "<details><summary>" + plural(len(report.triage.ignored), "ignored finding") + "</summary>",
            "",
        ]
        lines += [
            f"- {i.finding.name} {i.finding.version}: {i.finding.id}, {_md(i.why)}"
            for i in report.triage.ignored
        ]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def package_lines(lock_text: str) -> dict[str, int]:
    """The 1-based line of each ``[[packages]]`` entry's ``name = "..."`` in a pylock.toml (the first
    entry of a name that appears more than once)."""
    found: dict[str, int] = {}
    in_package = False
    for number, raw in enumerate(lock_text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("["):
            in_package = line == "[[packages]]"
            continue
        if in_package and line.startswith("name") and "=" in line:
            value = line.split("=", 1)[1].strip().strip('"').strip("'")
            from packaging.utils import canonicalize_name

            found.setdefault(str(canonicalize_name(value)), number)
            in_package = False
    return found
