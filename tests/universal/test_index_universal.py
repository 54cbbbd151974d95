"""index/provider.py in universal mode: wheels of every platform count, against a local index server."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.http.auth import CredentialStore
from bale.http.client import HttpClient
from bale.index.metadata import MetadataFetcher
from bale.index.provider import IndexProvider, ProviderOptions, UniversalScope
from bale.index.sources import IndexClient, IndexSources
from bale.markers import parse
from bale.resolver.provider import Dependencies, PackageId, Unavailable, UnavailableKind
from bale.resolver.universal import marker_dependencies, resolve_universal
from tests.support.fixtures import PkgFactory
from tests.support.servers import StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]
WIN = "cp312-cp312-win_amd64"
LINUX = "cp312-cp312-manylinux_2_17_x86_64"
MAC = "cp312-cp312-macosx_11_0_arm64"


@pytest.fixture
def make_universal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-universal")

    def build(index: str, scope: UniversalScope, **options: Any) -> IndexProvider:
        http = HttpClient(
            backoff=0.005,
            retries=1,
            read_timeout=5.0,
            cache_dir=tmp_path / "http-cache",
            credentials=CredentialStore(use_keyring=False),
        )
        client = IndexClient(http, IndexSources(index_urls=(index,)), executor=pool)
        fetcher = MetadataFetcher(http, cache_dir=tmp_path / "metadata")
        return IndexProvider(client, fetcher, scope, options=ProviderOptions(**options), executor=pool)

    yield build
    pool.shutdown(wait=True, cancel_futures=True)


def _requires(*texts: str) -> tuple[Requirement, ...]:
    return tuple(Requirement(text) for text in texts)


def test_platform_wheels_all_count(
    make_pkg: PkgFactory, static_index: StartIndex, make_universal: Any
) -> None:
    requires = [
        "colorama; sys_platform == 'win32'",
        "numpy>=2; python_version >= '3.10'",
        "numpy<2; python_version < '3.10'",
    ]
    files = [
        *(make_pkg("fast", "1.0", tags=tags, requires_dist=requires) for tags in (WIN, LINUX, MAC)),
        make_pkg("winonly", "1.0", tags=WIN),
        make_pkg("colorama", "0.4"),
        make_pkg("numpy", "1.26", tags=LINUX, requires_python=">=3.9"),
        make_pkg("numpy", "2.1", tags=MAC, requires_python=">=3.10"),
        make_pkg("numpy", "2.2", sdist=True, requires_python=">=3.10"),
    ]
    server = static_index(files)
    provider = make_universal(server.url, UniversalScope(SpecifierSet(">=3.9")))
    assert provider.python_version is None
    result = resolve_universal(
        provider,
        marker_dependencies(_requires("fast", "winonly; os_name == 'nt'")),
        requires_python=SpecifierSet(">=3.9"),
    )
    provider.close()
    assert result.pins() == {
        "colorama": [("0.4", "sys_platform == 'win32'")],
        "fast": [("1.0", None)],
        "numpy": [("1.26", "python_full_version < '3.10'"), ("2.1", "python_full_version >= '3.10'")],
        # os_name == 'nt' goes with sys_platform == 'win32': the canonical spelling is the latter.
        "winonly": [("1.0", "sys_platform == 'win32'")],
    }
    assert result.forks == ["python_full_version >= '3.10'", "python_full_version < '3.10'"]
    # Every platform's wheel stays available to the lock; the metadata came from one of them.
    assert len(provider.files(canonicalize_name("fast"))) == 3
    assert provider.chosen_file(canonicalize_name("numpy"), Version("2.1")).filename.endswith(
        "macosx_11_0_arm64.whl"
    )


def test_forks_drop_what_cannot_apply(
    make_pkg: PkgFactory, static_index: StartIndex, make_universal: Any
) -> None:
    requires = [
        "colorama; sys_platform == 'win32'",
        "tomli; python_version < '3.11'",
        "rich; extra == 'pretty'",
    ]
    server = static_index([make_pkg("app", "1.0", tags=LINUX, requires_dist=requires)])
    scope = UniversalScope(SpecifierSet(">=3.9"), parse("sys_platform == 'linux'"))
    provider = make_universal(server.url, scope)
    answer = provider.dependencies(PackageId.dist("app"), Version("1.0"))
    assert isinstance(answer, Dependencies)
    assert [(str(d), str(d.marker)) for d in answer.dependencies] == [
        ("tomli", "python_full_version < '3.11'")
    ]
    newer = provider.for_fork(parse("python_version >= '3.11'"))
    assert newer.python_version is None
    assert newer.dependencies(PackageId.dist("app"), Version("1.0")) == Dependencies((), None)
    extra = provider.dependencies(PackageId.dist("app", "pretty"), Version("1.0"))
    assert isinstance(extra, Dependencies)
    assert [(str(d), d.marker) for d in extra.dependencies] == [("rich", None)]
    provider.close()


def test_requires_python_and_sdists(
    make_pkg: PkgFactory, static_index: StartIndex, make_universal: Any
) -> None:
    server = static_index(
        [make_pkg("new", "1.0", requires_python=">=3.11"), make_pkg("src", "1.0", sdist=True)]
    )
    provider = make_universal(server.url, UniversalScope(SpecifierSet(">=3.9")))
    # Requires-Python is reported, not judged: the fork driver decides (it may split at 3.11).
    assert provider.dependencies(PackageId.dist("new"), Version("1.0")) == Dependencies(
        (), SpecifierSet(">=3.11")
    )
    assert provider.dependencies(PackageId.dist("src"), Version("1.0")) == Unavailable(
        "has only a source distribution here, and this command does not build from source",
        UnavailableKind.NO_WHEEL,
    )
    with pytest.raises(ValueError, match="universal mode"):
        _single_target_provider(provider).for_fork(parse("os_name == 'nt'"))
    provider.close()


def _single_target_provider(provider: IndexProvider) -> IndexProvider:
    from bale.model.platforms import synthetic_target

    target = synthetic_target(Version("3.12"), "x86_64-manylinux_2_17", None)
    return IndexProvider(provider.client, provider.metadata, target)
