"""What changes between two PEP 751 locks, as a reviewer needs it: a ``LockDiff`` value.

Packages added, removed, upgraded and downgraded (PEP 440 order), and what deserves a second look:
entries that now build from source at install (code that runs on the installing machine), indexes and
hosts the old lock never named, publishers (``attestation-identities``) changed or lost, licences of
new and changed versions, vulnerabilities introduced and fixed. Licences and findings are looked up
by the caller (they need metadata and an advisory database) and passed in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import field
from urllib.parse import urlsplit

from packaging.pylock import Package, Pylock
from packaging.version import Version

from bale.audit.findings import Finding
from bale.lock.pylock import strip_credentials
from bale.model.names import NormalizedName, normalize
from bale.model.record import record

__all__ = [
    "LicenseChange",
    "LockDiff",
    "PackageChange",
    "PublisherChange",
    "SourceBuild",
    "SourceChange",
    "VulnerabilityChange",
    "diff_locks",
    "license_keys",
]

# Which side of the diff an entry is on, with its index in that lock's ``packages``.
OLD = "old"
NEW = "new"


@record(frozen=True, slots=True)
class PackageChange:
    """``kind``: added, removed, upgraded, downgraded, or changed (same version, another source).
    ``marker``: the entry's environment marker, set only where a name has several entries in a lock
    (a universal lock's forks); ``detail``: for ``changed``, the old and new source."""

    kind: str
    name: NormalizedName
    old: str | None
    new: str | None
    marker: str | None = None
    detail: str | None = None


@record(frozen=True, slots=True)
class SourceBuild:
    """An entry that builds from source at install where the old lock had none to build:
    ``what`` says how (only an sdist, a git checkout, a source archive), ``why`` what was before."""

    name: NormalizedName
    version: str | None
    what: str
    why: str
    marker: str | None = None


@record(frozen=True, slots=True)
class SourceChange:
    """``kind`` ``index`` or ``host``: a ``value`` the old lock never named, and the ``packages`` that
    use it; ``moved``: a package's ``index`` that changed (``value`` is then ``old -> new``)."""

    kind: str
    value: str
    packages: tuple[NormalizedName, ...]


@record(frozen=True, slots=True)
class PublisherChange:
    """A package's attestation identities (PEP 740 publishers) that ``changed`` or were ``lost``;
    ``gained``: none before, some now (told, not flagged)."""

    kind: str
    name: NormalizedName
    old_version: str | None
    new_version: str | None
    old: tuple[str, ...]
    new: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return self.kind != "gained"


@record(frozen=True, slots=True)
class LicenseChange:
    """The licence of a new package (``old_version`` and ``old`` None) or of a version whose licence
    differs from the old version's."""

    name: NormalizedName
    old_version: str | None
    new_version: str | None
    old: str | None
    new: str


@record(frozen=True, slots=True)
class VulnerabilityChange:
    """A finding the new lock has and the old did not (``introduced``), or the reverse (``fixed``)."""

    kind: str
    finding: Finding


@record(frozen=True, slots=True)
class LockDiff:
    """Every section sorted; ``vulnerabilities`` None when no advisory data was at hand, ``licenses``
    None when licences were not looked up; ``notes``: what could not be told, and why."""

    packages: tuple[PackageChange, ...] = ()
    source_builds: tuple[SourceBuild, ...] = ()
    sources: tuple[SourceChange, ...] = ()
    publishers: tuple[PublisherChange, ...] = ()
    licenses: tuple[LicenseChange, ...] | None = None
    vulnerabilities: tuple[VulnerabilityChange, ...] | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Whether there is anything to review (``--exit-code``); notes alone are not a change."""
        return bool(
            self.packages
            or self.source_builds
            or self.sources
            or self.publishers
            or self.licenses
            or self.vulnerabilities
        )

    def count(self, kind: str) -> int:
        return sum(1 for change in self.packages if change.kind == kind)

    def introduced(self) -> tuple[Finding, ...]:
        return tuple(v.finding for v in self.vulnerabilities or () if v.kind == "introduced")

    def fixed(self) -> tuple[Finding, ...]:
        return tuple(v.finding for v in self.vulnerabilities or () if v.kind == "fixed")


# ---------------------------------------------------------------------------------------------- pairing


@record(frozen=True, slots=True)
class _Entry:
    key: int
    package: Package

    @property
    def version(self) -> str | None:
        return str(self.package.version) if self.package.version is not None else None

    @property
    def marker(self) -> str | None:
        return str(self.package.marker) if self.package.marker is not None else None


def _by_name(lock: Pylock) -> dict[NormalizedName, list[_Entry]]:
    found: dict[NormalizedName, list[_Entry]] = {}
    for key, package in enumerate(lock.packages):
        found.setdefault(normalize(package.name), []).append(_Entry(key, package))
    return found


def _version_key(entry: _Entry) -> tuple[int, Version, str]:
    version = entry.package.version
    return (0, version, "") if version is not None else (1, Version("0"), entry.marker or "")


def _pairs(old: list[_Entry], new: list[_Entry]) -> list[tuple[_Entry | None, _Entry | None]]:
    """The entries of one name matched across the locks: the same marker first (a universal lock's
    fork kept its environment), then one left on each side, then the rest in version order; what
    is left over was added or removed."""
    left_old, left_new = list(old), list(new)
    pairs: list[tuple[_Entry | None, _Entry | None]] = []
    for entry in list(left_new):
        match = next((o for o in left_old if o.marker == entry.marker), None)
        if match is not None:
            pairs.append((match, entry))
            left_old.remove(match)
            left_new.remove(entry)
    left_old.sort(key=_version_key)
    left_new.sort(key=_version_key)
    while left_old and left_new:
        pairs.append((left_old.pop(0), left_new.pop(0)))
    pairs.extend((o, None) for o in left_old)
    pairs.extend((None, n) for n in left_new)
    return pairs


def _all_pairs(old: Pylock, new: Pylock) -> list[tuple[NormalizedName, bool, _Entry | None, _Entry | None]]:
    """``(name, several, old entry, new entry)`` for every name of either lock, sorted by name;
    ``several``: the name has more than one entry in a lock, so markers tell its entries apart."""
    before, after = _by_name(old), _by_name(new)
    result = []
    for name in sorted(set(before) | set(after)):
        olds, news = before.get(name, []), after.get(name, [])
        several = len(olds) > 1 or len(news) > 1
        for o, n in _pairs(olds, news):
            result.append((name, several, o, n))
    return result


# ---------------------------------------------------------------------------------------------- sources


def _source(package: Package) -> str:
    """Where an entry comes from, in a few words: an index, a git commit, a folder, an archive."""
    if package.vcs is not None:
        vcs = package.vcs
        where = strip_credentials(vcs.url) if vcs.url else vcs.path or "?"
        return f"{vcs.type} {where}@{vcs.commit_id}"
    if package.directory is not None:
        return f"folder {package.directory.path}"
    if package.archive is not None:
        archive = package.archive
        return f"archive {strip_credentials(archive.url) if archive.url else archive.path}"
    return "index"


def _builds(package: Package) -> str | None:
    """How an entry builds from source at install (None: it installs a wheel, or is the user's own
    folder): its build backend runs on the installing machine."""
    if package.vcs is not None:
        return "a git checkout" if package.vcs.type == "git" else f"a {package.vcs.type} checkout"
    if package.archive is not None:
        name = (package.archive.url or package.archive.path or "").rsplit("?", 1)[0]
        return None if name.endswith(".whl") else "a source archive"
    if package.sdist is not None and not package.wheels:
        return "only an sdist"
    return None


def _hosts(package: Package) -> set[str]:
    """The hosts (``host[:port]``, no credentials) of an entry's index and artifact URLs."""
    urls = [package.index] if package.index else []
    urls += [wheel.url for wheel in package.wheels or () if wheel.url]
    if package.sdist is not None and package.sdist.url:
        urls.append(package.sdist.url)
    if package.archive is not None and package.archive.url:
        urls.append(package.archive.url)
    if package.vcs is not None and package.vcs.url:
        urls.append(package.vcs.url.removeprefix("git+"))
    hosts = set()
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("", "file") or not parts.hostname:
            continue
        hosts.add(parts.netloc.rsplit("@", 1)[-1].lower())
    return hosts


def _index(package: Package) -> str | None:
    return strip_credentials(package.index) if package.index else None


def _source_changes(
    old: Pylock, new: Pylock, pairs: Sequence[tuple[NormalizedName, bool, _Entry | None, _Entry | None]]
) -> list[SourceChange]:
    old_indexes = {i for p in old.packages if (i := _index(p)) is not None}
    old_hosts = {h for p in old.packages for h in _hosts(p)}
    indexes: dict[str, set[NormalizedName]] = {}
    hosts: dict[str, set[NormalizedName]] = {}
    moved: list[SourceChange] = []
    for package in new.packages:
        name = normalize(package.name)
        index = _index(package)
        if index is not None and index not in old_indexes:
            indexes.setdefault(index, set()).add(name)
        for host in _hosts(package) - old_hosts:
            hosts.setdefault(host, set()).add(name)
    for name, _, o, n in pairs:
        if o is None or n is None:
            continue
        was, now = _index(o.package), _index(n.package)
        if was is not None and now is not None and was != now:
            moved.append(SourceChange("moved", f"{was} -> {now}", (name,)))
    changes = [SourceChange("index", value, tuple(sorted(names))) for value, names in indexes.items()]
    changes += [SourceChange("host", value, tuple(sorted(names))) for value, names in hosts.items()]
    changes += moved
    order = {"host": 0, "index": 1, "moved": 2}
    return sorted(changes, key=lambda c: (order[c.kind], c.value, c.packages))


# ---------------------------------------------------------------------------------------------- publishers


def identity_text(identity: Mapping[str, object]) -> str:
    """One publisher as people read it: ``GitHub: repository=org/repo, workflow=release.yml``."""
    kind = identity.get("kind")
    rest = ", ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value, sort_keys=True)}"
        for key, value in sorted(identity.items())
        if key != "kind"
    )
    head = str(kind) if kind is not None else "?"
    return f"{head}: {rest}" if rest else head


def _identities(package: Package) -> tuple[str, ...]:
    return tuple(sorted({identity_text(i) for i in package.attestation_identities or ()}))


def _publisher(name: NormalizedName, o: _Entry, n: _Entry) -> PublisherChange | None:
    was, now = _identities(o.package), _identities(n.package)
    if was == now:
        return None
    kind = "gained" if not was else "lost" if not now else "changed"
    return PublisherChange(kind, name, o.version, n.version, was, now)


# ---------------------------------------------------------------------------------------------- the diff


def license_keys(old: Pylock, new: Pylock) -> tuple[set[int], set[int]]:
    """The entries (indexes in each lock's ``packages``) whose licences the diff reports: the new
    entries, and both sides of a version change; a licence lookup is only needed for these."""
    old_keys: set[int] = set()
    new_keys: set[int] = set()
    for _, _, o, n in _all_pairs(old, new):
        if n is None:
            continue
        if o is None:
            new_keys.add(n.key)
        elif o.version != n.version:
            old_keys.add(o.key)
            new_keys.add(n.key)
    return old_keys, new_keys


def diff_locks(
    old: Pylock,
    new: Pylock,
    *,
    licenses: tuple[Mapping[int, str], Mapping[int, str]] | None = None,
    findings: tuple[Sequence[Finding], Sequence[Finding]] | None = None,
    notes: Sequence[str] = (),
) -> LockDiff:
    """What changes from ``old`` to ``new``.

    ``licenses``: the licence text (``UNKNOWN`` when the metadata states none) of the entries
    ``license_keys`` names, by key, for the old and the new lock; an entry missing from its mapping
    could not be read and is left out (the caller says so in ``notes``). ``findings``: the known
    vulnerabilities of each lock's packages (see ``audit.findings``); None when there was no data.
    """
    pairs = _all_pairs(old, new)
    packages: list[PackageChange] = []
    builds: list[SourceBuild] = []
    publishers: list[PublisherChange] = []
    license_changes: list[LicenseChange] = []
    old_names = {normalize(p.name) for p in old.packages}
    for name, several, o, n in pairs:
        shown = n if n is not None else o
        marker = shown.marker if several and shown is not None else None
        if o is None and n is not None:
            packages.append(PackageChange("added", name, None, n.version, marker))
        elif n is None and o is not None:
            packages.append(PackageChange("removed", name, o.version, None, marker))
        elif o is not None and n is not None:
            change = _version_change(name, o, n, marker)
            if change is not None:
                packages.append(change)
            publisher = _publisher(name, o, n)
            if publisher is not None:
                publishers.append(publisher)
        if n is not None:
            what = _builds(n.package)
            before = _builds(o.package) if o is not None else None
            if what is not None and (o is None or before is None):
                if o is None:
                    why = "a new package" if name not in old_names else "a new entry"
                else:
                    why = f"{o.version} had wheels" if o.package.wheels else f"{o.version} did not build"
                builds.append(SourceBuild(name, n.version, what, why, marker))
        if licenses is not None and n is not None:
            change_l = _license_change(name, o, n, licenses)
            if change_l is not None:
                license_changes.append(change_l)
    vulnerabilities = None
    if findings is not None:
        vulnerabilities = tuple(_vulnerability_changes(*findings))
    return LockDiff(
        packages=tuple(sorted(packages, key=lambda c: (c.name, c.marker or "", c.kind))),
        source_builds=tuple(sorted(builds, key=lambda b: (b.name, b.marker or ""))),
        sources=tuple(_source_changes(old, new, pairs)),
        publishers=tuple(sorted(publishers, key=lambda p: (p.name, p.new_version or ""))),
        licenses=None if licenses is None else tuple(license_changes),
        vulnerabilities=vulnerabilities,
        notes=tuple(notes),
    )


def _version_change(name: NormalizedName, o: _Entry, n: _Entry, marker: str | None) -> PackageChange | None:
    was, now = o.package.version, n.package.version
    if was is not None and now is not None and was != now:
        return PackageChange("upgraded" if now > was else "downgraded", name, o.version, n.version, marker)
    before, after = _source(o.package), _source(n.package)
    if was != now or before != after:
        return PackageChange("changed", name, o.version, n.version, marker, f"{before} -> {after}")
    return None


def _license_change(
    name: NormalizedName,
    o: _Entry | None,
    n: _Entry,
    licenses: tuple[Mapping[int, str], Mapping[int, str]],
) -> LicenseChange | None:
    old_licenses, new_licenses = licenses
    now = new_licenses.get(n.key)
    if now is None:
        return None
    if o is None:
        return LicenseChange(name, None, n.version, None, now)
    if o.version == n.version:
        return None
    was = old_licenses.get(o.key)
    if was is None or was == now:
        return None
    return LicenseChange(name, o.version, n.version, was, now)


def _vulnerability_changes(old: Sequence[Finding], new: Sequence[Finding]) -> list[VulnerabilityChange]:
    """By package and advisory: still affected at another version is neither fixed nor introduced."""

    def ids(findings: Sequence[Finding]) -> set[tuple[str, frozenset[str]]]:
        return {(f.name, f.ids()) for f in findings}

    def known(finding: Finding, among: set[tuple[str, frozenset[str]]]) -> bool:
        return any(name == finding.name and ids & finding.ids() for name, ids in among)

    before, after = ids(old), ids(new)
    changes = [VulnerabilityChange("introduced", f) for f in new if not known(f, before)]
    changes += [VulnerabilityChange("fixed", f) for f in old if not known(f, after)]
    return sorted(
        changes, key=lambda c: (c.kind != "introduced", c.finding.name, c.finding.id, c.finding.version)
    )
