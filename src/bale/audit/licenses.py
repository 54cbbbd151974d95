"""A distribution's licence read from its core metadata: PEP 639 expression, License field, or classifiers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from packaging.metadata import parse_email

from bale.model.record import record

__all__ = [
    "CLASSIFIER_LICENSES",
    "UNKNOWN",
    "DeclaredLicense",
    "LicenseRow",
    "classifier_license",
    "declared_license",
    "license_from_metadata",
    "license_from_text",
    "licenses_csv",
    "licenses_json",
    "licenses_table",
]

UNKNOWN = "UNKNOWN"

# Where a licence was read from: the core metadata field's name.
EXPRESSION_FIELD = "License-Expression"
LICENSE_FIELD = "License"
CLASSIFIER_FIELD = "Classifier"


@record(frozen=True, slots=True)
class DeclaredLicense:
    """What a distribution says its licence is (SPDX calls this the *declared* licence).

    ``spdx``: a canonical SPDX expression, when one could be read; ``name``: free text when the
    metadata names a licence that no single SPDX identifier fits (``BSD License``, ``Public Domain``);
    ``source``: the metadata field it came from (``License-Expression``, ``License`` or
    ``Classifier``), None when the metadata says nothing usable.
    """

    spdx: str | None = None
    name: str | None = None
    source: str | None = None

    @property
    def text(self) -> str:
        """The SPDX expression, else the name, else ``UNKNOWN``."""
        return self.spdx or self.name or UNKNOWN

    @property
    def known(self) -> bool:
        return self.spdx is not None or self.name is not None


NO_LICENSE = DeclaredLicense()

# Every ``License ::`` classifier of trove-classifiers with exactly one SPDX identifier. The others
# (``BSD License``, ``Apache Software License``, ``GNU General Public License (GPL)``, ...) name a
# family of licences or versions, or no licence at all: those stay names, never a guessed identifier.
CLASSIFIER_LICENSES: Mapping[str, str] = {
    "License :: Aladdin Free Public License (AFPL)": "Aladdin",
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "License :: CeCILL-B Free Software License Agreement (CECILL-B)": "CECILL-B",
    "License :: CeCILL-C Free Software License Agreement (CECILL-C)": "CECILL-C",
    "License :: Nokia Open Source License (NOKOS)": "Nokia",
    "License :: OSI Approved :: Attribution Assurance License": "AAL",
    "License :: OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)": "BlueOak-1.0.0",
    "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "License :: OSI Approved :: CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)": (
        "CECILL-2.1"
    ),
    "License :: OSI Approved :: CMU License (MIT-CMU)": "MIT-CMU",
    "License :: OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)": "CDDL-1.0",
    "License :: OSI Approved :: Common Public License": "CPL-1.0",
    "License :: OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
    "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "License :: OSI Approved :: Educational Community License, Version 2.0 (ECL-2.0)": "ECL-2.0",
    "License :: OSI Approved :: European Union Public Licence 1.0 (EUPL 1.0)": "EUPL-1.0",
    "License :: OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)": "EUPL-1.1",
    "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "License :: OSI Approved :: IBM Public License": "IPL-1.0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: MirOS License (MirOS)": "MirOS",
    "License :: OSI Approved :: Motosoto License": "Motosoto",
    "License :: OSI Approved :: Mozilla Public License 1.0 (MPL)": "MPL-1.0",
    "License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)": "MulanPSL-2.0",
    "License :: OSI Approved :: NASA Open Source Agreement v1.3 (NASA-1.3)": "NASA-1.3",
    "License :: OSI Approved :: Nethack General Public License": "NGPL",
    "License :: OSI Approved :: Nokia Open Source License": "Nokia",
    "License :: OSI Approved :: Open Group Test Suite License": "OGTSL",
    "License :: OSI Approved :: Open Software License 3.0 (OSL-3.0)": "OSL-3.0",
    "License :: OSI Approved :: PostgreSQL License": "PostgreSQL",
    "License :: OSI Approved :: Python License (CNRI Python License)": "CNRI-Python",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: Qt Public License (QPL)": "QPL-1.0",
    "License :: OSI Approved :: Ricoh Source Code Public License": "RSCPL",
    "License :: OSI Approved :: SIL Open Font License 1.1 (OFL-1.1)": "OFL-1.1",
    "License :: OSI Approved :: Sleepycat License": "Sleepycat",
    "License :: OSI Approved :: Sun Public License": "SPL-1.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
    "License :: OSI Approved :: University of Illinois/NCSA Open Source License": "NCSA",
    "License :: OSI Approved :: Vovida Software License 1.0": "VSL-1.0",
    "License :: OSI Approved :: W3C License": "W3C",
    "License :: OSI Approved :: Zero-Clause BSD (0BSD)": "0BSD",
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
}

# Classifiers that are categories, not licences: they say nothing a reader can act on.
_CATEGORIES = {"License :: OSI Approved", "License :: DFSG approved"}

# Names people write in the free-text License field, by their key (see ``_key``), for licences whose
# name is not itself an SPDX identifier. Ambiguous names ("BSD", "GPL", "Apache") are left out.
_NAMES: Mapping[str, str] = {
    "mit": "MIT",
    "expat": "MIT",
    "mitexpat": "MIT",
    "apache2": "Apache-2.0",
    "apache2.0": "Apache-2.0",
    "apachesoftware2": "Apache-2.0",
    "apachesoftware2.0": "Apache-2.0",
    "asl2": "Apache-2.0",
    "asl2.0": "Apache-2.0",
    "bsd2clause": "BSD-2-Clause",
    "2clausebsd": "BSD-2-Clause",
    "simplifiedbsd": "BSD-2-Clause",
    "freebsd": "BSD-2-Clause",
    "bsd3clause": "BSD-3-Clause",
    "3clausebsd": "BSD-3-Clause",
    "newbsd": "BSD-3-Clause",
    "modifiedbsd": "BSD-3-Clause",
    "revisedbsd": "BSD-3-Clause",
    "bsdnew": "BSD-3-Clause",
    "gpl2": "GPL-2.0-only",
    "gpl2+": "GPL-2.0-or-later",
    "gnugpl2": "GPL-2.0-only",
    "gnugpl2+": "GPL-2.0-or-later",
    "gpl3": "GPL-3.0-only",
    "gpl3+": "GPL-3.0-or-later",
    "gnugpl3": "GPL-3.0-only",
    "gnugpl3+": "GPL-3.0-or-later",
    "lgpl2.1": "LGPL-2.1-only",
    "lgpl2.1+": "LGPL-2.1-or-later",
    "lgpl3": "LGPL-3.0-only",
    "lgpl3+": "LGPL-3.0-or-later",
    "agpl3": "AGPL-3.0-only",
    "agpl3+": "AGPL-3.0-or-later",
    "mpl2": "MPL-2.0",
    "mpl2.0": "MPL-2.0",
    "mozillapublic2.0": "MPL-2.0",
    "gnulgpl2.1": "LGPL-2.1-only",
    "gnulgpl3": "LGPL-3.0-only",
    "gnulessergpl2.1": "LGPL-2.1-only",
    "gnulessergpl2.1+": "LGPL-2.1-or-later",
    "gnulessergpl3": "LGPL-3.0-only",
    "gnulessergpl3+": "LGPL-3.0-or-later",
    "gnuafferogpl3": "AGPL-3.0-only",
    "gnuafferogpl3+": "AGPL-3.0-or-later",
    "psf": "PSF-2.0",
    "psfl": "PSF-2.0",
    "psf2": "PSF-2.0",
    "pythonsoftwarefoundation": "PSF-2.0",
    "iscl": "ISC",
    "cc0": "CC0-1.0",
    "cc01.0": "CC0-1.0",
    "cc01.0universal": "CC0-1.0",
    "boostsoftware": "BSL-1.0",
    "boostsoftware1.0": "BSL-1.0",
    "epl2": "EPL-2.0",
    "epl2.0": "EPL-2.0",
    "zlib/libpng": "Zlib",
}

_WORDS = re.compile(r"\b(?:the|license|licence|version)\b")
_NOT_KEY = re.compile(r"[^a-z0-9.+/]")
_PARENS = re.compile(r"\(([^()]*)\)")

# Opening words of licence texts pasted whole into the License field.
_MIT_TEXT = "permission is hereby granted, free of charge"
_ISC_TEXT = "permission to use, copy, modify, and/or distribute this software for any purpose"
_BSD_TEXT = "redistribution and use in source and binary forms"
_BSD_3_TEXT = "neither the name"
_APACHE_TEXT = ("apache license", "version 2.0")

_NO_VALUE = {"", "unknown", "none", "n/a", "na", "null", "-"}


def declared_license(metadata: Mapping[str, Any]) -> DeclaredLicense:
    """The licence of a distribution whose core metadata is ``metadata`` (packaging's ``RawMetadata``:
    ``license_expression``, ``license``, ``classifiers``), in this order of trust:

    1. ``License-Expression`` (PEP 639), canonicalised;
    2. ``License``, when it is an SPDX expression or a well-known licence's name (or its text);
    3. the ``License ::`` classifiers with an SPDX identifier (several: ``OR``, as PyPI reads them);
    4. a name: the classifiers without one (``BSD License``), else a short ``License`` text, else an
       invalid ``License-Expression`` as written;
    5. nothing (:data:`NO_LICENSE`, shown as ``UNKNOWN``).
    """
    expression = _text(metadata.get("license_expression"))
    if expression:
        try:
            return DeclaredLicense(spdx=canonicalize_license_expression(expression), source=EXPRESSION_FIELD)
        except InvalidLicenseExpression:
            pass
    license_text = _text(metadata.get("license"))
    if license_text.lower() in _NO_VALUE:
        license_text = ""  # old setuptools wrote ``UNKNOWN`` for "not given"
    if license_text:
        found = license_from_text(license_text)
        if found is not None:
            return DeclaredLicense(spdx=found, source=LICENSE_FIELD)
    classifiers = [c for c in metadata.get("classifiers") or () if isinstance(c, str)]
    spdx, names = classifier_license(classifiers)
    if spdx is not None:
        return DeclaredLicense(spdx=spdx, source=CLASSIFIER_FIELD)
    if names:
        return DeclaredLicense(name="; ".join(names), source=CLASSIFIER_FIELD)
    if license_text and "\n" not in license_text and len(license_text) <= 80:
        return DeclaredLicense(name=license_text, source=LICENSE_FIELD)
    if expression:
        return DeclaredLicense(name=expression, source=EXPRESSION_FIELD)
    return NO_LICENSE


def license_from_metadata(data: bytes | str) -> DeclaredLicense:
    """:func:`declared_license` of METADATA / PKG-INFO bytes (parsed leniently: licences only)."""
    raw, _unparsed = parse_email(data)
    return declared_license(raw)


def license_from_text(text: str) -> str | None:
    """The SPDX expression the free-text ``License`` field means, when it is unambiguous: an SPDX
    expression (``MIT``, ``mit or apache-2.0``), one with `` License`` after it, a well-known name
    (``Apache 2.0``, ``New BSD``, ``GPLv3+``), or the start of a well-known licence's text."""
    text = text.strip()
    if text.lower() in _NO_VALUE:
        return None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    candidates = [text] if first == text else [first]
    for candidate in candidates:
        found = _spdx(candidate) or _named(candidate)
        if found is not None:
            return found
    return _from_licence_text(text)


def classifier_license(classifiers: Iterable[str]) -> tuple[str | None, list[str]]:
    """The SPDX expression of the ``License ::`` classifiers that have an identifier (``OR``-ed,
    sorted, canonical), and the names of those that have none (``BSD License``), in order."""
    ids: set[str] = set()
    names: list[str] = []
    for classifier in classifiers:
        classifier = classifier.strip()
        if not classifier.startswith("License ::") or classifier in _CATEGORIES:
            continue
        spdx = CLASSIFIER_LICENSES.get(classifier)
        if spdx is not None:
            ids.add(spdx)
            continue
        name = classifier.rsplit("::", 1)[-1].strip()
        if name not in names:
            names.append(name)
    if not ids:
        return None, names
    expression = " OR ".join(sorted(ids, key=str.lower))
    return canonicalize_license_expression(expression), names


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _spdx(text: str) -> str | None:
    for candidate in (text, re.sub(r"(?i)\s+licen[cs]e$", "", text)):
        if not candidate or candidate.lower() in _NO_VALUE:
            continue
        try:
            return canonicalize_license_expression(candidate)
        except InvalidLicenseExpression:
            continue
    return None


def _key(text: str) -> str:
    """``Apache License, Version 2.0`` -> ``apache2.0``; ``GPLv3+`` -> ``gpl3+``."""
    lowered = _WORDS.sub(" ", text.lower().replace("general public", "gpl"))
    lowered = re.sub(r"\bgnu\s+(lesser\s+|affero\s+)?(gpl|lgpl)\b", r"gnu\1\2", lowered)
    lowered = re.sub(r"\bv(?=\d)", "", re.sub(r"(?<=[a-z])v(?=\d)", "", lowered))
    lowered = re.sub(r"\bor later\b|\bor any later\b", "+", lowered)
    return _NOT_KEY.sub("", lowered)


def _named(text: str) -> str | None:
    keys = [_key(text)]
    outside = _PARENS.sub(" ", text).strip()
    if outside != text:
        keys.append(_key(outside))
        keys.extend(_key(inner) for inner in _PARENS.findall(text))
    for key in keys:
        found = _NAMES.get(key)
        if found is not None:
            return found
        found = _spdx(key) if key and "/" not in key else None  # ``the unlicense`` -> ``unlicense``
        if found is not None:
            return found
    return None


def _from_licence_text(text: str) -> str | None:
    lowered = " ".join(text.lower().split())
    if _MIT_TEXT in lowered:
        return "MIT"
    if _ISC_TEXT in lowered:
        return "ISC"
    if _BSD_TEXT in lowered:
        return "BSD-3-Clause" if _BSD_3_TEXT in lowered else "BSD-2-Clause"
    if all(part in lowered[:200] for part in _APACHE_TEXT):
        return "Apache-2.0"
    return None


# ---------------------------------------------------------------------------------------------- output


@record(frozen=True, slots=True)
class LicenseRow:
    """One locked package's licence, as ``bale licenses`` shows it."""

    name: str
    version: str | None
    license: DeclaredLicense
    problem: str | None = None  # why its metadata could not be read (then the licence is unknown)


def _ordered(rows: Iterable[LicenseRow]) -> list[LicenseRow]:
    return sorted(rows, key=lambda row: (row.name, row.version or ""))


def licenses_table(rows: Sequence[LicenseRow]) -> list[str]:
    """Aligned columns: package, version, licence, the metadata field it came from."""
    header = ("Package", "Version", "License", "From")
    body = [
        (row.name, row.version or "-", row.license.text, row.license.source or "-") for row in _ordered(rows)
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]


def licenses_json(rows: Sequence[LicenseRow]) -> dict[str, Any]:
    """``{"packages": [{name, version, license, spdx, source}], "unknown": N}``: ``license`` as the
    table shows it, ``spdx`` the SPDX expression or null, ``source`` the metadata field or null."""
    packages = []
    for row in _ordered(rows):
        entry: dict[str, Any] = {
            "name": row.name,
            "version": row.version,
            "license": row.license.text,
            "spdx": row.license.spdx,
            "source": row.license.source,
        }
        if row.problem is not None:
            entry["problem"] = row.problem
        packages.append(entry)
    return {"packages": packages, "unknown": sum(not row.license.known for row in rows)}


def licenses_csv(rows: Sequence[LicenseRow]) -> str:
    """``name,version,license,spdx,source`` and one line per package (RFC 4180 quoting, CRLF-free)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "version", "license", "spdx", "source"])
    for row in _ordered(rows):
        writer.writerow(
            [row.name, row.version or "", row.license.text, row.license.spdx or "", row.license.source or ""]
        )
    return buffer.getvalue()
