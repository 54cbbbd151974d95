"""``bale policy show|check|explain``: the policy in force, a lock checked against it, a version explained."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from bale.cli.commands import _context, project_dir
from bale.cli.printer import Printer
from bale.errors import BaleError
from bale.policy.model import Layer, Policy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bale.context import Context
    from bale.ops.policy import LockCheck
    from bale.ops.settings import IndexSettings

_NO_POLICY = (
    "No policy in force: give --policy PATH|URL, set BALE_POLICY or a bale.toml's `policy` key, "
    "or add [tool.bale.policy] to pyproject.toml"
)


def cmd_policy(args: argparse.Namespace, printer: Printer) -> int:
    command = getattr(args, "policy_command", None)
    if command not in ("show", "check", "explain"):
        raise BaleError("bale policy needs a command: show, check or explain", hint="bale policy show")
    ctx = _context(args, printer)
    try:
        from bale.ops.policy_in_force import effective_policy

        policy = effective_policy(ctx, _project_root(args))
        if command == "show":
            return _show(args, printer, policy)
        if command == "explain":
            return _explain(args, printer, ctx, policy)
        return _check(args, printer, ctx, policy)
    finally:
        ctx.reporter.finish()
        ctx.close()


def _project_root(args: argparse.Namespace) -> Path | None:
    """The folder of the project whose ``[tool.bale.policy]`` applies (the workspace root's)."""
    from bale.project.model import PYPROJECT
    from bale.project.workspace import find_workspace

    start = project_dir(args).resolve()
    if not any((folder / PYPROJECT).is_file() for folder in (start, *start.parents)):
        return None
    try:
        return find_workspace(start).root.root
    except BaleError:
        return None


# ---------------------------------------------------------------------------------------------- show


def _show(args: argparse.Namespace, printer: Printer, policy: Policy | None) -> int:
    if policy is None:
        printer.info(_NO_POLICY)
        return 0
    from bale.policy.load import organisation_source

    source = organisation_source(getattr(args, "policy", None))
    for layer in policy.layers:
        if layer.label == "organisation":
            named = f" (from {source.given_by})" if source is not None else ""
            printer.data(f"# organisation policy: {layer.file}{named}")
        else:
            printer.data(f"# project policy: {layer.file} [tool.bale.policy]")
        for line in _rules(layer):
            printer.data(line)
    printer.data(f'# in force: typosquat = "{policy.typosquat or "warn"}"')
    return 0


def _quoted(items: Iterable[str]) -> str:
    values = sorted(items) if isinstance(items, (set, frozenset)) else list(items)
    return "[" + ", ".join(f'"{item}"' for item in values) + "]"


def _rules(layer: Layer) -> list[str]:
    """One line per rule, ``rule  # file:line``."""
    from bale.policy.model import _duration

    lines: list[str] = []

    def add(text: str, origin: object) -> None:
        lines.append(f"{text}  # {origin}")

    if layer.allow is not None:
        if not layer.allow:
            add("allow = []", layer.origin("allow"))
        for rule in layer.allow:
            add(f'allow "{rule.text}"', rule.origin)
    for rule in layer.deny:
        add(f'deny "{rule.text}"' + (f" (reason: {rule.reason})" if rule.reason else ""), rule.origin)
    if layer.indexes is not None:
        add(f"indexes = {_quoted(layer.indexes)}", layer.origin("indexes"))
    if layer.sources:
        kinds = ", ".join(f"{kind} = {str(allowed).lower()}" for kind, allowed in layer.sources.items())
        add(f"sources = {{ {kinds} }}", layer.origin("sources"))
    if "licenses" in layer.origins:
        parts = []
        if layer.license_allow is not None:
            parts.append(f"allow = {_quoted(layer.license_allow)}")
        if layer.license_deny:
            parts.append(f"deny = {_quoted(layer.license_deny)}")
        parts.append(f'unknown = "{layer.unknown_licenses}"')
        add(f"licenses = {{ {', '.join(parts)} }}", layer.origin("licenses"))
    if layer.min_release_age is not None:
        add(f'min-release-age = "{_duration(layer.min_release_age)}"', layer.origin("min-release-age"))
    for name, age in sorted(layer.min_release_age_packages.items()):
        add(f'min-release-age.packages.{name} = "{_duration(age)}"', layer.origin("min-release-age"))
    if "only-binary" in layer.origins:
        value = layer.only_binary
        add(
            f"only-binary = {_quoted(value) if isinstance(value, frozenset) else str(value).lower()}",
            layer.origin("only-binary"),
        )
    if "require-hashes" in layer.origins:
        add(f"require-hashes = {str(layer.require_hashes).lower()}", layer.origin("require-hashes"))
    if layer.max_vulnerability is not None:
        add(f'max-vulnerability = "{layer.max_vulnerability}"', layer.origin("max-vulnerability"))
    if "require-provenance" in layer.origins:
        add(f"require-provenance = {_quoted(layer.require_provenance)}", layer.origin("require-provenance"))
    if layer.typosquat is not None:
        add(f'typosquat = "{layer.typosquat}"', layer.origin("typosquat"))
    if "project-overrides" in layer.origins:
        add(f"project-overrides = {str(layer.project_overrides).lower()}", layer.origin("project-overrides"))
    return lines


# ---------------------------------------------------------------------------------------------- explain


def _explain(args: argparse.Namespace, printer: Printer, ctx: Context, policy: Policy | None) -> int:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from bale.policy.evaluate import explain, refuse_version

    target = args.target
    try:
        requirement = Requirement(target)
        pins = [spec for spec in requirement.specifier if spec.operator in ("==", "===")]
        version = Version(pins[0].version) if len(pins) == 1 and "*" not in pins[0].version else None
    except (InvalidRequirement, ValueError):
        version = None
    if version is None:
        raise BaleError(
            f"bale policy explain needs NAME==VERSION, not {target!r}", hint="bale policy explain alpha==2.0"
        )
    name = canonicalize_name(requirement.name)
    if policy is None:
        printer.data(f"{name} {version}: allowed (no policy in force)")
        printer.info(_NO_POLICY)
        return 0
    refusal = refuse_version(policy, name, version)
    verdicts = explain(policy, name, version)
    lines: list[str] = []
    refused = refusal is not None
    unchecked: str | None = None
    if refusal is None:
        from bale.ops.policy import explain_files

        try:
            lines, refused = explain_files(ctx, policy, name, version, _index(args))
        except BaleError as err:
            unchecked = err.message
    if refusal is not None:
        printer.data(f"{name} {version}: refused: it {refusal.text}")
    elif refused:
        printer.data(f"{name} {version}: refused: see its files and licence below")
    elif unchecked is not None:
        printer.data(f"{name} {version}: allowed by name and version; its files and licence were not checked")
    else:
        printer.data(f"{name} {version}: allowed")
    for verdict in verdicts:
        word = (
            "requires" if verdict.detail.startswith("its ") else ("allows" if verdict.allows else "refuses")
        )
        printer.data(f"  {word}: {verdict.rule} ({verdict.origin}): {verdict.detail}")
    if not verdicts:
        printer.data("  no rule names it")
    for line in lines:
        printer.data(f"  {line}")
    if unchecked is not None:
        printer.warn(f"Could not check its files and licence: {unchecked}")
    return 1 if refused else 0


def _index(args: argparse.Namespace) -> IndexSettings:
    """The indexes a lock of the project here would read (the command line's outside a project)."""
    from bale.cli.project import _lock_settings

    settings = _lock_settings(args)
    root = _project_root(args)
    if root is None:
        return settings.index
    from bale.ops.project import project_index
    from bale.ops.project_workspace import load_workspace
    from bale.project.model import read_project

    project = read_project(root / "pyproject.toml")
    return project_index(project, settings, load_workspace(project))


# ---------------------------------------------------------------------------------------------- check


def _check(args: argparse.Namespace, printer: Printer, ctx: object, policy: Policy | None) -> int:
    from bale.cli.project import _lock_settings
    from bale.context import Context
    from bale.lock.pylock import read_pylock
    from bale.ops.policy import check_lock, local_advisories, lock_licenses

    assert isinstance(ctx, Context)
    if args.lock_file:
        path = Path(args.lock_file).absolute()
    else:
        root = _project_root(args)
        if root is None:
            raise BaleError("No lock file given and no project here", hint="bale policy check pylock.toml")
        path = root / "pylock.toml"
    if not path.is_file():
        raise BaleError(f"The lock file {path} does not exist", hint="create it with `bale lock`")
    if policy is None:
        printer.info(_NO_POLICY)
        return 0
    lock = read_pylock(path.read_text(encoding="utf-8"), source=str(path))
    found = check_lock(
        policy,
        lock,
        path.parent,
        datetime.now(timezone.utc),
        licenses=lock_licenses(ctx, lock, path, _lock_settings(args)) if policy.has_license_rules else None,
        advisories=local_advisories(ctx) if policy.max_vulnerability is not None else None,
    )
    if args.policy_format == "json":
        from bale.cli.commands import print_json

        print_json(printer, _check_json(path, found))
    for violation in [] if args.policy_format == "json" else found.violations:
        printer.data(violation.text)
    for warning in found.warnings:
        printer.warn(warning)
    for rule in found.unchecked:
        printer.warn(f"Could not check {rule}")
    count = len(found.violations)
    if count:
        from bale.audit.formats import plural

        printer.info(
            f"{plural(count, 'violation')} of the policy in {path} ({found.packages} packages checked)"
        )
        return 1
    printer.info(f"{path}: {found.packages} packages, no violation of the policy")
    return 0


def _check_json(path: Path, found: LockCheck) -> dict[str, object]:
    return {
        "lock": str(path),
        "packages": found.packages,
        "violations": [
            {
                "name": violation.name,
                "version": violation.version,
                "rule": violation.refusal.rule,
                "key": violation.refusal.key,
                "file": violation.refusal.origin.file,
                "line": violation.refusal.origin.line,
                "reason": violation.refusal.reason,
                "message": violation.text,
            }
            for violation in found.violations
        ],
        "unchecked": list(found.unchecked),
        "warnings": list(found.warnings),
    }
