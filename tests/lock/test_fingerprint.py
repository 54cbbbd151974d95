"""lock/fingerprint.py: a stable fingerprint of a project's resolution inputs, and changes in words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bale.lock.fingerprint import changed_fields, fingerprint, normalize_requirement, project_inputs
from bale.lock.pylock import LockInput, read_pylock, write_pylock
from tests.lock.helpers import pure


def inputs(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "requires_python": ">=3.9",
        "dependencies": ["requests>=2", "Click >= 8.0"],
        "optional_dependencies": {"Fast": ["orjson"]},
        "dependency_groups": {"dev": ["pytest>=8", {"include-group": "lint"}], "lint": ["ruff"]},
        "settings": {
            "index": [
                {"name": "internal", "url": "https://pypi.internal.example/simple"},
                {"name": "pypi", "url": "https://pypi.org/simple"},
            ],
            "exclude-newer": datetime(2025, 1, 1, tzinfo=timezone.utc),
            "prerelease": "if-necessary",
            "resolution": "highest",
            "environments": ["sys_platform == 'linux'"],
            "constraint-dependencies": [],
            "unused": None,
        },
    }
    values.update(overrides)
    return project_inputs(**values)


def test_summary_is_normalised() -> None:
    assert inputs() == {
        "dependency-groups": {"dev": ["pytest>=8", {"include-group": "lint"}], "lint": ["ruff"]},
        "project": {
            "dependencies": ["click>=8.0", "requests>=2"],
            "optional-dependencies": {"fast": ["orjson"]},
        },
        "requires-python": ">=3.9",
        "tool": {
            "bale": {
                "constraint-dependencies": [],
                "environments": ["sys_platform == 'linux'"],
                "exclude-newer": datetime(2025, 1, 1, tzinfo=timezone.utc),
                "index": [
                    {"name": "internal", "url": "https://pypi.internal.example/simple"},
                    {"name": "pypi", "url": "https://pypi.org/simple"},
                ],
                "prerelease": "if-necessary",
                "resolution": "highest",
            }
        },
    }


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Requests >= 2.0", "requests>=2.0"),
        (
            "Foo_Bar[Socks,alpha] <3 , >=1 ; python_version<'3.10'",
            'foo-bar[alpha,socks]<3,>=1; python_version < "3.10"',
        ),
        ("not a requirement !!", "not a requirement !!"),
    ],
)
def test_normalize_requirement(text: str, normalised: str) -> None:
    assert normalize_requirement(text) == normalised


def test_fingerprint_is_stable_under_spelling_and_order() -> None:
    reference = fingerprint(inputs())
    assert reference.startswith("sha256:") and len(reference) == len("sha256:") + 64
    assert fingerprint(inputs()) == reference
    assert fingerprint(inputs(dependencies=["click>=8.0", "requests >= 2", "requests>=2"])) == reference
    reordered = dict(reversed(list(inputs().items())))
    assert fingerprint(reordered) == reference
    paris = timezone(timedelta(hours=1))
    settings = dict(inputs()["tool"]["bale"], **{"exclude-newer": datetime(2025, 1, 1, 1, tzinfo=paris)})
    assert fingerprint(dict(inputs(), tool={"bale": settings})) == reference


@pytest.mark.parametrize(
    "change",
    [
        {"requires_python": ">=3.10"},
        {"dependencies": ["requests>=2"]},
        {"dependencies": ["requests>=2", "click>=8.1"]},
        {"optional_dependencies": {"fast": ["orjson", "ujson"]}},
        {"dependency_groups": {"dev": ["pytest>=8"], "lint": ["ruff"]}},
    ],
)
def test_fingerprint_changes_with_any_input(change: dict[str, Any]) -> None:
    assert fingerprint(inputs(**change)) != fingerprint(inputs())


def test_index_order_matters() -> None:
    base = inputs()
    swapped = dict(
        base, tool={"bale": dict(base["tool"]["bale"], index=list(reversed(base["tool"]["bale"]["index"])))}
    )
    assert fingerprint(swapped) != fingerprint(base)


def test_summary_read_back_from_the_lock_has_the_same_fingerprint() -> None:
    summary = inputs()
    text = write_pylock(
        LockInput((pure("a", "1"),)), tool_bale={"inputs": summary, "fingerprint": fingerprint(summary)}
    )
    stored = read_pylock(text, source="pylock.toml").tool
    assert stored is not None
    assert stored["bale"]["fingerprint"] == fingerprint(summary)
    assert fingerprint(stored["bale"]["inputs"]) == fingerprint(summary)
    assert changed_fields(stored["bale"]["inputs"], summary) == []


def test_changed_fields_in_words() -> None:
    old = inputs()
    new = inputs(
        requires_python=">=3.10",
        dependencies=["requests>=2.31", "httpx"],
        optional_dependencies={"fast": ["orjson"], "socks": ["pysocks"]},
        dependency_groups={"dev": ["pytest>=8", {"include-group": "lint"}]},
    )
    assert changed_fields(old, new) == [
        "dependency-groups.lint: removed ruff",
        "project.dependencies: added httpx",
        "project.dependencies: removed click>=8.0",
        "project.dependencies: changed requests>=2 -> requests>=2.31",
        "project.optional-dependencies.socks: added pysocks",
        "requires-python: >=3.9 -> >=3.10",
    ]


def test_changed_settings_in_words() -> None:
    old = inputs()
    settings = dict(old["tool"]["bale"])
    settings["index"] = list(reversed(settings["index"]))
    settings["resolution"] = "lowest-direct"
    settings["override-dependencies"] = ["urllib3<2"]
    del settings["exclude-newer"]
    new = dict(old, tool={"bale": settings})
    assert changed_fields(old, new) == [
        "tool.bale.exclude-newer: removed (was 2025-01-01T00:00:00Z)",
        "tool.bale.index: order changed: "
        '{ name = "internal", url = "https://pypi.internal.example/simple" }, '
        '{ name = "pypi", url = "https://pypi.org/simple" } -> '
        '{ name = "pypi", url = "https://pypi.org/simple" }, '
        '{ name = "internal", url = "https://pypi.internal.example/simple" }',
        "tool.bale.override-dependencies: added urllib3<2",
        "tool.bale.resolution: highest -> lowest-direct",
    ]


def test_added_and_removed_scalars() -> None:
    assert changed_fields(
        {"project": {"dependencies": []}}, {"project": {"dependencies": []}, "requires-python": ">=3.9"}
    ) == ["requires-python: set to >=3.9"]
    assert changed_fields({"requires-python": ">=3.9"}, {}) == ["requires-python: removed (was >=3.9)"]
    assert changed_fields({}, {}) == []


def test_fingerprint_refuses_values_toml_cannot_store() -> None:
    with pytest.raises(TypeError):
        fingerprint({"x": {1, 2}})


def test_a_project_without_requires_python_is_not_stale_under_another_python(tmp_path, monkeypatch) -> None:
    import sys

    from packaging.specifiers import SpecifierSet

    from bale.lock.fingerprint import fingerprint
    from bale.ops.project import inputs_of, requires_python
    from bale.project.model import find_project

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\ndependencies = ["a"]\n')
    project = find_project(tmp_path)
    before = fingerprint(inputs_of(project))
    from types import SimpleNamespace

    monkeypatch.setattr(sys, "version_info", SimpleNamespace(major=3, minor=99))
    assert requires_python(project) == SpecifierSet(">=3.99")  # the lock's range follows the Python...
    assert fingerprint(inputs_of(project)) == before  # ...but the inputs, as written, did not change
