"""The remote cache through the CLI: machine A builds and uploads, machine B installs without a backend."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.remote_cache.conftest import S3, WHEELHOUSE, GoingAway, Packages
from tests.support.builders import sha256_of
from tests.support.cli import BaleRunner, Result

LINKS = ("--find-links", str(WHEELHOUSE))  # the real build backends: machine A only


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def _install(
    machine: BaleRunner, venv: Path, packages: Packages, *extra: str, env: dict[str, str | None]
) -> Result:
    return machine("pip", "install", "-i", packages.index, *extra, *packages.names, env=env, virtual_env=venv)


def _imports(venv: Path) -> str:
    done = subprocess.run(
        [venv / "bin" / "python", "-c", "import alpha, beta; print(alpha.__version__, beta.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.lower().startswith("warning")]


def _built_wheels(machine: BaleRunner) -> list[Path]:
    return sorted(machine.cache_dir.glob("builds-v1/*/*/*/*.whl"))


def test_machine_b_installs_what_machine_a_built_with_no_backend(
    tmp_path: Path, s3: S3, sdists: Packages
) -> None:
    a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
    result = _install(a, _venv(tmp_path / "venv-a"), sdists, *LINKS, env=s3.env())
    assert result.code == 0, result
    assert _warnings(result) == [], result
    keys = s3.objects()
    manifests = [k for k in keys if k.startswith("ci/v1/builds/")]
    assert len(manifests) == 2, keys
    assert len([k for k in keys if k.startswith("ci/v1/metadata/")]) == 1, keys  # beta's: a backend run
    (alpha_sdist,) = (tmp_path / "packages").glob("alpha-*.tar.gz")
    manifest = json.loads(s3.get(next(k for k in manifests if sha256_of(alpha_sdist) in k)))
    assert manifest["built_from"] == {"sdist": alpha_sdist.name, "sha256": sha256_of(alpha_sdist)}
    assert manifest["wheel"] == "alpha-1.0-py3-none-any.whl"
    assert manifest["bale_version"]
    assert any(pin.startswith("setuptools==") for pin in manifest["build_environment"]), manifest
    wheel = s3.get(f"ci/v1/cas/{manifest['sha256'][:2]}/{manifest['sha256']}")
    assert len(wheel) == manifest["size"]

    # Machine B: its own empty cache, no build backend on its index, read-only credentials.
    b = BaleRunner(tmp_path / "machine-b", cwd=tmp_path)
    venv_b = _venv(tmp_path / "venv-b")
    result = _install(b, venv_b, sdists, env=s3.env(BALE_REMOTE_CACHE_READONLY="1"))
    assert result.code == 0, result
    assert _warnings(result) == [], result
    assert _imports(venv_b) == "1.0 2.0"
    assert [p.name for p in _built_wheels(b)] == ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]

    # Without the remote cache, machine C (empty cache, no backend) cannot install them at all.
    c = BaleRunner(tmp_path / "machine-c", cwd=tmp_path)
    result = _install(c, _venv(tmp_path / "venv-c"), sdists, env={})
    assert result.code == 1, result
    assert "setuptools" in result.stderr


def test_a_corrupted_object_is_refused_and_never_cached(tmp_path: Path, s3: S3, sdists: Packages) -> None:
    a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
    assert _install(a, _venv(tmp_path / "venv-a"), sdists, *LINKS, env=s3.env()).code == 0
    (alpha_sdist,) = (tmp_path / "packages").glob("alpha-*.tar.gz")
    (manifest_key,) = [k for k in s3.objects() if k.startswith(f"ci/v1/builds/{sha256_of(alpha_sdist)}/")]
    sha = json.loads(s3.get(manifest_key))["sha256"]
    blob = f"ci/v1/cas/{sha[:2]}/{sha}"
    s3.put(blob, b"not the wheel")

    result = a("cache", "remote", "verify", env=s3.env())
    assert result.code == 1, result
    assert f"bad: {blob.removeprefix('ci/')}: its sha256 is " in result.stdout

    b = BaleRunner(tmp_path / "machine-b", cwd=tmp_path)
    result = _install(b, _venv(tmp_path / "venv-b"), sdists, env=s3.env(BALE_REMOTE_CACHE_READONLY="1"))
    assert result.code == 1, result  # alpha must be built, and machine B has no backend
    refused = [w for w in _warnings(result) if "Refused the remote cache object" in w]
    assert len(refused) == 1, result
    assert blob.removeprefix("ci/") in refused[0]
    assert not any(p.name.startswith("alpha") for p in _built_wheels(b))

    assert blob in s3.objects()  # a read-only machine leaves it in place
    # Machine C can build: it does, deletes the damaged object and uploads its own wheel.
    c = BaleRunner(tmp_path / "machine-c", cwd=tmp_path)
    result = _install(c, _venv(tmp_path / "venv-c"), sdists, *LINKS, env=s3.env())
    assert result.code == 0, result
    assert len([w for w in _warnings(result) if "Refused" in w]) == 1, result
    assert c("cache", "remote", "verify", env=s3.env()).code == 0
    assert (
        _install(
            BaleRunner(tmp_path / "machine-d", cwd=tmp_path), _venv(tmp_path / "venv-d"), sdists, env=s3.env()
        ).code
        == 0
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_store_costs_one_warning(tmp_path: Path, s3: S3, sdists: Packages) -> None:
    a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
    env = s3.env(f"http://127.0.0.1:{_closed_port()}")
    result = _install(a, _venv(tmp_path / "venv-a"), sdists, *LINKS, env=env)
    assert result.code == 0, result
    (warning,) = _warnings(result)
    assert f"The remote cache s3://{'team-cache'}/ci is unavailable" in warning


def test_the_store_going_away_mid_run_costs_one_warning(tmp_path: Path, s3: S3, sdists: Packages) -> None:
    a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
    # The first lookups get through (misses), then the store goes: the uploads fail.
    with GoingAway(s3.endpoint, budget=2) as proxy:
        result = _install(a, _venv(tmp_path / "venv-a"), sdists, *LINKS, env=s3.env(proxy.url))
    assert result.code == 0, result
    assert proxy.forwarded == 2 and proxy.refused >= 1
    (warning,) = _warnings(result)
    assert "is unavailable" in warning
    assert _imports(tmp_path / "venv-a") == "1.0 2.0"


def test_readonly_never_writes(tmp_path: Path, s3: S3, sdists: Packages) -> None:
    a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
    result = _install(a, _venv(tmp_path / "venv-a"), sdists, "--remote-cache-readonly", *LINKS, env=s3.env())
    assert result.code == 0, result
    assert s3.objects() == []
    result = a("cache", "remote", "prune", "--older-than", "0s", "--remote-cache-readonly", env=s3.env())
    assert result.code == 1
    assert "read-only" in result.stderr


def test_a_shared_folder_works_as_a_store(tmp_path: Path, sdists: Packages) -> None:
    share = tmp_path / "share"
    env: dict[str, str | None] = {"BALE_REMOTE_CACHE": share.as_uri()}
    a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
    assert _install(a, _venv(tmp_path / "venv-a"), sdists, *LINKS, env=env).code == 0
    assert not list(share.rglob(".*.tmp")), "a temp file of an upload was left behind"

    b = BaleRunner(tmp_path / "machine-b", cwd=tmp_path)
    venv_b = _venv(tmp_path / "venv-b")
    result = _install(b, venv_b, sdists, "--remote-cache", share.as_uri(), env={})
    assert result.code == 0, result
    assert _imports(venv_b) == "1.0 2.0"

    result = b("cache", "remote", "stats", env=env)
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0] == f"remote cache: {share.as_uri()}"
    assert lines[1].startswith("payloads (wheels, metadata): 3 (")
    assert lines[2].startswith("build manifests: 2 (")
    assert lines[3].startswith("metadata manifests: 1 (")
    assert b("cache", "remote", "verify", env=env).code == 0
    result = b("cache", "remote", "prune", "--older-than", "30d", env=env)
    assert "Removed 0 manifests and 0 payloads" in result.stderr, result
    result = b("cache", "remote", "prune", "--older-than", "0s", env=env)
    assert "Removed 3 manifests and 3 payloads" in result.stderr, result
    assert not [p for p in share.rglob("*") if p.is_file()]


def test_an_unknown_store_url_is_a_clear_error(tmp_path: Path) -> None:
    a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
    result = a("cache", "remote", "stats", "--remote-cache", "ftp://host/dir")
    assert result.code == 1
    assert "Unsupported remote cache 'ftp://host/dir'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_project_names_its_remote_cache_and_machine_b_syncs_the_lock(
    tmp_path: Path, sdists: Packages
) -> None:
    share = tmp_path / "share"
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\n'
        'dependencies = ["alpha", "beta"]\n\n'
        f"[tool.bale]\nremote-cache = {json.dumps(share.as_uri())}\n"
    )
    a = BaleRunner(tmp_path / "machine-a", cwd=project)
    result = a("sync", "-i", sdists.index, *LINKS)
    assert result.code == 0, result
    assert _warnings(result) == [], result
    manifests = sorted(share.glob("v1/builds/*/*.json"))
    assert len(manifests) == 2
    # The lock's build dependencies are part of the key, and recorded in the manifest.
    pins = json.loads(manifests[0].read_text())["locked_build_dependencies"]
    assert pins and pins[0].startswith("setuptools=="), pins

    b_project = tmp_path / "machine-b-checkout"
    b_project.mkdir()
    for name in ("pyproject.toml", "pylock.toml"):
        (b_project / name).write_bytes((project / name).read_bytes())
    b = BaleRunner(tmp_path / "machine-b", cwd=b_project)
    result = b("sync", "--frozen", "-i", sdists.index)
    assert result.code == 0, result
    assert _imports(b_project / ".venv") == "1.0 2.0"


def test_downloaded_wheels_are_shared_only_when_asked(tmp_path: Path) -> None:
    from tests.support.builders import Pkg, make_wheel
    from tests.support.index import build_simple_tree
    from tests.support.servers import StaticIndexServer

    wheel = make_wheel(Pkg("gamma", "1.0"), tmp_path / "wheels")
    share = tmp_path / "share"
    with StaticIndexServer(build_simple_tree([wheel], tmp_path / "index")) as server:
        downloads = lambda: len([r for r in server.requests if r.path.endswith(".whl")])  # noqa: E731
        args = ("pip", "install", "-i", server.url, "gamma")
        a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
        assert (
            a(*args, env={"BALE_REMOTE_CACHE": share.as_uri()}, virtual_env=_venv(tmp_path / "va")).code == 0
        )
        assert not list(share.rglob("*")), "a downloaded wheel was shared without remote-cache-wheels"
        b = BaleRunner(tmp_path / "machine-b", cwd=tmp_path)
        env: dict[str, str | None] = {"BALE_REMOTE_CACHE": share.as_uri(), "BALE_REMOTE_CACHE_WHEELS": "1"}
        assert b(*args, env=env, virtual_env=_venv(tmp_path / "vb")).code == 0
        assert [p.name for p in share.rglob("*") if p.is_file()] == [sha256_of(wheel)]
        before = downloads()
        c = BaleRunner(tmp_path / "machine-c", cwd=tmp_path)
        result = c(*args, env=env, virtual_env=_venv(tmp_path / "vc"))
        assert result.code == 0, result
        assert downloads() == before  # the wheel came from the store, not the index
