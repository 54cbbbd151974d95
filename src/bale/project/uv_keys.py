"""The keys of uv's ``[tool.uv]`` table: those bale refuses to ignore, and close matches for typos.

The lists are uv 0.13's (its own "expected one of" lists). A key bale knows under ``[tool.bale]`` by the
same name has the same meaning in both tables and is read from ``[tool.uv]`` where ``[tool.bale]`` is
absent; any other uv key is ignored with a warning, except the few below whose absence would send the
resolver to another index than the project names (dependency confusion): those are errors.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["INDEX_KEYS", "REFUSED", "SOURCE_KEYS", "TOP_LEVEL_KEYS", "closest"]

TOP_LEVEL_KEYS = (
    "required-version", "system-certs", "native-tls", "offline", "no-cache", "cache-dir", "preview",
    "preview-features", "python-preference", "python-downloads", "concurrent-downloads",
    "concurrent-builds", "concurrent-installs", "index", "index-url", "extra-index-url", "no-index",
    "find-links", "index-strategy", "keyring-provider", "http-proxy", "https-proxy", "no-proxy",
    "allow-insecure-host", "resolution", "prerelease", "prerelease-package", "fork-strategy",
    "dependency-metadata", "config-settings", "config-settings-package", "no-build-isolation",
    "require-build-hashes", "no-build-isolation-package", "extra-build-dependencies",
    "extra-build-variables", "exclude-newer", "exclude-newer-package", "link-mode", "compile-bytecode",
    "no-sources", "no-sources-package", "upgrade", "upgrade-package", "reinstall", "reinstall-package",
    "no-build", "no-build-package", "no-binary", "no-binary-package", "torch-backend",
    "python-install-mirror", "pypy-install-mirror", "graalpy-install-mirror", "pyodide-install-mirror",
    "python-downloads-json-url", "publish-url", "trusted-publishing", "check-url", "add-bounds", "audit",
    "pip", "cache-keys", "override-dependencies", "exclude-dependencies", "constraint-dependencies",
    "build-constraint-dependencies", "environments", "required-environments", "minimum-libc-version",
    "conflicts", "workspace", "sources", "managed", "package", "default-groups", "dependency-groups",
    "dev-dependencies", "build-backend",
)  # fmt: skip

INDEX_KEYS = (
    "name", "url", "explicit", "default", "format", "authenticate", "ignore-error-codes", "cache-control",
    "publish-url",
)  # fmt: skip

SOURCE_KEYS = (
    "git", "subdirectory", "rev", "tag", "branch", "lfs", "url", "path", "editable", "package", "index",
    "workspace", "marker", "extra", "group",
)  # fmt: skip

# Keys whose setting changes where packages come from, with what to do instead. Set to a false or
# empty value they change nothing, and are ignored like any other.
REFUSED = {
    "index-url": "move it to [[tool.uv.index]] with `default = true`, which bale reads",
    "extra-index-url": "move each URL to a [[tool.uv.index]] entry, which bale reads",
    "find-links": "pass --find-links on the command line, or serve the files as an index",
    "no-index": "pass --no-index on the command line",
    "no-sources": "bale always applies [tool.uv.sources]: remove the sources bale should not use",
    "no-sources-package": "bale always applies [tool.uv.sources]: remove the sources bale should not use",
}


def closest(key: str, choices: Iterable[str]) -> str | None:
    """The choice ``key`` most likely misspells, if one is close enough (difflib's ratio >= 0.6)."""
    import difflib

    matches = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None
