"""Poetry's constraints as PEP 440, exactly as poetry-core reads them (pure: no files, no index)."""

from __future__ import annotations

import pytest

from bale.migrate.poetry_constraints import ConstraintError, python_marker, translate


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0", ">=0,<1"),
        ("^0.0", ">=0.0,<0.1"),
        ("^1.2", ">=1.2,<2.0"),
        ("^2.0b1", ">=2.0b1,<3.0"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.4", "~=1.4"),
        ("1.2.*", "==1.2.*"),
        ("1.2.3", "==1.2.3"),
        ("=1.2.3", "==1.2.3"),
        ("*", ""),
        (">= 1.2, < 2.0", ">=1.2,<2.0"),
        (">=1.2 <2.0", ">=1.2,<2.0"),
        ("^1.2,!=1.2.5", ">=1.2,<2.0,!=1.2.5"),
        (">=1,<2 || >=1.5,<3", ">=1,<3"),  # the parts join: exact
        ("^1 || *", ""),
        ("^8 || ^7.4", ">=7.4,<9"),  # only 8.0's pre-releases lie between: no hole
    ],
)
def test_translate(poetry: str, pep440: str) -> None:
    assert translate(poetry).specifier == pep440
    assert not translate(poetry).widened


def test_a_union_with_a_hole_becomes_its_widest_range_and_says_so() -> None:
    assert translate("^1.0 || ^3.0").specifier == ">=1.0,<4.0"
    assert translate("^1.0 || ^3.0").widened
    assert translate(">=1,<2 || >=3").specifier == ">=1"


def test_python_constraints_become_markers_unions_included() -> None:
    assert python_marker("^3.8") == 'python_version >= "3.8" and python_version < "4.0"'
    assert python_marker(">=3.6,<3.8 || >=3.9.1") == (
        '(python_version >= "3.6" and python_version < "3.8") or python_full_version >= "3.9.1"'
    )


def test_unreadable_constraint() -> None:
    with pytest.raises(ConstraintError, match=r"'\^x\.y': 'x\.y' is not a version"):
        translate("^x.y")
