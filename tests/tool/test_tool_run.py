"""`bale tool run` (and `bx`): a cached environment per request; the second run makes no request."""

from __future__ import annotations

import os
from pathlib import Path


def test_second_run_makes_no_requests(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(
        [make_pkg("runme", "1.0", entry_points={"console_scripts": {"runme": "runme:main"}})]
    )
    env = {"PATH": os.environ["PATH"]}
    first = run_bale("tool", "run", "--index-url", server.url, "runme", "--flag", env=env)
    assert first.code == 0, first
    assert first.stdout.strip() == "runme 1.0"
    assert server.requests
    server.requests.clear()
    second = run_bale("tool", "run", "--index-url", server.url, "runme", env=env)
    assert second.code == 0, second
    assert second.stdout.strip() == "runme 1.0"
    assert server.requests == []
    # --from names the package when the command differs; an unknown command says what there is.
    missing = run_bale("tool", "run", "--index-url", server.url, "--from", "runme", "nope", env=env)
    assert missing.code == 1, missing
    assert "error: The tool environment has no executable named nope" in missing.stderr
    assert "it has: runme" in missing.stderr


def test_at_latest_refreshes(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    entry = {"console_scripts": {"newer": "newer:main"}}
    old = static_index([make_pkg("newer", "1.0", entry_points=entry)])
    env = {"PATH": os.environ["PATH"]}
    assert run_bale("tool", "run", "--index-url", old.url, "newer", env=env).stdout.strip() == "newer 1.0"
    pinned = run_bale("tool", "run", "--index-url", old.url, "newer@1.0", env=env)
    assert pinned.stdout.strip() == "newer 1.0", pinned
    latest = run_bale("tool", "run", "--index-url", old.url, "newer@latest", env=env)
    assert latest.code == 0, latest
    assert latest.stdout.strip() == "newer 1.0"
