"""Hash checks of the distribution pipeline: which artifacts need a hash, and whether bytes match it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from bale.model.record import record
from pathlib import Path

from bale.errors import BaleError, HashMismatchError
from bale.model.artifact import AllowedHashes, Artifact
from bale.model.hashes import STRONG_ALGORITHMS, parse_hash
from bale.model.requirement import RequirementSpec


def hash_options(spec: RequirementSpec) -> dict[str, frozenset[str]]:
    """The digests a requirement's ``--hash`` options allow, by algorithm."""
    allowed: dict[str, set[str]] = {}
    for text in spec.hashes:
        algorithm, digest = parse_hash(text)
        allowed.setdefault(algorithm, set()).add(digest)
    return {algorithm: frozenset(values) for algorithm, values in allowed.items()}


def matches_hashes(file_hashes: Mapping[str, str], allowed: AllowedHashes) -> bool | None:
    """True/False when the index's hashes decide it, None when the index gave none we can compare."""
    known = False
    for algorithm, digests in allowed.items():
        value = file_hashes.get(algorithm)
        if value is not None:
            known = True
            if value.lower() in digests:
                return True
    return False if known else None


def needed_algorithms(allowed: AllowedHashes) -> list[str]:
    """The algorithms a download must be hashed with to check ``allowed`` (sha256 always is)."""
    return [a for a in allowed if a in STRONG_ALGORITHMS]


def check_digests(
    allowed: AllowedHashes,
    digests: Mapping[str, str],
    what: str,
    source: str,
    *,
    outcome: str = "nothing was installed",
) -> None:
    """The file ``what`` (from ``source``) with these ``digests`` must match one of the ``allowed``
    ones (no-op when nothing is allowed-listed). Raises ``HashMismatchError``, whose hint ends with
    ``outcome``."""
    if not allowed:
        return
    for algorithm, values in allowed.items():
        if digests.get(algorithm) in values:
            return
    algorithm = next(iter(allowed))
    raise HashMismatchError(
        f"Hash mismatch for {what}",
        context=[
            *(f"expected {a}:{d}" for a in allowed for d in sorted(allowed[a])),
            f"got      {algorithm}:{digests.get(algorithm, '(not computed)')}",
            f"from {source}",
        ],
        hint=f"the file differs from the one the requirements were written for; {outcome}",
    )


def check_index_hashes(
    filename: str, hashes: Mapping[str, str], digests: Mapping[str, str], path: Path
) -> None:
    """The digests of the local file ``path`` agree with the ones the index gave for ``filename``."""
    for algorithm, digest in hashes.items():
        if algorithm in digests and digests[algorithm] != digest.lower():
            raise HashMismatchError(
                f"Hash mismatch for {filename}: the index says {algorithm}:{digest}, "
                f"the file has {algorithm}:{digests[algorithm]}",
                context=[f"file: {path}"],
            )


@record(frozen=True, slots=True)
class HashPolicy:
    """What the pipeline demands of hashes, for the whole graph of one run.

    ``required`` is hash-checking mode (pip's ``--require-hashes``, on by itself as soon as one
    requirement carries ``--hash``): every artifact, dependencies included, must come with the
    digests it may have, or nothing is fetched. ``reason`` says why the mode is on, for messages.
    ``files_only`` exempts what has no file to hash (source trees, git commits), as a lock file
    records no hash for them (PEP 751). ``hint`` tells how to fix a refusal (default: pip's way).
    Whatever the mode, an artifact that has allowed digests is checked against them.
    """

    required: bool = False
    reason: str = ""
    files_only: bool = False
    hint: str = (
        "pin every package, dependencies included, with == and --hash in the requirements "
        "(bale pip compile --generate-hashes writes them; a hash shown above is the index's, check "
        "it before trusting it); nothing was installed"
    )

    def admit(self, artifacts: Iterable[Artifact]) -> None:
        """Refuse, before anything is downloaded, the artifacts hash-checking mode cannot check: all of
        them at once, each with the index's hash when it gave one (as pip lists the lines to add)."""
        if not self.required:
            return
        missing: list[str] = []
        for artifact in artifacts:
            if needed_algorithms(artifact.allowed_hashes):
                continue
            if self.files_only and (artifact.is_tree or artifact.vcs is not None):
                continue
            line = artifact.label
            sha256 = artifact.file.hashes.get("sha256")
            if sha256:
                line += f" --hash=sha256:{sha256.lower()}"
            if artifact.allowed_hashes:
                line += f"  (only {', '.join(sorted(artifact.allowed_hashes))}: too weak to check)"
            elif not artifact.requested:
                line += "  (a dependency the requirements do not list)"
            missing.append(line)
        if not missing:
            return
        raise BaleError(
            "Hashes are required in hash-checking mode, but these packages have none:",
            context=[
                *missing,
                f"(hash-checking mode is on because {self.reason or '--require-hashes is set'})",
            ],
            hint=self.hint,
        )

    def check(self, artifact: Artifact, digests: Mapping[str, str], what: str = "", source: str = "") -> None:
        """The downloaded or built-from file with ``digests`` matches the artifact's allowed digests."""
        check_digests(
            artifact.allowed_hashes,
            digests,
            what or f"{artifact.file.filename} ({artifact.label})",
            source or artifact.file.source or artifact.url,
        )


NO_HASH_POLICY = HashPolicy()
LOCK_HASH_POLICY = HashPolicy(
    required=True,
    reason="the packages come from a lock file",
    files_only=True,
    hint="run `bale lock` to write the lock file again, every file with its hash; nothing was installed",
)
