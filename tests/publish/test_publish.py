"""`bale publish` through the CLI against a real pypiserver on 127.0.0.1 that requires a password."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import make_stdlib_venv
from tests.support.builders import Pkg
from tests.support.cli import BaleRunner, Result, scrub
from tests.support.fixtures import PkgFactory
from tests.support.servers import AuthUnsupported, PypiServer

USER, PASSWORD = "alice", "s3cret-Pa55word"


@pytest.fixture(scope="module")
def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    # One server per module and worker (~1 s to start); each test gets it emptied.
    server = PypiServer(tmp_path_factory.mktemp("pypiserver-auth"), auth=(USER, PASSWORD))
    try:
        server.start()
    except AuthUnsupported as error:
        pytest.skip(str(error))
    yield server
    server.stop()


@pytest.fixture
def server(_server: PypiServer) -> PypiServer:
    _server.clear()
    return _server


@pytest.fixture
def dist(tmp_path: Path, make_pkg: PkgFactory) -> Path:
    """A project folder whose dist/ holds a wheel and an sdist of pubdemo 1.0, and bale build's .gitignore."""
    folder = tmp_path / "project" / "dist"
    pkg = Pkg("pubdemo", "1.0", summary="Published by the tests", description="Hello *there*.\n")
    make_pkg(pkg, dest=folder)
    make_pkg(pkg, sdist=True, dest=folder)
    (folder / ".gitignore").write_text("*\n")
    return folder


def _publish(run_bale: BaleRunner, server: PypiServer, *args: str | Path, cwd: Path) -> Result:
    return run_bale("publish", "--publish-url", f"{server.base}/", *args, cwd=cwd)


def _out(result: Result, server: PypiServer) -> list[str]:
    return scrub(result.stderr).splitlines()


def test_upload_then_install_from_the_index_then_reupload_is_skipped(
    run_bale: BaleRunner, server: PypiServer, dist: Path, tmp_path: Path
) -> None:
    result = _publish(run_bale, server, "-u", USER, "--password", PASSWORD, cwd=dist.parent)

    assert result.code == 0, str(result)
    assert result.stdout == ""
    assert _out(result, server) == [
        "Publishing 2 files to http://127.0.0.1:[PORT]/ as alice",
        # The sdist goes first.
        "Uploading pubdemo-1.0.tar.gz (" + _size(dist / "pubdemo-1.0.tar.gz") + ")",
        "Uploading pubdemo-1.0-py3-none-any.whl (" + _size(dist / "pubdemo-1.0-py3-none-any.whl") + ")",
        "Uploaded 2 files",
    ]
    assert sorted(p.name for p in server.packages_dir.iterdir()) == [
        "pubdemo-1.0-py3-none-any.whl",
        "pubdemo-1.0.tar.gz",
    ]
    assert (server.packages_dir / "pubdemo-1.0.tar.gz").read_bytes() == (
        dist / "pubdemo-1.0.tar.gz"
    ).read_bytes()

    venv = make_stdlib_venv(tmp_path / "venv")
    installed = run_bale("pip", "install", "--index-url", server.url, "pubdemo", virtual_env=venv.root)
    assert installed.code == 0, str(installed)
    assert venv.run("-c", "import pubdemo; print(pubdemo.__version__)").stdout.strip() == "1.0"

    again = _publish(run_bale, server, "-u", USER, "--password", PASSWORD, cwd=dist.parent)
    assert again.code == 0, str(again)
    assert _out(again, server)[-3:] == [
        "Uploading pubdemo-1.0-py3-none-any.whl (" + _size(dist / "pubdemo-1.0-py3-none-any.whl") + ")",
        "warning: pubdemo-1.0-py3-none-any.whl skipped: already exists on http://127.0.0.1:[PORT]/",
        "Uploaded 0 files, skipped 2 already on the index",
    ]


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KiB"


def test_wrong_password_is_a_clear_error_without_the_password(
    run_bale: BaleRunner, server: PypiServer, dist: Path
) -> None:
    wrong = "not-the-Pa55word"
    result = _publish(run_bale, server, "-u", USER, "--password", wrong, cwd=dist.parent)

    assert result.code == 1, str(result)
    err = scrub(result.stderr)
    assert "error: http://127.0.0.1:[PORT]/ refused the credentials of user 'alice' (HTTP 403)" in err
    assert "hint: check the password or token" in err
    assert "Traceback" not in err
    assert wrong not in result.stderr + result.stdout
    assert PASSWORD not in result.stderr + result.stdout
    assert list(server.packages_dir.iterdir()) == []


def test_no_credentials_says_authentication_is_required(
    run_bale: BaleRunner, server: PypiServer, dist: Path
) -> None:
    result = _publish(run_bale, server, cwd=dist.parent)

    assert result.code == 1, str(result)
    err = scrub(result.stderr)
    assert "error: http://127.0.0.1:[PORT]/ requires authentication to upload (HTTP 401)" in err
    assert "no credentials were given" in err


def test_credentials_from_environment_and_netrc(run_bale: BaleRunner, server: PypiServer, dist: Path) -> None:
    env = {"BALE_PUBLISH_USERNAME": USER, "BALE_PUBLISH_PASSWORD": PASSWORD}
    wheel = dist / "pubdemo-1.0-py3-none-any.whl"
    by_env = run_bale("publish", "--publish-url", f"{server.base}/", wheel, cwd=dist.parent, env=env)
    assert by_env.code == 0, str(by_env)
    assert scrub(by_env.stderr).splitlines()[0] == "Publishing 1 file to http://127.0.0.1:[PORT]/ as alice"

    netrc = run_bale.home / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    sdist = dist / "pubdemo-1.0.tar.gz"
    by_netrc = run_bale(
        "publish", "--publish-url", f"{server.base}/", sdist, cwd=dist.parent, env={"NETRC": str(netrc)}
    )
    assert by_netrc.code == 0, str(by_netrc)
    assert sorted(p.name for p in server.packages_dir.iterdir()) == [wheel.name, sdist.name]


def test_token_is_sent_as_user_token(
    run_bale: BaleRunner, pypiserver_factory: Callable[..., PypiServer], dist: Path
) -> None:
    token = "pypi-AgEIcHlwaS5vcmcCJGFiYw"
    server = pypiserver_factory(auth=("__token__", token))

    result = run_bale(
        "publish", "--publish-url", f"{server.base}/", cwd=dist.parent, env={"BALE_PUBLISH_TOKEN": token}
    )

    assert result.code == 0, str(result)
    assert "as __token__" in result.stderr
    assert token not in result.stderr + result.stdout
    assert len(list(server.packages_dir.iterdir())) == 2


def test_a_bad_file_is_refused_before_any_upload(
    run_bale: BaleRunner, server: PypiServer, dist: Path, make_pkg: PkgFactory, tmp_path: Path
) -> None:
    # A wheel renamed after it was built: its METADATA still says pubdemo 1.0.
    liar = tmp_path / "other" / "otherpkg-2.0-py3-none-any.whl"
    liar.parent.mkdir()
    shutil.copyfile(dist / "pubdemo-1.0-py3-none-any.whl", liar)
    broken = make_pkg(Pkg("badmeta", "1.0", extra_metadata=["Requires-Dist: not a requirement!"]))

    result = _publish(
        run_bale, server, "-u", USER, "--password", PASSWORD, "dist/*", liar, broken, cwd=dist.parent
    )

    assert result.code == 1, str(result)
    err = scrub(result.stderr, {tmp_path: "[TMP]"})
    assert "error: Refusing to publish: 2 files failed the checks" in err
    liar_says = "the metadata names the project 'pubdemo', the file name says 'otherpkg'"
    assert f"otherpkg-2.0-py3-none-any.whl: {liar_says}" in err
    assert "otherpkg-2.0-py3-none-any.whl: the metadata says version 1.0, the file name says 2.0" in err
    assert "badmeta-1.0-py3-none-any.whl: invalid metadata:" in err and "not a requirement!" in err
    assert "--no-check skips these checks" in err
    # Nothing was sent, not even the good files.
    assert "Uploading" not in err
    assert list(server.packages_dir.iterdir()) == []


def test_check_url_skips_files_already_listed_and_refuses_different_contents(
    run_bale: BaleRunner, server: PypiServer, dist: Path, make_pkg: PkgFactory, tmp_path: Path
) -> None:
    server.add(dist / "pubdemo-1.0.tar.gz")
    args = ("-u", USER, "--password", PASSWORD, "--check-url", server.url)

    result = _publish(run_bale, server, *args, cwd=dist.parent)

    assert result.code == 0, str(result)
    assert _out(result, server)[1:] == [
        "warning: pubdemo-1.0.tar.gz skipped: already exists on http://127.0.0.1:[PORT]/simple/",
        "Uploading pubdemo-1.0-py3-none-any.whl (" + _size(dist / "pubdemo-1.0-py3-none-any.whl") + ")",
        "Uploaded 1 file, skipped 1 already on the index",
    ]

    changed = make_pkg(Pkg("pubdemo", "1.0", summary="Changed"), sdist=True, dest=tmp_path / "changed")
    different = _publish(run_bale, server, *args, changed, cwd=dist.parent)
    assert different.code == 1, str(different)
    assert (
        "error: pubdemo-1.0.tar.gz is already on http://127.0.0.1:[PORT]/simple/ with different contents"
        in (scrub(different.stderr))
    )


def test_index_name_reads_publish_url_from_pyproject(
    run_bale: BaleRunner, server: PypiServer, dist: Path
) -> None:
    project = dist.parent
    (project / "pyproject.toml").write_text(
        f"""
[project]
name = "pubdemo"
version = "1.0"

[[tool.bale.index]]
name = "private"
url = "{server.url}"
publish-url = "{server.base}/"
explicit = true
"""
    )

    result = run_bale("publish", "--index", "private", "-u", USER, "--password", PASSWORD, cwd=project)
    assert result.code == 0, str(result)
    assert len(list(server.packages_dir.iterdir())) == 2

    # The index URL doubles as the check URL: the files are found there now.
    again = run_bale("publish", "--index", "private", "-u", USER, "--password", PASSWORD, cwd=project)
    assert again.code == 0, str(again)
    assert "Uploading" not in again.stderr
    assert "skipped: already exists on http://127.0.0.1:[PORT]/simple/" in scrub(again.stderr)

    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("publish-url", "# publish-url"))
    no_url = run_bale("publish", "--index", "private", cwd=project)
    assert no_url.code == 1
    assert f"error: The index 'private' in {pyproject} has no publish-url" in no_url.stderr

    unknown = run_bale("publish", "--index", "nope", cwd=project)
    assert unknown.code == 1
    assert "error: No index named 'nope'" in unknown.stderr and "indexes: private" in unknown.stderr


def test_no_files_and_unknown_files(run_bale: BaleRunner, tmp_path: Path) -> None:
    empty = run_bale("publish", cwd=tmp_path)
    assert empty.code == 1
    assert "error: No distributions to publish in" in empty.stderr
    assert "hint: build them first with `bale build`" in empty.stderr

    (tmp_path / "notes.txt").write_text("hi")
    odd = run_bale("publish", "notes.txt", cwd=tmp_path)
    assert odd.code == 1
    assert (
        "error: Cannot publish notes.txt: it is neither a wheel (.whl) nor a source distribution"
        in odd.stderr
    )
