"""Every artifact passes one checked pipeline: hash-checking mode covers the whole graph, a lock's hashes
are checked on every file, and the metadata resolution read is the metadata of the wheel installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Venv
from tests.sources.helpers import dist_infos, write_project
from tests.support.builders import sha256_bytes, sha256_of
from tests.support.cli import scrub
from tests.support.index import build_simple_tree
from tests.support.servers import StaticIndexServer, _Handler, _Resource


def _preinstalled(bale, static_index, make_pkg, venv: Venv) -> list[str]:
    """Put ``keep 1.0`` into the venv, so "unchanged" means more than "empty"."""
    server = static_index([make_pkg("keep", "1.0")])
    assert bale("pip", "install", "keep", "-i", server.url).code == 0
    before = venv.dist_infos()
    assert before == ["keep-1.0.dist-info"]
    return before


def _file_requests(server: StaticIndexServer) -> list[str]:
    """The wheels and sdists the server sent (metadata files and pages excluded)."""
    return [p for p in server.paths("GET") if p.startswith("/files/") and not p.endswith(".metadata")]


# ------------------------------------------------------------------------------- hash-checking mode


@pytest.mark.parametrize("explicit", [True, False], ids=["require-hashes", "implied-by-a-hash"])
def test_hash_checking_mode_refuses_a_dependency_without_a_hash(
    explicit: bool, make_pkg, static_index, bale, venv: Venv, tmp_path: Path
) -> None:
    before = _preinstalled(bale, static_index, make_pkg, venv)
    alpha = make_pkg("alpha", "1.0", requires_dist=["beta>=1"])
    beta = make_pkg("beta", "1.0")
    server = static_index([alpha, beta])
    reqs = tmp_path / "reqs.txt"
    reqs.write_text(f"alpha==1.0 --hash=sha256:{sha256_of(alpha)}\n")
    flags = ["--require-hashes"] if explicit else []
    result = bale("pip", "install", *flags, "-r", reqs, "-i", server.url)
    assert result.code == 1, result
    why = "--require-hashes is set" if explicit else f"a requirement carries --hash: alpha==1.0 at {reqs}:1"
    assert result.stderr.splitlines()[:3] == [
        "error: Hashes are required in hash-checking mode, but these packages have none:",
        f"  beta==1.0 --hash=sha256:{sha256_of(beta)}  (a dependency the requirements do not list)",
        f"  (hash-checking mode is on because {why})",
    ], result.stderr
    assert "nothing was installed" in result.stderr and "Traceback" not in result.stderr
    # Refused before anything was downloaded, and the environment is as it was.
    assert _file_requests(server) == []
    assert venv.dist_infos() == before

    # As pip: every package listed with == and --hash, dependencies included, installs.
    reqs.write_text(
        f"alpha==1.0 --hash=sha256:{sha256_of(alpha)}\nbeta==1.0 --hash=sha256:{sha256_of(beta)}\n"
    )
    done = bale("pip", "install", *flags, "-r", reqs, "-i", server.url)
    assert done.code == 0, done
    assert venv.dist_infos() == ["alpha-1.0.dist-info", "beta-1.0.dist-info", "keep-1.0.dist-info"]


def test_hash_checking_mode_checks_a_dependency_s_bytes(
    make_pkg, static_index, bale, venv: Venv, tmp_path: Path
) -> None:
    before = _preinstalled(bale, static_index, make_pkg, venv)
    alpha = make_pkg("alpha", "1.0", requires_dist=["beta"])
    beta = make_pkg("beta", "1.0")
    server = static_index([alpha, beta])
    reqs = tmp_path / "reqs.txt"
    wrong = "ab" * 32
    reqs.write_text(f"alpha==1.0 --hash=sha256:{sha256_of(alpha)}\nbeta==1.0 --hash=sha256:{wrong}\n")
    result = bale("pip", "install", "-r", reqs, "-i", server.url)
    assert result.code == 1, result
    lines = scrub(result.stderr).splitlines()
    assert lines[0] == "error: Hash mismatch for beta-1.0-py3-none-any.whl (beta==1.0)", result.stderr
    assert f"  expected sha256:{wrong}" in lines
    assert f"  got      sha256:{sha256_of(beta)}" in lines
    assert venv.dist_infos() == before


# ------------------------------------------------------------------------------------ lock files


def test_a_locked_sync_checks_every_file_against_the_lock(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    alpha = make_pkg("alpha", "1.0", requires_dist=["beta"])
    beta = make_pkg("beta", "1.0")
    server = static_index([alpha, beta])
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["alpha"]

        [[tool.bale.index]]
        name = "team"
        url = "{server.url}"
        default = true
        """,
    )
    assert run_bale("lock", cwd=root).code == 0
    lock = (root / "pylock.toml").read_text(encoding="utf-8")
    assert sha256_of(beta) in lock
    # The index now serves other bytes under beta's locked name (its pages too: only the lock knows).
    other = make_pkg(
        "beta", "1.0", dest=tmp_path / "other", files={"beta/__init__.py": "__version__ = '1.0'\nEVIL = 1\n"}
    )
    assert sha256_of(other) != sha256_of(beta)
    served = server.root / "files" / beta.name
    served.write_bytes(other.read_bytes())
    for args in (("sync", "--frozen"), ("sync", "--locked")):
        refused = run_bale(*args, cwd=root)
        assert refused.code == 1, refused
        assert refused.stderr.splitlines()[:3] == [
            f"error: Hash mismatch for {server.file_url(beta.name)}",
            f"  expected sha256:{sha256_of(beta)}",
            f"  actual   sha256:{sha256_of(other)}",
        ], refused.stderr
        assert "Traceback" not in refused.stderr
        # Nothing was installed: alpha, whose file is fine, waits for beta (prepare, then link).
        assert not (root / ".venv").exists() or dist_infos(root) == []
    assert (root / "pylock.toml").read_text(encoding="utf-8") == lock


# ------------------------------------------------------------------------------ metadata vs wheel


def _lie_about(server: StaticIndexServer, wheel: Path, metadata: str) -> None:
    """Serve ``metadata`` as ``wheel``'s PEP 658 file, its hash advertised on the project pages (the
    index vouches for the lie, so only the wheel itself can tell)."""
    files = server.root / "files"
    real = (files / f"{wheel.name}.metadata").read_bytes()
    lie = metadata.encode()
    (files / f"{wheel.name}.metadata").write_bytes(lie)
    project = wheel.name.split("-", 1)[0]
    for page in (server.root / "simple" / project).iterdir():
        text = page.read_text(encoding="utf-8")
        assert sha256_bytes(real) in text, page
        page.write_text(text.replace(sha256_bytes(real), sha256_bytes(lie)), encoding="utf-8")


LIES = {
    "requires-dist": (
        {"requires_dist": ["beta"]},
        "Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n",
        "Requires-Dist: resolution read (none), the wheel has beta",
        {},
    ),
    "requires-python": (
        {"requires_python": ">=3.99"},
        "Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\nRequires-Python: >=3\n",
        "Requires-Python: resolution read >=3, the wheel has >=3.99",
        # The project page's data-requires-python lies along (else resolution never picks the wheel).
        {"requires_python": {"alpha-1.0-py3-none-any.whl": ">=3"}},
    ),
}


@pytest.mark.parametrize("field", sorted(LIES))
def test_a_wheel_whose_metadata_file_lies_is_refused(
    field: str, make_pkg, static_index, bale, venv: Venv
) -> None:
    options, lie, difference, page = LIES[field]
    before = _preinstalled(bale, static_index, make_pkg, venv)
    alpha = make_pkg("alpha", "1.0", **options)
    server = static_index([alpha, make_pkg("beta", "1.0")], **page)
    _lie_about(server, alpha, lie)
    result = bale("pip", "install", "alpha", "-i", server.url)
    assert result.code == 1, result
    lines = result.stderr.splitlines()
    assert lines[:3] == [
        f"error: The metadata resolution used for {alpha.name} differs from the wheel's own METADATA",
        f"  {difference}",
        f"  from {server.file_url(alpha.name)}",
    ], result.stderr
    assert "Traceback" not in result.stderr
    assert venv.dist_infos() == before
    # The metadata file was what resolution read: no range request, no second look at the wheel.
    assert server.count(f"/files/{alpha.name}.metadata") == 1


class _RangeLiar(StaticIndexServer):
    """Answers every Range request for ``/files/<name>`` from ``lie`` (another wheel's bytes) and a
    whole-file GET from the real file: the metadata a range reader sees is not the wheel's."""

    def __init__(self, root: Path, name: str, lie: bytes) -> None:
        super().__init__(root)
        self.lie_path, self.lie = f"/files/{name}", lie

    def start(self) -> StaticIndexServer:
        from http.server import ThreadingHTTPServer
        from threading import Thread

        liar = self

        class Handler(_Handler):
            index = liar

            def _resolve(self, path: str) -> _Resource | None:
                found = super()._resolve(path)
                if found is not None and path == liar.lie_path and self.headers.get("Range"):
                    return _Resource(liar.lie, found.content_type, found.mtime, is_page=False)
                return found

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self


def test_a_wheel_whose_ranges_lie_is_refused(make_pkg, bale, venv: Venv, tmp_path: Path) -> None:
    """No PEP 658 file: resolution reads METADATA through range requests, which here come from
    another file than the one downloaded (whose hash the index gives, and which matches)."""
    before = _preinstalled_from_links(bale, make_pkg, venv, tmp_path)
    alpha = make_pkg("alpha", "1.0", requires_dist=["beta"])
    liar = make_pkg("alpha", "1.0", dest=tmp_path / "liar")
    root = build_simple_tree([alpha, make_pkg("beta", "1.0")], tmp_path / "index", metadata_files=False)
    server = _RangeLiar(root, alpha.name, liar.read_bytes()).start()
    try:
        server.disable_metadata()
        result = bale("pip", "install", "alpha", "-i", server.url)
        assert result.code == 1, result
        assert result.stderr.splitlines()[:3] == [
            f"error: The metadata resolution used for {alpha.name} differs from the wheel's own METADATA",
            "  Requires-Dist: resolution read (none), the wheel has beta",
            f"  from {server.file_url(alpha.name)}",
        ], result.stderr
        assert venv.dist_infos() == before
        ranged = [r for r in server.requests if r.path == f"/files/{alpha.name}" and "Range" in r.headers]
        assert ranged, "resolution read the metadata through range requests"
    finally:
        server.stop()


def _preinstalled_from_links(bale, make_pkg, venv: Venv, tmp_path: Path) -> list[str]:
    links = tmp_path / "links"
    make_pkg("keep", "1.0", dest=links)
    assert bale("pip", "install", "keep", "--no-index", "-f", links).code == 0
    return venv.dist_infos()


def test_a_metadata_file_that_tells_the_truth_installs(make_pkg, static_index, bale, venv: Venv) -> None:
    alpha = make_pkg("alpha", "1.0", requires_dist=["beta"])
    server = static_index([alpha, make_pkg("beta", "1.0")])
    # The same fields, written differently (field order, a blank line): not a lie.
    _lie_about(
        server,
        alpha,
        "Metadata-Version: 2.1\nVersion: 1.0\nName: alpha\nRequires-Dist: beta\n\nsome description\n",
    )
    result = bale("pip", "install", "alpha", "-i", server.url)
    assert result.code == 0, result
    assert venv.dist_infos() == ["alpha-1.0.dist-info", "beta-1.0.dist-info"]


def test_a_lock_made_from_a_lying_metadata_file_does_not_sync(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    alpha = make_pkg("alpha", "1.0", requires_dist=["beta"])
    server = static_index([alpha, make_pkg("beta", "1.0")])
    _lie_about(server, alpha, "Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n")
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["alpha"]

        [[tool.bale.index]]
        name = "team"
        url = "{server.url}"
        default = true
        """,
    )
    # The lock believes alpha needs nothing; installing the wheel would leave beta missing.
    result = run_bale("sync", cwd=root)
    assert result.code == 1, result
    assert result.stderr.splitlines()[0] == (
        f"error: The metadata resolution used for {alpha.name} differs from the wheel's own METADATA"
    ), result.stderr
    assert not (root / ".venv").exists() or dist_infos(root) == []
    # A later run syncing that lock (the wheel now unpacked in the cache, no resolution in this
    # process) still compares the wheel with what the lock's resolution read.
    assert (root / "pylock.toml").is_file()
    again = run_bale("sync", "--frozen", cwd=root)
    assert again.code == 1, again
    assert again.stderr.splitlines()[0] == result.stderr.splitlines()[0], again.stderr
    assert not (root / ".venv").exists() or dist_infos(root) == []


# --------------------------------------------------------------------------- the policy by itself


def test_a_lock_s_policy_exempts_only_what_has_no_file_to_hash() -> None:
    """Behind `sync`'s own lock checks, the database refuses an unhashed file from a lock too."""
    from packaging.version import Version

    from bale.dist.hash_policy import LOCK_HASH_POLICY
    from bale.errors import BaleError
    from bale.model.artifact import Artifact, vcs_artifact
    from bale.model.dists import FileKind, IndexFile
    from bale.model.names import normalize
    from bale.vcs import VcsInfo

    def artifact(name: str, allowed: dict[str, frozenset[str]], **kind: bool) -> Artifact:
        url = f"https://example.invalid/{name}-1.0-py3-none-any.whl"
        file = IndexFile(
            filename=url.rsplit("/", 1)[1], url=url, name=normalize(name), version=Version("1.0"),
            kind=FileKind.SDIST if kind else FileKind.WHEEL, source=url,
        )  # fmt: skip
        return Artifact(
            normalize(name),
            Version("1.0"),
            file,
            direct=False,
            requested=True,
            allowed_hashes=allowed,
            **kind,
        )

    commit = "c" * 40
    fine = [
        artifact("hashed", {"sha256": frozenset({"a" * 64})}),
        artifact("tree", {}, is_tree=True),
        vcs_artifact(
            normalize("repo"), Version("1.0"), VcsInfo("https://example.invalid/r", None, commit, None)
        ),
    ]
    LOCK_HASH_POLICY.admit(fine)
    with pytest.raises(BaleError) as refused:
        LOCK_HASH_POLICY.admit(
            [*fine, artifact("bare", {}), artifact("weak", {"md5": frozenset({"0" * 32})})]
        )
    assert refused.value.message == "Hashes are required in hash-checking mode, but these packages have none:"
    assert list(refused.value.context) == [
        "bare==1.0",
        "weak==1.0  (only md5: too weak to check)",
        "(hash-checking mode is on because the packages come from a lock file)",
    ]
