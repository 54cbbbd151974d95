"""Where the policy in force comes from: ``--policy``, ``BALE_POLICY`` or a bale.toml's ``policy`` key (a
path or an http(s) URL), then the project's ``[tool.bale.policy]``; read and layered once per process."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bale.errors import BaleError
from bale.model.record import record

if TYPE_CHECKING:
    from bale.http.client import HttpClient
    from bale.policy.model import Layer, Policy

__all__ = ["PolicySource", "load_policy", "organisation_source", "project_layer", "read_policy_file"]

PROJECT_TABLE = ("tool", "bale", "policy")


@record(frozen=True, slots=True)
class PolicySource:
    """An organisation policy's location (a path made absolute, or a URL) and who named it."""

    location: str
    given_by: str

    @property
    def is_url(self) -> bool:
        return self.location.startswith(("http://", "https://"))


def organisation_source(option: str | None) -> PolicySource | None:
    """``--policy`` > ``BALE_POLICY`` > the ``policy`` key of the bale.toml files in force (a
    relative path there is relative to that file's folder)."""
    if option:
        return PolicySource(_absolute(option, Path.cwd()), "--policy")
    env = os.environ.get("BALE_POLICY", "").strip()
    if env:
        return PolicySource(_absolute(env, Path.cwd()), "BALE_POLICY")
    from bale.project.config_files import config_files

    for file in config_files():
        value = file.values.get("policy")
        if isinstance(value, str) and value.strip():
            return PolicySource(_absolute(value.strip(), file.path.parent), file.label)
    return None


def _absolute(location: str, folder: Path) -> str:
    if location.startswith(("http://", "https://")):
        return location
    if "://" in location and not location.startswith("file://"):
        raise BaleError(
            f"The policy location {location!r} is neither a file path nor an http(s) URL",
            hint="give --policy a path (./policy.toml) or a URL (https://example.com/policy.toml)",
        )
    path = Path(location.removeprefix("file://")).expanduser()
    return str(path if path.is_absolute() else (folder / path).resolve())


def read_policy_file(source: PolicySource, http: Callable[[], HttpClient]) -> Layer:
    """The organisation's layer: the file's top-level keys; its syntax errors name the line."""
    if source.is_url:
        # Through the HTTP cache (RFC 9111): a policy served with max-age costs no round trip per
        # command, and --offline reads the copy kept.
        response = http().get(source.location, cache=True, missing_ok=True)
        if not response.ok:
            raise BaleError(
                f"Could not read the policy {source.location} (named by {source.given_by}): "
                f"HTTP {response.status}"
            )
        try:
            text = response.body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise BaleError(f"The policy {source.location} is not UTF-8 text") from err
        data = _parse(text, source.location)
    else:
        path = Path(source.location)
        if not path.is_file():
            raise BaleError(
                f"The policy file {path} (named by {source.given_by}) does not exist",
                hint="fix the path, or unset it to run without an organisation policy",
            )
        from bale.project.inputs import load_toml, read_utf8

        data = load_toml(path)
        text = read_utf8(path)
    from bale.policy.model import layer_from_table

    return layer_from_table(data, file=source.location, text=text, label="organisation")


def _parse(text: str, where: str) -> dict[str, Any]:
    # Imported here: most runs have no policy file, and every install looks for one.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as err:
        raise BaleError(f"{where}: invalid TOML: {err}") from err


def project_layer(pyproject: Path) -> Layer | None:
    """The ``[tool.bale.policy]`` table of ``pyproject``, or None when it has none."""
    if not pyproject.is_file():
        return None
    from bale.project.inputs import load_toml, read_utf8

    data = load_toml(pyproject)
    tool = data.get("tool")
    bale = tool.get("bale") if isinstance(tool, dict) else None
    table = bale.get("policy") if isinstance(bale, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise BaleError(f"Invalid policy in {pyproject}: tool.bale.policy: expected a table")
    from bale.policy.model import layer_from_table

    text = read_utf8(pyproject)
    return layer_from_table(table, file=str(pyproject), text=text, label="project", where=PROJECT_TABLE)


_cache: dict[tuple[str | None, str | None], Policy | None] = {}


def load_policy(option: str | None, project: Path | None, http: Callable[[], HttpClient]) -> Policy | None:
    """The policy in force: the organisation's (see ``organisation_source``) under ``project``'s
    pyproject.toml ``[tool.bale.policy]`` (``project`` None: none, as in the pip interface); None
    when neither exists, decided without importing the rules."""
    source = organisation_source(option)
    key = (source.location if source else None, str(project) if project else None)
    if key not in _cache:
        organisation = read_policy_file(source, http) if source is not None else None
        mine = project_layer(project) if project is not None else None
        if organisation is None and mine is None:
            _cache[key] = None
        else:
            from bale.policy.model import layered

            _cache[key] = layered(organisation, mine)
    return _cache[key]
