"""Version control sources as values: the ``VcsInfo`` of a checked-out commit and ``git+`` URL parsing."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

from bale.model.record import record

GIT_PREFIX = "git+"
# The transports bale checks out through the git binary (``git+git://`` too: git speaks it itself).
GIT_SCHEMES = ("https", "http", "file", "ssh", "git")


@record(frozen=True, slots=True)
class VcsInfo:
    """Where a distribution installed from git comes from: what was asked and what was checked out.

    ``url`` is the repository URL without ``git+``, without revision and fragment, credentials as the
    user wrote them (git needs them to fetch; write ``public_url`` to files, never ``url``).
    ``requested_revision`` is the tag, branch or commit the user named (None: the default branch);
    ``commit_id`` the full 40-hex commit it resolved to; ``subdirectory`` the project's folder inside
    the repository (``#subdirectory=``), None for the repository's root.
    """

    url: str
    requested_revision: str | None
    commit_id: str
    subdirectory: str | None

    @property
    def public_url(self) -> str:
        """``url`` with credentials removed (an ssh user name such as ``git@`` stays): PEP 610's rule."""
        return strip_credentials(self.url)

    def pinned_url(self, *, public: bool = True) -> str:
        """``git+URL@COMMIT`` (with ``#subdirectory=``): a requirement URL that always means this tree."""
        url = self.public_url if public else self.url
        text = f"{GIT_PREFIX}{url}@{self.commit_id}"
        return f"{text}#subdirectory={self.subdirectory}" if self.subdirectory else text

    def direct_url(self) -> dict[str, object]:
        """The PEP 610 ``direct_url.json`` content for this commit."""
        vcs_info: dict[str, object] = {"vcs": "git", "commit_id": self.commit_id}
        if self.requested_revision is not None:
            vcs_info["requested_revision"] = self.requested_revision
        data: dict[str, object] = {"url": self.public_url, "vcs_info": vcs_info}
        if self.subdirectory:
            data["subdirectory"] = self.subdirectory
        return data


@record(frozen=True, slots=True)
class GitRequest:
    """A ``git+URL[@rev][#subdirectory=...]`` requirement URL taken apart (nothing resolved yet)."""

    url: str  # without ``git+``, revision and fragment
    revision: str | None
    subdirectory: str | None


def is_vcs_url(url: str) -> bool:
    """Whether ``url`` names a version control repository (``git+``, ``hg+``, ``svn+``, ``bzr+``)."""
    return url.startswith(("git+", "hg+", "svn+", "bzr+"))


def parse_git_url(text: str) -> GitRequest:
    """Split ``git+URL[@rev][#subdirectory=dir&egg=name]``; ValueError when it is not one.

    The revision is whatever follows the last ``@`` of the URL's path (so ``ssh://git@host/...`` keeps
    its user, and ``@feature/x`` its slash); ``egg=`` is ignored: the name comes from the metadata.
    """
    if not text.startswith(GIT_PREFIX):
        raise ValueError(f"not a git+ URL: {text}")
    rest = text[len(GIT_PREFIX) :]
    parts = urlsplit(rest)
    if parts.scheme not in GIT_SCHEMES or (not parts.netloc and parts.scheme != "file"):
        raise ValueError(f"unsupported git URL {rest!r} (use git+https://, git+ssh://, git+file://)")
    path, at, revision = parts.path.rpartition("@")
    if not at:
        path, revision = parts.path, ""
    subdirectory: str | None = None
    for item in parts.fragment.split("&"):
        key, _, value = item.partition("=")
        if key == "subdirectory" and value:
            subdirectory = unquote(value).strip("/") or None
    if subdirectory is not None and (
        subdirectory.startswith("/") or ".." in subdirectory.replace("\\", "/").split("/")
    ):
        raise ValueError(f"subdirectory {subdirectory!r} must be a relative path inside the repository")
    url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return GitRequest(url, unquote(revision) or None, subdirectory)


def strip_credentials(url: str) -> str:
    """``url`` without ``user:password@`` (a lone ssh user name, such as ``git@``, is kept)."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url
    if parts.scheme == "ssh" and ":" not in userinfo:
        return url
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def direct_reference(direct_url: Mapping[str, object]) -> str | None:
    """``git+URL@COMMIT[#subdirectory=...]`` from an installed ``direct_url.json`` with ``vcs_info``
    (what ``VcsInfo.pinned_url`` gave when it was installed); None for any other kind."""
    info = direct_url.get("vcs_info")
    url = direct_url.get("url")
    if not isinstance(info, Mapping) or not isinstance(url, str) or info.get("vcs") != "git":
        return None
    commit = info.get("commit_id")
    if not isinstance(commit, str):
        return None
    subdirectory = direct_url.get("subdirectory")
    text = f"{GIT_PREFIX}{url}@{commit}"
    return f"{text}#subdirectory={subdirectory}" if isinstance(subdirectory, str) and subdirectory else text
