"""``bale audit --fix``: what moved and why, what could not, and the audit of what is left."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bale.cli.printer import Printer
from bale.errors import BaleError

if TYPE_CHECKING:
    from bale.context import Context
    from bale.ops.audit import AuditResult, AuditSettings
    from bale.ops.audit_fix import FixOutcome

FOUND = 1


def run_fix(
    args: argparse.Namespace, printer: Printer, ctx: Context, settings: AuditSettings, result: AuditResult
) -> int:
    from bale.ops.audit_fix import fix_project, fix_requirements

    if settings.environment or settings.lock_file is not None:
        raise BaleError(
            "--fix changes a project's lock or a requirements file, not "
            + ("an environment" if settings.environment else str(settings.lock_file)),
            hint="run it in the project (or with -r FILE), then sync the environment",
        )
    report = result.report
    for warning in report.warnings:
        printer.warn(warning)
    if not report.findings:
        printer.info("No known vulnerabilities found: nothing to fix")
        return 0
    dry_run = bool(args.dry_run)
    if settings.requirements:
        outcome = fix_requirements(ctx, settings, result, dry_run=dry_run)
    else:
        outcome = fix_project(ctx, settings, result, dry_run=dry_run, bounds=bool(args.bounds))
    return _show(printer, outcome, settings, result)


def _show(printer: Printer, outcome: FixOutcome, settings: AuditSettings, result: AuditResult) -> int:
    would = "Would " if outcome.dry_run else ""
    for old, new, where in outcome.widened:
        verb = "widen" if outcome.dry_run else "Widened"
        printer.info(f"{would}{verb} {old} to {new} ({where})")
    for target in outcome.targets:
        verb = "upgrade" if outcome.dry_run else "Upgraded"
        ids = ", ".join(target.ids)
        printer.info(f"{would}{verb} {target.name} {target.current} -> {target.version} (fixes {ids})")
    if outcome.lock is not None:
        _others(printer, outcome)
        if not outcome.dry_run:
            printer.info(
                f"Wrote {outcome.lock.path}" if outcome.lock.written else f"{outcome.lock.path} is unchanged"
            )
    for path in outcome.rewritten:
        printer.info(f"{'Would rewrite' if outcome.dry_run else 'Rewrote'} {path}")
    for blocker in outcome.blockers:
        target = blocker.target
        printer.warn(
            f"{blocker.requirement} ({blocker.where}) excludes {target.name} {target.version}, which "
            f"fixes {', '.join(target.ids)}: widen it, or run `bale audit --fix --bounds`"
        )
    for missing in outcome.missing:
        printer.warn(
            f"Cannot fix {missing.name} {missing.current} ({', '.join(missing.ids)}): {missing.reason}"
        )
    fixed = {t.name for t in outcome.targets}
    remaining = [f for f in result.report.findings if f.name not in fixed]
    from bale.audit.formats import plural

    if remaining:
        printer.info(
            printer.red(
                f"{plural(len(remaining), 'known vulnerability', 'known vulnerabilities')} "
                + ("would remain" if outcome.dry_run else "remain")
            )
        )
        return FOUND
    printer.info(
        printer.green("Every known vulnerability " + ("would be fixed" if outcome.dry_run else "is fixed"))
    )
    return 0


def _others(printer: Printer, outcome: FixOutcome) -> None:
    """The versions the resolver moved besides the fixes (what they need, or what they no longer need)."""
    lock = outcome.lock
    assert lock is not None
    if lock.previous is None or lock.previous == lock.text:
        return
    from bale.cli.summary import lock_changes, show_lock_changes

    fixed = {str(t.name) for t in outcome.targets}
    others = [change for change in lock_changes(lock.previous, lock.text) if change[1] not in fixed]
    if not others:
        return
    printer.info("The resolver also " + ("would move" if outcome.dry_run else "moved") + ":")
    show_lock_changes(printer, others)
