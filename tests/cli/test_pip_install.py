"""`bale pip install` and `bale pip sync` driven through the CLI against real index servers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.cli.conftest import Venv, make_stdlib_venv
from tests.support.builders import make_bad_wheel, sha256_of
from tests.support.cli import scrub


def test_install_from_static_json_index(make_pkg, static_index, bale, venv: Venv, tmp_path: Path) -> None:
    files = [
        make_pkg("alpha", "1.0"),
        make_pkg("alpha", "2.0", entry_points={"console_scripts": {"alpha-cli": "alpha:main"}}),
        make_pkg("alpha", "3.0", requires_python=">=3.99"),
        make_pkg("alpha", "2.5", tags="cp27-cp27m-win32"),
    ]
    server = static_index(files)
    result = bale("pip", "install", "--no-deps", "alpha", "--index-url", server.url)
    assert result.code == 0, result
    assert venv.imports("alpha") == "2.0"
    out = scrub(result.stderr, {venv.root: "[VENV]"})
    assert " + alpha==2.0" in out
    assert "Installed 1 package in [TIME]" in out
    assert result.stdout == ""
    # The console script runs with the venv's interpreter.
    script = venv.root / "bin" / "alpha-cli"
    done = subprocess.run([str(script)], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "alpha 2.0"
    # PEP 691 JSON was negotiated, and metadata files were not needed for a --no-deps install.
    page = [r for r in server.requests if r.path.startswith("/simple/alpha")]
    assert page and "json" in page[-1].headers.get("Accept", "")
    installer = (venv.site_packages() / "alpha-2.0.dist-info" / "INSTALLER").read_text()
    assert installer.strip() == "bale"
    assert (venv.site_packages() / "alpha-2.0.dist-info" / "REQUESTED").exists()


def test_install_from_pypiserver_html(make_pkg, pypiserver, bale, venv: Venv) -> None:
    pypiserver.add(make_pkg("beta", "0.9"), make_pkg("beta", "1.1"))
    result = bale("pip", "install", "--no-deps", "beta<1.1", "--index-url", pypiserver.url)
    assert result.code == 0, result
    assert venv.imports("beta") == "0.9"


def test_install_from_file_index_and_find_links(
    make_pkg, file_index, find_links_dir, bale, venv: Venv
) -> None:
    url = file_index([make_pkg("gamma", "1.0")])
    links = find_links_dir([make_pkg("delta", "4.2")])
    result = bale(
        "pip", "install", "--no-deps", "gamma", "delta==4.2", "--index-url", url, "--find-links", links
    )
    assert result.code == 0, result
    assert venv.imports("gamma") == "1.0"
    assert venv.imports("delta") == "4.2"


def test_install_wheel_path_writes_direct_url(make_pkg, bale, venv: Venv) -> None:
    wheel = make_pkg("epsilon", "0.3")
    result = bale("pip", "install", wheel, "--no-deps", "--no-index")
    assert result.code == 0, result
    direct = json.loads((venv.site_packages() / "epsilon-0.3.dist-info" / "direct_url.json").read_text())
    assert direct["url"] == wheel.resolve().as_uri()
    assert direct["archive_info"]["hashes"]["sha256"] == sha256_of(wheel)


def test_no_compatible_version_lists_every_reason(make_pkg, static_index, bale) -> None:
    files = [
        make_pkg("zeta", "1.0", tags="cp27-cp27m-win32"),
        make_pkg("zeta", "2.0", requires_python=">=3.99"),
        make_pkg("zeta", "3.0b1"),
    ]
    server = static_index(files, yanked={"zeta-1.5-py3-none-any.whl": "broken build"})
    yanked = make_pkg("zeta", "1.5")
    server2 = static_index([*files, yanked], yanked={yanked.name: "broken build"})
    result = bale("pip", "install", "--no-deps", "zeta<3", "--index-url", server2.url)
    assert result.code == 1
    text = scrub(result.stderr)
    lines = text.splitlines()
    assert lines[0].startswith("error: No version of zeta<3 can be installed into Python 3.")
    assert "  zeta 2.0 requires Python >=3.99" in lines
    assert "  zeta 1.5 was yanked (broken build)" in lines
    assert any(
        line.startswith("  zeta 1.0 has no wheel for this platform (its wheels are for cp27-cp27m-win32")
        for line in lines
    )
    assert "Traceback" not in text
    del server


def test_prerelease_only_when_asked_or_necessary(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index([make_pkg("eta", "1.0"), make_pkg("eta", "2.0rc1")])
    assert bale("pip", "install", "--no-deps", "eta", "-i", server.url).code == 0
    assert venv.imports("eta") == "1.0"
    result = bale("pip", "install", "--no-deps", "eta>=2.0rc1", "-i", server.url)
    assert result.code == 0, result
    assert venv.imports("eta") == "2.0rc1"
    assert " - eta==1.0" in result.stderr and " + eta==2.0rc1" in result.stderr


def test_unknown_package_is_one_paragraph(static_index, make_pkg, bale) -> None:
    server = static_index([make_pkg("known", "1.0")])
    result = bale("pip", "install", "--no-deps", "unknown-thing", "-i", server.url)
    assert result.code == 1
    assert scrub(result.stderr) == (
        "error: Package unknown-thing was not found in http://127.0.0.1:[PORT]/simple\n"
        "hint: check the name's spelling, or the index you point bale at (--index-url, --find-links)\n"
    )


def test_already_satisfied_is_kept_and_reinstall_replaces(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index([make_pkg("theta", "1.0")])
    assert bale("pip", "install", "--no-deps", "theta", "-i", server.url).code == 0
    again = bale("pip", "install", "--no-deps", "theta", "-i", server.url)
    assert again.code == 0
    assert "Audited 1 package" in again.stderr
    forced = bale("pip", "install", "--no-deps", "theta", "--reinstall", "-i", server.url)
    assert forced.code == 0
    assert " - theta==1.0" in forced.stderr and " + theta==1.0" in forced.stderr
    assert venv.imports("theta") == "1.0"


def test_dry_run_changes_nothing(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index([make_pkg("iota", "1.0")])
    result = bale("pip", "install", "--no-deps", "iota", "--dry-run", "-i", server.url)
    assert result.code == 0, result
    assert "Would install 1 package" in result.stderr and " + iota==1.0" in result.stderr
    assert venv.dist_infos() == []


def test_sync_installs_pins_and_removes_the_rest(
    make_pkg, static_index, bale, venv: Venv, tmp_path: Path
) -> None:
    server = static_index(
        [make_pkg("kappa", "1.0"), make_pkg("kappa", "2.0"), make_pkg("lam", "1.0"), make_pkg("mu", "1.0")]
    )
    first = tmp_path / "first.txt"
    first.write_text("kappa==1.0\nlam==1.0\n")
    assert bale("pip", "sync", first, "-i", server.url).code == 0
    second = tmp_path / "second.txt"
    second.write_text(
        "# pinned\nkappa==2.0\nmu==1.0 ; python_version >= '3'\nnever==1.0 ; sys_platform == 'win32'\n"
    )
    result = bale("pip", "sync", second, "-i", server.url)
    assert result.code == 0, result
    assert venv.dist_infos() == ["kappa-2.0.dist-info", "mu-1.0.dist-info"]
    out = scrub(result.stderr, {venv.root: "[VENV]"})
    assert out.splitlines()[-4:] == [" - kappa==1.0", " + kappa==2.0", " - lam==1.0", " + mu==1.0"]
    noop = bale("pip", "sync", second, "-i", server.url)
    assert noop.code == 0
    assert "Audited 2 packages" in noop.stderr
    # A no-op sync needs no index at all.
    count = len(server.requests)
    assert bale("pip", "sync", second, "-i", "http://127.0.0.1:9/simple").code == 0
    assert len(server.requests) == count


def test_sync_refuses_an_empty_file(bale, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    result = bale("pip", "sync", empty, "--no-index")
    assert result.code == 1
    assert "--allow-empty-requirements" in result.stderr


def test_hash_mismatch_installs_nothing(make_pkg, static_index, bale, venv: Venv, tmp_path: Path) -> None:
    good = make_pkg("nu", "1.0")
    xi = make_pkg("xi", "1.0")
    server = static_index([good, xi, make_pkg("omicron", "1.0")])
    # Something already installed, so "nothing changed" is more than "still empty".
    assert bale("pip", "install", "omicron", "-i", server.url).code == 0
    reqs = tmp_path / "reqs.txt"
    reqs.write_text(f"xi==1.0 --hash=sha256:{'0' * 64}\nnu==1.0 \\\n    --hash=sha256:{sha256_of(good)}\n")
    result = bale("pip", "install", "--no-deps", "-r", reqs, "-i", server.url)
    assert result.code == 1
    lines = result.stderr.splitlines()
    # The index's own hash for xi already rules its one file out: nothing is downloaded.
    assert lines[0].startswith(f"error: No version of xi==1.0 (from {reqs}:1) can be installed into "), lines
    assert lines[1:3] == [
        "  versions available: 1.0",
        "  only files whose hash is listed with --hash were considered",
    ]
    assert not server.count(f"/files/{xi.name}") and not server.count(f"/files/{good.name}")
    assert "Traceback" not in result.stderr
    assert venv.dist_infos() == ["omicron-1.0.dist-info"]
    ok = tmp_path / "ok.txt"
    ok.write_text(f"nu==1.0 --hash=sha256:{sha256_of(good)}\n")
    assert bale("pip", "install", "--no-deps", "-r", ok, "-i", server.url).code == 0
    assert venv.imports("nu") == "1.0"


def test_require_hashes_names_unhashed_lines(bale, tmp_path: Path) -> None:
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("omicron==1.0\npi>=2\n")
    result = bale("pip", "install", "--no-deps", "--require-hashes", "-r", reqs, "--no-index")
    assert result.code == 1
    text = scrub(result.stderr, {tmp_path: "[TMP]"})
    assert "omicron==1.0 (at [TMP]/reqs.txt:1) has no --hash" in text
    assert "pi>=2 (at [TMP]/reqs.txt:2) has no --hash" in text


def test_invalid_requirement_points_at_the_line(bale, tmp_path: Path) -> None:
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("good==1.0\nbad>=>1\n")
    result = bale("pip", "install", "--no-deps", "-r", reqs, "--no-index")
    assert result.code == 1
    text = scrub(result.stderr, {tmp_path: "[TMP]"})
    assert "[TMP]/reqs.txt:2" in text
    assert "Traceback" not in text


def test_path_traversal_wheel_is_rejected_and_nothing_written(
    bale, venv: Venv, tmp_path: Path, run_bale
) -> None:
    evil = make_bad_wheel(tmp_path / "evil", "traversal")
    result = bale("pip", "install", "--no-deps", evil, "--no-index")
    assert result.code == 1
    assert "Refusing to unpack" in result.stderr and "../evil.txt" in result.stderr
    assert venv.dist_infos() == []
    assert not (venv.root / "lib" / "evil.txt").exists()
    archives = run_bale.cache_dir / "archive-v2"
    assert not archives.exists() or list(archives.iterdir()) == []


def test_index_errors_are_clear(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index([make_pkg("rho", "1.0")])
    server.fail("/simple/rho", status=503, times=2)
    retried = bale("pip", "install", "--no-deps", "rho", "-i", server.url)
    assert retried.code == 0, retried
    server.fail("/simple/sigma", status=500, times=None)
    failed = bale("pip", "install", "--no-deps", "sigma", "-i", server.url)
    assert failed.code == 1
    assert "/simple/sigma/" in failed.stderr and "500" in failed.stderr
    unreachable = bale("pip", "install", "--no-deps", "rho", "-i", "http://127.0.0.1:9/simple", "--reinstall")
    assert unreachable.code == 1
    assert "127.0.0.1:9" in unreachable.stderr and "Traceback" not in unreachable.stderr
    assert venv.imports("rho") == "1.0"


def test_truncated_download_leaves_env_and_cache_clean(
    make_pkg, static_index, bale, venv: Venv, run_bale
) -> None:
    server = static_index([make_pkg("tau", "1.0")])
    server.truncate(".whl")
    result = bale("pip", "install", "--no-deps", "tau", "-i", server.url)
    assert result.code == 1
    assert "tau" in result.stderr and "Traceback" not in result.stderr
    assert venv.dist_infos() == []
    archives = run_bale.cache_dir / "archive-v2"
    assert not archives.exists() or list(archives.iterdir()) == []
    server.clear_faults()
    assert bale("pip", "install", "--no-deps", "tau", "-i", server.url).code == 0


def test_offline_uses_the_cache_only(make_pkg, static_index, bale, venv: Venv, tmp_path: Path) -> None:
    server = static_index([make_pkg("upsilon", "1.0")])
    assert bale("pip", "install", "--no-deps", "upsilon", "-i", server.url).code == 0
    other = make_stdlib_venv(tmp_path / "other")
    warm = bale(
        "pip", "install", "--no-deps", "upsilon", "-i", server.url, "--offline", virtual_env=other.root
    )
    assert warm.code == 0, warm
    assert other.imports("upsilon") == "1.0"
    cold = bale("pip", "install", "--no-deps", "phi", "-i", server.url, "--offline")
    assert cold.code == 1
    assert "offline" in cold.stderr.lower()


def test_credentials_are_never_printed(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index([make_pkg("chi", "1.0")])
    server.require_auth("alice", "s3cret-pw")
    bad = server.url.replace("http://", "http://alice:wrong-pw@")
    result = bale("pip", "install", "--no-deps", "chi", "-i", bad)
    assert result.code == 1
    assert "wrong-pw" not in result.stderr + result.stdout
    good = server.url.replace("http://", "http://alice:s3cret-pw@")
    ok = bale("pip", "install", "--no-deps", "chi", "-i", good, "-v")
    assert ok.code == 0, ok
    assert "s3cret-pw" not in ok.stderr + ok.stdout


def test_install_target_discovery(make_pkg, run_bale, tmp_path: Path) -> None:
    wheel = make_pkg("psi", "1.0")
    project = tmp_path / "project"
    nested = project / "src" / "deep"
    nested.mkdir(parents=True)
    venv = make_stdlib_venv(project / ".venv")
    result = run_bale("pip", "install", "--no-deps", wheel, cwd=nested)
    assert result.code == 0, result
    assert venv.imports("psi") == "1.0"
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    missing = run_bale("pip", "install", "--no-deps", wheel, cwd=nowhere)
    assert missing.code == 1
    assert "bale venv" in missing.stderr


def test_concurrent_install_into_one_env_waits_then_times_out(make_pkg, bale, venv: Venv) -> None:
    from bale.fs.lock import FileLock

    wheel = make_pkg("omega", "1.0")
    with FileLock(venv.root / ".lock"):
        result = bale("pip", "install", "--no-deps", wheel, env={"BALE_LOCK_TIMEOUT": "1"})
    assert result.code == 1
    assert "another bale process" in result.stderr
    assert venv.dist_infos() == []
    assert bale("pip", "install", "--no-deps", wheel).code == 0


def test_pip_lists_and_uninstalls_what_bale_installed(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    venv = make_stdlib_venv(tmp_path / "pipvenv", with_pip=True)
    server = static_index(
        [make_pkg("bale-made", "1.0", entry_points={"console_scripts": {"bm": "bale_made:main"}})]
    )
    result = run_bale("pip", "install", "--no-deps", "bale-made", "-i", server.url, "--python", venv.root)
    assert result.code == 0, result
    listed = venv.run("-m", "pip", "list", "--format", "json")
    assert {"name": "bale-made", "version": "1.0"} in json.loads(listed.stdout)
    removed = venv.run("-m", "pip", "uninstall", "-y", "bale-made")
    assert removed.returncode == 0, removed.stderr
    assert not (venv.root / "bin" / "bm").exists()
    assert not any(p.name.startswith("bale_made") for p in venv.site_packages().iterdir())


def test_bale_uninstalls_what_pip_installed(make_pkg, run_bale, tmp_path: Path) -> None:
    venv = make_stdlib_venv(tmp_path / "pipvenv", with_pip=True)
    wheel = make_pkg("pip-made", "2.0", entry_points={"console_scripts": {"pm": "pip_made:main"}})
    done = venv.run("-m", "pip", "install", "--no-index", "--no-deps", str(wheel))
    assert done.returncode == 0, done.stderr
    listed = run_bale("pip", "list", "--format", "json", "--python", venv.root)
    assert {"name": "pip-made", "version": "2.0"} in json.loads(listed.stdout)
    result = run_bale("pip", "uninstall", "pip-made", "--python", venv.root)
    assert result.code == 0, result
    assert " - pip-made==2.0" in result.stderr
    assert not (venv.root / "bin" / "pm").exists()
    assert not any(p.name.startswith("pip_made") for p in venv.site_packages().iterdir())


@pytest.mark.network
def test_real_index_smoke(run_bale, tmp_path: Path) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    result = run_bale("pip", "install", "--no-deps", "six", "--python", venv.root)
    assert result.code == 0, result
    assert venv.imports("six")


def test_compile_bytecode_writes_pyc(make_pkg, bale, venv: Venv) -> None:
    result = bale("pip", "install", "--no-deps", "--compile-bytecode", make_pkg("bytey", "1.0"))
    assert result.code == 0, result
    cached = list((venv.site_packages() / "bytey" / "__pycache__").glob("__init__.*.pyc"))
    assert len(cached) == 1


def test_conflicting_hashes_for_one_pin(bale, tmp_path: Path) -> None:
    reqs = tmp_path / "reqs.txt"
    reqs.write_text(
        f"nu==1.0 --hash=sha256:{'a' * 64}\nxi==1.0 --hash=sha256:{'c' * 64}\n"
        f"nu==1.0 --hash=sha256:{'b' * 64}\n"
    )
    result = bale("pip", "install", "--no-deps", "-r", reqs, "--no-index")
    assert result.code == 1
    text = scrub(result.stderr, {tmp_path: "[TMP]"})
    assert text.splitlines()[0] == (
        "error: Conflicting hashes for nu: [TMP]/reqs.txt:1 and [TMP]/reqs.txt:3 list no hash in common"
    )


def test_garbage_index_page_is_a_clear_error(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index([make_pkg("garb", "1.0")])
    server.garbage("/simple/garb")
    result = bale("pip", "install", "--no-deps", "garb", "-i", server.url)
    assert result.code == 1
    assert "/simple/garb/" in result.stderr and "Traceback" not in result.stderr
    assert venv.dist_infos() == []
