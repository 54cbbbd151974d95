"""``bale audit`` and ``bale pip audit``: arguments in, a report out; exit 0 clean, 1 findings, 2 error."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cli.commands import _context, project_dir
from bale.cli.printer import Printer, elapsed
from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.audit.database import UpdateOutcome
    from bale.audit.formats import AuditReport
    from bale.ops.audit import AuditSettings
    from bale.ops.views import Selection

# pip-audit's and uv's convention, which CI jobs depend on: 1 means "vulnerable", so an error is 2.
FOUND = 1
FAILED = 2


def cmd_audit(args: argparse.Namespace, printer: Printer) -> int:
    return _run(args, printer, pip=False)


def cmd_pip_audit(args: argparse.Namespace, printer: Printer) -> int:
    return _run(args, printer, pip=True)


def _run(args: argparse.Namespace, printer: Printer, *, pip: bool) -> int:
    try:
        return _audit(args, printer, pip=pip)
    except BaleError as err:
        err.code = FAILED
        raise


def _format(args: argparse.Namespace) -> str:
    chosen = args.audit_format
    if chosen is not None and args.output_format == "json" and chosen != "json":
        raise BaleError(f"--format {chosen} and --output-format json ask for two different outputs")
    return chosen or ("json" if args.output_format == "json" else "table")


def _selection(args: argparse.Namespace) -> Selection | None:
    """The sync-style selection when one is asked for; else None: every package in the lock."""
    if not any(
        getattr(args, name, None)
        for name in ("group", "only_group", "no_dev", "all_groups", "extra", "all_extras")
    ):
        return None
    from bale.cli.views import _selection as selection

    return selection(args)


def settings_of(args: argparse.Namespace, *, pip: bool) -> AuditSettings:
    from bale.cli.project import _lock_settings
    from bale.ops.audit import AuditSettings, DataSettings

    lock_file = getattr(args, "lock_file", None)
    requirements = tuple(Path(p) for p in args.requirements)
    environment = pip or args.python is not None
    given = [bool(lock_file), bool(requirements), args.python is not None]
    if sum(given) > 1:
        raise BaleError("Audit one thing at a time: a lock file, -r requirements files, or --python ENV")
    if pip and requirements:
        environment = False
    data = DataSettings(
        service_url=args.service_url,
        db=Path(args.db) if args.db else None,
        offline=bool(getattr(args, "offline", False)),
        update_db=bool(args.update_db),
        db_url=args.db_url,
    )
    if data.db is not None and data.update_db:
        raise BaleError("--db names a database file; --update-db fetches the cache's: choose one")
    return AuditSettings(
        start=project_dir(args),
        lock=_lock_settings(args),
        locked=bool(getattr(args, "locked", False)),
        frozen=bool(getattr(args, "frozen", False)),
        selection=_selection(args) if not pip else None,
        lock_file=Path(lock_file) if lock_file else None,
        requirements=requirements,
        environment=environment,
        python=args.python,
        python_version=args.python_version,
        python_platform=args.python_platform,
        data=data,
        ignores=tuple(args.ignore),
        ignore_until_fixed=bool(args.ignore_until_fixed),
    )


def _audit(args: argparse.Namespace, printer: Printer, *, pip: bool) -> int:
    shape = _format(args)
    settings = settings_of(args, pip=pip)
    fixing = bool(getattr(args, "fix", False))
    if not fixing and (getattr(args, "dry_run", False) or getattr(args, "bounds", False)):
        raise BaleError("--dry-run and --bounds apply to --fix")
    started = time.perf_counter()
    ctx = _context(args, printer)
    try:
        if settings.data.update_db and _nothing_else(settings):
            from bale.ops.audit import update_database

            outcome = update_database(ctx, settings.data)
            _report_update(printer, outcome)
            return 0
        from bale.ops.audit import audit

        result = audit(ctx, settings)
        if fixing:
            from bale.cli.audit_fix import run_fix

            return run_fix(args, printer, ctx, settings, result)
    finally:
        ctx.reporter.finish()
        ctx.close()
    report = result.report
    for note in result.audited.notes:
        printer.debug(f"Skipped {note}")
    for warning in report.warnings:
        printer.warn(warning)
    show_report(printer, report, shape, output=args.output_file)
    for ignored in report.triage.ignored:
        printer.info(
            f"Ignored {ignored.finding.id} in {ignored.finding.name} {ignored.finding.version}: {ignored.why}"
        )
    from bale.audit.formats import headline, plural

    took = elapsed(time.perf_counter() - started)
    printer.info(f"Audited {plural(report.audited, 'package')} against {report.source} in {took}")
    line = headline(report)
    printer.info(printer.red(line) if report.findings else printer.green(line))
    return FOUND if report.findings else 0


def _nothing_else(settings: AuditSettings) -> bool:
    """``bale audit --update-db`` outside a project: only the update is asked for."""
    if settings.lock_file or settings.requirements or settings.environment:
        return False
    start = settings.start.resolve()
    return not any((folder / "pyproject.toml").is_file() for folder in (start, *start.parents))


def _report_update(printer: Printer, outcome: UpdateOutcome) -> None:
    if outcome.changed:
        printer.info(
            f"Updated the vulnerability database: {outcome.records} advisories ({outcome.bytes / 1e6:.1f} MB)"
        )
    else:
        printer.info(f"The vulnerability database is up to date ({outcome.records} advisories)")


def show_report(printer: Printer, report: AuditReport, shape: str, *, output: str | None) -> None:
    """The report in ``shape`` on stdout, or in the file ``output`` (written atomically)."""
    from bale import __version__
    from bale.audit import formats

    if shape == "table":
        text = "".join(line + "\n" for line in formats.table_lines(report))
    elif shape == "markdown":
        text = formats.report_markdown(report)
    else:
        import json

        value = (
            formats.report_json(report)
            if shape == "json"
            else formats.report_sarif(report, tool_version=__version__)
        )
        text = json.dumps(value, indent=2) + "\n"
    if output:
        from bale.fs.atomic import write_atomic

        write_atomic(Path(output), text.encode("utf-8"))
        printer.info(f"Wrote the report to {output}")
        return
    printer.out.write(text)
