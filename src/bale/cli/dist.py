"""Distribution commands: build (sdist and wheel into dist/) and publish (upload to an index)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bale.cli.commands import _context, _env, build_settings, global_settings, index_settings, project_dir
from bale.cli.printer import Printer, elapsed
from bale.cli.progress import CliReporter
from bale.errors import BaleError
from bale.ops.publish import PublishEvents, PublishSettings, UploadOutcome, UploadStatus

if TYPE_CHECKING:
    from bale.dist.check import Distribution


def _shown(path: Path, cwd: Path) -> str:
    """``path`` relative to ``cwd`` when inside it (``dist/x-1.0.tar.gz``), else absolute."""
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


# -- build ----------------------------------------------------------------------------------------------


class _BuildReporter(CliReporter):
    """The CLI reporter without its per-wheel "Built x==1.0" line: `bale build` names each file it wrote."""

    def build_start(self, name: str, version: str | None) -> None:
        pass  # `bale build` says "Building wheel..." itself

    def build_done(self, name: str, version: str, seconds: float) -> None:
        self.debug(f"built {name}=={version} in {elapsed(seconds)}")


def cmd_build(args: argparse.Namespace, printer: Printer) -> int:
    import time

    from bale.ops.build_project import BuildRequest, build_project

    cwd = Path.cwd()
    index, explicit = index_settings(args)
    request = BuildRequest(  # --project moves where the project is found, not the paths given
        cwd=project_dir(args),
        path=cwd / args.path if args.path else None,
        package=args.package,
        sdist=bool(args.sdist),
        wheel=bool(args.wheel),
        out_dir=cwd / args.out_dir if args.out_dir else None,
        python=args.python,
        index=index,
        explicit_index=explicit,
        build=build_settings(args),
    )
    from bale.context import Context

    reporter = _BuildReporter(printer)
    ctx = Context(global_settings(args), reporter)
    start = time.perf_counter()
    try:
        outcome = build_project(ctx, request, printer.info)
    finally:
        reporter.finish()
        ctx.close()
    printer.debug(f"built in {elapsed(time.perf_counter() - start)}")
    for path in outcome.files:
        printer.info(f"Successfully built {printer.bold(_shown(path, cwd))}")
    return 0


# -- publish --------------------------------------------------------------------------------------------


def publish_settings(args: argparse.Namespace, cwd: Path) -> PublishSettings:
    """CLI > ``BALE_PUBLISH_*`` > ``--index``'s publish-url > PyPI."""
    from bale.ops.publish import DEFAULT_PUBLISH_URL

    url = args.publish_url or _env("BALE_PUBLISH_URL")
    check_url = args.check_url or _env("BALE_PUBLISH_CHECK_URL")
    if args.index:
        index_url, index_check = _named_index(args.index, cwd)
        if url is None:
            url = index_url
        check_url = check_url or index_check
    return PublishSettings(
        cwd=cwd,
        files=tuple(args.files or ()),
        publish_url=url or DEFAULT_PUBLISH_URL,
        username=args.username or _env("BALE_PUBLISH_USERNAME"),
        password=args.password if args.password is not None else _env("BALE_PUBLISH_PASSWORD"),
        token=args.token or _env("BALE_PUBLISH_TOKEN"),
        check_url=check_url,
        check=not args.no_check,
    )


def _named_index(name: str, cwd: Path) -> tuple[str, str]:
    """The publish URL and index URL of ``[[tool.bale.index]]`` named ``name`` in the project."""
    from bale.project.model import find_project

    project = find_project(cwd)
    indexes = {index.name: index for index in project.settings.indexes}
    index = indexes.get(name)
    if index is None:
        known = ", ".join(indexes) or "none"
        raise BaleError(
            f"No index named {name!r} in {project.pyproject}",
            context=[f"indexes: {known}"],
            hint='declare it: [[tool.bale.index]] name = "..." url = "..." publish-url = "..."',
        )
    if not index.publish_url:
        raise BaleError(
            f"The index {name!r} in {project.pyproject} has no publish-url",
            hint="add publish-url (the upload endpoint, like https://upload.pypi.org/legacy/) to it",
        )
    return index.publish_url, index.url


class _PrintedEvents(PublishEvents):
    """Prints each upload as it happens (stderr: these are messages, not data)."""

    def __init__(self, printer: Printer, cwd: Path) -> None:
        self.printer = printer
        self.cwd = cwd

    def start(self, dists: Sequence[Distribution], url: str, username: str | None) -> None:
        count = len(dists)
        who = f" as {username}" if username else ""
        self.printer.info(f"Publishing {count} file{'s' if count != 1 else ''} to {url}{who}")

    def uploading(self, dist: Distribution, size: int) -> None:
        self.printer.info(f"Uploading {self.printer.bold(dist.filename)} ({_size(size)})")

    def done(self, outcome: UploadOutcome) -> None:
        if outcome.status is UploadStatus.SKIPPED:
            self.printer.warn(f"{outcome.dist.filename} skipped: {outcome.detail}")


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"


def cmd_publish(args: argparse.Namespace, printer: Printer) -> int:
    from bale.ops.publish import publish

    cwd = Path(os.getcwd())
    settings = publish_settings(args, cwd)
    ctx = _context(args, printer)
    events = _PrintedEvents(printer, cwd)
    try:
        outcomes = publish(ctx, settings, events)
    finally:
        ctx.reporter.finish()
        ctx.close()
    uploaded = sum(1 for o in outcomes if o.status is UploadStatus.UPLOADED)
    skipped = len(outcomes) - uploaded
    summary = f"Uploaded {uploaded} file{'s' if uploaded != 1 else ''}"
    if skipped:
        summary += f", skipped {skipped} already on the index"
    printer.info(summary)
    return 0
