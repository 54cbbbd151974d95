"""Verify a file's PEP 740 provenance object with pypi-attestations (offline) and name its publishers.

pypi-attestations (the ``provenance`` extra) pulls in sigstore, cryptography and pydantic, ~0.3 s to
import: it is imported only when a file to lock comes with provenance, never at start-up. Verification
is offline: sigstore-python ships Sigstore's public-good trusted root (a newer one, when a sigstore
client on this machine fetched it, is read from its cache), so no Sigstore or TUF server is reached.
The attestations are checked against the file's name and the sha256 its index gave: the same digest
the lock records and every install checks, so the file itself need not be downloaded.
"""

from __future__ import annotations

from typing import Any

from bale.errors import BaleError

__all__ = ["VerifierMissing", "load_verifier", "verifier_available", "verify_provenance"]


class VerifierMissing(Exception):
    """pypi-attestations cannot be imported (bale was installed without its ``provenance`` extra)."""


def verifier_available() -> bool:
    """Whether pypi-attestations can be found, without importing it (a path lookup, ~1 ms)."""
    from importlib.util import find_spec

    try:
        return find_spec("pypi_attestations") is not None
    except (ImportError, ValueError):
        return False


def load_verifier() -> None:
    """Import pypi-attestations (and sigstore, ~0.3 s), or raise ``VerifierMissing``."""
    try:
        import logging

        # "TUF repository is loaded in offline mode" on every verification: offline is the point here.
        logging.getLogger("sigstore").setLevel(logging.ERROR)
        import pypi_attestations  # noqa: F401
    except ImportError as err:
        raise VerifierMissing(str(err)) from err


def verify_provenance(
    body: bytes, *, filename: str, sha256: str, url: str, label: str
) -> tuple[dict[str, Any], ...]:
    """The publisher identities of ``filename`` (a file of ``label``: "name version") after every
    attestation in ``body`` (the provenance object fetched from ``url``) verified for that file name
    and ``sha256``.

    Raises ``VerifierMissing`` when pypi-attestations is not installed, and ``BaleError`` naming the
    file and the provenance URL when the object is malformed, holds no attestation, or any attestation
    fails (a bad signature, a certificate not from the publisher named, another file's statement).
    """
    load_verifier()
    from pypi_attestations import Distribution, Provenance

    def refused(what: str, *, context: tuple[str, ...] = ()) -> BaleError:
        return BaleError(
            f"Cannot lock {label}: the provenance of {filename} does not verify: {what}",
            context=[f"provenance: {url}", f"sha256 of the file: {sha256}", *context],
            hint="the index serves attestations that do not match this file; it may have been tampered "
            "with: do not install it, and tell the index's maintainers",
        )

    try:
        provenance = Provenance.model_validate_json(body)
    except ValueError as err:  # pydantic's ValidationError is a ValueError
        raise refused(
            f"it is not a PEP 740 provenance object ({_first_line(err)})",
            context=("a publisher of a kind this pypi-attestations does not know needs a newer one",),
        ) from None
    try:
        distribution = Distribution(name=filename, digest=sha256)
    except ValueError as err:
        raise refused(f"its file name cannot be attested ({_first_line(err)})") from None
    if not provenance.attestation_bundles:
        raise refused("it holds no attestation bundle")
    identities: list[dict[str, Any]] = []
    for bundle in provenance.attestation_bundles:
        identity = _identity(bundle.publisher)
        if not bundle.attestations:
            raise refused("an attestation bundle holds no attestation")
        for attestation in bundle.attestations:
            try:
                attestation.verify(bundle.publisher, distribution, offline=True)
            except Exception as err:
                # Whatever fails inside sigstore (a bad signature, an unreadable certificate, a wrong
                # subject) means the same to a user: this file cannot be shown to come from its publisher.
                from bale.lock.provenance import describe_identity

                publisher = describe_identity(identity)
                raise refused(_first_line(err), context=(f"publisher named: {publisher}",)) from None
        identities.append(identity)
    return tuple(identities)


def _identity(publisher: Any) -> dict[str, Any]:
    """The publisher as PEP 751 records it: ``kind`` and the publisher's own fields."""
    dumped = publisher.model_dump(mode="json")
    return {str(key): value for key, value in dumped.items() if value is not None}


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
