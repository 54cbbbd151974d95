"""What a command changed, as uv's summary lines: ``Updated name v1 -> v2`` for a lock, `` + name==v`` for an
environment; and the same changes as JSON-ready values."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bale.cli.printer import Printer


def locked_versions(text: str | bytes | None) -> dict[str, list[str]]:
    """Each package a ``pylock.toml`` text lists, with its versions in the order of the file.

    Empty when there is no text or it does not parse (a lock with conflict markers, say): there is then
    nothing to compare, and the command itself reports the broken file.
    """
    if not text:
        return {}
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (ValueError, UnicodeDecodeError):
        return {}
    versions: dict[str, list[str]] = {}
    packages = data.get("packages")
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        version = package.get("version")
        found = versions.setdefault(package["name"], [])
        text_version = str(version) if version is not None else ""
        if text_version not in found:
            found.append(text_version)
    return versions


def _shown(versions: list[str]) -> str:
    """``v1.0, v2.0``, oldest first; a package without a version (a source tree) shows as ``(dynamic)``."""
    from packaging.version import InvalidVersion, Version

    def key(text: str) -> tuple[int, Version | str]:
        try:
            return 0, Version(text)
        except InvalidVersion:
            return 1, text

    return ", ".join(f"v{v}" if v else "(dynamic)" for v in sorted(versions, key=key))


def lock_changes(before: str | bytes | None, after: str) -> list[tuple[str, str, str, str]]:
    """``(verb, name, old, new)`` for each package whose locked versions differ, sorted by name.

    ``verb`` is ``Updated``, ``Added`` or ``Removed``; a lock written for the first time has no changes
    (as in uv: every package would be "added"). The versions are shown as ``_shown`` writes them.
    """
    if before is None:
        return []
    old, new = locked_versions(before), locked_versions(after)
    if not old and before:
        return []  # the old lock did not parse: there is nothing sound to compare with
    changes: list[tuple[str, str, str, str]] = []
    for name in sorted(set(old) | set(new)):
        was, now = old.get(name), new.get(name)
        if was is None and now is not None:
            changes.append(("Added", name, "", _shown(now)))
        elif now is None and was is not None:
            changes.append(("Removed", name, _shown(was), ""))
        elif was is not None and now is not None and sorted(was) != sorted(now):
            changes.append(("Updated", name, _shown(was), _shown(now)))
    return changes


def show_lock_changes(printer: Printer, changes: list[tuple[str, str, str, str]]) -> None:
    """uv's lines: ``Updated lib v1.0 -> v2.0``, ``Added new v1.0``, ``Removed old v1.0``."""
    for verb, name, old, new in changes:
        style = printer.red if verb == "Removed" else printer.green
        word = printer.bold(style(verb)) if printer.colour else verb
        if verb == "Updated":
            printer.info(f"{word} {printer.bold(name)} {old} -> {new}")
        else:
            printer.info(f"{word} {printer.bold(name)} {new or old}")


def lock_changes_json(changes: list[tuple[str, str, str, str]]) -> list[dict[str, object]]:
    """The changes as ``{"action", "name", "old", "new"}`` objects (versions as lists, no ``v``)."""

    def versions(shown: str) -> list[str]:
        return [v.removeprefix("v") for v in shown.split(", ")] if shown else []

    return [
        {"action": verb.lower(), "name": name, "old": versions(old), "new": versions(new)}
        for verb, name, old, new in changes
    ]


def environment_changes(
    removed: list[tuple[str, str]], installed: list[tuple[str, str]]
) -> list[tuple[str, int, str]]:
    """``(name, order, sign+version)`` of an environment's changes as uv lists them: by name, a package's
    old version (``-``) before its new one (``+``)."""
    rows = [(name, 0, f"-{version}") for name, version in removed]
    rows += [(name, 1, f"+{version}") for name, version in installed]
    return sorted(rows)


def show_environment_changes(
    printer: Printer, removed: list[tuple[str, str]], installed: list[tuple[str, str]]
) -> None:
    """`` - name==old`` and `` + name==new`` lines."""
    for name, _, signed in environment_changes(removed, installed):
        sign, version = signed[0], signed[1:]
        mark = printer.red("-") if sign == "-" else printer.green("+")
        printer.info(f" {mark} {printer.bold(name)}=={version}")


def environment_json(removed: list[tuple[str, str]], installed: list[tuple[str, str]]) -> dict[str, object]:
    """``installed``, ``removed`` (``{"name", "version"}`` sorted by name) and ``updated`` (a package
    whose version changed: ``{"name", "old", "new"}``)."""
    old = dict(removed)
    new = dict(installed)
    return {
        "installed": [{"name": n, "version": v} for n, v in sorted(installed)],
        "removed": [{"name": n, "version": v} for n, v in sorted(removed)],
        "updated": [{"name": n, "old": old[n], "new": new[n]} for n in sorted(set(old) & set(new))],
    }
