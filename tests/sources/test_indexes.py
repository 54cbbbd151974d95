"""Named indexes: first match wins, `{ index = ... }` pins, explicit indexes, the hosts a lock may use."""

from __future__ import annotations

from pathlib import Path

from tests.sources.helpers import dist_infos, locked, write_project


def _project(tmp_path: Path, dependencies: str, indexes: str, sources: str = "") -> Path:
    return write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = [{dependencies}]
        {indexes}
        [tool.bale.sources]
        {sources}
        """,
    )


def test_the_first_index_that_has_a_package_gives_all_its_versions(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    first = static_index([make_pkg("shared", "1.0")])
    second = static_index([make_pkg("shared", "9.0"), make_pkg("only-second", "1.0")])
    default = static_index([make_pkg("shared", "20.0"), make_pkg("only-default", "1.0")])
    indexes = f"""
        [[tool.bale.index]]
        name = "first"
        url = "{first.url}"

        [[tool.bale.index]]
        name = "second"
        url = "{second.url}"
    """
    root = _project(tmp_path, '"shared", "only-second", "only-default"', indexes)
    # --index-url replaces the default index (the last resort), not the project's indexes.
    result = run_bale("sync", "-i", default.url, cwd=root)
    assert result.code == 0, result
    packages = locked(root)
    # shared 9.0 and 20.0 are never considered: the first index has shared (against dependency
    # confusion, versions are not mixed across indexes).
    assert packages["shared"]["version"] == "1.0"
    assert packages["shared"]["index"] == first.url
    assert packages["only-second"]["index"] == second.url
    assert packages["only-default"]["index"] == default.url
    assert dist_infos(root) == ["only_default-1.0", "only_second-1.0", "shared-1.0"]
    assert not any("/shared/" in request.path for request in (*second.requests, *default.requests))


def test_a_pinned_package_comes_from_its_index_and_an_explicit_index_serves_nothing_else(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    public = static_index([make_pkg("shared", "1.0"), make_pkg("other", "1.0")])
    private = static_index([make_pkg("shared", "2.0"), make_pkg("other", "5.0"), make_pkg("secret", "1.0")])
    indexes = f"""
        [[tool.bale.index]]
        name = "public"
        url = "{public.url}"
        default = true

        [[tool.bale.index]]
        name = "private"
        url = "{private.url}/"
        explicit = true
    """
    root = _project(tmp_path, '"shared", "other"', indexes, 'shared = { index = "private" }')
    result = run_bale("sync", cwd=root)
    assert result.code == 0, result
    packages = locked(root)
    assert (packages["shared"]["version"], packages["shared"]["index"]) == ("2.0", private.url)
    # "other" is on both, unpinned: the explicit index is not asked for it.
    assert (packages["other"]["version"], packages["other"]["index"]) == ("1.0", public.url)
    assert dist_infos(root) == ["other-1.0", "shared-2.0"]
    assert not any("/other/" in request.path for request in private.requests)

    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace('"other"', '"secret"'))
    missing = run_bale("lock", cwd=root)
    assert missing.code == 1, missing
    assert "secret" in missing.stderr and "Traceback" not in missing.stderr


def test_a_lock_pointing_at_an_unconfigured_host_is_refused(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    root = _project(tmp_path, '"lib"', "")
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    lock = root / "pylock.toml"
    port = server.url.split(":")[2].split("/")[0]
    evil = f"http://127.0.0.1:{int(port) + 1 if int(port) < 65535 else 1}/files/lib-1.0-py3-none-any.whl"
    text = lock.read_text()
    lock.write_text(text.replace(f"{server.url.rsplit('/', 1)[0]}/files/lib-1.0-py3-none-any.whl", evil))
    assert lock.read_text() != text

    for args in (("sync", "--frozen"), ("sync",), ("run", "--frozen", "python", "-c", "pass")):
        refused = run_bale(*args[:1], "-i", server.url, *args[1:], cwd=root)
        assert refused.code == 1, refused
        first = refused.stderr.splitlines()[0]
        assert first.startswith(f"error: Refusing to install from {lock}: lib 1.0: "), refused
        assert evil in first and "not one of the configured indexes" in first
        assert not (root / ".venv").exists()

    # With nothing configured, the index the lock was made with is not trusted either.
    unconfigured = run_bale("lock", "-i", server.url, cwd=root)
    assert unconfigured.code == 0
    refused = run_bale("sync", "--frozen", cwd=root)
    assert refused.code == 1 and "Refusing to install" in refused.stderr, refused
    accepted = run_bale("sync", "--frozen", "-i", server.url, cwd=root)
    assert accepted.code == 0, accepted
    assert dist_infos(root) == ["lib-1.0"]
