"""bale.markers: the algebra checked against packaging's own evaluation over a grid of environments."""

from __future__ import annotations

import itertools

import pytest
from packaging.markers import Marker

from bale.markers import (
    FALSE,
    TRUE,
    MarkerExpr,
    PythonRange,
    and_,
    is_always_false,
    is_always_true,
    is_disjoint,
    not_,
    or_,
    parse,
    python_marker,
    restrict_python,
    simplify,
    to_marker,
)

PYTHONS = [
    "3.7.17", "3.8.0", "3.8.10", "3.9.0", "3.9.1", "3.9.18", "3.10.0", "3.10.13", "3.11.0", "3.11.7",
    "3.12.0", "3.12.1", "3.13.0", "3.14.0",
]  # fmt: skip
PLATFORMS = [
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
]
MACHINES = ["x86_64", "aarch64", "AMD64"]
IMPLEMENTATIONS = [("cpython", "CPython"), ("pypy", "PyPy")]
EXTRAS = ["", "test"]


def _environment(
    python: str, platform: dict[str, str], machine: str, impl: tuple[str, str], extra: str
) -> dict[str, str]:
    return {
        "python_full_version": python,
        "python_version": ".".join(python.split(".")[:2]),
        "implementation_name": impl[0],
        "platform_python_implementation": impl[1],
        "implementation_version": python,
        "platform_machine": machine,
        "platform_release": "6.1.0",
        "platform_version": "",
        "extra": extra,
        **platform,
    }


GRID = [
    _environment(*combination)
    for combination in itertools.product(PYTHONS, PLATFORMS, MACHINES, IMPLEMENTATIONS, EXTRAS)
]

CORPUS = [
    "python_version >= '3.9'",
    "python_version < '3.10'",
    "python_version > '3.9'",
    "python_version <= '3.9'",
    "python_version == '3.11'",
    "python_version != '3.11'",
    "python_version == '3.*'",
    "python_version ~= '3.9'",
    "python_version > '3.9.1'",
    "python_version < '3.9.1'",
    "'3.10' <= python_version",
    "python_full_version >= '3.9.1'",
    "python_full_version < '3.10.0'",
    "python_full_version == '3.9.*'",
    "python_full_version != '3.9.18'",
    "python_full_version ~= '3.11.0'",
    "python_full_version > '3.12'",
    "sys_platform == 'win32'",
    "sys_platform != 'win32'",
    "sys_platform == 'linux' or sys_platform == 'darwin'",
    "platform_system == 'Windows'",
    "platform_system != 'Darwin' and os_name == 'posix'",
    "os_name == 'nt'",
    "platform_machine == 'x86_64' and sys_platform == 'linux'",
    "platform_machine != 'aarch64'",
    "implementation_name == 'pypy'",
    "platform_python_implementation == 'CPython' and python_version < '3.12'",
    "'arm' in platform_machine",
    "platform_machine not in 'x86_64 AMD64'",
    "platform_release >= '6'",
    "extra == 'test'",
    "extra == 'Test' and sys_platform == 'win32'",
    "extra != 'test' or python_version >= '3.12'",
    "(python_version < '3.10' and sys_platform == 'win32') or python_version >= '3.10'",
    "python_version < '3.9' or python_version >= '3.11'",
    "(sys_platform == 'darwin' and platform_machine == 'aarch64') or python_version < '3.9'",
    "python_version >= '3.8' and (sys_platform == 'linux' or (sys_platform == 'win32' and "
    "platform_machine == 'AMD64'))",
    "sys_platform >= 'linux'",
    "sys_platform < 'linux'",
    "python_version == 'nonsense'",
]


def _evaluate(text: str, environment: dict[str, str]) -> bool:
    return Marker(text).evaluate(environment) if text else True


@pytest.mark.parametrize("text", CORPUS)
def test_parse_and_spelling_evaluate_like_packaging(text: str) -> None:
    expression = parse(Marker(text))
    spelled = str(expression)
    if spelled:
        Marker(spelled)  # valid PEP 508
    for environment in GRID:
        expected = Marker(text).evaluate(environment)
        assert expression.evaluate(environment) == expected, environment
        assert _evaluate(spelled, environment) == expected, (spelled, environment)
    # The spelling is canonical: reading it back gives the same function and the same text.
    assert str(parse(spelled)) == spelled


# packaging's evaluation is what takes the time; pairs are checked on a smaller grid.
SMALL_GRID = [
    environment
    for environment in GRID
    if environment["python_full_version"]
    in {"3.7.17", "3.8.0", "3.9.0", "3.9.1", "3.10.0", "3.12.0", "3.14.0"}
    and environment["platform_machine"] != "AMD64"
]


def _truth(text: str, grid: list[dict[str, str]] = GRID) -> list[bool]:
    if not text:
        return [True] * len(grid)
    marker = Marker(text)
    return [marker.evaluate(environment) for environment in grid]


def test_boolean_operations_follow_truth_tables() -> None:
    expressions = [(text, parse(text), _truth(text, SMALL_GRID)) for text in CORPUS]
    for (left_text, left, a), (right_text, right, b) in itertools.combinations(expressions, 2):
        both, either = left & right, or_(left, right)
        expected_both = [x and y for x, y in zip(a, b, strict=False)]
        expected_either = [x or y for x, y in zip(a, b, strict=False)]
        assert [both.evaluate(environment) for environment in SMALL_GRID] == expected_both
        assert [either.evaluate(environment) for environment in SMALL_GRID] == expected_either
        assert _truth(str(both), SMALL_GRID) == expected_both, (left_text, right_text, str(both))
        assert _truth(str(either), SMALL_GRID) == expected_either, (left_text, right_text, str(either))
        if is_disjoint(left, right):
            # Disjointness is sound: no environment of the grid satisfies both.
            assert not any(x and y for x, y in zip(a, b, strict=False)), (left_text, right_text)
    for text, expression, _ in expressions:
        negation, a = not_(expression), _truth(text)
        assert [negation.evaluate(environment) for environment in GRID] == [not x for x in a]
        assert _truth(str(negation)) == [not x for x in a], (text, str(negation))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("python_version < '3.10'", "python_full_version < '3.10'"),
        ("python_full_version < '3.10.0'", "python_full_version < '3.10'"),
        ("python_version >= '3.10'", "python_full_version >= '3.10'"),
        ("python_version > '3.9'", "python_full_version >= '3.10'"),
        ("python_version <= '3.9'", "python_full_version < '3.10'"),
        ("python_version == '3.11'", "python_full_version == '3.11.*'"),
        ("python_version != '3.11'", "python_full_version != '3.11.*'"),
        ("python_full_version != '3.9.1'", "python_full_version != '3.9.1'"),
        (
            "python_version >= '3.9' and python_version < '3.11'",
            "python_full_version >= '3.9' and python_full_version < '3.11'",
        ),
        (
            "python_version >= '3.9' and sys_platform == 'linux'",
            "python_full_version >= '3.9' and sys_platform == 'linux'",
        ),
        (
            "sys_platform == 'linux' and python_version >= '3.9'",
            "python_full_version >= '3.9' and sys_platform == 'linux'",
        ),
        ('sys_platform == "darwin"', "sys_platform == 'darwin'"),
        (
            "sys_platform == 'win32' or sys_platform == 'darwin'",
            "sys_platform == 'darwin' or sys_platform == 'win32'",
        ),
        (
            "sys_platform != 'win32' and sys_platform != 'darwin'",
            "sys_platform != 'darwin' and sys_platform != 'win32'",
        ),
        (
            "(python_version < '3.10' and sys_platform == 'win32') or python_version >= '3.10'",
            "python_full_version >= '3.10' or sys_platform == 'win32'",
        ),
        (
            "python_version < '3.9' or python_version >= '3.11'",
            "python_full_version < '3.9' or python_full_version >= '3.11'",
        ),
        (
            "(python_version < '3.9' or python_version >= '3.11') and sys_platform == 'linux'",
            "(python_full_version < '3.9' or python_full_version >= '3.11') and sys_platform == 'linux'",
        ),
        (
            "(sys_platform == 'linux' and python_version < '3.10') or (sys_platform == 'darwin' "
            "and python_version < '3.10')",
            "python_full_version < '3.10' and (sys_platform == 'darwin' or sys_platform == 'linux')",
        ),
        ("extra == 'Foo_Bar'", "extra == 'foo-bar'"),
        ("platform_machine not in 'x86_64 AMD64'", "platform_machine not in 'x86_64 AMD64'"),
        (
            "'arm' in platform_machine and python_version > '3.9'",
            "python_full_version >= '3.10' and 'arm' in platform_machine",
        ),
        ("python_version >= '3.9' or python_version < '3.9'", ""),
        ("sys_platform == 'linux' and sys_platform == 'win32'", "python_full_version < '0'"),
    ],
)
def test_canonical_strings(text: str, canonical: str) -> None:
    assert str(parse(text)) == canonical


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        # Real platforms tie sys_platform, platform_system and os_name: the first one spells them.
        ("platform_system == 'Windows'", "sys_platform == 'win32'"),
        ("os_name != 'nt'", "sys_platform != 'win32'"),
        ("sys_platform == 'win32' or platform_system == 'Windows'", "sys_platform == 'win32'"),
        (
            "platform_system != 'Darwin' and os_name == 'posix'",
            "sys_platform != 'darwin' and os_name == 'posix'",
        ),
        (
            "platform_machine == 'x86_64' and platform_system == 'Linux'",
            "sys_platform == 'linux' and platform_machine == 'x86_64'",
        ),
        ("platform_system == 'FreeBSD'", "platform_system == 'FreeBSD'"),
        (
            "implementation_name == 'pypy' or platform_python_implementation == 'PyPy'",
            "implementation_name == 'pypy'",
        ),
        ("extra == 'cli' and platform_system == 'Windows'", "sys_platform == 'win32' and extra == 'cli'"),
    ],
)
def test_canonical_platform_spelling(text: str, canonical: str) -> None:
    assert str(parse(text)) == canonical


def test_same_meaning_same_expression() -> None:
    assert parse("os_name == 'nt'") == parse("sys_platform == 'win32'")
    assert parse("os_name == 'nt'") != parse("os_name == 'posix'")
    assert parse("python_version >= '3.10'") == parse("python_full_version >= '3.10.0'")
    assert parse("python_version > '3.9'") == parse("python_version >= '3.10'")
    a, b = parse("sys_platform == 'win32'"), parse("python_version < '3.10'")
    assert ~(a | b) == (~a & ~b)
    assert (a & b) | (a & ~b) == a
    assert hash(parse("os_name == 'nt'")) == hash(parse("'nt' == os_name"))
    assert parse("sys_platform == 'linux'") != parse("sys_platform == 'darwin'")


def test_disjointness_of_python_ranges_and_platforms() -> None:
    assert is_disjoint(parse("python_version < '3.10'"), parse("python_version >= '3.10'"))
    assert is_disjoint(parse("python_full_version < '3.9.1'"), parse("python_full_version >= '3.9.1'"))
    assert not is_disjoint(parse("python_version <= '3.10'"), parse("python_version >= '3.10'"))
    assert is_disjoint(parse("python_version == '3.9'"), parse("python_full_version >= '3.10'"))
    assert not is_disjoint(parse("python_version == '3.9'"), parse("python_full_version >= '3.9.5'"))
    assert is_disjoint(parse("sys_platform == 'linux'"), parse("sys_platform == 'darwin'"))
    assert is_disjoint(parse("sys_platform == 'win32'"), parse("sys_platform != 'win32'"))
    assert not is_disjoint(parse("sys_platform == 'linux'"), parse("platform_machine == 'x86_64'"))
    # What real platforms imply: sys_platform, platform_system and os_name go together.
    assert is_disjoint(parse("sys_platform == 'win32'"), parse("platform_system == 'Linux'"))
    assert is_disjoint(parse("sys_platform == 'darwin'"), parse("os_name == 'nt'"))
    assert not is_disjoint(parse("sys_platform == 'cygwin'"), parse("os_name == 'posix'"))
    assert is_disjoint(
        parse("implementation_name == 'pypy'"), parse("platform_python_implementation == 'CPython'")
    )
    assert is_disjoint(
        parse("sys_platform == 'win32' and python_version >= '3.10'"),
        parse("platform_system == 'Windows' and python_version < '3.10'"),
    )
    # Opaque comparisons are independent: never claimed disjoint from anything but their negation.
    assert not is_disjoint(parse("'arm' in platform_machine"), parse("platform_machine == 'x86_64'"))
    assert is_disjoint(parse("'arm' in platform_machine"), parse("'arm' not in platform_machine"))


def test_always_true_and_false() -> None:
    assert is_always_true(parse(None)) and is_always_true(parse("")) and is_always_true(TRUE)
    assert is_always_false(FALSE)
    assert is_always_true(parse("sys_platform == 'win32' or sys_platform != 'win32'"))
    assert is_always_true(parse("os_name == 'nt' or platform_system != 'Windows'"))
    assert is_always_false(parse("python_version < '3.9' and python_version > '3.10'"))
    assert is_always_false(parse("sys_platform == 'linux' and platform_system == 'Darwin'"))
    assert not is_always_true(parse("python_version >= '3.8'"))
    assert is_always_false(parse("python_version < '0'"))
    assert to_marker(TRUE) is None
    assert str(to_marker(parse("os_name == 'nt'"))) == 'sys_platform == "win32"'


def test_and_or_take_many() -> None:
    parts = [
        parse("python_version >= '3.9'"),
        parse("sys_platform == 'linux'"),
        parse("platform_machine == 'x86_64'"),
    ]
    assert str(and_(*parts)) == (
        "python_full_version >= '3.9' and sys_platform == 'linux' and platform_machine == 'x86_64'"
    )
    assert and_() == TRUE and or_() == FALSE


@pytest.mark.parametrize(
    ("text", "requires_python", "expected"),
    [
        ("python_version >= '3.8'", ">=3.9", ""),
        ("python_version < '3.8'", ">=3.9", "python_full_version < '0'"),
        ("python_version >= '3.10'", ">=3.9", "python_full_version >= '3.10'"),
        ("python_version >= '3.9' and python_version < '3.10'", ">=3.9", "python_full_version < '3.10'"),
        (
            "python_version == '3.9' and sys_platform == 'win32'",
            ">=3.9",
            "python_full_version < '3.10' and sys_platform == 'win32'",
        ),
        ("python_version < '3.12'", ">=3.9,<3.12", ""),
        (
            "python_version >= '3.10' and python_version < '3.12'",
            ">=3.9,<3.12",
            "python_full_version >= '3.10'",
        ),
        ("python_version != '3.9'", ">=3.9", "python_full_version >= '3.10'"),
        ("sys_platform == 'linux'", ">=3.9", "sys_platform == 'linux'"),
        ("python_version < '3.11' or sys_platform == 'linux'", ">=3.11", "sys_platform == 'linux'"),
    ],
)
def test_restrict_python(text: str, requires_python: str, expected: str) -> None:
    restricted = restrict_python(parse(text), requires_python)
    assert str(restricted) == expected
    assert simplify(text, requires_python) == restricted
    # Inside the range nothing changed.
    inside = python_marker(requires_python)
    for environment in GRID:
        if inside.evaluate(environment):
            assert restricted.evaluate(environment) == Marker(text).evaluate(environment)


def test_python_ranges() -> None:
    span = PythonRange.from_specifier_set
    assert parse("python_version >= '3.10'").python_range() == span(">=3.10")
    assert (parse("python_version < '3.10'") | parse("sys_platform == 'win32'")).python_range().is_full
    assert span(">=3.9,<4").lower_hull() == span(">=3.9")
    assert span(">=3.9").specifier_text() == ">=3.9"
    assert span(">=3.8,<3.10").specifier_text() == ">=3.8, <3.10"
    assert not span(">=3.8").is_subset(span(">=3.9"))
    assert span(">=3.10").is_subset(span(">=3.9"))


def test_undefined_comparisons_are_refused() -> None:
    with pytest.raises(ValueError, match="not defined for os_name"):
        parse("os_name ~= 'nt'")


def test_expressions_are_values() -> None:
    expression = parse("sys_platform == 'win32'")
    assert isinstance(expression, MarkerExpr)
    assert repr(expression) == "MarkerExpr(\"sys_platform == 'win32'\")"
    assert {expression, parse("'win32' == sys_platform")} == {expression}
    assert expression.with_value("sys_platform", "win32") == TRUE
    assert parse("extra == 'test' and os_name == 'nt'").with_value("extra", "test") == parse(
        "os_name == 'nt'"
    )
