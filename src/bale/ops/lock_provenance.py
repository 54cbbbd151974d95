"""PEP 740 provenance of a lock's files: verified before the lock is written, publishers recorded in it,
and changes from the previous lock shown as warnings.

Cost: nothing when no locked file has provenance. Otherwise one fetch per locked file (in parallel,
never per candidate), the pypi-attestations import (~0.3 s) and ~2 ms of verification per attestation;
a file verified once is answered from the cache (``index.provenance``) without either.

The policy key ``require-provenance`` (and ``BALE_REQUIRE_PROVENANCE=name1,name2``, for a run without a
policy file) refuses a lock in which a file of one of these packages has no verified provenance.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bale.errors import BaleError

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from bale.context import Context
    from bale.lock.provenance import FileProvenance
    from bale.lock.pylock import LockedPackage
    from bale.model.dists import IndexFile
    from bale.ops.resolve import UniversallyResolved
    from bale.policy.model import Policy
    from bale.report import Reporter

__all__ = [
    "attest_packages",
    "memo_key",
    "required_from_environment",
    "required_provenance",
    "warn_identity_changes",
]

REQUIRE_VARIABLE = "BALE_REQUIRE_PROVENANCE"
_NO_VERIFIER = (
    "pypi-attestations is not installed: the provenance (PEP 740) of {count} could not be verified, "
    "and the lock records no publisher for {them}; install bale with its `provenance` extra "
    "(`pip install 'bale[provenance]'`)"
)
_OFFLINE = (
    "offline: the provenance (PEP 740) of {count} was not fetched, and the lock records no publisher "
    "for {them}; lock again online to verify it"
)


def required_from_environment() -> frozenset[NormalizedName]:
    """The packages ``BALE_REQUIRE_PROVENANCE`` names (comma- or space-separated)."""
    from bale.lock.provenance import parse_required

    return parse_required(os.environ.get(REQUIRE_VARIABLE, ""))


def required_provenance(policy: Policy | None) -> frozenset[NormalizedName]:
    """What must carry verified provenance: the policy's ``require-provenance`` and
    ``BALE_REQUIRE_PROVENANCE`` together (either can only add names)."""
    required = required_from_environment()
    return required | policy.require_provenance if policy is not None else required


def memo_key(ctx: Context, required: Collection[NormalizedName]) -> list[Any]:
    """What the resolution memo must key on besides the pages: a lock made without the verifier,
    offline, or without a requirement, is not the answer once one of them changes."""
    from bale.dist.provenance import verifier_available

    return [sorted(required), verifier_available(), ctx.offline]


def attest_packages(
    ctx: Context,
    resolved: UniversallyResolved,
    packages: Sequence[LockedPackage],
    required: Collection[NormalizedName] = frozenset(),
) -> list[LockedPackage]:
    """``packages`` with the publishers of their index files' verified provenance recorded.

    Raises ``BaleError`` naming the file when a provenance object fails to verify, or when a file of a
    package in ``required`` has none (see ``lock.provenance.check_required_provenance``). Without
    pypi-attestations installed, warns once and records nothing (an error for a required package).
    """
    from bale.lock.provenance import FileProvenance, check_required_provenance
    from bale.model.names import normalize

    located: list[tuple[LockedPackage, list[IndexFile]]] = []
    for package in packages:
        name = normalize(package.name)
        # The digests the lock records: those the index gave, or (a find-links folder) computed for it.
        wanted = {wheel.filename: wheel.hashes for wheel in package.wheels}
        if package.sdist is not None:
            wanted[package.sdist.filename] = package.sdist.hashes
        chosen: dict[str, IndexFile] = {}
        # A direct reference has no index files: asking the provider would fetch its name's page.
        for file in resolved.provider.files(name) if wanted else ():
            if file.version == package.version and file.filename in wanted and file.filename not in chosen:
                chosen[file.filename] = replace(file, hashes={**file.hashes, **wanted[file.filename]})
        located.append((package, [chosen[filename] for filename in sorted(chosen)]))

    attested = [file for _, files in located for file in files if file.provenance and "sha256" in file.hashes]
    verified, unverified = _verify(ctx, attested)

    result: list[LockedPackage] = []
    records: list[FileProvenance] = []
    for package, files in located:
        name = normalize(package.name)
        label = f"{name} {package.version}" if package.version is not None else str(name)
        identities: list[dict[str, Any]] = []
        if package.direct is not None:
            reason = "a direct reference (path, URL or repository) has no index provenance"
            records.append(FileProvenance(name, label, _direct_label(package), (), reason))
        for file in files:
            found = verified.get(file.filename, ())
            identities.extend(found)
            reason = ""
            if not found:
                reason = unverified.get(file.filename, "its index serves no provenance (PEP 740) for it")
            records.append(FileProvenance(name, label, file.filename, tuple(found), reason))
        result.append(replace(package, attestation_identities=tuple(identities)) if identities else package)
    check_required_provenance(frozenset(required), records)
    return result


def _direct_label(package: LockedPackage) -> str:
    direct = package.direct
    return str(getattr(direct, "url", None) or getattr(direct, "path", None) or package.name)


def _verify(
    ctx: Context, files: Sequence[IndexFile]
) -> tuple[dict[str, tuple[dict[str, Any], ...]], dict[str, str]]:
    """Identities by file name for the files that verified (from the cache or now), and why the others
    were left unverified (pypi-attestations is missing, or the run is offline: one warning says so).
    A file whose provenance fails raises."""
    from bale.dist.provenance import VerifierMissing, load_verifier, verify_provenance
    from bale.index.provenance import cached_identities, fetch_provenance, store_identities

    verified: dict[str, tuple[dict[str, Any], ...]] = {}
    pending: list[IndexFile] = []
    for file in files:
        cached = cached_identities(ctx.cache, file)
        if cached is not None:
            verified[file.filename] = cached
        else:
            pending.append(file)
    if not pending:
        return verified, {}
    count = f"{len(pending)} file" + ("s" if len(pending) > 1 else "")
    them = "it" if len(pending) == 1 else "them"
    if ctx.offline:
        ctx.reporter.warn(_OFFLINE.format(count=count, them=them))
        return verified, {f.filename: "bale ran offline, so its provenance was not fetched" for f in pending}
    try:
        load_verifier()  # before fetching: without it, the fetches are wasted
    except VerifierMissing:
        ctx.reporter.warn(_NO_VERIFIER.format(count=count, them=them))
        reason = "pypi-attestations is not installed, so its provenance could not be verified"
        return verified, {f.filename: reason for f in pending}
    ctx.reporter.debug(f"fetching the provenance of {len(pending)} file(s)")
    bodies = fetch_provenance(ctx.http, pending)
    for file in pending:
        body = bodies[file.filename]
        assert file.provenance is not None
        identities = verify_provenance(
            body,
            filename=file.filename,
            sha256=file.hashes["sha256"],
            url=file.provenance,
            label=f"{file.name} {file.version}",
        )
        verified[file.filename] = identities
        store_identities(ctx.cache, file, body, identities)
    return verified, {}


def warn_identity_changes(reporter: Reporter, previous: str | None, text: str, *, source: str) -> None:
    """Warn about each package whose publishers differ between the lock's ``previous`` text and its new
    ``text`` (changed, or attestations lost). Nothing to compare without a readable previous lock."""
    if previous is None or "attestation-identities" not in previous:
        return  # the common case, at the cost of a substring search: no lock parsed twice
    from bale.lock.provenance import identity_changes, lock_identities
    from bale.lock.pylock import read_pylock
    from bale.model.names import normalize

    try:
        old = read_pylock(previous, source=source)
        new = read_pylock(text, source=source)
    except BaleError:
        return  # an unreadable previous lock says nothing about who published what
    locked = {normalize(package.name) for package in new.packages}
    for change in identity_changes(lock_identities(old), lock_identities(new), locked):
        reporter.warn(change.message)
