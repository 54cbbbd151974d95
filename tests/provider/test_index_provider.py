"""index/provider.py: the solver's view of a real (local) index for one target."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.index.provider import ALL
from bale.model.dists import FileKind, IndexFile
from bale.resolver.provider import (
    Dependencies,
    Dependency,
    PackageId,
    Unavailable,
    UnavailableKind,
)
from tests.provider.conftest import MakeProvider, RecordingReporter, linux_target
from tests.support.builders import Pkg, make_wheel
from tests.support.fixtures import PkgFactory
from tests.support.servers import PypiServer, StaticIndexServer

StartIndex = Callable[..., StaticIndexServer]
V = Version


def pkg(name: str, extra: str | None = None) -> PackageId:
    return PackageId.dist(name, extra)


def deps(answer: Dependencies | Unavailable) -> list[str]:
    assert isinstance(answer, Dependencies), answer
    return [str(d) for d in answer.dependencies]


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


# -- versions and yanks -----------------------------------------------------------------------------


def test_versions_newest_first_and_yanked(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    files = [make_pkg("foo", v) for v in ("1.0", "2.0", "1.5", "3.0b1")]
    partial = make_pkg("foo", "1.5", tags="cp311-cp311-manylinux_2_17_x86_64")
    files.append(partial)
    server = static_index(
        files,
        yanked={"foo-2.0-py3-none-any.whl": "broken build", "foo-1.5-py3-none-any.whl": ""},
    )
    provider = make_provider(server.url)
    assert provider.available_versions(pkg("foo")) == (V("3.0b1"), V("2.0"), V("1.5"), V("1.0"))
    # 1.5 still has one live file, so only 2.0 is yanked as a version.
    assert provider.yanked(pkg("foo")) == {V("2.0"): "broken build"}
    assert provider.chosen_file(canonicalize_name("foo"), V("1.5")).filename == partial.name
    assert provider.python_version == V("3.11.4")
    assert [f.filename for f in provider.files(canonicalize_name("foo"))] == sorted(f.name for f in files)


def test_yanked_version_is_still_usable_when_asked_for(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider, reporter: RecordingReporter
) -> None:
    wheel = make_pkg("foo", "1.0", requires_dist=["bar"])
    server = static_index([wheel], yanked={wheel.name: "oops"})
    provider = make_provider(server.url)
    assert provider.yanked(pkg("foo")) == {V("1.0"): "oops"}
    # The solver asks for a yanked version only when it is pinned exactly; then it is used, with a warning.
    assert deps(provider.dependencies(pkg("foo"), V("1.0"))) == ["bar"]
    assert reporter.warnings == ["foo==1.0 is yanked (reason: oops)"]


def test_package_not_on_the_index(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    server = static_index([make_pkg("foo")])
    provider = make_provider(server.url)
    assert provider.available_versions(pkg("nope")) == Unavailable(
        "was not found in the package index", UnavailableKind.NOT_FOUND
    )
    assert provider.yanked(pkg("nope")) == {}
    assert provider.files(canonicalize_name("nope")) == ()


def test_offline_without_a_cache_is_unavailable(make_provider: MakeProvider) -> None:
    provider = make_provider("http://127.0.0.1:9/simple", offline=True)
    answer = provider.available_versions(pkg("foo"))
    assert isinstance(answer, Unavailable)
    assert answer.kind is UnavailableKind.OFFLINE
    assert answer.reason == (
        "is not available offline (Cannot fetch http://127.0.0.1:9/simple/foo/ while offline)"
    )


# -- exclude-newer ----------------------------------------------------------------------------------


def test_exclude_newer_uses_upload_times(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider, reporter: RecordingReporter
) -> None:
    old, cutoff_exact, new, undated = (make_pkg("foo", v) for v in ("1.0", "2.0", "3.0", "4.0"))
    server = static_index(
        [old, cutoff_exact, new, undated],
        upload_times={
            old.name: datetime(2024, 1, 1, tzinfo=timezone.utc),
            cutoff_exact.name: datetime(2024, 6, 1, tzinfo=timezone.utc),
            new.name: datetime(2024, 12, 1, tzinfo=timezone.utc),
        },
    )
    provider = make_provider(server.url, exclude_newer=datetime(2024, 6, 1, tzinfo=timezone.utc))
    # "Uploaded prior to" the cutoff: a file uploaded exactly then is out; an undated remote file too.
    assert provider.available_versions(pkg("foo")) == (V("1.0"),)
    assert reporter.warnings == [
        "foo-4.0-py3-none-any.whl has no upload time, so --exclude-newer leaves it out"
    ]
    assert [f.filename for f in provider.files(canonicalize_name("foo"))] == [old.name]


def test_exclude_newer_naive_cutoff_is_utc_and_everything_excluded_is_explained(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    wheel = make_pkg("foo", "1.0")
    server = static_index([wheel], upload_times={wheel.name: datetime(2024, 1, 1, 12, tzinfo=timezone.utc)})
    provider = make_provider(server.url, exclude_newer=datetime(2024, 1, 1, 11, 59))
    assert provider.available_versions(pkg("foo")) == Unavailable(
        "has no files uploaded before 2024-01-01T11:59:00Z (--exclude-newer)", UnavailableKind.OTHER
    )
    later = make_provider(server.url, exclude_newer=datetime(2024, 1, 1, 12, 0, 1))
    assert later.available_versions(pkg("foo")) == (V("1.0"),)


def test_exclude_newer_keeps_local_files(
    make_pkg: PkgFactory,
    file_index: Callable[..., str],
    make_provider: MakeProvider,
    reporter: RecordingReporter,
) -> None:
    url = file_index([make_pkg("foo", "1.0")], json=False)
    provider = make_provider(url, exclude_newer=datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert provider.available_versions(pkg("foo")) == (V("1.0"),)
    assert reporter.warnings == []


# -- choosing a file --------------------------------------------------------------------------------


def test_best_wheel_for_the_target_is_chosen(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    files = [
        make_pkg("foo", "1.0"),
        make_pkg("foo", "1.0", tags="cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"),
        make_pkg("foo", "1.0", tags="cp311-cp311-win_amd64"),
        make_pkg("foo", "1.0", tags="cp312-cp312-manylinux_2_17_x86_64"),
    ]
    server = static_index(files)
    provider = make_provider(server.url)
    chosen = provider.chosen_file(canonicalize_name("foo"), V("1.0"))
    assert chosen.filename == "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


def test_no_wheel_for_the_platform(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    files = [
        make_pkg("foo", "1.0", tags="cp311-cp311-win_amd64"),
        make_pkg("foo", "1.0", tags="cp311-cp311-macosx_11_0_arm64"),
    ]
    server = static_index(files)
    provider = make_provider(server.url)
    answer = provider.dependencies(pkg("foo"), V("1.0"))
    assert answer == Unavailable(
        "has no wheel for this platform (its wheels are for cp311-cp311-macosx_11_0_arm64, "
        "cp311-cp311-win_amd64)",
        UnavailableKind.NO_WHEEL,
    )
    assert server.count(".metadata") == 0
    with pytest.raises(Exception, match=r"foo 1.0 cannot be installed: it has no wheel for this platform"):
        provider.chosen_file(canonicalize_name("foo"), V("1.0"))


def test_sdist_only_version(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    server = static_index([make_pkg("foo", "1.0", sdist=True), make_pkg("foo", "2.0")])
    provider = make_provider(server.url)
    assert provider.available_versions(pkg("foo")) == (V("2.0"), V("1.0"))
    answer = provider.dependencies(pkg("foo"), V("1.0"))
    assert isinstance(answer, Unavailable)
    assert answer.kind is UnavailableKind.NO_WHEEL
    assert answer.reason == "has only a source distribution here, and this command does not build from source"
    assert deps(provider.dependencies(pkg("foo"), V("2.0"))) == []


def test_sdists_are_candidates_when_they_can_be_built(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    server = static_index(
        [
            make_pkg("foo", "1.0", sdist=True),
            make_pkg("foo", "2.0", sdist=True),
            make_pkg("foo", "2.0", requires_dist=["from-the-wheel"]),
        ]
    )
    asked: list[str] = []

    def source_metadata(file: IndexFile) -> bytes:
        asked.append(file.filename)
        return b"Metadata-Version: 2.2\nName: foo\nVersion: 1.0\nRequires-Dist: from-the-sdist\n"

    provider = make_provider(server.url, allow_sdist=True)
    provider.source_metadata = source_metadata
    provider.prefetch([canonicalize_name("foo")])
    # The wheel of 2.0 wins over its sdist; 1.0 has only an sdist, whose metadata the builder gives.
    assert provider.chosen_file(canonicalize_name("foo"), V("2.0")).filename == "foo-2.0-py3-none-any.whl"
    assert deps(provider.dependencies(pkg("foo"), V("2.0"))) == ["from-the-wheel"]
    assert deps(provider.dependencies(pkg("foo"), V("1.0"))) == ["from-the-sdist"]
    assert asked == ["foo-1.0.tar.gz"]


def test_no_binary_and_only_binary(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    server = static_index(
        [make_pkg("foo", "1.0", sdist=True), make_pkg("foo", "1.0"), make_pkg("bar", sdist=True)]
    )
    no_binary = make_provider(server.url, no_binary=frozenset({canonicalize_name("foo")}))
    assert no_binary.dependencies(pkg("foo"), V("1.0")) == Unavailable(
        "has no usable file: --no-binary excludes its wheels, and this command does not build from source",
        UnavailableKind.NO_WHEEL,
    )
    everything = make_provider(server.url, only_binary=ALL)
    assert deps(everything.dependencies(pkg("foo"), V("1.0"))) == []
    assert everything.dependencies(pkg("bar"), V("1.0")) == Unavailable(
        "has no wheel, and --only-binary excludes its source distribution", UnavailableKind.NO_WHEEL
    )


# -- Requires-Python --------------------------------------------------------------------------------


def test_requires_python_from_the_index_needs_no_metadata(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    wheel = make_pkg("foo", "2.0", requires_python=">=3.12")
    server = static_index([wheel, make_pkg("foo", "1.0")])
    provider = make_provider(server.url)
    assert provider.dependencies(pkg("foo"), V("2.0")) == Dependencies((), SpecifierSet(">=3.12"))
    assert server.count(".metadata") == 0 and server.count(".whl") == 0
    with pytest.raises(Exception, match=r"foo 2.0 cannot be installed: it requires Python >=3.12"):
        provider.chosen_file(canonicalize_name("foo"), V("2.0"))


def test_requires_python_from_metadata(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    wheel = make_pkg("foo", "2.0", requires_python=">=3.12", requires_dist=["bar"])
    # The index does not repeat it: only the metadata knows.
    server = static_index([wheel], requires_python={wheel.name: None})
    provider = make_provider(server.url)
    assert provider.dependencies(pkg("foo"), V("2.0")) == Dependencies(
        (Dependency(pkg("bar"), SpecifierSet()),), SpecifierSet(">=3.12")
    )


# -- metadata ---------------------------------------------------------------------------------------


def test_metadata_comes_from_the_pep658_file(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    wheel = make_pkg("foo", "1.0", requires_dist=["bar>=2", "baz[x]<3; python_version >= '3.8'"])
    server = static_index([wheel])
    provider = make_provider(server.url)
    assert deps(provider.dependencies(pkg("foo"), V("1.0"))) == ["bar>=2", "baz<3", "baz[x]<3"]
    assert server.paths() == ["/simple/foo/", f"/files/{wheel.name}.metadata"]


def test_extras_and_markers(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider, reporter: RecordingReporter
) -> None:
    wheel = make_pkg(
        "foo",
        "1.0",
        requires_dist=[
            "dep",
            'extra-dep>=1; extra == "x"',
            'win-dep; sys_platform == "win32"',
            'old-dep; python_version < "3.8" and extra == "x"',
            'other; extra == "y"',
        ],
    )
    server = static_index([wheel])
    provider = make_provider(server.url)
    assert deps(provider.dependencies(pkg("foo"), V("1.0"))) == ["dep"]
    assert deps(provider.dependencies(pkg("foo", "x"), V("1.0"))) == ["extra-dep>=1"]
    assert deps(provider.dependencies(pkg("foo", "nope"), V("1.0"))) == []
    assert reporter.warnings == ["foo 1.0 does not have an extra named nope"]
    # One metadata fetch serves the package and its extras.
    assert server.count(".metadata") == 1


def test_invalid_metadata_is_unavailable_with_a_warning(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider, reporter: RecordingReporter
) -> None:
    bad = make_pkg("foo", "2.0", requires_dist=["bar >>> 1"])
    server = static_index([bad, make_pkg("foo", "1.0")])
    provider = make_provider(server.url)
    answer = provider.dependencies(pkg("foo"), V("2.0"))
    assert answer == Unavailable(
        'has invalid metadata: requires-dist: "bar >>> 1": no such comparison operator ">>>" (column 5)',
        UnavailableKind.METADATA,
    )
    assert reporter.warnings == [
        "Skipping foo 2.0: foo-2.0-py3-none-any.whl has invalid metadata: "
        'requires-dist: "bar >>> 1": no such comparison operator ">>>" (column 5)'
    ]
    assert deps(provider.dependencies(pkg("foo"), V("1.0"))) == []


def test_unevaluable_marker_is_invalid_metadata(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider, reporter: RecordingReporter
) -> None:
    server = static_index([make_pkg("foo", "1.0", requires_dist=['bar; os_name ~= "x"'])])
    provider = make_provider(server.url)
    answer = provider.dependencies(pkg("foo"), V("1.0"))
    assert isinstance(answer, Unavailable) and answer.kind is UnavailableKind.METADATA
    assert answer.reason.startswith("has invalid metadata: requires-dist: Undefined")
    assert len(reporter.warnings) == 1 and reporter.warnings[0].startswith("Skipping foo 1.0:")


def test_metadata_naming_another_distribution(
    tmp_path: Path, static_index: StartIndex, make_provider: MakeProvider, reporter: RecordingReporter
) -> None:
    built = make_wheel(Pkg("bar", "1.0"), tmp_path / "built")
    wheel = built.rename(tmp_path / "foo-1.0-py3-none-any.whl")
    server = static_index([wheel])
    provider = make_provider(server.url)
    assert provider.dependencies(pkg("foo"), V("1.0")) == Unavailable(
        "has inconsistent metadata: foo-1.0-py3-none-any.whl says it is bar 1.0", UnavailableKind.METADATA
    )
    assert reporter.warnings == ["Skipping foo 1.0: the metadata of foo-1.0-py3-none-any.whl names bar 1.0"]


def test_html_only_index_reads_metadata_by_range(
    make_pkg: PkgFactory, pypiserver: PypiServer, make_provider: MakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bale.http.client import HttpClient

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole wheel was downloaded")

    # pypiserver has no .metadata files: only a range request can have read the metadata.
    monkeypatch.setattr(HttpClient, "download", no_download)
    pypiserver.add(
        make_pkg("foo", "1.0", requires_dist=["bar"]),
        make_pkg("foo", "2.0", requires_dist=["bar>=2", 'baz; extra == "x"']),
        make_pkg("foo", "3.0", sdist=True),
    )
    provider = make_provider(pypiserver.url)
    assert provider.available_versions(pkg("foo")) == (V("3.0"), V("2.0"), V("1.0"))
    assert deps(provider.dependencies(pkg("foo"), V("2.0"))) == ["bar>=2"]
    assert deps(provider.dependencies(pkg("foo", "x"), V("2.0"))) == ["baz"]
    assert isinstance(provider.dependencies(pkg("foo"), V("3.0")), Unavailable)


def test_metadata_by_range_when_the_index_has_no_metadata_files(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    wheel = make_pkg("foo", "1.0", requires_dist=["bar"])
    server = static_index([wheel], metadata_files=False)
    provider = make_provider(server.url)
    assert deps(provider.dependencies(pkg("foo"), V("1.0"))) == ["bar"]
    wheel_requests = [r for r in server.requests if r.path.endswith(".whl")]
    assert wheel_requests and all(r.headers.get("Range") for r in wheel_requests)


# -- direct pins ------------------------------------------------------------------------------------


def test_direct_wheel_pin_asks_no_index(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider, tmp_path: Path
) -> None:
    server = static_index([make_pkg("foo", "1.0"), make_pkg("foo", "2.0")])
    local = make_pkg("foo", "1.5", requires_dist=["bar"], dest=tmp_path / "local")
    direct = IndexFile(
        filename=local.name,
        url=local.as_uri(),
        name=canonicalize_name("foo"),
        version=V("1.5"),
        kind=FileKind.WHEEL,
    )
    provider = make_provider(server.url, direct={canonicalize_name("foo"): direct})
    assert provider.available_versions(pkg("foo")) == (V("1.5"),)
    assert deps(provider.dependencies(pkg("foo"), V("1.5"))) == ["bar"]
    assert provider.chosen_file(canonicalize_name("foo"), V("1.5")) == direct
    assert server.requests == []


# -- prefetching ------------------------------------------------------------------------------------


def test_prefetch_fetches_pages_and_the_likely_metadata_before_asked(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    files = [
        make_pkg("foo", "1.0"),
        make_pkg("foo", "2.0", requires_dist=["bar"]),
        make_pkg("foo", "3.0", tags="cp311-cp311-win_amd64"),  # no wheel for the target
        make_pkg("foo", "4.0b1"),  # a pre-release
        make_pkg("foo", "5.0"),
        make_pkg("bar", "1.0", requires_dist=["baz"]),
        make_pkg("baz", "1.0"),
        make_pkg("unrelated", "1.0"),
    ]
    server = static_index(files, yanked={"foo-5.0-py3-none-any.whl": ""})
    provider = make_provider(server.url)
    provider.prefetch([canonicalize_name("foo")])
    # Speculation follows the likely versions: foo 2.0 -> bar 1.0 -> baz 1.0, before anyone asks.
    wait_for(lambda: server.count("baz-1.0-py3-none-any.whl.metadata") == 1)
    assert server.count("foo-2.0-py3-none-any.whl.metadata") == 1
    assert server.count("bar-1.0-py3-none-any.whl.metadata") == 1
    assert server.count("/unrelated/") == 0
    before = len(server.requests)
    assert provider.available_versions(pkg("foo")) == (V("5.0"), V("4.0b1"), V("3.0"), V("2.0"), V("1.0"))
    assert deps(provider.dependencies(pkg("foo"), V("2.0"))) == ["bar"]
    assert deps(provider.dependencies(pkg("bar"), V("1.0"))) == ["baz"]
    assert len(server.requests) == before
    # Asking again for what is being fetched starts nothing new.
    provider.prefetch([canonicalize_name("foo"), canonicalize_name("bar")])
    assert server.count("/simple/foo/") == 1


def test_prefetch_overlaps_fetches(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    names = [f"p{i}" for i in range(6)]
    server = static_index([make_pkg(name) for name in names])
    server.slow("/simple/", 0.3)
    server.slow(".metadata", 0.3)
    provider = make_provider(server.url)
    start = time.perf_counter()
    provider.prefetch(canonicalize_name(n) for n in names)
    for name in names:
        assert deps(provider.dependencies(pkg(name), V("1.0"))) == []
    elapsed = time.perf_counter() - start
    # Sequentially: 6 x (0.3 + 0.3) = 3.6 s; overlapped on the pool it is about one page plus one metadata.
    assert elapsed < 1.8, elapsed
    assert server.count(".metadata") == 6


def test_speculation_can_be_turned_off(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider, executor: object
) -> None:
    server = static_index([make_pkg("foo", requires_dist=["bar"]), make_pkg("bar")])
    provider = make_provider(server.url, speculate=False)
    provider.prefetch([canonicalize_name("foo")])
    wait_for(lambda: server.count("/simple/foo/") == 1)
    time.sleep(0.1)
    assert server.count(".metadata") == 0 and server.count("/simple/bar/") == 0


def test_close_stops_speculation(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    server = static_index([make_pkg("foo", requires_dist=["bar"]), make_pkg("bar")])
    server.slow("/simple/foo/", 0.2)
    provider = make_provider(server.url)
    provider.prefetch([canonicalize_name("foo")])
    provider.close()
    time.sleep(0.4)  # the page may or may not have been fetched; nothing after it is
    assert server.count(".metadata") == 0 and server.count("/simple/bar/") == 0
    provider.prefetch([canonicalize_name("bar")])
    time.sleep(0.1)
    assert server.count("/simple/bar/") == 0
    # Answers are still computed on demand.
    assert deps(provider.dependencies(pkg("foo"), V("1.0"))) == ["bar"]


def test_prefetch_errors_surface_in_the_solvers_call(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    server = static_index([make_pkg("foo")])
    server.fail("/simple/foo/", status=500, times=None)
    provider = make_provider(server.url)
    provider.prefetch([canonicalize_name("foo")])
    with pytest.raises(Exception, match=r"HTTP 500"):
        provider.available_versions(pkg("foo"))


# -- through the solver ---------------------------------------------------------------------------


def test_solve_through_the_provider(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    from bale.resolver.solver import NoSolution, solve

    files = [
        make_pkg("app", "1.0", requires_dist=["lib>=1", 'tool[cli]; python_version >= "3.8"']),
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0", requires_python=">=3.12"),
        make_pkg("lib", "3.0", tags="cp311-cp311-win_amd64"),
        make_pkg("tool", "1.0", requires_dist=['click; extra == "cli"']),
        make_pkg("click", "8.0"),
        make_pkg("click", "9.0", requires_dist=["bar >>> 1"]),
    ]
    server = static_index(files)
    provider = make_provider(server.url)
    roots = [Dependency(pkg("app"), SpecifierSet())]
    resolution = solve(provider, roots)
    assert resolution.pins() == {"app": "1.0", "click": "8.0", "lib": "1.0", "tool": "1.0"}
    assert resolution.extras == {"tool": frozenset({"cli"})}

    with pytest.raises(NoSolution) as failure:
        solve(provider, [Dependency(pkg("lib"), SpecifierSet(">=2"))])
    text = failure.value.render()
    assert "lib" in text and "requires Python>=3.12" in text and "has no wheel for this platform" in text


def test_host_like_target(
    make_pkg: PkgFactory, static_index: StartIndex, make_provider: MakeProvider
) -> None:
    # The synthetic Linux target used above really is a manylinux_2_17 x86_64 CPython 3.11.
    target = linux_target()
    assert target.markers["sys_platform"] == "linux"
    assert str(target.tags[0]) == "cp311-cp311-linux_x86_64"
    server = static_index([make_pkg("foo", tags="cp311-cp311-manylinux_2_17_x86_64")])
    provider = make_provider(server.url, target=target)
    assert deps(provider.dependencies(pkg("foo"), V("1.0"))) == []
