"""A project version bumped (``--bump minor``), and pyproject.toml's ``[project] version`` rewritten."""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import Version

from bale.errors import BaleError

__all__ = ["ORDER", "bump_version", "set_version_text"]

# Applied in this order whatever order they were given in (as uv): release parts, then stable, then
# the pre-release kinds, then post and dev, so `--bump beta --bump minor` is 1.2.3 -> 1.3.0b1.
ORDER = ("major", "minor", "patch", "stable", "alpha", "beta", "rc", "post", "dev")
_PRE = {"alpha": "a", "beta": "b", "rc": "rc"}
_KINDS = ("a", "b", "rc")  # the pre-release kinds, lowest first


def bump_version(version: Version, bumps: Sequence[str]) -> Version:
    """``version`` with each part of ``bumps`` bumped; an error when the result would not be newer
    (``--bump alpha`` on 1.2.3 would give 1.2.3a1, which comes before it)."""
    release = list(version.release)
    pre: tuple[str, int] | None = version.pre
    post, dev = version.post, version.dev
    for part in sorted(set(bumps), key=ORDER.index):
        if part in ("major", "minor", "patch"):
            index = ("major", "minor", "patch").index(part)
            release += [0] * (index + 1 - len(release))
            release = [*release[:index], release[index] + 1, *[0] * (len(release) - index - 1)]
            pre = post = dev = None
        elif part == "stable":
            pre = post = dev = None
        elif part in _PRE:
            letter = _PRE[part]
            if pre is not None and pre[0] == letter:
                pre = (letter, pre[1] + 1)
            elif pre is not None and _KINDS.index(pre[0]) > _KINDS.index(letter):
                raise BaleError(
                    f"Cannot bump {version} to {part}: {pre[0]}{pre[1]} comes after {letter}",
                    hint="bump a release part too: --bump patch --bump " + part,
                )
            else:
                pre = (letter, 1)
            post = dev = None
        elif part == "post":
            post, dev = (post or 0) + 1, None
        elif part == "dev":
            dev = (dev or 0) + 1
    text = ".".join(str(number) for number in release)
    if version.epoch:
        text = f"{version.epoch}!{text}"
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    if version.local:
        text += f"+{version.local}"
    bumped = Version(text)
    if bumped <= version:
        raise BaleError(
            f"Bumping {version} with --bump {' --bump '.join(bumps)} gives {bumped}, which is not newer",
            hint="bump a release part first, for example --bump patch --bump " + bumps[-1],
        )
    return bumped


def set_version_text(text: str, where: str, version: str) -> str:
    """``text`` (a pyproject.toml) with ``[project] version`` set to ``version``, the rest byte for byte."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        document = tomlkit.parse(text)
    except ParseError as err:
        raise BaleError(f"{where}: invalid TOML: {err}") from err
    project = document.get("project")
    if project is None or "version" not in project:
        raise BaleError(f"{where} has no [project] version to set")
    project["version"] = version
    return document.as_string()
