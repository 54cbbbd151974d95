"""The SBOM builders on in-memory locks: sources of every kind, licence shapes, identifiers, validity."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from packaging.pylock import Pylock
from packaging.requirements import Requirement

from bale.audit.licenses import DeclaredLicense
from bale.lock.graph import PROJECT, build_graph
from bale.lock.sbom import cyclonedx_document, purl, render, sbom_packages, spdx_document
from tests.sbom.schemas import cyclonedx_problems, spdx_problems

CREATED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
SHA = "a" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _lock(packages: list[dict[str, Any]]) -> Pylock:
    return Pylock.from_dict({"lock-version": "1.0", "created-by": "test", "packages": packages})


LOCK = _lock(
    [
        {
            "name": "multi",
            "version": "1.0+local.1",
            "dependencies": [{"name": "fromgit"}],
            "wheels": [
                {
                    "url": "https://files.example/multi-1.0+local.1-cp312-cp312-linux_x86_64.whl",
                    "hashes": {"sha256": SHA},
                },
                {
                    "url": "https://files.example/multi-1.0+local.1-py3-none-any.whl",
                    "hashes": {"sha256": "b" * 64},
                },
            ],
        },
        {
            "name": "fromgit",
            "version": "2.0",
            "vcs": {
                "type": "git",
                "url": "https://git.example/fromgit.git",
                "requested-revision": "main",
                "commit-id": COMMIT,
                "subdirectory": "pkg",
            },
        },
        {
            "name": "archived",
            "version": "3.0",
            "archive": {"url": "https://files.example/archived-3.0.tar.gz", "hashes": {"sha256": "c" * 64}},
        },
        {
            "name": "vendored",
            "version": "4.0",
            "archive": {"path": "wheels/vendored-4.0-py3-none-any.whl", "hashes": {"sha256": "d" * 64}},
        },
        {
            "name": "twice",
            "version": "1.0",
            "marker": "sys_platform == 'win32'",
            "sdist": {"url": "https://f/twice-1.0.tar.gz", "hashes": {"sha256": "e" * 64}},
        },
        {
            "name": "twice",
            "version": "2.0",
            "marker": "sys_platform != 'win32'",
            "sdist": {"url": "https://f/twice-2.0.tar.gz", "hashes": {"sha256": "f" * 64}},
        },
    ]
)

LICENSES = {
    PROJECT: DeclaredLicense(spdx="MIT", source="License-Expression"),
    0: DeclaredLicense(spdx="LicenseRef-Proprietary", source="License-Expression"),
    1: DeclaredLicense(spdx="MIT AND (Apache-2.0 OR BSD-3-Clause)", source="License-Expression"),
    2: DeclaredLicense(name="Public Domain", source="Classifier"),
    4: DeclaredLicense(spdx="GPL-2.0-or-later", source="Classifier"),
}


def _packages():
    roots = {None: [Requirement(r) for r in ("multi", "archived", "vendored", "twice")]}
    graph = build_graph(LOCK, roots, project_name="Root.App", project_version="9.9")
    return sbom_packages(graph, LOCK, LICENSES)


def test_purls_follow_the_purl_spec_for_pypi() -> None:
    assert purl("Foo_Bar", "1.0+local.1") == "pkg:pypi/foo-bar@1.0%2Blocal.1"
    assert purl("zope.interface", "6.0") == "pkg:pypi/zope.interface@6.0"
    assert purl("x", None) == "pkg:pypi/x"


def test_cyclonedx_document_of_every_kind_of_source() -> None:
    document = cyclonedx_document(_packages(), tool_version="0.1.0", created=CREATED)
    assert cyclonedx_problems(document) == []
    assert document["metadata"]["timestamp"] == "2025-01-02T03:04:05Z"
    assert document["metadata"]["component"]["name"] == "root-app"
    components = {c["bom-ref"]: c for c in document["components"]}
    assert sorted(components) == [
        "archived@3.0",
        "fromgit@2.0",
        "multi@1.0+local.1",
        "twice@1.0",
        "twice@2.0",
        "vendored@4.0",
    ]
    multi = components["multi@1.0+local.1"]
    assert multi["purl"] == "pkg:pypi/multi@1.0%2Blocal.1"
    assert "hashes" not in multi  # two wheels: each reference carries its own
    assert [r["comment"] for r in multi["externalReferences"]] == [
        "multi-1.0+local.1-cp312-cp312-linux_x86_64.whl",
        "multi-1.0+local.1-py3-none-any.whl",
    ]
    assert multi["licenses"] == [{"expression": "LicenseRef-Proprietary", "acknowledgement": "declared"}]
    git = components["fromgit@2.0"]
    pinned = f"git+https://git.example/fromgit.git@{COMMIT}#subdirectory=pkg"
    assert git["externalReferences"] == [{"url": pinned, "type": "vcs"}]
    assert git["purl"].startswith("pkg:generic/fromgit@2.0?vcs_url=git%2Bhttps://git.example/")
    assert git["licenses"] == [
        {"expression": "MIT AND (Apache-2.0 OR BSD-3-Clause)", "acknowledgement": "declared"}
    ]
    archived = components["archived@3.0"]
    assert (
        archived["purl"] == "pkg:generic/archived@3.0?download_url=https://files.example/archived-3.0.tar.gz"
    )
    assert archived["licenses"] == [{"license": {"name": "Public Domain", "acknowledgement": "declared"}}]
    vendored = components["vendored@4.0"]
    assert "purl" not in vendored and "externalReferences" not in vendored
    assert vendored["properties"] == [{"name": "bale:file", "value": "wheels/vendored-4.0-py3-none-any.whl"}]
    assert components["twice@1.0"]["properties"] == [
        {"name": "bale:marker", "value": 'sys_platform == "win32"'}
    ]
    dependencies = {d["ref"]: d["dependsOn"] for d in document["dependencies"]}
    assert dependencies["multi@1.0+local.1"] == ["fromgit@2.0"]
    assert dependencies["root-app@9.9"] == [
        "archived@3.0",
        "multi@1.0+local.1",
        "twice@1.0",
        "twice@2.0",
        "vendored@4.0",
    ]


def test_spdx_document_of_every_kind_of_source() -> None:
    document = spdx_document(_packages(), tool_version="0.1.0", created=CREATED)
    assert spdx_problems(document) == []
    packages = {p["SPDXID"]: p for p in document["packages"]}
    multi = packages["SPDXRef-multi-1.0-local.1"]
    # One file per SPDX package: the universal wheel when there is no sdist.
    assert multi["downloadLocation"] == "https://files.example/multi-1.0+local.1-py3-none-any.whl"
    assert multi["checksums"] == [{"algorithm": "SHA256", "checksumValue": "b" * 64}]
    assert multi["licenseDeclared"] == "LicenseRef-Proprietary"
    assert document["hasExtractedLicensingInfos"][0]["licenseId"] == "LicenseRef-Proprietary"
    git = packages["SPDXRef-fromgit-2.0"]
    assert git["downloadLocation"] == f"git+https://git.example/fromgit.git@{COMMIT}#subdirectory=pkg"
    vendored = packages["SPDXRef-vendored-4.0"]
    assert (vendored["downloadLocation"], vendored["packageFileName"]) == (
        "NOASSERTION",
        "wheels/vendored-4.0-py3-none-any.whl",
    )
    assert packages["SPDXRef-archived-3.0"]["licenseComments"] == "Classifier: Public Domain"
    assert packages["SPDXRef-twice-1.0"]["licenseDeclared"] == "GPL-2.0-or-later"
    assert packages["SPDXRef-twice-2.0"]["licenseDeclared"] == "NOASSERTION"


def test_identifiers_are_content_derived() -> None:
    packages = _packages()
    first = render(cyclonedx_document(packages, tool_version="0.1.0", created=CREATED))
    assert render(cyclonedx_document(packages, tool_version="0.1.0", created=CREATED)) == first
    other = cyclonedx_document(packages[:-1], tool_version="0.1.0", created=CREATED)
    assert (
        other["serialNumber"]
        != cyclonedx_document(packages, tool_version="0.1.0", created=CREATED)["serialNumber"]
    )
    one = spdx_document(packages, tool_version="0.1.0", created=CREATED)["documentNamespace"]
    later = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert spdx_document(packages, tool_version="0.1.0", created=later)["documentNamespace"] != one


def test_unique_references_for_one_name_and_version_locked_twice() -> None:
    lock = _lock(
        [
            {
                "name": "a",
                "version": "1.0",
                "marker": "os_name == 'nt'",
                "sdist": {"url": "https://f/a-1.0.tar.gz", "hashes": {"sha256": SHA}},
            },
            {
                "name": "a",
                "version": "1.0",
                "marker": "os_name != 'nt'",
                "sdist": {"url": "https://g/a-1.0.tar.gz", "hashes": {"sha256": SHA}},
            },
        ]
    )
    graph = build_graph(lock, {None: [Requirement("a")]}, project_name="p")
    packages = sbom_packages(graph, lock, {})
    bom = cyclonedx_document(packages, tool_version="0", created=CREATED)
    assert [c["bom-ref"] for c in bom["components"]] == ["a@1.0", "a@1.0-2"]
    assert cyclonedx_problems(bom) == []
    spdx = spdx_document(packages, tool_version="0", created=CREATED)
    assert [p["SPDXID"] for p in spdx["packages"]] == ["SPDXRef-p", "SPDXRef-a-1.0", "SPDXRef-a-1.0-2"]
    assert spdx_problems(spdx) == []
