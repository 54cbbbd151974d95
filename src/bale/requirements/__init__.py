"""Requirements files (pip's requirements.txt family) and requirement arguments, read as RequirementSpecs."""

from __future__ import annotations

from bale.requirements.files import (
    decode_requirements,
    parse_requirement_arg,
    parse_requirements_file,
    parse_requirements_source,
    read_local,
    reader,
)
from bale.requirements.parse import (
    ReadText,
    RequirementOptions,
    RequirementsFile,
    parse_requirement_line,
    parse_requirements,
    parse_requirements_text,
    pinned_version,
)

__all__ = [
    "ReadText",
    "RequirementOptions",
    "RequirementsFile",
    "decode_requirements",
    "parse_requirement_arg",
    "parse_requirement_line",
    "parse_requirements",
    "parse_requirements_file",
    "parse_requirements_source",
    "parse_requirements_text",
    "pinned_version",
    "read_local",
    "reader",
]
