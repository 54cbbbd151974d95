"""A distribution chosen for installation (``Artifact``), and its wheel in the cache (``Prepared``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from packaging.version import Version

from bale.model.dists import FileKind, IndexFile
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.vcs import VcsInfo

AllowedHashes = Mapping[str, frozenset[str]]
"""Digests a file may have, by algorithm (``--hash`` options, or a lock file's hashes)."""


@record(frozen=True)
class Artifact:
    """A distribution chosen for installation and where to get it.

    ``file`` carries the index's facts (URL, hashes); its kind is SDIST for an sdist and for a source
    tree (``is_tree``, whose ``file.url`` is the folder's ``file://`` URL), which are built first.
    ``direct`` is set when the user named the file by path or URL (PEP 610 ``direct_url.json`` is
    then written). ``allowed_hashes`` are the digests from ``--hash`` options (``algo -> {digest}``),
    checked after download. ``editable`` (trees only) installs through PEP 660. ``vcs`` is set for a
    git checkout (then ``file.url`` is the pinned ``git+URL@COMMIT``, and the build is keyed by commit).
    ``subdirectory`` (source archives only) names the project's folder inside the archive.
    """

    name: NormalizedName
    version: Version
    file: IndexFile
    direct: bool
    requested: bool
    allowed_hashes: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, hash=False)
    warning: str | None = None
    is_tree: bool = False
    editable: bool = False
    vcs: VcsInfo | None = None
    subdirectory: str | None = None

    @property
    def is_source(self) -> bool:
        """Whether this must be built into a wheel before it is installed."""
        return self.file.kind is FileKind.SDIST

    @property
    def url(self) -> str:
        return self.file.url

    @property
    def label(self) -> str:
        """``name==version``, as messages name the artifact."""
        return f"{self.name}=={self.version}"

    @property
    def direct_url(self) -> str | None:
        if self.vcs is not None:
            # What an installed copy's direct_url.json gives back (credentials removed), so a
            # reinstall of the same commit is seen as a no-op.
            return self.vcs.pinned_url()
        if not self.direct:
            return None
        # As ``install._present_url`` reads it back from direct_url.json: another folder of the same
        # archive is another install.
        return f"{self.file.url}#subdirectory={self.subdirectory}" if self.subdirectory else self.file.url

    def direct_url_json(self, sha256: str) -> str | None:
        """PEP 610 ``direct_url.json``: ``vcs_info`` for a git checkout, ``dir_info`` for a source
        tree, else the archive's sha256."""
        if not self.direct:
            return None
        if self.vcs is not None:
            return json.dumps(self.vcs.direct_url(), separators=(",", ":"), sort_keys=True)
        data: dict[str, object] = {"url": self.file.url}
        if self.is_tree:
            data["dir_info"] = {"editable": True} if self.editable else {}
        else:
            data["archive_info"] = {"hashes": {"sha256": sha256}}
            if self.subdirectory:
                data["subdirectory"] = self.subdirectory
        return json.dumps(data, separators=(",", ":"), sort_keys=True)


@record(frozen=True, slots=True)
class Prepared:
    """An artifact's wheel, checked and unpacked in the cache, ready to link into an environment."""

    artifact: Artifact
    tree: Path  # the unpacked wheel in the cache
    sha256: str  # the downloaded file's (an sdist's, for a build), as direct_url.json records it
    from_cache: bool


def vcs_label(vcs: VcsInfo) -> str:
    """How messages name a commit: the repository's last path segment and a short commit id."""
    name = vcs.public_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or vcs.public_url
    where = f"/{vcs.subdirectory}" if vcs.subdirectory else ""
    return f"{name}{where}@{vcs.commit_id[:12]}"


def vcs_artifact(name: NormalizedName, version: Version, vcs: VcsInfo, *, requested: bool = True) -> Artifact:
    """The artifact of a commit already resolved (a lock file's ``[packages.vcs]``): nothing is run now;
    preparing it checks out and builds the commit, or finds its wheel in the cache."""
    file = IndexFile(
        filename=vcs_label(vcs),
        url=vcs.pinned_url(public=False),
        name=name,
        version=version,
        kind=FileKind.SDIST,
        source=vcs.pinned_url(),
    )
    return Artifact(name, version, file, direct=True, requested=requested, vcs=vcs)
