"""The official CycloneDX and SPDX 2.3 JSON schemas, as installed packages ship them, and validation.

CycloneDX 1.5/1.6 (with the SPDX licence-id list and JSF schemas they reference) come from
``cyclonedx-python-lib``; SPDX 2.3 from ``lib4sbom``. Both are in the ``test`` extra: nothing is
fetched at test time, and no schema is copied into this repository.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource

_CYCLONEDX_BASE = "http://cyclonedx.org/schema/"


def _load(package: str, *parts: str) -> dict[str, Any]:
    resource = files(package).joinpath(*parts)
    data: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return data


@functools.cache
def cyclonedx_validator(version: str) -> Draft7Validator:
    """A validator for ``bom-<version>.schema.json``; its ``$ref``s to ``spdx.SNAPSHOT.schema.json``
    and ``jsf-0.82.SNAPSHOT.schema.json`` resolve through a registry of the shipped files."""
    registry: Registry[Any] = Registry()
    for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
        schema = _load("cyclonedx", "schema", "_res", name)
        resource = Resource.from_contents(schema)
        # Referenced by the SNAPSHOT file name, identified by its own $id: both must resolve.
        registry = registry.with_resource(_CYCLONEDX_BASE + name, resource)
        registry = registry.with_resource(schema["$id"], resource)
    schema = _load("cyclonedx", "schema", "_res", f"bom-{version}.SNAPSHOT.schema.json")
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@functools.cache
def spdx_validator() -> Draft7Validator:
    schema = _load("lib4sbom", "schemas", "spdx", "2.3-schema.json")
    assert schema["title"] == "SPDX 2.3", schema["title"]
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def _problems(validator: Draft7Validator, document: object) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


def cyclonedx_problems(document: object, version: str = "1.6") -> list[str]:
    """Every way ``document`` breaks the CycloneDX ``version`` JSON schema (empty: valid)."""
    return _problems(cyclonedx_validator(version), document)


def spdx_problems(document: Any) -> list[str]:
    """Every way ``document`` breaks the SPDX 2.3 JSON schema, and the rules the schema cannot state:
    unique ``SPDXID``s of the allowed form, relationships between elements the document defines."""
    problems = _problems(spdx_validator(), document)
    ids = [package["SPDXID"] for package in document.get("packages", [])]
    if len(ids) != len(set(ids)):
        problems.append(f"duplicate SPDXIDs: {sorted(ids)}")
    import re

    problems.extend(f"bad SPDXID {i}" for i in ids if not re.fullmatch(r"SPDXRef-[A-Za-z0-9.\-]+", i))
    known = {*ids, "SPDXRef-DOCUMENT"}
    for relationship in document.get("relationships", []):
        for key in ("spdxElementId", "relatedSpdxElement"):
            if relationship[key] not in known:
                problems.append(f"relationship names an unknown element {relationship[key]}")
    return problems
