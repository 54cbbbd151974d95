"""OSV advisory records (https://ossf.github.io/osv-schema/) as frozen values, checked as they are parsed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import field

from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record

# The ecosystem whose entries bale keeps; every other ``affected[]`` entry is dropped on parsing.
ECOSYSTEM = "PyPI"
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
OSV_URL = "https://osv.dev/vulnerability/"
# A finding's summary is one line of a table: records without a summary start their details with a
# paragraph of 300-1,000 characters.
SUMMARY_LIMIT = 100


@record(frozen=True, slots=True)
class Event:
    """One step of a range's timeline: ``kind`` is introduced, fixed, last_affected or limit (another
    name is kept as written, for matching to report), ``version`` the version string as written."""

    kind: str
    version: str


@record(frozen=True, slots=True)
class AffectedRange:
    """``type`` is ECOSYSTEM, SEMVER, GIT or anything a database invents; ``repo`` is a GIT range's."""

    type: str
    events: tuple[Event, ...]
    repo: str | None = None


@record(frozen=True, slots=True)
class Affected:
    """One ``affected[]`` entry of the PyPI ecosystem: the package (PEP 503 name) and which of its
    versions the advisory covers, as ranges and as an explicit list."""

    name: NormalizedName
    ranges: tuple[AffectedRange, ...]
    versions: tuple[str, ...]


@record(frozen=True, slots=True)
class Reference:
    type: str  # ADVISORY, WEB, FIX, REPORT, ARTICLE, PACKAGE, EVIDENCE, ...
    url: str


@record(frozen=True, slots=True)
class Advisory:
    """An OSV record, reduced to what an audit uses.

    ``severity`` is one word or number for people: the record's own word (GitHub's records carry
    ``database_specific.severity``, e.g. ``HIGH``), else the CVSS v3 base score computed from the
    first CVSS v3 vector (``9.8``), else the first ``severity[]`` score as written (a CVSS v2/v4
    vector); None when the record rates nothing. ``cvss`` keeps the first vector as written.
    ``problems`` are the parts of the record that were malformed and skipped (an empty event, a
    reference without a URL) while the rest was usable: an audit shows them as warnings.
    """

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    published: str | None = None
    modified: str | None = None
    withdrawn: str | None = None
    severity: str | None = None
    affected: tuple[Affected, ...] = ()
    references: tuple[Reference, ...] = ()
    cvss: str | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    def link(self) -> str:
        """The ADVISORY reference, else the first WEB one, else the record's page on osv.dev."""
        for kind in ("ADVISORY", "WEB"):
            for reference in self.references:
                if reference.type == kind:
                    return reference.url
        return OSV_URL + self.id

    def ids(self) -> frozenset[str]:
        """The record's id and its aliases."""
        return frozenset((self.id, *self.aliases))

    def short_summary(self, limit: int = SUMMARY_LIMIT) -> str:
        """``summary``, else the first line of ``details``, on one line and cut to ``limit`` characters."""
        text = self.summary.strip() or next(
            (ln.strip() for ln in self.details.splitlines() if ln.strip()), ""
        )
        text = " ".join(text.split())
        if len(text) <= limit:
            return text
        cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
        return cut.rstrip(" ,.;:") + "\N{HORIZONTAL ELLIPSIS}"

    def names(self) -> frozenset[NormalizedName]:
        """The PyPI packages the record has entries for."""
        return frozenset(entry.name for entry in self.affected)


class AdvisoryError(BaleError):
    """An OSV record of the wrong shape: ``source`` (a zip member or a URL) and ``field`` say where."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        super().__init__(
            f"{source}: {field} {problem}",
            hint="the advisory data is damaged or of a newer format; fetch it again",
        )
        self.source = source
        self.field = field


@record(frozen=True, slots=True)
class AdvisorySet:
    """Advisories by the package they name, from the OSV API or the local database. ``warnings``
    name what could not be used (a malformed record, a record that names another package): an
    audit shows them, so a damaged source never passes for "no known vulnerabilities"."""

    by_name: Mapping[NormalizedName, tuple[Advisory, ...]]
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- parsing


class _Reader:
    """Type checks that name the field at fault (``affected[2].ranges[0].events``)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def fail(self, where: str, problem: str) -> AdvisoryError:
        return AdvisoryError(self.source, where, problem)

    def table(self, value: object, where: str) -> Mapping[str, object]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a JSON object, not {_kind(value)}")
        return value

    def text(
        self, table: Mapping[str, object], key: str, where: str, *, required: bool = False
    ) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                raise self.fail(_at(where, key), "is missing")
            return None
        if not isinstance(value, str):
            raise self.fail(_at(where, key), f"must be a string, not {_kind(value)}")
        return value

    def items(self, table: Mapping[str, object], key: str, where: str) -> list[object]:
        value = table.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(_at(where, key), f"must be a list, not {_kind(value)}")
        return value

    def strings(self, table: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
        items = self.items(table, key, where)
        if all(type(item) is str for item in items):  # the usual case, and versions lists run long
            return tuple(items)  # type: ignore[arg-type]
        found: list[str] = []
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(f"{_at(where, key)}[{i}]", f"must be a string, not {_kind(item)}")
            found.append(item)
        return tuple(found)


def parse_advisory(data: object, *, source: str) -> Advisory:
    """The advisory in ``data`` (a decoded OSV JSON record) read from ``source``.

    Raises AdvisoryError, naming ``source`` and the field, when the record is not usable: not an
    object, no ``id``, a field of the wrong type, a ``schema_version`` other than 1.x. Smaller
    defects are skipped and listed in ``Advisory.problems``: an empty event (seen in real PyPA
    records), an event with two kinds, a reference without a URL. Entries of other ecosystems
    than PyPI are dropped.
    """
    read = _Reader(source)
    record = read.table(data, "the record")
    ident = read.text(record, "id", "", required=True)
    assert ident is not None
    if not ident.strip():
        raise read.fail("id", "is empty")
    read.source = f"{source} ({ident})" if ident not in source else source
    schema = read.text(record, "schema_version", "")
    if schema is not None and schema.split(".", 1)[0].strip() not in ("", "1"):
        raise read.fail("schema_version", f"is {schema!r}; bale reads OSV schema 1.x")
    aliases = tuple(a for a in dict.fromkeys(read.strings(record, "aliases", "")) if a != ident)
    affected, package_scores = _affected(read, record)
    references = _references(read, record)
    severity, cvss = _severity(read, record, package_scores)
    return Advisory(
        id=ident,
        aliases=aliases,
        summary=(read.text(record, "summary", "") or "").strip(),
        details=read.text(record, "details", "") or "",
        published=read.text(record, "published", ""),
        modified=read.text(record, "modified", ""),
        withdrawn=read.text(record, "withdrawn", ""),
        severity=severity,
        affected=affected,
        references=references,
        cvss=cvss,
        problems=tuple(read.problems),
    )


def _affected(read: _Reader, record: Mapping[str, object]) -> tuple[tuple[Affected, ...], list[object]]:
    entries: list[Affected] = []
    scores: list[object] = []  # the PyPI entries' own severity[] lists
    for i, item in enumerate(read.items(record, "affected", "")):
        where = f"affected[{i}]"
        entry = read.table(item, where)
        if entry.get("package") is None:
            continue  # a GIT-only entry for a repository, not a package
        package = read.table(entry["package"], f"{where}.package")
        ecosystem = read.text(package, "ecosystem", f"{where}.package", required=True)
        name = read.text(package, "name", f"{where}.package", required=True)
        if ecosystem != ECOSYSTEM:
            continue
        assert name is not None
        if not name.strip():
            raise read.fail(f"{where}.package.name", "is empty")
        ranges = tuple(
            _range(read, r, f"{where}.ranges[{j}]") for j, r in enumerate(read.items(entry, "ranges", where))
        )
        versions = read.strings(entry, "versions", where)
        scores.extend(read.items(entry, "severity", where))
        entries.append(Affected(normalize(name), ranges, versions))
    return tuple(entries), scores


def _range(read: _Reader, item: object, where: str) -> AffectedRange:
    table = read.table(item, where)
    kind = read.text(table, "type", where, required=True)
    assert kind is not None
    events: list[Event] = []
    for k, raw in enumerate(read.items(table, "events", where)):
        at = f"{where}.events[{k}]"
        event = read.table(raw, at)
        if not event:
            read.problems.append(f"{at} is empty; skipped")
            continue
        if len(event) > 1:
            read.problems.append(f"{at} has {len(event)} kinds ({', '.join(sorted(event))}); skipped")
            continue
        ((name, version),) = event.items()
        if not isinstance(version, str):
            raise read.fail(f"{at}.{name}", f"must be a string, not {_kind(version)}")
        events.append(Event(name, version))
    return AffectedRange(kind.upper(), tuple(events), read.text(table, "repo", where))


def _references(read: _Reader, record: Mapping[str, object]) -> tuple[Reference, ...]:
    found: list[Reference] = []
    for i, item in enumerate(read.items(record, "references", "")):
        where = f"references[{i}]"
        table = read.table(item, where)
        url = table.get("url")
        if not isinstance(url, str) or not url.strip():
            read.problems.append(f"{where} has no URL; skipped")
            continue
        kind = table.get("type")
        found.append(Reference(kind.upper() if isinstance(kind, str) else "WEB", url.strip()))
    return tuple(found)


def _severity(
    read: _Reader, record: Mapping[str, object], package_scores: list[object]
) -> tuple[str | None, str | None]:
    """(the word or score for people, the first CVSS vector) of a record; see ``Advisory``."""
    entries: list[tuple[str, str]] = []
    for i, item in enumerate([*read.items(record, "severity", ""), *package_scores]):
        table = read.table(item, f"severity[{i}]")
        kind, score = table.get("type"), table.get("score")
        if isinstance(kind, str) and isinstance(score, str) and score.strip():
            entries.append((kind.upper(), score.strip()))
    cvss = next((score for kind, score in entries if kind.startswith("CVSS")), None)
    specific = record.get("database_specific")
    if isinstance(specific, dict):
        word = specific.get("severity")
        if isinstance(word, str) and word.strip():
            return word.strip().upper(), cvss
    for kind, score in entries:
        if kind == "CVSS_V3":
            base = cvss3_base_score(score)
            if base is not None:
                return f"{base:.1f}", cvss
    if entries:
        return entries[0][1], cvss
    return None, cvss


# ---------------------------------------------------------------------------------------------- CVSS v3

_V3_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_V3_PRIVILEGES = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}


def cvss3_base_score(vector: str) -> float | None:
    """The base score of a CVSS v3.0/v3.1 vector (``CVSS:3.1/AV:N/AC:L/...``), by the specification's
    formula; None for anything else or an incomplete vector."""
    parts = vector.strip().split("/")
    if not parts or parts[0] not in ("CVSS:3.0", "CVSS:3.1"):
        return None
    metrics = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
    scope = metrics.get("S")
    if scope not in _V3_PRIVILEGES:
        return None
    try:
        weight = {name: table[metrics[name]] for name, table in _V3_WEIGHTS.items()}
        privileges = _V3_PRIVILEGES[scope][metrics["PR"]]
    except KeyError:
        return None
    iss = 1 - (1 - weight["C"]) * (1 - weight["I"]) * (1 - weight["A"])
    impact = 6.42 * iss if scope == "U" else 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    exploitability = 8.22 * weight["AV"] * weight["AC"] * privileges * weight["UI"]
    if impact <= 0:
        return 0.0
    total = impact + exploitability if scope == "U" else 1.08 * (impact + exploitability)
    return _round_up(min(total, 10.0), v31=parts[0] == "CVSS:3.1")


def _round_up(value: float, *, v31: bool) -> float:
    """CVSS's "round up to one decimal"; 3.1 defines it on integers to avoid float noise (4.00000001)."""
    if not v31:
        return math.ceil(value * 10) / 10
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000
    return (math.floor(scaled / 10_000) + 1) / 10.0


# ---------------------------------------------------------------------------------------------- helpers


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )
