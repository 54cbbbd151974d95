"""``bale export --format cyclonedx|spdx``: SBOMs of the lock, valid against the official JSON schemas."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests.sbom.helpers import locked_demo
from tests.sbom.schemas import cyclonedx_problems, spdx_problems

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Who depends on whom in the demo, by name (the project is "demo").
EDGES = {
    "demo": ["app", "bsdish", "classic", "devtool", "localpkg", "mystery"],
    "app": ["lib"],
    "localpkg": ["lib"],
    "bsdish": [],
    "classic": [],
    "devtool": [],
    "lib": [],
    "mystery": [],
}


def _export(run_bale, root: Path, server, *options: str, env: dict[str, str] | None = None) -> str:
    result = run_bale("export", *options, "-i", server.url, cwd=root, env=env)
    assert result.code == 0, result
    assert result.stderr == "", result
    return result.stdout


def _lock_files(root: Path) -> dict[str, dict]:
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p for p in data["packages"]}


def test_cyclonedx_export_is_valid_complete_and_reproducible(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    text = _export(run_bale, root, server, "--format", "cyclonedx")
    assert _export(run_bale, root, server, "--format", "cyclonedx") == text  # byte for byte
    assert _export(run_bale, root, server, "--format", "cyclonedx1.6") == text
    bom = json.loads(text)
    assert cyclonedx_problems(bom) == []
    assert (bom["bomFormat"], bom["specVersion"], bom["version"]) == ("CycloneDX", "1.6", 1)
    assert bom["serialNumber"].startswith("urn:uuid:")

    root_component = bom["metadata"]["component"]
    assert root_component == {
        "type": "application",
        "bom-ref": "demo@0.1.0",
        "name": "demo",
        "version": "0.1.0",
        "licenses": [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}],
    }
    components = {c["name"]: c for c in bom["components"]}
    assert list(components) == sorted(name for name in EDGES if name != "demo")
    locked = _lock_files(root)
    app = components["app"]
    wheel = locked["app"]["wheels"][0]
    assert app["purl"] == "pkg:pypi/app@1.0"
    assert app["hashes"] == [{"alg": "SHA-256", "content": wheel["hashes"]["sha256"]}]
    assert app["externalReferences"] == [
        {
            "url": wheel["url"],
            "comment": "app-1.0-py3-none-any.whl",
            "type": "distribution",
            "hashes": [{"alg": "SHA-256", "content": wheel["hashes"]["sha256"]}],
        }
    ]
    # One SPDX id: license.id; a compound expression: expression; no identifier: a name; unknown: none.
    assert app["licenses"] == [{"license": {"id": "MIT", "acknowledgement": "declared"}}]
    assert components["devtool"]["licenses"] == [
        {"expression": "MIT OR Apache-2.0", "acknowledgement": "declared"}
    ]
    assert components["bsdish"]["licenses"] == [
        {"license": {"name": "BSD License", "acknowledgement": "declared"}}
    ]
    assert "licenses" not in components["mystery"]
    # The path dependency: where it is, no purl (pkg:pypi/localpkg would name someone else's project).
    local = components["localpkg"]
    assert local["version"] == "1.5"
    assert local["properties"] == [{"name": "bale:directory", "value": "../localpkg"}]
    assert "purl" not in local and "hashes" not in local
    assert local["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]

    refs = {c["bom-ref"]: c["name"] for c in [root_component, *bom["components"]]}
    graph = {refs[d["ref"]]: sorted(refs[t] for t in d["dependsOn"]) for d in bom["dependencies"]}
    assert graph == EDGES
    assert [d["ref"] for d in bom["dependencies"]] == sorted(refs)


def test_spdx_export_is_valid_complete_and_reproducible(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    text = _export(run_bale, root, server, "--format", "spdx")
    assert _export(run_bale, root, server, "--format", "spdx") == text
    document = json.loads(text)
    assert spdx_problems(document) == []
    assert document["spdxVersion"] == "SPDX-2.3"
    assert document["documentNamespace"].startswith("https://spdx.org/spdxdocs/demo-0.1.0-")
    packages = {p["name"]: p for p in document["packages"]}
    assert document["packages"][0]["name"] == "demo"
    assert packages["demo"]["primaryPackagePurpose"] == "APPLICATION"
    assert packages["demo"]["licenseDeclared"] == "Apache-2.0"

    wheel = _lock_files(root)["lib"]["wheels"][0]
    lib = packages["lib"]
    assert lib["versionInfo"] == "2.0"
    assert lib["downloadLocation"] == wheel["url"]
    assert lib["packageFileName"] == "lib-2.0-py3-none-any.whl"
    assert lib["checksums"] == [{"algorithm": "SHA256", "checksumValue": wheel["hashes"]["sha256"]}]
    assert lib["licenseDeclared"] == "BSD-3-Clause"
    assert lib["licenseConcluded"] == "NOASSERTION"
    assert lib["externalRefs"] == [
        {
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": "pkg:pypi/lib@2.0",
        }
    ]
    assert packages["devtool"]["licenseDeclared"] == "MIT OR Apache-2.0"
    # Not an SPDX expression, or unknown: NOASSERTION (with what the metadata says, when it says it).
    assert packages["bsdish"]["licenseDeclared"] == "NOASSERTION"
    assert packages["bsdish"]["licenseComments"] == "Classifier: BSD License"
    assert packages["mystery"]["licenseDeclared"] == "NOASSERTION"
    local = packages["localpkg"]
    assert (local["packageFileName"], local["downloadLocation"]) == ("../localpkg", "NOASSERTION")
    assert "externalRefs" not in local

    names = {p["SPDXID"]: p["name"] for p in document["packages"]}
    names["SPDXRef-DOCUMENT"] = "(document)"
    relationships = [
        (names[r["spdxElementId"]], r["relationshipType"], names[r["relatedSpdxElement"]])
        for r in document["relationships"]
    ]
    assert relationships[0] == ("(document)", "DESCRIBES", "demo")
    graph: dict[str, list[str]] = {name: [] for name in EDGES}
    for source, kind, target in relationships[1:]:
        assert kind == "DEPENDS_ON"
        graph[source].append(target)
    assert {name: sorted(targets) for name, targets in graph.items()} == EDGES


def test_sbom_follows_the_selection(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    bom = json.loads(_export(run_bale, root, server, "--format", "cyclonedx", "--no-dev"))
    assert cyclonedx_problems(bom) == []
    assert "devtool" not in [c["name"] for c in bom["components"]]
    demo = next(d for d in bom["dependencies"] if d["ref"] == "demo@0.1.0")
    assert "devtool@1.0" not in demo["dependsOn"]
    only = json.loads(_export(run_bale, root, server, "--format", "spdx", "--only-group", "dev"))
    assert spdx_problems(only) == []
    assert [p["name"] for p in only["packages"]] == ["demo", "devtool"]


def test_sbom_times_come_from_source_date_epoch_else_the_lock(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    uploaded = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    older = datetime(2023, 1, 1, tzinfo=timezone.utc)
    times = {"lib-2.0-py3-none-any.whl": uploaded, "app-1.0-py3-none-any.whl": older}
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path, upload_times=times)
    assert "upload-time" in (root / "pylock.toml").read_text()
    # The newest upload time in the lock: the same for the same lock, whenever it is exported.
    spdx = json.loads(_export(run_bale, root, server, "--format", "spdx"))
    assert spdx["creationInfo"]["created"] == "2024-05-06T07:08:09Z"
    bom = json.loads(_export(run_bale, root, server, "--format", "cyclonedx"))
    assert bom["metadata"]["timestamp"] == "2024-05-06T07:08:09Z"

    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    spdx = json.loads(_export(run_bale, root, server, "--format", "spdx", env=epoch))
    assert spdx["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    assert spdx_problems(spdx) == []
    bad = run_bale(
        "export", "--format", "spdx", "-i", server.url, cwd=root, env={"SOURCE_DATE_EPOCH": "soon"}
    )
    assert bad.code == 1
    assert "SOURCE_DATE_EPOCH must be a number of seconds, not 'soon'" in bad.stderr


def test_cyclonedx_1_5_as_uv_spells_it(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server, root = locked_demo(make_pkg, static_index, run_bale, tmp_path)
    out = tmp_path / "sbom.cdx.json"
    result = run_bale("export", "--format", "cyclonedx1.5", "-o", str(out), "-i", server.url, cwd=root)
    assert (result.code, result.stdout) == (0, ""), result
    bom = json.loads(out.read_text(encoding="utf-8"))
    assert bom["specVersion"] == "1.5"
    assert cyclonedx_problems(bom, "1.5") == []
    licenses = {c["name"]: c.get("licenses") for c in bom["components"]}
    assert licenses["app"] == [{"license": {"id": "MIT"}}]  # acknowledgement is 1.6's
