"""``bale import`` of a pipenv project: categories as groups, sources as indexes, Pipfile.lock kept."""

from __future__ import annotations

import json
from pathlib import Path

from tests.migrate.helpers import err, installed, locked_versions, pyproject, universe, write
from tests.sources.helpers import local_package

PIPFILE = """
    [[source]]
    url = "{index}"
    verify_ssl = true
    name = "pypi"

    [[source]]
    url = "{private}"
    verify_ssl = true
    name = "private"

    [packages]
    requests = {version = ">=2.0", extras = ["socks"]}
    secret = {version = "*", index = "private"}
    mylib = {path = "./mylib", editable = true}
    rich = {version = "*", markers = "os_name == 'posix'", sys_platform = "!= 'emscripten'"}

    [dev-packages]
    pytest = "*"

    [docs]
    sphinx = "==7.2.*"

    [requires]
    python_version = "3.9"
"""


def _lock(versions: dict[str, dict[str, str]]) -> str:
    body: dict[str, object] = {"_meta": {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6}}
    for category, packages in versions.items():
        body[category] = {
            name: {"hashes": ["sha256:" + "1" * 64], "index": "pypi", "version": f"=={version}"}
            for name, version in packages.items()
        }
    body["default"]["mylib"] = {"editable": True, "path": "./mylib"}  # type: ignore[index]
    return json.dumps(body, indent=4)


def test_pipfile_and_lock(make_pkg, run_bale, static_index, tmp_path: Path) -> None:
    index = static_index([*universe(make_pkg), make_pkg("secret", "9.0")])
    private_files = tmp_path / "private"
    private = static_index([make_pkg("secret", v, dest=private_files) for v in ("1.0", "1.1")])
    text = PIPFILE.replace("{index}", index.url).replace("{private}", private.url)
    lock = _lock(
        {
            "default": {"requests": "2.31.0", "idna": "2.9", "secret": "1.0", "rich": "13.0.0"},
            "develop": {"pytest": "7.4.0"},
            "docs": {"sphinx": "7.2.6"},
        }
    )
    root = write(tmp_path / "app", {"Pipfile": text, "Pipfile.lock": lock})
    local_package(root / "mylib", "mylib", "0.5")
    result = run_bale("import", cwd=root)
    assert result.code == 0, result
    data = pyproject(root)
    assert data["project"]["requires-python"] == ">=3.9"
    assert data["project"]["dependencies"] == [
        "requests[socks]>=2.0",
        "secret",
        "mylib",
        "rich; os_name == 'posix' and sys_platform != 'emscripten'",
    ]
    assert data["dependency-groups"] == {"dev": ["pytest"], "docs": ["sphinx==7.2.*"]}
    assert data["tool"]["bale"]["sources"] == {
        "secret": {"index": "private"},
        "mylib": {"path": "./mylib", "editable": True},
    }
    # pipenv takes every package from the first source, the others only where an entry names them.
    assert data["tool"]["bale"]["index"] == [
        {"name": "pypi", "url": index.url, "default": True},
        {"name": "private", "url": private.url, "explicit": True},
    ]
    assert locked_versions(root) == {
        "requests": "2.31.0",
        "idna": "2.9",
        "secret": "1.0",
        "rich": "13.0.0",
        "pytest": "7.4.0",
        "sphinx": "7.2.6",
    }
    assert "Kept 6 of 6 locked versions from Pipfile.lock" in err(result, tmp_path)
    sync = run_bale("sync", cwd=root)
    assert sync.code == 0, sync
    assert installed(root) == [
        "idna-2.9", "mylib-0.5", "pytest-7.4.0", "requests-2.31.0", "rich-13.0.0", "secret-1.0",
    ]  # fmt: skip
    # A second import would merge into what the first wrote: refused, nothing touched.
    written = (root / "pyproject.toml").read_text()
    again = run_bale("import", "--from", "pipenv", cwd=root)
    assert again.code == 1, again
    assert err(again, tmp_path) == (
        "error: [TMP]/app/pyproject.toml already lists [project] dependencies: bale import does not merge "
        "pipenv files into them\n"
        "hint: import into a folder whose pyproject.toml has no dependencies yet, or use `bale add`\n"
    )
    assert (root / "pyproject.toml").read_text() == written
