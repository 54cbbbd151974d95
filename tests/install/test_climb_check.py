"""The cheap pre-test in front of plan_tree's climb pattern lets through no path the pattern refuses."""

from __future__ import annotations

import itertools

from bale.install.wheel import _CLIMBS, _may_climb

PARTS = ["", ".", "..", "...", "a", ".a", "a.", "a..b", "C:", "c:d", "a\\b", "a\0", "..a", "/", "é"]


def test_every_path_the_pattern_refuses_is_one_the_pre_test_flags() -> None:
    checked = refused = 0
    for count in (1, 2, 3):
        for parts in itertools.product(PARTS, repeat=count):
            path = "/".join(parts)
            checked += 1
            if _CLIMBS.search(path) is not None:
                refused += 1
                assert _may_climb(path), path
    assert refused > 1000 and checked - refused > 300  # both kinds were seen


def test_ordinary_paths_skip_the_pattern() -> None:
    for path in ("pkg/__init__.py", "pkg-1.0.dist-info/RECORD", "pkg-1.0.data/scripts/tool", "a.b/c..d"):
        assert not _may_climb(path)
    for path in ("/etc/passwd", "../x", "a/../b", "a//b", "a/", "C:x", "a\\b", "", "./a", "a/."):
        assert _may_climb(path) and _CLIMBS.search(path) is not None
