"""A lock is input to check, not to trust: `sync` (``--frozen`` and ``--locked`` too) refuses packages
nothing in the project reaches, index files from outside the configured indexes, and missing or weak
hashes, before it touches the environment; `lock` refuses to write a lock that `sync` would refuse."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bale.lock.pylock import read_pylock
from bale.lock.trust import Locations, outside_locations
from tests.build.helpers import in_tree_files, tar_sdist
from tests.sources.helpers import dist_infos, local_package, locked, write_project
from tests.support.builders import Pkg, sha256_of

MODES = (("sync", "--frozen"), ("sync", "--locked"), ("sync",))


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("alpha", "1.0", requires_dist=["beta"]),
        make_pkg("beta", "1.0"),
        make_pkg("gamma", "1.0"),
        # An sdist built by an in-tree backend: no build requirement to fetch (~60 ms a build).
        tar_sdist(in_tree_files("delta", "1.0"), make_pkg.dir, "delta-1.0"),
        make_pkg("evil", "1.0"),
    ]


def _project(folder: Path, index_url: str, sources: str = "") -> Path:
    """alpha (which needs beta), gamma only through the extra x, delta through the default group dev."""
    return write_project(
        folder,
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["alpha"]

        [project.optional-dependencies]
        x = ["gamma"]

        [dependency-groups]
        dev = ["delta"]

        [[tool.bale.index]]
        name = "team"
        url = "{index_url}"
        default = true
        {sources}
        """,
    )


def _tamper(lock: Path, old: str, new: str) -> str:
    text = lock.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    tampered = text.replace(old, new)
    lock.write_text(tampered, encoding="utf-8")
    return tampered


def _assert_refused(
    run_bale, root: Path, first_line: str, tampered: str, installed: list[str] | None
) -> None:
    """Every sync mode exits 1 with ``first_line``; the lock keeps its text and the environment its
    packages (``installed`` None: there is still no environment)."""
    for args in MODES:
        refused = run_bale(*args, cwd=root)
        assert refused.code == 1, refused
        assert refused.stderr.splitlines()[0] == first_line, refused
        assert "Traceback" not in refused.stderr and "bug in bale" not in refused.stderr, refused
        assert "bale lock" in refused.stderr, refused
        assert (root / "pylock.toml").read_text(encoding="utf-8") == tampered
        if installed is None:
            assert not (root / ".venv").exists(), args
        else:
            assert dist_infos(root) == installed, args


def _wheel_entry(lock_text: str, filename: str) -> str:
    """The inline table of ``filename`` in ``wheels = [...]``."""
    match = re.search(r"\{ name = \"" + re.escape(filename) + r"\".*\}", lock_text)
    assert match is not None, filename
    return match.group(0)


# ---------------------------------------------------------------------------------------------- reach


def test_a_package_nothing_requires_is_refused_and_lock_writes_it_away(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path / "demo", server.url)
    assert run_bale("sync", cwd=root).code == 0
    installed = dist_infos(root)
    # gamma is locked (the extra x reaches it) and not installed: an unselected extra is no problem.
    assert installed == ["alpha-1.0", "beta-1.0", "delta-1.0"]
    assert "gamma" in locked(root)
    lock = root / "pylock.toml"
    good = lock.read_text(encoding="utf-8")

    # A whole, valid entry, on the configured index with its right hash: only reachability tells.
    evil = make_pkg("evil", "1.0")
    entry = (
        '[[packages]]\nname = "evil"\nversion = "1.0"\n'
        f'index = "{server.url}"\n'
        f'wheels = [\n    {{ name = "evil-1.0-py3-none-any.whl", url = "{server.file_url(evil.name)}", '
        f'hashes = {{ sha256 = "{sha256_of(evil)}" }} }},\n]\n\n'
    )
    tampered = _tamper(lock, "[tool.bale]\n", entry + "[tool.bale]\n")
    read_pylock(tampered, source="pylock.toml")  # a valid lock file: nothing but the graph is wrong
    _assert_refused(
        run_bale,
        root,
        f"error: Refusing to install from {lock}: it lists evil 1.0, which nothing in the project "
        "requires (the lock file was edited, or pyproject.toml changed since it was locked)",
        tampered,
        installed,
    )
    assert not server.count("/files/evil")

    # As the error says: `bale lock` writes the lock again from pyproject.toml.
    relocked = run_bale("lock", cwd=root)
    assert relocked.code == 0, relocked
    assert lock.read_text(encoding="utf-8") == good
    assert run_bale("sync", "--frozen", "--extra", "x", cwd=root).code == 0
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "delta-1.0", "gamma-1.0"]


def test_a_dependency_edge_added_by_hand_to_an_unreached_package_is_still_refused(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path / "demo", server.url)
    assert run_bale("lock", cwd=root).code == 0
    lock = root / "pylock.toml"
    evil = make_pkg("evil", "1.0")
    # evil "needs" beta: an edge out of evil reaches nothing new, and nothing reaches evil.
    entry = (
        '[[packages]]\nname = "evil"\nversion = "1.0"\ndependencies = [\n    { name = "beta" },\n]\n'
        f'index = "{server.url}"\n'
        f'wheels = [\n    {{ name = "evil-1.0-py3-none-any.whl", url = "{server.file_url(evil.name)}", '
        f'hashes = {{ sha256 = "{sha256_of(evil)}" }} }},\n]\n\n'
    )
    tampered = _tamper(lock, "[tool.bale]\n", entry + "[tool.bale]\n")
    _assert_refused(
        run_bale,
        root,
        f"error: Refusing to install from {lock}: it lists evil 1.0, which nothing in the project "
        "requires (the lock file was edited, or pyproject.toml changed since it was locked)",
        tampered,
        None,
    )


# ---------------------------------------------------------------------------------------------- indexes


def test_a_wheel_swapped_for_one_at_another_path_is_refused(
    make_pkg, file_index, run_bale, tmp_path: Path
) -> None:
    index = file_index(_universe(make_pkg))
    # The attacker's alpha: same name and version, its true sha256, in a folder the project never named.
    planted = make_pkg(
        Pkg("alpha", "1.0", files={"alpha/__init__.py": "PWNED = True\n"}), dest=tmp_path / "x"
    )
    other = file_index([planted])
    planted_url = other.removesuffix("/simple") + "/files/alpha-1.0-py3-none-any.whl"
    root = _project(tmp_path / "demo", index)
    assert run_bale("lock", cwd=root).code == 0
    lock = root / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    entry = _wheel_entry(text, "alpha-1.0-py3-none-any.whl")
    swapped = re.sub(r'url = "[^"]*"', f'url = "{planted_url}"', entry)
    swapped = re.sub(r'sha256 = "[0-9a-f]*"', f'sha256 = "{sha256_of(planted)}"', swapped)
    swapped = re.sub(r"size = \d+", f"size = {planted.stat().st_size}", swapped)
    tampered = _tamper(lock, entry, swapped)
    _assert_refused(
        run_bale,
        root,
        f"error: Refusing to install from {lock}: alpha 1.0: alpha-1.0-py3-none-any.whl comes from "
        f"{planted_url}, outside the configured indexes",
        tampered,
        None,
    )

    # The same file given by a path next to the lock file instead of a URL.
    relative = Path("..") / "file-index-1" / "files" / "alpha-1.0-py3-none-any.whl"
    assert (root / relative).is_file()
    by_path = re.sub(r'url = "[^"]*"', f'path = "{relative.as_posix()}"', swapped)
    tampered = _tamper(lock, swapped, by_path)
    _assert_refused(
        run_bale,
        root,
        f"error: Refusing to install from {lock}: alpha 1.0: alpha-1.0-py3-none-any.whl comes from "
        f"{(root / relative).resolve().as_uri()}, outside the configured indexes",
        tampered,
        None,
    )


def test_a_wheel_on_another_server_is_refused(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    planted = make_pkg(
        Pkg("alpha", "1.0", files={"alpha/__init__.py": "PWNED = True\n"}), dest=tmp_path / "x"
    )
    elsewhere = static_index([planted])
    root = _project(tmp_path / "demo", server.url)
    assert run_bale("lock", cwd=root).code == 0
    lock = root / "pylock.toml"
    entry = _wheel_entry(lock.read_text(encoding="utf-8"), "alpha-1.0-py3-none-any.whl")
    url = elsewhere.file_url(planted.name)
    swapped = re.sub(r'url = "[^"]*"', f'url = "{url}"', entry)
    swapped = re.sub(r'sha256 = "[0-9a-f]*"', f'sha256 = "{sha256_of(planted)}"', swapped)
    tampered = _tamper(lock, entry, swapped)
    _assert_refused(
        run_bale,
        root,
        f"error: Refusing to install from {lock}: alpha 1.0: alpha-1.0-py3-none-any.whl comes from "
        f"127.0.0.1, which is not one of the configured indexes ({url})",
        tampered,
        None,
    )
    assert not elsewhere.requests


def test_lock_refuses_files_an_index_lists_outside_itself(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    """An index whose page sends alpha's file to another server (as a redirecting proxy does): the
    lock that `sync` would refuse is not written."""
    files = _universe(make_pkg)
    elsewhere = static_index([files[0]])
    server = static_index(files)
    for page in (server.root / "simple" / "alpha").iterdir():
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("../../files/alpha", f"{elsewhere.base}/files/alpha"), encoding="utf-8")
    root = _project(tmp_path / "demo", server.url)
    refused = run_bale("lock", cwd=root)
    assert refused.code == 1, refused
    url = elsewhere.file_url("alpha-1.0-py3-none-any.whl")
    assert refused.stderr.splitlines()[0] == (
        f"error: Cannot lock alpha 1.0: the index {server.url} lists alpha-1.0-py3-none-any.whl at {url}, "
        "outside the configured indexes (`bale sync` installs index files only from there)"
    ), refused
    assert f"configured indexes: {server.url}" in refused.stderr
    assert not (root / "pylock.toml").exists()


def test_index_locations_take_the_folder_beside_the_index_page() -> None:
    """The rule itself, for URLs no test server can serve (another path on the index's own host)."""
    locations = Locations.of(["https://repo.example.org/team-a/simple/"], hosts=["files.example.org"])
    assert locations.allows("https://repo.example.org/team-a/files/a-1-py3-none-any.whl")
    assert locations.allows("https://REPO.example.org:443/team-a/packages/a/a-1.tar.gz")
    assert locations.allows("https://files.example.org/anything/a-1-py3-none-any.whl")
    for url in (
        "https://repo.example.org/team-b/files/a-1-py3-none-any.whl",
        "https://repo.example.org/team-a/../team-b/files/a-1-py3-none-any.whl",
        "https://repo.example.org/team-a%2F..%2Fteam-b/a-1-py3-none-any.whl",
        "https://repo.example.org/team-ab/a-1-py3-none-any.whl",
        "http://repo.example.org/team-a/files/a-1-py3-none-any.whl",
        "https://repo.example.org:8443/team-a/files/a-1-py3-none-any.whl",
        "file:///team-a/files/a-1-py3-none-any.whl",
    ):
        assert not locations.allows(url), url
    lock = read_pylock(
        'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "a"\nversion = "1"\n'
        '[[packages.wheels]]\nname = "a-1-py3-none-any.whl"\npath = "../team-a/files/a-1-py3-none-any.whl"\n'
        'hashes = { sha256 = "' + "0" * 64 + '" }\n',
        source="pylock.toml",
    )
    assert outside_locations(lock, Locations.of([], ["file:///srv/team-a/"]), lock_dir="/srv/app") == []
    assert outside_locations(lock, Locations.of([], ["file:///srv/team-b/"]), lock_dir="/srv/app") == [
        "a 1: a-1-py3-none-any.whl comes from file:///srv/team-a/files/a-1-py3-none-any.whl, "
        "outside the configured indexes"
    ]


# ---------------------------------------------------------------------------------------------- hashes


WEAK = {
    "md5 only": ('md5 = "0123456789abcdef0123456789abcdef"', "{file} has no sha256 (or stronger) hash"),
    "sha1 only": (
        'sha1 = "0123456789abcdef0123456789abcdef01234567"',
        "{file} has no sha256 (or stronger) hash",
    ),
    "not hexadecimal": (
        'sha256 = "' + "z" * 64 + '"',
        "{file}: the sha256 hash '" + "z" * 64 + "' is not a valid digest",
    ),
    "too short": (
        'sha256 = "' + "a" * 63 + '"',
        "{file}: the sha256 hash '" + "a" * 63 + "' is not a valid digest",
    ),
    "none": ("", "{file} has no hash"),
}


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_missing_weak_and_malformed_hashes_are_refused(
    kind: str, make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path / "demo", server.url)
    assert run_bale("lock", cwd=root).code == 0
    lock = root / "pylock.toml"
    good = lock.read_text(encoding="utf-8")
    package, filename = (
        ("alpha 1.0", "alpha-1.0-py3-none-any.whl") if kind == "wheel" else ("delta 1.0", "delta-1.0.tar.gz")
    )
    digest = sha256_of(server.root / "files" / filename)
    for case, (hashes, problem) in sorted(WEAK.items()):
        lock.write_text(good, encoding="utf-8")
        tampered = _tamper(
            lock,
            f'hashes = {{ sha256 = "{digest}" }}',
            f"hashes = {{ {hashes} }}" if hashes else "hashes = {}",
        )
        fetched = server.count(f"/files/{filename}", "GET")
        if hashes:
            first_line = f"error: Refusing to install from {lock}: {package}: " + problem.format(
                file=filename
            )
        else:  # packaging refuses the entry as it reads it (for `tree` and `export` too)
            first_line = f"error: {lock}: invalid lock entry for {package.split()[0]}: {filename} has no hash"
        _assert_refused(run_bale, root, first_line, tampered, None)
        assert server.count(f"/files/{filename}", "GET") == fetched, case  # refused before any download


def test_a_path_archive_with_a_weak_hash_is_refused(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    local = make_pkg("local-lib", "2.0", dest=tmp_path / "wheels")
    root = _project(
        tmp_path / "demo",
        server.url,
        sources='[tool.bale.sources]\nlocal-lib = { path = "../wheels/local_lib-2.0-py3-none-any.whl" }\n',
    )
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('dependencies = ["alpha"]', 'dependencies = ["alpha", "local-lib"]')
    )
    assert run_bale("lock", cwd=root).code == 0, "lock"
    lock = root / "pylock.toml"
    tampered = _tamper(
        lock,
        f'hashes = {{ sha256 = "{sha256_of(local)}" }}',
        'hashes = { md5 = "0123456789abcdef0123456789abcdef" }',
    )
    _assert_refused(
        run_bale,
        root,
        f"error: Refusing to install from {lock}: local-lib 2.0: local_lib-2.0-py3-none-any.whl has no "
        "sha256 (or stronger) hash",
        tampered,
        None,
    )


def test_frozen_after_dropping_a_dependency_without_relocking_is_refused(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    """Reach is walked from today's pyproject.toml: what it no longer requires is not installed
    unasked; plain `sync` relocks the stale lock (as uv does), `--locked` says it is stale."""
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path / "demo", server.url)
    assert run_bale("lock", cwd=root).code == 0
    lock = root / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dependencies = ["alpha"]', "dependencies = []"))
    frozen = run_bale("sync", "--frozen", cwd=root)
    assert frozen.code == 1, frozen
    assert frozen.stderr.splitlines()[0] == (
        f"error: Refusing to install from {lock}: it lists alpha 1.0 (and beta 1.0), which nothing in the "
        "project requires (the lock file was edited, or pyproject.toml changed since it was locked)"
    )
    assert not (root / ".venv").exists()
    stale = run_bale("sync", "--locked", cwd=root)
    assert stale.code == 1 and "needs to be updated, but --locked was given" in stale.stderr, stale
    assert lock.read_text(encoding="utf-8") == text and not (root / ".venv").exists()
    synced = run_bale("sync", cwd=root)
    assert synced.code == 0, synced
    assert sorted(locked(root)) == ["delta", "gamma"]
    assert dist_infos(root) == ["delta-1.0"]


# ---------------------------------------------------------------------------------------------- sources


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=bale", "-c", "user.email=bale@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _committed(folder: Path, marker: str) -> tuple[Path, str]:
    repo = local_package(folder, "gitpkg")
    (repo / "gitpkg" / "__init__.py").write_text(f"VALUE = {marker!r}\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    return repo, _git(repo, "rev-parse", "HEAD")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")
def test_a_repository_swapped_for_another_is_refused(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    """A source names one repository: the lock may not send the installer to another (the host check
    alone lets every ``file:`` URL, or every repository on github.com, through)."""
    server = static_index(_universe(make_pkg))
    repo, _ = _committed(tmp_path / "repo", "good")
    planted, planted_commit = _committed(tmp_path / "planted", "PWNED")
    root = _project(
        tmp_path / "demo",
        server.url,
        sources=f'[tool.bale.sources]\ngitpkg = {{ git = "{repo.as_uri()}" }}\n',
    )
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('dependencies = ["alpha"]', 'dependencies = ["gitpkg"]')
    )
    assert run_bale("lock", cwd=root).code == 0
    lock = root / "pylock.toml"
    commit = locked(root)["gitpkg"]["vcs"]["commit-id"]
    text = _tamper(lock, f'url = "{repo.as_uri()}"', f'url = "{planted.as_uri()}"')
    tampered = _tamper(lock, commit, planted_commit)
    assert tampered != text
    _assert_refused(
        run_bale,
        root,
        f"error: Refusing to install from {lock}: gitpkg 1.0: its repository {planted.as_uri()} is not one a "
        "requirement or source of the project names",
        tampered,
        None,
    )


def test_an_archive_swapped_for_another_path_on_its_host_is_refused(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    downloads = static_index([make_pkg("lib", "1.0")])
    planted = make_pkg(Pkg("lib", "1.0", files={"lib/__init__.py": "PWNED = True\n"}), dest=tmp_path / "x")
    uploads = downloads.root / "uploads"
    uploads.mkdir()
    shutil.copy(planted, uploads / planted.name)
    url = downloads.file_url("lib-1.0-py3-none-any.whl")
    root = _project(
        tmp_path / "demo", server.url, sources=f'[tool.bale.sources]\nlib = {{ url = "{url}" }}\n'
    )
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dependencies = ["alpha"]', 'dependencies = ["lib"]'))
    assert run_bale("lock", cwd=root).code == 0
    lock = root / "pylock.toml"
    evil_url = f"{downloads.base}/uploads/{planted.name}"
    _tamper(lock, f'archive = {{ url = "{url}"', f'archive = {{ url = "{evil_url}"')
    tampered = _tamper(lock, sha256_of(downloads.root / "files" / planted.name), sha256_of(planted))
    fetched = len(downloads.requests)
    _assert_refused(
        run_bale,
        root,
        f"error: Refusing to install from {lock}: lib 1.0: its archive comes from {evil_url}, which no "
        "requirement or source of the project names",
        tampered,
        None,
    )
    assert len(downloads.requests) == fetched
