"""Reading requirements files from disk and through a URL fetcher, and command-line arguments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.model.requirement import COMMAND_LINE, Origin
from bale.requirements import (
    decode_requirements,
    parse_requirement_arg,
    parse_requirements_file,
    parse_requirements_source,
    read_local,
    reader,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nested_files_on_disk(tmp_path: Path) -> None:
    top = write(tmp_path / "proj" / "requirements.txt", "-r reqs/dev.txt\n-c constraints.txt\nfoo==1\n")
    dev = "-e ../src/app\n../dist/pkg-2.0-py3-none-any.whl\n-f ../wheels\n"
    write(tmp_path / "proj" / "reqs" / "dev.txt", dev)
    write(tmp_path / "proj" / "constraints.txt", "foo<2\n")
    result = parse_requirements_file(top, env={})
    app, pkg, foo = result.requirements
    assert app.editable
    assert app.path == tmp_path / "proj" / "src" / "app"
    assert (pkg.name, pkg.path) == ("pkg", tmp_path / "proj" / "dist" / "pkg-2.0-py3-none-any.whl")
    assert pkg.origin == Origin(f"{tmp_path}/proj/reqs/dev.txt", 2)
    assert foo.origin == Origin(str(top), 3)
    assert [str(spec) for spec in result.constraints] == ["foo<2"]
    assert result.find_links == (str(tmp_path / "proj" / "wheels"),)
    assert result.files == (
        str(top),
        str(tmp_path / "proj" / "reqs" / "dev.txt"),
        str(tmp_path / "proj" / "constraints.txt"),
    )


def test_relative_path_is_shown_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "reqs" / "main.txt", "-r other.txt\nbad==\n")
    write(tmp_path / "reqs" / "other.txt", "-r missing.txt\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BaleError) as info:
        parse_requirements_file(Path("reqs/main.txt"), env={})
    assert info.value.render() == (
        "Invalid requirements in reqs/main.txt\n"
        "  reqs/other.txt:1: cannot read reqs/missing.txt: No such file or directory\n"
        '  reqs/main.txt:2:6: missing version after "=="\n'
        "    bad==\n"
        "       ~~^"
    )


def test_source_may_be_a_file_url(tmp_path: Path) -> None:
    path = write(tmp_path / "my reqs.txt", "foo\n")
    result = parse_requirements_source(path.as_uri(), env={})
    assert result.files == (str(path),)
    assert result.requirements[0].origin == Origin(path.as_uri(), 1)


def test_constraints_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.txt", "foo<2\n")
    result = parse_requirements_file(path, is_constraints=True, env={})
    assert result.requirements == ()
    assert [spec.name for spec in result.constraints] == ["foo"]


def test_environment_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALE_TEST_INDEX", "https://idx.example/simple")
    path = write(tmp_path / "r.txt", "-i ${BALE_TEST_INDEX}\n")
    assert parse_requirements_file(path).index_url == "https://idx.example/simple"


def test_missing_top_file(tmp_path: Path) -> None:
    with pytest.raises(BaleError) as info:
        parse_requirements_file(tmp_path / "nope.txt", env={})
    assert info.value.render() == (
        f"Cannot read requirements file {tmp_path}/nope.txt\n  No such file or directory"
    )


def test_remote_files_go_through_the_fetcher(tmp_path: Path) -> None:
    fetched: list[str] = []
    local = (tmp_path / "local.txt").as_uri().encode()
    pages = {
        "https://host.example/r/main.txt": b"-r more.txt\n-r /top.txt\n-r " + local,
        "https://host.example/r/more.txt": b"remote-pkg\n",
        "https://host.example/top.txt": b"top-pkg\n",
    }

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return pages[url]

    write(tmp_path / "local.txt", "local-pkg\n")
    result = parse_requirements_source("https://host.example/r/main.txt", read=reader(fetch), env={})
    # Paths inside a remote file are resolved against its URL (as pip does), unless they are file: URLs.
    assert [spec.name for spec in result.requirements] == ["remote-pkg", "top-pkg", "local-pkg"]
    assert fetched == [
        "https://host.example/r/main.txt",
        "https://host.example/r/more.txt",
        "https://host.example/top.txt",
    ]


def test_without_a_fetcher_remote_files_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "-r https://host.example/more.txt\n")
    with pytest.raises(BaleError) as info:
        parse_requirements_file(path, env={})
    assert info.value.context == (
        f"{path}:1: cannot read https://host.example/more.txt: "
        "remote requirements files are not supported here",
    )
    with pytest.raises(BaleError):
        read_local("https://host.example/more.txt")


def test_decoding() -> None:
    assert decode_requirements(b"\xef\xbb\xbffoo\n") == "foo\n"
    assert decode_requirements("foo\n".encode("utf-16")) == "foo\n"
    assert decode_requirements("bar\n".encode("utf-32")) == "bar\n"
    declared = b"# -*- coding: latin-1 -*-\n# caf\xe9\nfoo\n"
    assert decode_requirements(declared) == "# -*- coding: latin-1 -*-\n# café\nfoo\n"
    with pytest.raises(BaleError) as info:
        decode_requirements(b"foo\n# caf\xe9\n")
    assert info.value.message == (
        "not utf-8 text (byte 0xe9 at offset 9); save it as UTF-8 or declare its encoding with a "
        "`# -*- coding: NAME -*-` first line"
    )


def test_argument_paths_resolve_against_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = parse_requirement_arg("./wheels/pkg-1.0-py3-none-any.whl")
    assert spec.path == Path(os.getcwd()) / "wheels" / "pkg-1.0-py3-none-any.whl"
    assert spec.origin == COMMAND_LINE
    other = parse_requirement_arg("../x/", cwd=tmp_path / "a")
    assert other.path == tmp_path / "x"
    assert other.name is None
    editable = parse_requirement_arg(".", editable=True)
    assert editable.editable
    assert editable.path == Path(os.getcwd())


def test_bad_requirement_argument() -> None:
    with pytest.raises(BaleError) as info:
        parse_requirement_arg("requests (>=2")
    assert info.value.render() == (
        "Invalid requirement 'requests (>=2': missing closing parenthesis \")\"\n"
        "    requests (>=2\n"
        "             ~~~~^"
    )
