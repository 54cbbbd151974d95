"""``bale tool audit``: every installed tool's environment through ``bale audit``, one report a tool."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from bale.cli.printer import Printer, elapsed
from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.audit.formats import AuditReport

# As `bale audit`: 1 means a finding remains, 2 an error (a CI job tells the two apart).
FOUND = 1
FAILED = 2


def add_tool_audit_options(parser: argparse.ArgumentParser) -> None:
    """The tools to audit, where the advisories come from, the output and the ignores (as ``bale audit``)."""
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these tools (default: every one)")
    data = parser.add_argument_group("vulnerability data (OSV)")
    data.add_argument(
        "--service-url", metavar="URL", help="the OSV API (default: https://api.osv.dev) [env: BALE_OSV_URL]"
    )
    data.add_argument("--db", metavar="FILE", help="use this OSV export (PyPI all.zip) instead of the API")
    data.add_argument(
        "--update-db", action="store_true", help="fetch OSV's PyPI export into the cache first, then use it"
    )
    data.add_argument(
        "--db-url", metavar="URL", help="where --update-db fetches the export from [env: BALE_OSV_DB_URL]"
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--format",
        dest="audit_format",
        choices=["table", "json"],
        default="table",
        help="table (default: a section a tool) or json (an object keyed by tool name)",
    )
    from bale.cli.main import add_ignore_options

    add_ignore_options(out)


def cmd_tool_audit(args: argparse.Namespace, printer: Printer) -> int:
    try:
        return _audit_tools(args, printer)
    except BaleError as err:
        err.code = FAILED
        raise


def _audit_tools(args: argparse.Namespace, printer: Printer) -> int:
    from pathlib import Path

    from bale.cli.commands import _context
    from bale.model.names import normalize
    from bale.ops.audit import AuditSettings, DataSettings, audit, update_database
    from bale.ops.tool import list_tools

    tools = list_tools()
    if args.names:
        wanted = {normalize(n): n for n in args.names}
        missing = [given for name, given in wanted.items() if name not in {t.receipt.name for t in tools}]
        if missing:
            raise BaleError(
                f"Not installed: {', '.join(missing)}", hint="`bale tool list` shows the tools installed"
            )
        tools = [t for t in tools if t.receipt.name in wanted]
    if not tools:
        printer.info("No tools installed")
        return 0
    data = DataSettings(
        service_url=args.service_url,
        db=Path(args.db) if args.db else None,
        offline=bool(getattr(args, "offline", False)),
        db_url=args.db_url,
    )
    if data.db is not None and args.update_db:
        raise BaleError("--db names a database file; --update-db fetches the cache's: choose one")
    started = time.perf_counter()
    reports: list[tuple[str, str | None, AuditReport]] = []
    ctx = _context(args, printer)
    try:
        if args.update_db:
            # Fetched once for every tool, then read from the cache (the same data for each report).
            update_database(ctx, DataSettings(update_db=True, db_url=args.db_url))
            data = DataSettings(offline=True)
        for tool in tools:
            settings = AuditSettings(
                start=tool.environment,
                environment=True,
                python=str(tool.environment),
                data=data,
                ignores=tuple(args.ignore),
                ignore_until_fixed=bool(args.ignore_until_fixed),
            )
            reports.append((str(tool.receipt.name), tool.version, audit(ctx, settings).report))
    finally:
        ctx.reporter.finish()
        ctx.close()
    found = any(report.findings for _, _, report in reports)
    if args.audit_format == "json":
        _show_json(printer, reports)
    else:
        _show_tables(printer, reports)
    from bale.audit.formats import plural

    audited = sum(report.audited for _, _, report in reports)
    took = elapsed(time.perf_counter() - started)
    source = reports[0][2].source
    printer.info(
        f"Audited {plural(len(reports), 'tool')} ({plural(audited, 'package')}) against {source} in {took}"
    )
    vulnerable = [name for name, _, report in reports if report.findings]
    if vulnerable:
        printer.info(printer.red(f"Known vulnerabilities in {', '.join(vulnerable)}"))
    else:
        printer.info(printer.green("No known vulnerabilities found"))
    return FOUND if found else 0


def _show_tables(printer: Printer, reports: list[tuple[str, str | None, AuditReport]]) -> None:
    from bale.audit.formats import headline, table_lines

    for name, version, report in reports:
        for warning in report.warnings:
            printer.warn(f"{name}: {warning}")
        printer.data(f"{name} {version or '?'}: {headline(report)}")
        for line in table_lines(report):
            printer.data(f"  {line}".rstrip())
        for ignored in report.triage.ignored:
            finding = ignored.finding
            printer.info(f"{name}: ignored {finding.id} in {finding.name} {finding.version}: {ignored.why}")


def _show_json(printer: Printer, reports: list[tuple[str, str | None, AuditReport]]) -> None:
    import json

    from bale.audit.formats import report_json

    value: dict[str, Any] = {
        name: {"version": version, **report_json(report)} for name, version, report in reports
    }
    printer.out.write(json.dumps(value, indent=2) + "\n")
