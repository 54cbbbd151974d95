"""Index credentials: never written to the lock, the logs, the errors or the cache; a lock syncs with
credentials from the URL, a netrc file or per-index environment variables."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from tests.sources.helpers import dist_infos, locked, write_project
from tests.support.cli import BaleRunner

USER, PASSWORD = "alice", "s3cret-pw"
TOKEN = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode("ascii")


def _with_credentials(url: str, password: str = PASSWORD) -> str:
    return url.replace("http://", f"http://{USER}:{password}@")


def _project(root: Path, index_table: str = "") -> Path:
    return write_project(
        root,
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["lib"]
        {index_table}
        """,
    )


def _clone(root: Path, dest: Path) -> Path:
    """The project's pyproject.toml and pylock.toml in another folder (a fresh checkout)."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "pylock.toml"):
        (dest / name).write_bytes((root / name).read_bytes())
    return dest


def _installed(root: Path) -> list[str]:
    return dist_infos(root) if (root / ".venv").is_dir() else []


def _leaks(*texts: str, cache: Path) -> list[str]:
    """Where the password (or the Authorization header made from it) shows up."""
    found = [f"output {i}" for i, text in enumerate(texts) if PASSWORD in text or TOKEN in text]
    for path in cache.rglob("*"):
        if PASSWORD in str(path) or TOKEN in str(path):
            found.append(f"cache path {path}")
        elif path.is_file():
            data = path.read_bytes()
            if PASSWORD.encode() in data or TOKEN.encode() in data:
                found.append(f"cache file {path}")
    return found


def test_credentials_in_the_index_url_stay_out_of_lock_output_and_cache(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0", requires_dist=["dep"]), make_pkg("dep", "2.0")])
    server.require_auth(USER, PASSWORD)
    root = _project(tmp_path / "demo")
    index = _with_credentials(server.url)

    lock = run_bale("lock", "-v", "-i", index, cwd=root)
    assert lock.code == 0, lock
    sync = run_bale("sync", "-v", "-i", index, cwd=root)
    assert sync.code == 0, sync
    assert dist_infos(root) == ["dep-2.0", "lib-1.0"]
    text = (root / "pylock.toml").read_text()
    assert f"{server.base}/files/lib-1.0-py3-none-any.whl" in text
    assert locked(root)["lib"]["index"] == server.url
    # The requests did carry the credentials: the server refuses any other.
    assert {r.status for r in server.requests} <= {200, 301}, server.requests
    assert _leaks(text, lock.stdout, lock.stderr, sync.stdout, sync.stderr, cache=run_bale.cache_dir) == []
    assert _leaks(cache=root / ".venv") == []

    # Wrong credentials, on a fresh machine: the error names the file without them, nothing installed.
    clone = _clone(root, tmp_path / "clone")
    fresh = BaleRunner(tmp_path / "home-2", cwd=clone)
    failed = fresh("sync", "-v", "--frozen", "-i", _with_credentials(server.url, "wrong-pw"), cwd=clone)
    assert failed.code == 1, failed
    assert "wrong-pw" not in failed.stdout + failed.stderr
    assert f"{server.base}/files/" in failed.stderr
    assert f"credentials for 127.0.0.1:{server.port} were rejected" in failed.stderr
    assert not (clone / ".venv").exists() or _installed(clone) == []


def test_credentials_in_a_project_index_stay_out_of_the_lock_inputs(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    server.require_auth(USER, PASSWORD)
    table = f"""
        [[tool.bale.index]]
        name = "internal"
        url = "{_with_credentials(server.url)}"
    """
    root = _project(tmp_path / "demo", table)
    lock = run_bale("lock", "-v", cwd=root)
    assert lock.code == 0, lock
    text = (root / "pylock.toml").read_text()
    assert f'url = "{server.url}"' in text  # the inputs keep the index, without its credentials
    assert _leaks(text, lock.stdout, lock.stderr, cache=run_bale.cache_dir) == []
    # The stored inputs still match the project's: the lock is fresh.
    check = run_bale("lock", "--check", cwd=root)
    assert check.code == 0, check
    sync = run_bale("sync", "--locked", cwd=root)
    assert sync.code == 0, sync
    assert dist_infos(root) == ["lib-1.0"]


def _locked_clone(run_bale: BaleRunner, root: Path, dest: Path, *args: str, env: dict[str, str]) -> Path:
    lock = run_bale("lock", *args, cwd=root, env=env)
    assert lock.code == 0, lock
    return _clone(root, dest)


def test_a_lock_made_with_url_credentials_syncs_with_netrc_credentials(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    server.require_auth(USER, PASSWORD)
    root = _project(tmp_path / "demo")
    clone = _locked_clone(run_bale, root, tmp_path / "clone", "-i", _with_credentials(server.url), env={})

    # A fresh machine without credentials: refused at the locked file, nothing installed.
    bare = BaleRunner(tmp_path / "home-bare", cwd=clone)
    missing = bare("sync", "--frozen", "-i", server.url, cwd=clone, env={"NETRC": str(tmp_path / "none")})
    assert missing.code == 1, missing
    assert missing.stderr.splitlines()[0] == (
        f"error: {server.base}/files/lib-1.0-py3-none-any.whl requires authentication (HTTP 401); "
        f"credentials for 127.0.0.1:{server.port} are missing"
    ), missing
    assert _installed(clone) == []

    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1\nlogin {USER}\npassword {PASSWORD}\n")
    fresh = BaleRunner(tmp_path / "home-netrc", cwd=clone)
    synced = fresh("sync", "--frozen", "-i", server.url, cwd=clone, env={"NETRC": str(netrc)})
    assert synced.code == 0, synced
    assert _installed(clone) == ["lib-1.0"]
    # Only the file was fetched: the frozen lock needs no index page.
    assert [r.path for r in server.requests if r.status == 200][-1] == "/files/lib-1.0-py3-none-any.whl"


def test_a_lock_made_with_netrc_credentials_syncs_with_url_credentials(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    server.require_auth(USER, PASSWORD)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1\nlogin {USER}\npassword {PASSWORD}\n")
    root = _project(tmp_path / "demo")
    clone = _locked_clone(run_bale, root, tmp_path / "clone", "-i", server.url, env={"NETRC": str(netrc)})

    fresh = BaleRunner(tmp_path / "home-url", cwd=clone)
    index = _with_credentials(server.url)
    synced = fresh("sync", "--frozen", "-i", index, cwd=clone, env={"NETRC": str(tmp_path / "none")})
    assert synced.code == 0, synced
    assert _installed(clone) == ["lib-1.0"]
    assert _leaks(synced.stdout, synced.stderr, cache=fresh.cache_dir) == []


def test_a_named_index_takes_its_credentials_from_bale_index_variables(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    server.require_auth(USER, PASSWORD)
    table = f"""
        [[tool.bale.index]]
        name = "internal-repo"
        url = "{server.url}"
    """
    root = _project(tmp_path / "demo", table)
    # The name upper-cased, "-" as "_": as uv's UV_INDEX_<NAME>_USERNAME.
    good = {"BALE_INDEX_INTERNAL_REPO_USERNAME": USER, "BALE_INDEX_INTERNAL_REPO_PASSWORD": PASSWORD}
    no_netrc = {"NETRC": str(tmp_path / "none")}
    clone = _locked_clone(run_bale, root, tmp_path / "clone", "-v", env={**good, **no_netrc})
    assert locked(clone)["lib"]["index"] == server.url

    wrong = BaleRunner(tmp_path / "home-wrong", cwd=clone)
    bad = {**good, "BALE_INDEX_INTERNAL_REPO_PASSWORD": "wrong-pw", **no_netrc}
    refused = wrong("sync", "--frozen", cwd=clone, env=bad)
    assert refused.code == 1, refused
    assert refused.stderr.splitlines()[0] == (
        f"error: {server.base}/files/lib-1.0-py3-none-any.whl requires authentication (HTTP 401); "
        f"credentials for 127.0.0.1:{server.port} were rejected"
    ), refused
    assert "wrong-pw" not in refused.stderr + refused.stdout
    assert _installed(clone) == []

    fresh = BaleRunner(tmp_path / "home-env", cwd=clone)
    synced = fresh("sync", "--frozen", "-v", cwd=clone, env={**good, **no_netrc})
    assert synced.code == 0, synced
    assert _installed(clone) == ["lib-1.0"]
    assert _leaks(synced.stdout, synced.stderr, cache=fresh.cache_dir) == []


def test_credentials_stay_out_of_remembered_answers_and_error_messages(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    server.require_auth(USER, PASSWORD)
    named = {"BALE_INDEX_INTERNAL_USERNAME": USER, "BALE_INDEX_INTERNAL_PASSWORD": PASSWORD}
    table = f"""
        [[tool.bale.index]]
        name = "internal"
        url = "{server.url}"
    """
    root = _project(tmp_path / "demo", table)
    source = tmp_path / "requirements.in"
    source.write_text("lib\n")
    outputs: list[str] = []
    # Twice each, without -v: the second run is answered from what the first one stored in the cache.
    for _ in range(2):
        for args, env in (
            (("lock",), named),
            (("pip", "compile", str(source), "-i", _with_credentials(server.url)), {}),
        ):
            result = run_bale(*args, cwd=root, env=env)
            assert result.code == 0, result
            outputs += [result.stdout, result.stderr]
    assert "lib==1.0" in outputs[-2]
    assert any((run_bale.cache_dir / "replays-v1").iterdir())
    assert _leaks(*outputs, (root / "pylock.toml").read_text(), cache=run_bale.cache_dir) == []

    # Errors name the index without its credentials.
    missing = run_bale("pip", "compile", "-", "-i", _with_credentials(server.url), input="no-such-lib\n")
    assert missing.code == 1, missing
    assert "no-such-lib" in missing.stderr and PASSWORD not in missing.stdout + missing.stderr


def test_index_variable_names_follow_uv() -> None:
    from bale.http.auth import index_variable

    assert index_variable("internal", "USERNAME") == "BALE_INDEX_INTERNAL_USERNAME"
    assert index_variable("my.corp-index2", "PASSWORD") == "BALE_INDEX_MY_CORP_INDEX2_PASSWORD"


def test_the_missing_credentials_hint_names_every_place_they_may_come_from(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    server.require_auth(USER, PASSWORD)
    result = run_bale(
        "pip", "compile", "-", "-i", server.url, input="lib\n", env={"NETRC": str(tmp_path / "x")}
    )
    assert result.code == 1, result
    assert " ".join(result.stderr.split()) == (
        f"error: {server.url}/lib/ requires authentication (HTTP 401); credentials for 127.0.0.1:"
        f"{server.port} are missing hint: Give credentials in the index URL "
        "(https://USER:PASSWORD@host/simple), "
        "for a [[tool.bale.index]] named NAME in BALE_INDEX_<NAME>_USERNAME and BALE_INDEX_<NAME>_PASSWORD, "
        "in a netrc file (NETRC or ~/.netrc), or in the keyring."
    )


def test_the_inputs_summary_drops_credentials_but_keeps_ssh_user_names() -> None:
    from bale.lock.fingerprint import fingerprint, project_inputs

    def inputs(url: str, git: str) -> dict[str, object]:
        return project_inputs(
            dependencies=[f"lib @ {url}/lib-1.0-py3-none-any.whl"],
            settings={
                "index": [{"name": "internal", "url": f"{url}/simple"}],
                "sources": {"x": {"git": git}},
            },
        )

    secret = inputs("https://alice:s3cret-pw@host.example", "ssh://git@host.example/x.git")
    rotated = inputs("https://alice:other-pw@host.example", "ssh://git@host.example/x.git")
    assert "s3cret-pw" not in repr(secret)
    assert secret["project"] == {"dependencies": ["lib @ https://host.example/lib-1.0-py3-none-any.whl"]}
    assert secret["tool"]["bale"]["index"] == [{"name": "internal", "url": "https://host.example/simple"}]
    assert secret["tool"]["bale"]["sources"] == {"x": {"git": "ssh://git@host.example/x.git"}}
    # A new password leaves the lock fresh.
    assert fingerprint(secret) == fingerprint(rotated)


def test_a_lock_syncs_with_credentials_from_the_keyring(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    server.require_auth(USER, PASSWORD)
    root = _project(tmp_path / "demo")
    clone = _locked_clone(run_bale, root, tmp_path / "clone", "-i", _with_credentials(server.url), env={})
    # A stand-in for the keyring package, asked the way bale asks the real one (get_credential by host).
    fake = tmp_path / "fake-keyring"
    fake.mkdir()
    (fake / "keyring.py").write_text(
        "import types\n"
        "def get_credential(service, username):\n"
        "    if service == '127.0.0.1':\n"
        f"        return types.SimpleNamespace(username={USER!r}, password={PASSWORD!r})\n"
        "def get_password(service, username):\n"
        "    return None\n"
    )
    fresh = BaleRunner(tmp_path / "home-keyring", cwd=clone)
    path = os.pathsep.join(p for p in (str(fake), fresh.env().get("PYTHONPATH")) if p)
    env = {"PYTHONPATH": path, "NETRC": str(tmp_path / "none")}
    synced = fresh("sync", "--frozen", "-i", server.url, cwd=clone, env=env)
    assert synced.code == 0, synced
    assert _installed(clone) == ["lib-1.0"]
    # Asked once without credentials (401), then with the keyring's.
    statuses = [r.status for r in server.requests if r.path.startswith("/files/")]
    assert statuses[-2:] == [401, 200]
