"""Where ``bale.toml`` configuration files are, and the keys they may hold (kind, variable, default).

A bale.toml holds the keys of ``[tool.bale]`` that are not about one project, at its top level (as uv's
uv.toml holds those of ``[tool.uv]``), plus the settings of the pip interface that bale reads from the
environment. Import-free: the replayed start-up path (``cli/replay.py``) keys on these files.
"""

from __future__ import annotations

import os

__all__ = ["CONFIG_NAME", "KEYS", "PROJECT_ONLY", "Key", "candidate_paths"]

CONFIG_NAME = "bale.toml"


def candidate_paths(environ: os._Environ[str] | dict[str, str]) -> tuple[str | None, list[str]]:
    """The user file and the system files, in the order searched (the first system file found is
    the one read, as in uv); an explicit file (``BALE_CONFIG_FILE``) is the caller's business.

    As uv: ``$XDG_CONFIG_HOME/bale`` (else ``~/.config/bale``) and each ``$XDG_CONFIG_DIRS`` entry
    (else ``/etc/xdg``), then ``/etc/bale``; on Windows ``%APPDATA%`` and ``%SYSTEMDRIVE%\\ProgramData``.
    Computed here rather than by platformdirs, whose import costs 22 ms on every start.
    """
    if os.name == "nt":
        appdata = environ.get("APPDATA")
        user = os.path.join(appdata, "bale", CONFIG_NAME) if appdata else None
        drive = environ.get("SYSTEMDRIVE", "C:")
        return user, [os.path.join(drive + os.sep, "ProgramData", "bale", CONFIG_NAME)]
    home = environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(home):
        home = os.path.join(os.path.expanduser("~"), ".config")
    user = os.path.join(home, "bale", CONFIG_NAME) if os.path.isabs(home) else None
    dirs = [d for d in environ.get("XDG_CONFIG_DIRS", "").split(os.pathsep) if os.path.isabs(d)]
    system = [os.path.join(d, "bale", CONFIG_NAME) for d in dirs or ["/etc/xdg"]]
    return user, [*system, os.path.join("/etc", "bale", CONFIG_NAME)]


class Key:
    """One bale.toml key: ``kind`` is string, strings, boolean, table, indexes or requirements;
    ``project``: also read from ``[tool.bale]`` (and merged under it); ``choices``: the values allowed."""

    __slots__ = ("choices", "default", "env", "kind", "name", "option", "project")

    def __init__(
        self,
        name: str,
        kind: str,
        *,
        env: str | None = None,
        option: str | None = None,
        project: bool = False,
        choices: tuple[str, ...] = (),
        default: object = None,
    ) -> None:
        self.name, self.kind, self.env, self.option = name, kind, env, option
        self.project, self.choices, self.default = project, choices, default


_PRERELEASES = ("disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit")

KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("index", "indexes", project=True),
        Key("index-url", "string", env="BALE_INDEX_URL", option="--index-url", default="https://pypi.org/simple"),
        Key("extra-index-url", "strings", env="BALE_EXTRA_INDEX_URL", option="--extra-index-url", default=[]),
        Key("find-links", "strings", env="BALE_FIND_LINKS", option="--find-links", default=[]),
        Key("no-index", "boolean", env="BALE_NO_INDEX", option="--no-index", default=False),
        Key(
            "index-strategy",
            "string",
            env="BALE_INDEX_STRATEGY",
            option="--index-strategy",
            project=True,
            choices=("first-index", "unsafe-first-match", "unsafe-best-match"),
            default="first-index",
        ),
        Key(
            "resolution",
            "string",
            env="BALE_RESOLUTION",
            option="--resolution",
            project=True,
            choices=("highest", "lowest", "lowest-direct"),
            default="highest",
        ),
        Key(
            "prerelease",
            "string",
            env="BALE_PRERELEASE",
            option="--prerelease",
            project=True,
            choices=_PRERELEASES,
            default="if-necessary",
        ),
        Key("prerelease-package", "table", option="--prerelease-package", project=True, default={}),
        Key(
            "fork-strategy",
            "string",
            env="BALE_FORK_STRATEGY",
            option="--fork-strategy",
            project=True,
            choices=("requires-python", "fewest"),
            default="requires-python",
        ),
        Key("exclude-newer", "date", env="BALE_EXCLUDE_NEWER", option="--exclude-newer", project=True),
        Key("exclude-newer-package", "table", option="--exclude-newer-package", project=True, default={}),
        Key("constraint-dependencies", "requirements", project=True, default=[]),
        Key("override-dependencies", "requirements", project=True, default=[]),
        Key("cache-dir", "path", env="BALE_CACHE_DIR", option="--cache-dir"),
        Key("policy", "string", env="BALE_POLICY", option="--policy"),
        Key("no-cache", "boolean", env="BALE_NO_CACHE", option="--no-cache", default=False),
        Key("offline", "boolean", env="BALE_OFFLINE", option="--offline", default=False),
        Key("remote-cache", "string", env="BALE_REMOTE_CACHE", option="--remote-cache", project=True),
        Key(
            "remote-cache-readonly",
            "boolean",
            env="BALE_REMOTE_CACHE_READONLY",
            option="--remote-cache-readonly",
            project=True,
        ),
        Key("remote-cache-wheels", "boolean", env="BALE_REMOTE_CACHE_WHEELS", project=True),
        Key(
            "link-mode",
            "string",
            env="BALE_LINK_MODE",
            option="--link-mode",
            choices=("hardlink", "copy", "symlink"),
            default="hardlink",
        ),
        Key(
            "compile-bytecode",
            "boolean",
            env="BALE_COMPILE_BYTECODE",
            option="--compile-bytecode",
            default=False,
        ),
        Key(
            "no-build-isolation",
            "boolean",
            env="BALE_NO_BUILD_ISOLATION",
            option="--no-build-isolation",
            default=False,
        ),
    )
}  # fmt: skip

# Keys of [tool.bale] that describe one project (its sources, members, groups): as in uv's uv.toml,
# a bale.toml that sets one is an error rather than a setting silently applied to every project.
PROJECT_ONLY = ("sources", "workspace", "dev-dependencies", "default-groups", "package", "environments")
