"""Choosing a distribution's licence from its core metadata (pure: no files, no network)."""

from __future__ import annotations

import pytest
from packaging.licenses import canonicalize_license_expression

from bale.audit.licenses import (
    CLASSIFIER_LICENSES,
    DeclaredLicense,
    LicenseRow,
    classifier_license,
    declared_license,
    license_from_metadata,
    license_from_text,
    licenses_csv,
    licenses_table,
)


def test_every_classifier_maps_to_a_canonical_spdx_id() -> None:
    for classifier, spdx in CLASSIFIER_LICENSES.items():
        assert classifier.startswith("License :: "), classifier
        assert canonicalize_license_expression(spdx) == spdx, classifier
    assert CLASSIFIER_LICENSES["License :: OSI Approved :: MIT License"] == "MIT"


def test_license_expression_wins_and_is_canonicalised() -> None:
    found = license_from_metadata(
        b"Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-Expression: mit or apache-2.0\n"
        b"License: GPLv3\nClassifier: License :: OSI Approved :: BSD License\n"
    )
    assert found == DeclaredLicense(spdx="MIT OR Apache-2.0", source="License-Expression")


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        ("MIT", "MIT"),
        ("MIT License", "MIT"),
        ("The MIT License (MIT)", "MIT"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("Apache 2.0", "Apache-2.0"),
        ("BSD 3-Clause License", "BSD-3-Clause"),
        ("New BSD", "BSD-3-Clause"),
        ("Simplified BSD", "BSD-2-Clause"),
        ("GPLv3+", "GPL-3.0-or-later"),
        ("GNU General Public License v2 (GPLv2)", "GPL-2.0-only"),
        ("GNU Lesser General Public License v3", "LGPL-3.0-only"),
        ("MPL 2.0", "MPL-2.0"),
        ("PSF", "PSF-2.0"),
        ("the unlicense", "Unlicense"),
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("Copyright (c) 2020 Someone\n\nPermission is hereby granted, free of charge, to any person", "MIT"),
        (
            "                                 Apache License\n                           Version 2.0",
            "Apache-2.0",
        ),
        ("Redistribution and use in source and binary forms ... Neither the name of", "BSD-3-Clause"),
    ],
)
def test_well_known_license_texts(text: str, spdx: str) -> None:
    assert license_from_text(text) == spdx


@pytest.mark.parametrize(
    "text", ["BSD", "GPL", "Apache Software License", "Public Domain", "UNKNOWN", "", "Dual"]
)
def test_ambiguous_or_empty_license_texts_are_no_identifier(text: str) -> None:
    assert license_from_text(text) is None


def test_classifiers_with_an_id_are_ored_and_the_others_are_names() -> None:
    assert classifier_license(
        [
            "License :: OSI Approved :: MIT License",
            "License :: OSI Approved :: Apache Software License",
            "License :: OSI Approved :: ISC License (ISCL)",
            "License :: OSI Approved",
            "Programming Language :: Python",
        ]
    ) == ("ISC OR MIT", ["Apache Software License"])
    assert classifier_license(["License :: OSI Approved :: BSD License"]) == (None, ["BSD License"])


def test_order_of_trust() -> None:
    bsd = ["License :: OSI Approved :: BSD License"]
    mit = ["License :: OSI Approved :: MIT License"]
    assert declared_license({"license": "Apache 2.0", "classifiers": mit}) == DeclaredLicense(
        spdx="Apache-2.0", source="License"
    )
    # An ambiguous License field gives way to a classifier with an identifier...
    assert declared_license({"license": "BSD", "classifiers": mit}) == DeclaredLicense(
        spdx="MIT", source="Classifier"
    )
    # ... and a classifier's name comes before the field's free text.
    assert declared_license({"license": "BSD", "classifiers": bsd}) == DeclaredLicense(
        name="BSD License", source="Classifier"
    )
    assert declared_license({"license": "Proprietary"}) == DeclaredLicense(
        name="Proprietary", source="License"
    )
    assert declared_license({"license_expression": "not a licence!"}) == DeclaredLicense(
        name="not a licence!", source="License-Expression"
    )
    # Old setuptools wrote UNKNOWN for "not given"; a pasted licence text nobody recognises is no name.
    assert declared_license({"license": "UNKNOWN"}).text == "UNKNOWN"
    assert not declared_license({"license": "Some long\ncustom terms"}).known
    assert declared_license({}) == DeclaredLicense()


def test_table_and_csv() -> None:
    rows = [
        LicenseRow("zeta", "2.0", DeclaredLicense()),
        LicenseRow("alpha", "1.0", DeclaredLicense(spdx="MIT", source="License-Expression")),
        LicenseRow("mid", None, DeclaredLicense(name='Say "hi", please', source="License")),
    ]
    assert licenses_table(rows) == [
        "Package  Version  License           From",
        "alpha    1.0      MIT               License-Expression",
        'mid      -        Say "hi", please  License',
        "zeta     2.0      UNKNOWN           -",
    ]
    assert licenses_csv(rows) == (
        "name,version,license,spdx,source\n"
        "alpha,1.0,MIT,MIT,License-Expression\n"
        'mid,,"Say ""hi"", please",,License\n'
        "zeta,2.0,UNKNOWN,,\n"
    )
