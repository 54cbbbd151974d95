"""The pure range rewriting behind ``bale upgrade``: each operator, with and without --bounds."""

from __future__ import annotations

import pytest
from packaging.version import Version

from bale.project.range_upgrade import RangeChange, raise_range


@pytest.mark.parametrize(
    ("requirement", "latest", "widen", "expected"),
    [
        ("lib>=1.0", "2.1", None, "lib>=2.1"),
        ("lib>1.0", "2.1", None, "lib>=2.1"),
        ("lib>=1.0,<3", "2.1", None, "lib<3,>=2.1"),
        ("lib[fast]>=1.0; python_version >= '3.8'", "2.1", None, 'lib[fast]>=2.1; python_version >= "3.8"'),
        ("lib~=1.2", "1.5.3", None, "lib~=1.5"),
        ("lib~=1.2.0", "1.2.7", None, "lib~=1.2.7"),
        ("lib>=1,!=1.5", "2.0", None, "lib!=1.5,>=2.0"),
        # Caps widened only when asked.
        ("lib>=1.0,<2", "2.4", "major", "lib<3,>=2.4"),
        ("lib>=1.0,<2", "2.4", "minor", "lib<2.5,>=2.4"),
        ("lib<=1.9", "2.4", "major", "lib<3"),
        ("lib~=1.2", "2.4", "major", "lib<3,>=2.4"),
        ("lib==1.*", "2.4", "minor", "lib<2.5,>=2.4"),
        ("lib==1.0", "2.4", "major", "lib==2.4"),
        ("lib>=0.1,<0.2", "0.4.1", "major", "lib<0.5,>=0.4.1"),
    ],
)
def test_raised(requirement: str, latest: str, widen: str | None, expected: str) -> None:
    change = raise_range(requirement, Version(latest), widen)  # type: ignore[arg-type]
    assert change == RangeChange(requirement, expected)


@pytest.mark.parametrize("requirement", ["lib>=1.0,<2", "lib~=1.2", "lib==1.*", "lib==1.0", "lib<=1.9"])
def test_a_cap_below_the_latest_is_held_without_bounds(requirement: str) -> None:
    assert raise_range(requirement, Version("2.4")) == RangeChange(requirement, None, held=True)


@pytest.mark.parametrize(
    ("requirement", "latest"),
    [
        ("lib", "9.0"),  # a bare name admits everything already
        ("lib>=2.4", "2.4"),
        ("lib>=3", "2.4"),  # never lowered
        ("lib<3", "2.4"),  # a cap that admits the latest stays, even with bounds
        ("lib @ https://host/lib-1.0-py3-none-any.whl", "2.0"),
    ],
)
def test_unchanged(requirement: str, latest: str) -> None:
    assert raise_range(requirement, Version(latest), "major") == RangeChange(requirement, None)
