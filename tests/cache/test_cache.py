"""cache/ and dist/prepare.py: buckets, warm path, concurrent unpacks, stored wheels, clean, prune, size."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bale.cache.cache import ARCHIVE_MARKER, Cache, Removed
from bale.dist import prepare
from bale.dist.prepare import archive_for, cached_wheel_file, store_wheel_file, unpacked_wheel
from bale.errors import HashMismatchError
from tests.support.builders import Pkg, make_wheel, sha256_of

SRC = Path(__file__).resolve().parents[2] / "src"


def test_default_cache_dir_honours_the_environment(tmp_path: Path) -> None:
    assert Cache.default({"BALE_CACHE_DIR": str(tmp_path / "c")}).root == tmp_path / "c"
    assert Cache.default({}).root.name.lower() == "bale"


def test_buckets_are_versioned_and_created_on_demand(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    assert cache.bucket_path("archive") == tmp_path / "cache" / "archive-v2"
    assert not (tmp_path / "cache").exists()
    assert cache.bucket("wheels-v1").is_dir()
    assert cache.bucket("simple") == tmp_path / "cache" / "simple-v1"
    assert (
        (tmp_path / "cache" / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert cache.package_dir("metadata", "Foo_Bar") == tmp_path / "cache" / "metadata-v1" / "foo-bar"
    with pytest.raises(ValueError, match="unknown cache bucket 'nope'"):
        cache.bucket("nope")


def test_warm_path_is_one_exists_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = make_wheel(Pkg("demo"), tmp_path)
    cache = Cache(tmp_path / "cache")
    digest = sha256_of(wheel)
    tree = unpacked_wheel(cache, wheel, digest)
    assert archive_for(cache, digest) == tree

    checks: list[object] = []
    real_isfile = os.path.isfile

    def counting_isfile(path: object) -> bool:
        checks.append(path)
        return real_isfile(path)  # type: ignore[arg-type]

    def must_not_unpack(*args: object, **kwargs: object) -> None:
        raise AssertionError("warm path unpacked again")

    monkeypatch.setattr("os.path.isfile", counting_isfile)
    monkeypatch.setattr("bale.dist.wheel.validate_and_unpack", must_not_unpack)
    monkeypatch.setattr(prepare, "file_sha256", must_not_unpack)
    # The wheel file need not even exist any more: the digest alone finds the tree.
    assert unpacked_wheel(cache, tmp_path / "gone.whl", digest) == tree
    assert checks == [tree / ARCHIVE_MARKER]


def test_sha256_must_be_a_digest(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    with pytest.raises(ValueError, match="not a lower-case hex sha256 digest"):
        archive_for(cache, "../../etc")


def test_concurrent_unpacks_in_threads_all_succeed(tmp_path: Path) -> None:
    pkg = Pkg("demo", files={f"demo/m{i}.py": f"x = {i}\n" for i in range(200)})
    wheel = make_wheel(pkg, tmp_path)
    cache = Cache(tmp_path / "cache")
    barrier = threading.Barrier(6)
    results: list[Path] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(unpacked_wheel(cache, wheel))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    tree = results[0]
    assert sorted(p.name for p in (tree / "demo").iterdir()) == sorted(f"m{i}.py" for i in range(200))
    assert os.listdir(cache.temp_root) == []
    assert os.listdir(cache.bucket_path("archive")) == [sha256_of(wheel)]


def test_concurrent_unpacks_in_processes_all_succeed(tmp_path: Path) -> None:
    pkg = Pkg("demo", files={f"demo/m{i}.py": f"x = {i}\n" for i in range(300)})
    wheel = make_wheel(pkg, tmp_path)
    cache_root = tmp_path / "cache"
    start_at = time.time() + 0.4  # line both processes up after their start-up
    code = (
        "import sys, time; from pathlib import Path\n"
        "from bale.cache.cache import Cache; from bale.dist.prepare import unpacked_wheel\n"
        "time.sleep(max(0.0, float(sys.argv[3]) - time.time()))\n"
        "print(unpacked_wheel(Cache(Path(sys.argv[1])), Path(sys.argv[2])))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(cache_root), str(wheel), str(start_at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=30) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    expected = str(cache_root / "archive-v2" / sha256_of(wheel))
    assert [out.strip() for out, _ in outputs] == [expected] * 3
    assert os.listdir(cache_root / ".tmp") == []


def test_store_and_find_downloaded_wheels(tmp_path: Path) -> None:
    wheel = make_wheel(Pkg("demo"), tmp_path / "dl")
    digest = sha256_of(wheel)
    cache = Cache(tmp_path / "cache")
    assert cached_wheel_file(cache, digest, wheel.name) is None
    stored = store_wheel_file(cache, wheel, digest, wheel.name)
    assert stored == cache.root / "wheels-v1" / digest / wheel.name
    assert stored.read_bytes() == wheel.read_bytes()
    assert wheel.exists()
    assert cached_wheel_file(cache, digest, wheel.name) == stored
    # Same bytes again (another download): kept as is, src may be moved away.
    again = wheel.with_name("again.whl")
    again.write_bytes(wheel.read_bytes())
    assert store_wheel_file(cache, again, digest, wheel.name, move=True) == stored
    # Same bytes under another name: both names resolve.
    other = store_wheel_file(cache, again, digest, "Demo-1.0-py3-none-any.whl", move=True)
    assert sorted(os.listdir(stored.parent)) == sorted([wheel.name, "Demo-1.0-py3-none-any.whl"])
    assert other.read_bytes() == wheel.read_bytes()
    assert os.listdir(cache.temp_root) == []


def test_store_refuses_bytes_that_do_not_match(tmp_path: Path) -> None:
    wheel = make_wheel(Pkg("demo"), tmp_path)
    cache = Cache(tmp_path / "cache")
    with pytest.raises(HashMismatchError) as info:
        store_wheel_file(cache, wheel, "0" * 64, wheel.name)
    assert info.value.message == "demo-1.0-py3-none-any.whl does not have the expected sha256"
    assert os.listdir(cache.bucket_path("wheels")) == []


def _populate(tmp_path: Path) -> tuple[Cache, dict[str, str]]:
    cache = Cache(tmp_path / "cache")
    digests = {}
    for pkg in (Pkg("Foo_Bar", "1.0"), Pkg("foo-bar", "2.0"), Pkg("other", "1.0")):
        wheel = make_wheel(pkg, tmp_path / "dl")
        digest = sha256_of(wheel)
        digests[f"{pkg.normalized_name}-{pkg.version}"] = digest
        store_wheel_file(cache, wheel, digest, wheel.name)
        unpacked_wheel(cache, wheel, digest)
    for name in ("foo-bar", "other"):
        page = cache.package_dir("simple", name) / "index.json"
        page.parent.mkdir(parents=True)
        page.write_text("{}")
    return cache, digests


def test_clean_one_package_removes_only_its_entries(tmp_path: Path) -> None:
    cache, digests = _populate(tmp_path)
    before = cache.size()
    removed = cache.clean("FOO.bar")
    # Two unpacked trees, two wheel files, one simple-page directory.
    assert removed.entries == 5
    assert removed.bytes > 0
    assert cache.size() == before - removed.bytes
    foo = {digests["foo-bar-1.0"], digests["foo-bar-2.0"]}
    assert not foo & set(os.listdir(cache.bucket_path("archive")))
    assert not foo & set(os.listdir(cache.bucket_path("wheels")))
    assert os.listdir(cache.bucket_path("archive")) == [digests["other-1.0"]]
    assert os.listdir(cache.bucket_path("simple")) == ["other"]
    assert os.listdir(cache.temp_root) == []
    assert cache.clean("foo-bar") == Removed(0, 0)


def test_clean_all_empties_the_cache(tmp_path: Path) -> None:
    cache, _ = _populate(tmp_path)
    before = cache.size()
    removed = cache.clean()
    assert removed.entries == 3 + 3 + 2
    assert removed.bytes == before - _tree_bytes_kept(cache)
    assert sorted(os.listdir(cache.root)) == [".cache.lock", ".gitignore", ".tmp", "CACHEDIR.TAG"]
    assert os.listdir(cache.temp_root) == []
    # Buckets come back on demand after a clean.
    assert cache.bucket("archive").is_dir()
    assert Cache(tmp_path / "never-made").clean() == Removed(0, 0)


def _tree_bytes_kept(cache: Cache) -> int:
    return sum((cache.root / name).stat().st_size for name in (".gitignore", "CACHEDIR.TAG", ".cache.lock"))


def test_prune_removes_crash_leftovers_old_buckets_and_unpacked_downloads(tmp_path: Path) -> None:
    cache, digests = _populate(tmp_path)
    stale = cache.make_temp_dir()
    (stale / "half.py").write_text("x" * 100)
    old_time = time.time() - 2 * 3600
    os.utime(stale, (old_time, old_time))
    fresh = cache.make_temp_dir()  # a concurrent run's work in progress: kept
    (cache.root / "archive-v0" / "abc").mkdir(parents=True)
    (cache.root / "archive-v0" / "abc" / "f").write_text("old format")
    (cache.root / "archive-v9").mkdir()  # a newer bale's bucket: kept
    store_only = make_wheel(Pkg("lonely"), tmp_path / "dl")
    lonely = sha256_of(store_only)
    store_wheel_file(cache, store_only, lonely, store_only.name)

    removed = cache.prune()

    assert removed.entries == 1 + 1 + 3  # stale temp dir, old bucket, three downloads with a tree
    assert removed.bytes >= 100 + len("old format")
    assert os.listdir(cache.temp_root) == [fresh.name]
    assert not (cache.root / "archive-v0").exists()
    assert (cache.root / "archive-v9").is_dir()
    assert os.listdir(cache.bucket_path("wheels")) == [lonely]
    assert sorted(os.listdir(cache.bucket_path("archive"))) == sorted(digests.values())


def test_size_counts_every_file(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    assert cache.size() == 0
    cache.bucket("metadata")
    base = cache.size()
    (cache.bucket_path("metadata") / "a").write_bytes(b"x" * 1000)
    (cache.bucket_path("metadata") / "d").mkdir()
    (cache.bucket_path("metadata") / "d" / "b").write_bytes(b"y" * 24)
    assert cache.size() == base + 1024


def test_clean_waits_for_the_cache_lock(tmp_path: Path) -> None:
    cache, _ = _populate(tmp_path)
    installer = Cache(cache.root)  # another run using the cache holds its lock shared
    installer.hold()
    with pytest.raises(Exception, match="waiting for another bale process to release the cache at"):
        cache.clean(timeout=0.05)
    assert os.listdir(cache.bucket_path("archive"))
    installer.release()
    assert cache.clean(timeout=5).entries > 0
