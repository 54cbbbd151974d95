"""A tool's receipt (``bale-tool.toml``): what it was installed from and which executables it links."""

from __future__ import annotations

from bale.errors import BaleError
from bale.lock.toml_writer import dumps
from bale.model.names import NormalizedName, normalize
from bale.model.record import record

RECEIPT_NAME = "bale-tool.toml"


@record(frozen=True, slots=True)
class Entrypoint:
    """One executable of the tool: its name in the bin dir and the link's path there."""

    name: str
    install_path: str


@record(frozen=True, slots=True)
class Receipt:
    """Everything ``bale tool install`` was given, so that an upgrade or a reinstall reproduces it.

    ``requirement`` is the request as typed (``black[d]>=24``: extras and version spec included),
    ``with_`` the ``--with`` requirements, ``python`` the ``--python`` request (None: any).
    """

    name: NormalizedName
    requirement: str
    with_: tuple[str, ...] = ()
    python: str | None = None
    editable: bool = False
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    entrypoints: tuple[Entrypoint, ...] = ()

    def same_request(self, other: Receipt) -> bool:
        """Whether ``other`` asks for the same tool in the same way (the executables aside)."""
        return (
            self.name,
            self.requirement,
            self.with_,
            self.python,
            self.editable,
        ) == (other.name, other.requirement, other.with_, other.python, other.editable)


def render_receipt(receipt: Receipt) -> str:
    """The receipt as TOML text; the same receipt always gives the same bytes."""
    tool: dict[str, object] = {"name": str(receipt.name), "requirement": receipt.requirement}
    if receipt.with_:
        tool["with"] = list(receipt.with_)
    if receipt.python is not None:
        tool["python"] = receipt.python
    if receipt.editable:
        tool["editable"] = True
    sources: dict[str, object] = {}
    if receipt.index_url is not None:
        sources["index-url"] = receipt.index_url
    if receipt.extra_index_urls:
        sources["extra-index-urls"] = list(receipt.extra_index_urls)
    if receipt.find_links:
        sources["find-links"] = list(receipt.find_links)
    if receipt.no_index:
        sources["no-index"] = True
    if sources:
        tool["sources"] = sources
    tool["entrypoints"] = [{"name": e.name, "install-path": e.install_path} for e in receipt.entrypoints]
    header = "# Written by `bale tool install`: what this tool was installed from. Do not edit.\n"
    return header + dumps({"tool": tool}, sort_keys=False)


def parse_receipt(text: str, *, source: str) -> Receipt:
    """The receipt in ``text``; raises BaleError naming ``source`` when it is not one."""
    try:
        import tomllib  # type: ignore[import-not-found, unused-ignore]
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef, unused-ignore]
    hint = "reinstall the tool with `bale tool install --force NAME`"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BaleError(f"The tool receipt {source} is not valid TOML: {err}", hint=hint) from err
    tool = data.get("tool")
    if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
        raise BaleError(f"The tool receipt {source} has no [tool] table with a name", hint=hint)
    if not isinstance(tool.get("requirement"), str):
        raise BaleError(f"The tool receipt {source} has no requirement", hint=hint)
    sources = tool.get("sources", {})
    entrypoints = []
    for item in tool.get("entrypoints", []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BaleError(f"The tool receipt {source} has an entry point without a name", hint=hint)
        entrypoints.append(Entrypoint(item["name"], str(item.get("install-path", ""))))
    return Receipt(
        name=normalize(tool["name"]),
        requirement=tool["requirement"],
        with_=tuple(str(w) for w in tool.get("with", [])),
        python=tool.get("python"),
        editable=bool(tool.get("editable", False)),
        index_url=sources.get("index-url"),
        extra_index_urls=tuple(sources.get("extra-index-urls", [])),
        find_links=tuple(sources.get("find-links", [])),
        no_index=bool(sources.get("no-index", False)),
        entrypoints=tuple(entrypoints),
    )
