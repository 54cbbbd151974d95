"""Shared pytest setup: the test bed's fixtures and the opt-in for tests that reach the network."""

from __future__ import annotations

import pytest

# Imported (not listed in pytest_plugins) so they register however pytest is pointed at a subfolder.
from tests.support.fixtures import (  # noqa: F401
    _pypiserver_session,
    file_index,
    find_links_dir,
    make_pkg,
    pypiserver,
    pypiserver_factory,
    run_bale,
    static_index,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-network",
        action="store_true",
        default=False,
        help="also run tests marked `network` (they reach the real public index)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="reaches the network; pass --run-network to run it")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)
