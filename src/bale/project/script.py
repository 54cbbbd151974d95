"""PEP 723 inline script metadata: find, read and edit the ``# /// script`` block, with line numbers."""

from __future__ import annotations

import re
from typing import Any

from bale.errors import BaleError
from bale.model.record import record

# PEP 723: a block opens with "# /// TYPE", every line inside is "#" or "# ...", and it closes at the
# last "# ///" before the first line that is not a comment.
_OPEN = re.compile(r"^# /// (?P<type>[a-zA-Z0-9-]+)$")
_CLOSE = "# ///"
_TOP_KEYS = ("dependencies", "requires-python", "tool")
_BALE_KEYS = ("index", "indexes", "exclude-newer")
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


@record(frozen=True, slots=True)
class Block:
    """Where the script block is: ``start`` is the index of the ``# /// script`` line, ``end`` that of
    the closing ``# ///`` (0-based, into ``lines``); ``toml`` is its content without the prefixes."""

    start: int
    end: int
    toml: str


@record(frozen=True, slots=True)
class ScriptMetadata:
    """What a script's block asks for; ``present`` is False for a script without a block."""

    source: str
    present: bool
    dependencies: tuple[str, ...] = ()
    requires_python: str | None = None
    indexes: tuple[str, ...] = ()  # the first is the default index, the rest are extra indexes
    exclude_newer: str | None = None


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _bare(line: str) -> str:
    return line.rstrip("\r\n")


def find_block(text: str, source: str) -> Block | None:
    """The ``script`` block of ``text`` (None when there is none); raises BaleError naming ``source``
    and the line for an unclosed block or a second ``script`` block."""
    lines = _lines(text)
    found: Block | None = None
    index = 0
    while index < len(lines):
        opened = _OPEN.match(_bare(lines[index]))
        if opened is None:
            index += 1
            continue
        close: int | None = None
        inner = index + 1
        while inner < len(lines):
            line = _bare(lines[inner])
            if close is not None and _OPEN.match(line):
                break  # the next block opens: this one ended at its last "# ///"
            if line == _CLOSE:
                close = inner
            elif not (line == "#" or line.startswith("# ")):
                break
            inner += 1
        if close is None:
            raise BaleError(
                f"{source}, line {index + 1}: the `# /// {opened['type']}` block is never closed",
                hint="end it with a line holding only `# ///`",
            )
        if opened["type"] == "script":
            if found is not None:
                raise BaleError(
                    f"{source}, line {index + 1}: a second `# /// script` block "
                    f"(the first starts at line {found.start + 1})",
                    hint="a script has at most one metadata block: merge them",
                )
            content = "".join(_bare(line)[2:] + "\n" for line in lines[index + 1 : close])
            found = Block(index, close, content)
        index = close + 1
    return found


def _toml_error(err: Exception, source: str, block: Block) -> BaleError:
    message = str(err)
    where = _TOML_LINE.search(message)
    # "at end of document" (an unclosed array, say): the closing line is where the reader ends up.
    line = block.start + 1 + int(where.group(1)) if where else block.end + 1
    reason = _TOML_LINE.sub("", message).strip()
    return BaleError(f"{source}, line {line}: invalid TOML in the script block: {reason}")


def _key_line(block: Block, key: str) -> int:
    """The file line (1-based) where ``key`` is set or its table opens, else the block's first line."""
    pattern = re.compile(rf"^\s*(\[+\s*)?(\"?){re.escape(key)}\2\s*[=\].]")
    for offset, line in enumerate(block.toml.splitlines()):
        if pattern.match(line):
            return block.start + 2 + offset
    return block.start + 1


def _strings(value: Any, what: str, source: str, line: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BaleError(f"{source}, line {line}: `{what}` must be a list of strings")
    return tuple(value)


def parse_script(text: str, source: str, *, check_dependencies: bool = True) -> ScriptMetadata:
    """The metadata of a script's text; BaleError naming ``source`` and the line for what is wrong.

    ``check_dependencies=False`` leaves the requirements unparsed (``check_dependencies`` does it
    later): packaging's requirement parser costs ~20 ms to import, and a warm ``bale run`` finds its
    environment by the requirements' text alone.
    """
    try:
        import tomllib  # type: ignore[import-not-found, unused-ignore]
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef, unused-ignore]

    block = find_block(text, source)
    if block is None:
        return ScriptMetadata(source, present=False)
    try:
        data = tomllib.loads(block.toml)
    except tomllib.TOMLDecodeError as err:
        raise _toml_error(err, source, block) from err
    problems = [
        f"{source}, line {_key_line(block, key)}: unknown key `{key}` in the script block"
        for key in data
        if key not in _TOP_KEYS
    ]
    tool = data.get("tool", {})
    bale = tool.get("bale", {}) if isinstance(tool, dict) else {}
    if not isinstance(bale, dict):
        problems.append(f"{source}, line {_key_line(block, 'tool')}: `tool.bale` must be a table")
        bale = {}
    problems.extend(
        f"{source}, line {_key_line(block, key)}: unknown key `tool.bale.{key}` in the script block"
        for key in bale
        if key not in _BALE_KEYS
    )
    if problems:
        raise BaleError(
            problems[0],
            context=problems[1:],
            hint=f"the block knows {', '.join(_TOP_KEYS)}, and [tool.bale] {', '.join(_BALE_KEYS)}",
        )
    dependencies = _strings(
        data.get("dependencies", []), "dependencies", source, _key_line(block, "dependencies")
    )
    if check_dependencies:
        _check(dependencies, source, block)
    requires_python = data.get("requires-python")
    if requires_python is not None:
        line = _key_line(block, "requires-python")
        if not isinstance(requires_python, str):
            raise BaleError(f"{source}, line {line}: `requires-python` must be a string")
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier as err:
            raise BaleError(f"{source}, line {line}: invalid requires-python {requires_python!r}") from err
    exclude_newer = bale.get("exclude-newer")
    if exclude_newer is not None and not isinstance(exclude_newer, str):
        line = _key_line(block, "exclude-newer")
        raise BaleError(f"{source}, line {line}: `tool.bale.exclude-newer` must be a string")
    return ScriptMetadata(
        source,
        present=True,
        dependencies=dependencies,
        requires_python=requires_python,
        indexes=_indexes(bale, source, block),
        exclude_newer=exclude_newer,
    )


def check_dependencies(text: str, source: str) -> None:
    """Raise BaleError naming the line for a dependency that is not a valid requirement."""
    block = find_block(text, source)
    if block is not None:
        _check(parse_script(text, source, check_dependencies=False).dependencies, source, block)


def _check(dependencies: tuple[str, ...], source: str, block: Block) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    start = _key_line(block, "dependencies")
    lines = block.toml.splitlines()
    for requirement in dependencies:
        try:
            Requirement(requirement)
        except InvalidRequirement as err:
            # The line holding the string (a multi-line list has one a line), else the key's.
            found = (n for n in range(start - block.start - 2, len(lines)) if requirement in lines[n])
            line = block.start + 2 + next(found, start - block.start - 2)
            raise BaleError(f"{source}, line {line}: invalid dependency {requirement!r}: {err}") from err


def _indexes(bale: dict[str, Any], source: str, block: Block) -> tuple[str, ...]:
    """``index = "URL"`` or ``[[tool.bale.index]] url = ...`` tables, then ``indexes = [URL, ...]``."""
    urls: list[str] = []
    index = bale.get("index")
    line = _key_line(block, "index")
    if isinstance(index, str):
        urls.append(index)
    elif isinstance(index, list):
        for item in index:
            url = item.get("url") if isinstance(item, dict) else item
            if not isinstance(url, str):
                raise BaleError(f"{source}, line {line}: each `tool.bale.index` needs a `url` string")
            urls.append(url)
    elif index is not None:
        raise BaleError(f"{source}, line {line}: `tool.bale.index` must be a URL or a list of tables")
    urls.extend(_strings(bale.get("indexes", []), "tool.bale.indexes", source, _key_line(block, "indexes")))
    return tuple(urls)


# ---------------------------------------------------------------------------------------------- edit


def _render(toml: str, newline: str) -> str:
    """TOML content as block lines: ``# `` before each line, a bare ``#`` for an empty one."""
    return "".join(("# " + line if line else "#") + newline for line in toml.splitlines())


def _newline(line: str) -> str:
    """The line ending ``line`` (the first of a text) uses; new lines get the same."""
    first = line.split("\n", 1)[0]
    return "\r\n" if first.endswith("\r") else "\n"


def new_block(requires_python: str | None, newline: str = "\n") -> str:
    """A fresh block: requires-python (when known) and an empty dependencies list."""
    body = f'requires-python = "{requires_python}"\n' if requires_python else ""
    return f"# /// script{newline}" + _render(body + "dependencies = []\n", newline) + f"# ///{newline}"


def insert_block(text: str, source: str, requires_python: str | None) -> str:
    """``text`` with a new block at its top (after a ``#!`` line); the rest is kept byte for byte."""
    if find_block(text, source) is not None:
        raise BaleError(f"{source} already has a `# /// script` block")
    newline = _newline(text)
    lines = _lines(text)
    head: list[str] = []
    if lines and lines[0].startswith("#!"):
        head = [lines.pop(0)]
        if not head[0].endswith(("\n", "\r")):
            head[0] += newline
    block = new_block(requires_python, newline)
    rest = "".join(lines)
    return "".join(head) + block + (newline + rest if rest else "")


def _edit_dependencies(text: str, source: str, change: Any) -> str:
    """``text`` with the block's dependencies passed through ``change`` (a tomlkit array, edited in
    place); every byte outside the block, and the block's other lines, are kept."""
    import tomlkit

    block = find_block(text, source)
    if block is None:
        raise BaleError(
            f"{source} has no `# /// script` block", hint=f"create one with `bale init --script {source}`"
        )
    parse_script(text, source)  # the same errors as a run, before anything is written
    document = tomlkit.parse(block.toml)
    dependencies = document.get("dependencies")
    if dependencies is None:
        dependencies = tomlkit.array()
        document["dependencies"] = dependencies
    change(dependencies)
    if len(dependencies):
        dependencies.multiline(True)
    else:  # tomlkit would keep an emptied multi-line array's lines: "[\n]"
        document["dependencies"] = tomlkit.array()
    lines = _lines(text)
    newline = _newline(lines[block.start])
    content = _render(tomlkit.dumps(document), newline)
    return "".join(lines[: block.start + 1]) + content + "".join(lines[block.end :])


def add_dependencies(text: str, source: str, requirements: list[str]) -> str:
    """Add (or replace, by name) ``requirements`` in the block's dependencies."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    parsed = []
    for item in requirements:
        try:
            parsed.append(Requirement(item))
        except InvalidRequirement as err:
            raise BaleError(f"Invalid requirement {item!r}: {err}") from err

    def change(array: Any) -> None:
        for requirement in parsed:
            name = canonicalize_name(requirement.name)
            for position, existing in enumerate(list(array)):
                if _name_of(str(existing)) == name:
                    array[position] = str(requirement)
                    break
            else:
                array.append(str(requirement))

    return _edit_dependencies(text, source, change)


def remove_dependencies(text: str, source: str, names: list[str]) -> str:
    """Remove the dependencies named ``names``; BaleError when one is not there."""
    from packaging.utils import canonicalize_name

    wanted = [canonicalize_name(name) for name in names]

    def change(array: Any) -> None:
        present = {_name_of(str(item)) for item in array}
        missing = [name for name in wanted if name not in present]
        if missing:
            raise BaleError(
                f"{source}: the script block has no dependency on {', '.join(missing)}",
                context=[f"it lists: {', '.join(str(item) for item in array) or 'nothing'}"],
            )
        for position in reversed(range(len(array))):
            if _name_of(str(array[position])) in wanted:
                del array[position]

    return _edit_dependencies(text, source, change)


def _name_of(requirement: str) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return None
