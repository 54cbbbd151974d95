"""New pins in a requirements file's text: the version and its ``--hash`` options; the rest kept."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bale.model.record import record

_PIN = re.compile(r"(===?)(\s*)([^\s;,\\#\[\]]+)")
_HASH = re.compile(r"\s*--hash[=\s]\s*\S+")


@record(frozen=True, slots=True)
class NewPin:
    """Pin the requirement starting on ``line`` (1-based) at ``version``; ``hashes`` (``sha256:...``)
    replace the line's ``--hash`` options when it has any."""

    line: int
    version: str
    hashes: Sequence[str] = ()


def rewrite_pins(text: str, pins: Mapping[str, NewPin]) -> str:
    """``text`` with each pin's logical line rewritten; comments, markers, extras and the other lines
    stay byte for byte. ``pins`` is keyed by package name (for messages only)."""
    lines = text.splitlines(keepends=True)
    by_line = {pin.line: pin for pin in pins.values()}
    out: list[str] = []
    number = 0
    while number < len(lines):
        pin = by_line.get(number + 1)
        if pin is None:
            out.append(lines[number])
            number += 1
            continue
        end = number
        while end + 1 < len(lines) and lines[end].rstrip("\r\n").endswith("\\"):
            end += 1
        out.extend(_rewritten(lines[number : end + 1], pin))
        number = end + 1
    return "".join(out)


def _newline(line: str) -> str:
    return "\r\n" if line.endswith("\r\n") else "\n"


def _rewritten(physical: list[str], pin: NewPin) -> list[str]:
    nl = _newline(physical[0])
    first = _PIN.sub(lambda m: m.group(1) + m.group(2) + pin.version, physical[0], count=1)
    physical = [first, *physical[1:]]
    if not pin.hashes or not any("--hash" in line for line in physical):
        return physical
    indent = next(
        (
            line[: len(line) - len(line.lstrip())]
            for line in physical[1:]
            if line.lstrip().startswith("--hash")
        ),
        "    ",
    )
    parts = [_HASH.sub("", line.rstrip("\r\n")).rstrip().removesuffix("\\").strip() for line in physical]
    head = " ".join(part for part in parts if part)
    head, _, comment = head.partition(" #")
    lead = first[: len(first) - len(first.lstrip())]
    hashes = sorted(pin.hashes)
    block = [lead + head.rstrip() + " \\" + nl]
    for position, digest in enumerate(hashes):
        if position < len(hashes) - 1:
            block.append(f"{indent}--hash={digest} \\{nl}")
        else:
            block.append(f"{indent}--hash={digest}" + (f"  #{comment}" if comment else "") + nl)
    return block
