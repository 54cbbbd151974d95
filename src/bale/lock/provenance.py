"""Publisher identities (PEP 740 attestations, PEP 751 ``attestation-identities``) compared between locks.

An identity is a table with a ``kind`` ("GitHub", "GitLab", "Google", "CircleCI") and the publisher's
fields as PyPI's integrity API gives them (``repository``, ``workflow``, ``environment``...). Everything
here is pure: the caller fetches and verifies provenance (``bale.dist.provenance``) and reads the locks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name

from bale.errors import BaleError
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.pylock import Pylock

__all__ = [
    "FileProvenance",
    "IdentityChange",
    "check_required_provenance",
    "describe_identity",
    "identity_changes",
    "identity_table",
    "lock_identities",
    "parse_required",
    "sorted_identities",
]

Identity = Mapping[str, Any]


def identity_table(identity: Identity) -> dict[str, Any]:
    """``identity`` as the lock writes it: ``kind`` first, then the other fields by name; fields
    without a value (a GitHub publisher with no ``environment``) are left out, as PyPI does."""
    table: dict[str, Any] = {"kind": str(identity.get("kind", ""))}
    for name in sorted(identity):
        value = identity[name]
        if name != "kind" and value is not None and value != "":
            table[str(name)] = value if isinstance(value, (str, int, bool)) else str(value)
    return table


def _key(identity: Identity) -> tuple[tuple[str, str], ...]:
    return tuple((name, str(value)) for name, value in identity_table(identity).items())


def sorted_identities(identities: Iterable[Identity]) -> list[dict[str, Any]]:
    """``identities`` without duplicates, in a stable order (by kind, then fields): one lock, one text."""
    unique = {_key(identity): identity_table(identity) for identity in identities}
    return [unique[key] for key in sorted(unique)]


def describe_identity(identity: Identity) -> str:
    """One line a user reads: ``GitHub repository=org/project workflow=release.yml``."""
    table = identity_table(identity)
    fields = " ".join(f"{name}={value}" for name, value in table.items() if name != "kind")
    return f"{table['kind']} {fields}".strip()


def _describe_all(identities: Sequence[Identity]) -> str:
    return "; ".join(describe_identity(identity) for identity in identities) or "no attestations"


@record(frozen=True)
class IdentityChange:
    """A package whose publishers differ from those the previous lock recorded (``new`` empty: the
    package lost its attestations)."""

    name: NormalizedName
    old: tuple[dict[str, Any], ...]
    new: tuple[dict[str, Any], ...]

    @property
    def message(self) -> str:
        if not self.new:
            return (
                f"{self.name} lost its attestations: the previous lock recorded its publisher as "
                f"{_describe_all(self.old)}, and its files now come without verified provenance"
            )
        return (
            f"the publisher of {self.name} changed: the previous lock recorded "
            f"{_describe_all(self.old)}, now {_describe_all(self.new)}"
        )


def lock_identities(lock: Pylock) -> dict[NormalizedName, tuple[dict[str, Any], ...]]:
    """Each package's identities in ``lock``, over all its entries (a package may be listed once per
    fork); packages with none are absent."""
    found: dict[NormalizedName, list[Identity]] = {}
    for package in lock.packages:
        name = canonicalize_name(package.name)
        found.setdefault(name, []).extend(package.attestation_identities or ())
    return {name: tuple(sorted_identities(ids)) for name, ids in found.items() if ids}


def identity_changes(
    old: Mapping[NormalizedName, Sequence[Identity]],
    new: Mapping[NormalizedName, Sequence[Identity]],
    locked: Collection[NormalizedName],
) -> list[IdentityChange]:
    """The packages still in the lock (``locked``: the new lock's names) whose identities changed from
    ``old``'s, by name. A package that had none before is not flagged when it gains some: gaining
    attestations is what publishers are asked to do; losing or changing them is what an attack looks like."""
    changes: list[IdentityChange] = []
    for name in sorted(set(old) & set(locked)):
        before = tuple(sorted_identities(old[name]))
        after = tuple(sorted_identities(new.get(name, ())))
        if before and [_key(i) for i in before] != [_key(i) for i in after]:
            changes.append(IdentityChange(name, before, after))
    return changes


@record(frozen=True)
class FileProvenance:
    """What is known of one locked file's provenance: ``identities`` empty when none was verified, and
    then ``reason`` says why ("the index serves no provenance for it")."""

    name: NormalizedName
    label: str  # "rfc8785 0.1.2"
    filename: str
    identities: tuple[dict[str, Any], ...]
    reason: str = ""


def parse_required(text: str) -> frozenset[NormalizedName]:
    """Project names from a comma- or space-separated list (``BALE_REQUIRE_PROVENANCE``)."""
    return frozenset(canonicalize_name(part) for part in text.replace(",", " ").split() if part)


def check_required_provenance(required: Collection[NormalizedName], files: Iterable[FileProvenance]) -> None:
    """Refuse the lock when a file of a package in ``required`` has no verified provenance.

    ``required`` holds normalized names (a policy's ``require-provenance``, or today
    ``BALE_REQUIRE_PROVENANCE``); every file the lock would record for such a package must carry
    attestations that verified. Raises one ``BaleError`` listing every such file.
    """
    if not required:
        return
    wanted = frozenset(required)
    missing = [file for file in files if file.name in wanted and not file.identities]
    if not missing:
        return
    first = missing[0]
    names = sorted({file.name for file in missing})
    raise BaleError(
        f"Cannot lock {first.label}: {first.filename} has no verified provenance, "
        f"and provenance is required for {', '.join(names)}",
        context=[f"{file.filename}: {file.reason or 'no verified provenance'}" for file in missing],
        hint="publish these files with attestations (PEP 740, e.g. PyPI's trusted publishing), or stop "
        "requiring provenance for the package",
    )
