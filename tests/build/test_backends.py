"""Wheels built by real backends (setuptools, hatchling, flit-core) install and import; sdists build once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

from tests.build.conftest import REPO, BuildBed
from tests.build.helpers import in_tree_files, tar_sdist, write_tree
from tests.support.builders import Pkg, make_sdist


def test_setuptools_sdist_builds_an_importable_wheel(bed: BuildBed) -> None:
    sdist = make_sdist(Pkg("setup-demo", "1.2", requires_dist=["six>=1"]), bed.root / "dist")
    builder = bed.builder()

    wheel = builder.build_wheel(sdist)

    assert wheel.name == "setup_demo-1.2-py3-none-any.whl"
    assert wheel.is_relative_to(bed.cache.bucket_path("builds") / "setup-demo")
    env = bed.install(wheel)
    assert bed.run(env, "import setup_demo; print(setup_demo.__version__)") == "1.2"
    assert builder.stats.environments == 1
    assert builder.stats.wheels_built == 1
    assert bed.leftovers() == []


def test_hatchling_tree_builds_an_importable_wheel(bed: BuildBed) -> None:
    tree = write_tree(
        bed.root / "hatch-demo",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "hatch-demo"
                requires-python = ">=3.8"
                version = "2.0"
                dependencies = ["six"]
            """,
            "src/hatch_demo/__init__.py": "GREETING = 'hello from hatchling'\n",
        },
    )
    wheel = bed.builder().build_wheel(tree)

    assert wheel.name == "hatch_demo-2.0-py3-none-any.whl"
    env = bed.install(wheel)
    assert bed.run(env, "import hatch_demo; print(hatch_demo.GREETING)") == "hello from hatchling"


def test_flit_core_tree_builds_an_importable_wheel(bed: BuildBed) -> None:
    tree = write_tree(
        bed.root / "flit-demo",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["flit_core>=3.4,<5"]
                build-backend = "flit_core.buildapi"

                [project]
                name = "flit_demo"
                requires-python = ">=3.8"
                version = "0.3"
                description = "A flit-built test package"
            """,
            "flit_demo/__init__.py": '"""Flit demo."""\n\nANSWER = 42\n',
        },
    )
    wheel = bed.builder().build_wheel(tree)

    assert wheel.name == "flit_demo-0.3-py3-none-any.whl"
    env = bed.install(wheel)
    assert bed.run(env, "import flit_demo; print(flit_demo.ANSWER)") == "42"


def test_an_sdist_is_built_once_and_then_served_from_the_cache(bed: BuildBed) -> None:
    sdist = make_sdist(Pkg("twice", "1.0"), bed.root / "dist")
    first = bed.builder()
    wheel = first.build_wheel(sdist)
    calls = first.stats.backend_calls

    assert first.build_wheel(sdist) == wheel
    assert first.stats.backend_calls == calls
    assert first.stats.wheels_built == 1

    # A new builder (as in a later bale run) finds the wheel and runs nothing.
    later = bed.builder()
    assert later.build_wheel(sdist) == wheel
    assert later.stats.backend_calls == 0
    assert later.stats.environments == 0
    assert any("from the cache" in line for line in bed.reporter.debugs)


def test_concurrent_requests_for_one_sdist_build_it_once(bed: BuildBed) -> None:
    sdist = tar_sdist(in_tree_files("racer"), bed.root / "dist", "racer-1.0")
    builder = bed.builder()
    results: list[Path] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            results.append(builder.build_wheel(sdist))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert builder.stats.wheels_built == 1


def test_jobs_bounds_the_backends_running_at_once(bed: BuildBed) -> None:
    sdists = [tar_sdist(in_tree_files(f"par{i}"), bed.root / "dist", f"par{i}-1.0") for i in range(3)]
    builder = bed.builder(jobs=1)
    threads = [threading.Thread(target=builder.build_wheel, args=(s,)) for s in sdists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert builder.stats.wheels_built == 3
    assert builder.stats.max_parallel == 1


def test_config_settings_are_part_of_the_cache_key(bed: BuildBed) -> None:
    sdist = tar_sdist(in_tree_files("configured"), bed.root / "dist", "configured-1.0")
    builder = bed.builder()

    plain = builder.build_wheel(sdist)
    tuned = builder.build_wheel(sdist, config_settings={"mode": "fast"})
    again = builder.build_wheel(sdist, config_settings={"mode": "fast"})

    assert plain != tuned == again
    assert builder.stats.wheels_built == 2


def test_source_tree_wheels_are_rebuilt_and_removed_on_close(bed: BuildBed) -> None:
    tree = write_tree(bed.root / "tree", in_tree_files("treepkg"))
    builder = bed.builder()

    first = builder.build_wheel(tree)
    second = builder.build_wheel(tree)

    assert first != second and first.is_file() and second.is_file()
    assert builder.stats.wheels_built == 2
    with zipfile.ZipFile(first) as archive:
        assert "treepkg/__init__.py" in archive.namelist()
    assert not any(bed.cache.bucket_path("builds").rglob("*.whl"))
    builder.close()
    assert not first.exists() and not second.exists()
    assert bed.leftovers() == []


def test_no_build_isolation_uses_the_given_environment(bed: BuildBed) -> None:
    env = bed.venv(["setuptools"])
    sdist = make_sdist(Pkg("no-iso", "1.0"), bed.root / "dist")
    builder = bed.builder(environment=env)

    wheel = builder.build_wheel(sdist, isolation=False)

    assert wheel.name == "no_iso-1.0-py3-none-any.whl"
    assert builder.stats.environments == 0
    # An isolated build is another cache entry: its environment differs.
    assert builder.build_wheel(sdist) != wheel
    assert builder.stats.environments == 1


PROCESS_SCRIPT = """
import sys
from pathlib import Path
from bale.context import Context
from bale.dist.build import Builder
from bale.ops.build_context import IndexBuildContext
from bale.ops.settings import GlobalSettings, IndexSettings
from bale.python.probe import probe

cache_root, sdist = Path(sys.argv[1]), Path(sys.argv[2])
ctx = Context(GlobalSettings(cache_dir=cache_root))
interpreter = probe(Path(sys.executable), cache_root / "interpreters")
builder = Builder(ctx.cache, IndexBuildContext(ctx, IndexSettings(no_index=True), interpreter))
wheel = builder.build_wheel(sdist)
print(builder.stats.wheels_built, wheel)
"""


def test_two_processes_build_one_sdist_once(bed: BuildBed) -> None:
    files = in_tree_files("shared")
    # Slow enough that the second process arrives while the first one builds.
    files["bale_test_backend.py"] = "import time\ntime.sleep(0.4)\n" + files["bale_test_backend.py"]
    sdist = tar_sdist(files, bed.root / "dist", "shared-1.0")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-c", PROCESS_SCRIPT, str(bed.cache.root), str(sdist)]

    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in running]

    assert [process.returncode for process in running] == [0, 0], [err.decode() for _, err in outputs]
    answers = [out.decode().split() for out, _ in outputs]
    assert sorted(int(built) for built, _ in answers) == [0, 1]
    assert answers[0][1] == answers[1][1]
    assert bed.leftovers() == []
