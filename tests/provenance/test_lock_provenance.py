"""`bale lock` verifies the PEP 740 provenance an index serves for the files it locks (real attestations,
offline), records the publishers as PEP 751 ``attestation-identities``, refuses tampered provenance,
flags a relock whose publisher changed, and refuses unattested files of required packages."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bale.lock.pylock import read_pylock
from tests.provenance.conftest import WHEEL, Assets
from tests.sources.helpers import local_package, write_project
from tests.support.cli import bale_env

NAME = "circleci-sign-publish-example"
CIRCLECI = {
    "kind": "CircleCI",
    "pipeline_definition_id": "8e4f8ab2-8d7c-4827-9f15-de076d6d647f",
    "project_id": "fdd9283f-e619-46af-8f9c-851f7d3e8b2b",
    "vcs_origin": "github.com/CircleCI-Public/sign-and-publish-examples",
    "vcs_ref": "refs/heads/pypi",
}


def _project(root: Path, index_url: str, *extra: str) -> Path:
    dependencies = ", ".join(f'"{spec}"' for spec in (f"{NAME}==0.0.1.dev137", *extra))
    return write_project(
        root,
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = [{dependencies}]

        [[tool.bale.index]]
        name = "team"
        url = "{index_url}"
        default = true
        """,
    )


def _identities(root: Path) -> dict[str, list[dict[str, object]]]:
    lock = read_pylock((root / "pylock.toml").read_text(encoding="utf-8"), source="pylock.toml")
    return {str(p.name): [dict(i) for i in p.attestation_identities or ()] for p in lock.packages}


def _provenance_requests(server) -> list[str]:
    return [r.path for r in server.requests if r.path.endswith(".provenance")]


@pytest.mark.parametrize("pages", ["json", "html"])
def test_lock_records_the_verified_publisher_and_fetches_provenance_once(
    assets: Assets, static_index, run_bale, tmp_path: Path, pages: str
) -> None:
    server = static_index(
        [assets.wheel],
        provenance={WHEEL: assets.provenance},
        json=pages == "json",
        html=pages == "html",
    )
    root = _project(tmp_path / "demo", server.url)
    result = run_bale("lock", cwd=root)
    assert result.code == 0, result
    assert "Traceback" not in result.stderr
    assert _identities(root) == {NAME: [CIRCLECI]}
    text = (root / "pylock.toml").read_text(encoding="utf-8")
    assert "attestation-identities = [\n" in text
    assert len(_provenance_requests(server)) == 1

    # A lock written again from scratch answers from the cache: no fetch, the same identities.
    (root / "pylock.toml").unlink()
    again = run_bale("lock", cwd=root, env={"BALE_NO_MEMO": "1"})
    assert again.code == 0, again
    assert _identities(root) == {NAME: [CIRCLECI]}
    assert len(_provenance_requests(server)) == 1


def _flip_signature_byte(provenance: Path) -> bytes:
    data = json.loads(provenance.read_bytes())
    envelope = data["attestation_bundles"][0]["attestations"][0]["envelope"]
    signature = bytearray(base64.b64decode(envelope["signature"]))
    signature[len(signature) // 2] ^= 0x01
    envelope["signature"] = base64.b64encode(bytes(signature)).decode()
    return json.dumps(data).encode()


@pytest.mark.parametrize("tampering", ["signature byte flipped", "another file's provenance"])
def test_tampered_provenance_is_refused_and_nothing_is_locked(
    assets: Assets, static_index, run_bale, tmp_path: Path, tampering: str
) -> None:
    bad = (
        _flip_signature_byte(assets.provenance)
        if tampering == "signature byte flipped"
        else assets.other_provenance.read_bytes()
    )
    server = static_index([assets.wheel], provenance={WHEEL: bad})
    root = _project(tmp_path / "demo", server.url)
    result = run_bale("lock", cwd=root)
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    assert f"Cannot lock {NAME} 0.0.1.dev137: the provenance of {WHEEL} does not verify" in result.stderr
    assert f"provenance: {server.base}/provenance/{WHEEL}.provenance" in result.stderr
    assert not (root / "pylock.toml").exists()
    if tampering != "signature byte flipped":
        return  # the rest is the same for both kinds of tampering
    # `sync` locks first: nothing is installed either.
    synced = run_bale("sync", cwd=root)
    assert synced.code == 1, synced
    assert not (root / ".venv").exists() or not list((root / ".venv").rglob("circleci_sign_publish_example"))

    # A refused provenance is not cached: once the index serves the real one, the lock succeeds.
    server_fixed = static_index([assets.wheel], provenance={WHEEL: assets.provenance})
    _project(root, server_fixed.url)
    fixed = run_bale("lock", cwd=root)
    assert fixed.code == 0, fixed
    assert _identities(root) == {NAME: [CIRCLECI]}


def test_relock_flags_a_changed_publisher_and_lost_attestations(
    assets: Assets, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([assets.wheel], provenance={WHEEL: assets.provenance})
    root = _project(tmp_path / "demo", server.url)
    assert run_bale("lock", cwd=root).code == 0
    lock = root / "pylock.toml"
    # As if the previous release had come from another publisher: the lock remembers that one.
    text = lock.read_text(encoding="utf-8")
    earlier = re.sub(
        r"attestation-identities = \[\n.*?\n\]",
        'attestation-identities = [\n    { kind = "GitHub", repository = "example/project", '
        'workflow = "release.yml" },\n]',
        text,
        flags=re.DOTALL,
    )
    assert earlier != text
    lock.write_text(earlier, encoding="utf-8")
    relocked = run_bale("lock", cwd=root)
    assert relocked.code == 0, relocked
    assert (
        f"the publisher of {NAME} changed: the previous lock recorded GitHub repository=example/project "
        "workflow=release.yml, now CircleCI pipeline_definition_id=8e4f8ab2-8d7c-4827-9f15-de076d6d647f "
        "project_id=fdd9283f-e619-46af-8f9c-851f7d3e8b2b "
        "vcs_origin=github.com/CircleCI-Public/sign-and-publish-examples vcs_ref=refs/heads/pypi"
    ) in " ".join(relocked.stderr.split())
    assert _identities(root) == {NAME: [CIRCLECI]}

    # Nothing changed since: no warning.
    quiet = run_bale("lock", cwd=root)
    assert quiet.code == 0, quiet
    assert "publisher" not in quiet.stderr

    # The same wheel from an index (a mirror) that serves no provenance: the loss is flagged.
    mirror = static_index([assets.wheel])
    _project(root, mirror.url)
    lost = run_bale("lock", cwd=root)
    assert lost.code == 0, lost
    assert f"{NAME} lost its attestations: the previous lock recorded its publisher as CircleCI" in " ".join(
        lost.stderr.split()
    )
    assert _identities(root) == {NAME: []}


def test_required_provenance_refuses_an_unattested_package(
    assets: Assets, make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    plain = make_pkg("plain", "1.0")
    server = static_index([assets.wheel, plain], provenance={WHEEL: assets.provenance})
    root = _project(tmp_path / "demo", server.url, "plain")
    required = {"BALE_REQUIRE_PROVENANCE": f"{NAME}, Plain"}
    refused = run_bale("lock", cwd=root, env=required)
    assert refused.code == 1, refused
    assert "Traceback" not in refused.stderr
    assert (
        "Cannot lock plain 1.0: plain-1.0-py3-none-any.whl has no verified provenance, and provenance is "
        "required for plain"
    ) in refused.stderr
    assert "its index serves no provenance (PEP 740) for it" in refused.stderr
    assert not (root / "pylock.toml").exists()

    # The attested package alone passes the same requirement.
    allowed = run_bale("lock", cwd=root, env={"BALE_REQUIRE_PROVENANCE": NAME})
    assert allowed.code == 0, allowed
    assert _identities(root)[NAME] == [CIRCLECI]


def _without_verifier(tmp_path: Path) -> str:
    """A PYTHONPATH entry on which ``import pypi_attestations`` fails, as without the extra."""
    shim = tmp_path / "no-attestations"
    (shim / "pypi_attestations").mkdir(parents=True)
    (shim / "pypi_attestations" / "__init__.py").write_text(
        "raise ImportError('pypi-attestations is hidden for this test')\n", encoding="utf-8"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    return f"{shim}:{src}"


def test_without_pypi_attestations_provenance_is_a_warning_or_an_error_when_required(
    assets: Assets, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([assets.wheel], provenance={WHEEL: assets.provenance})
    root = _project(tmp_path / "demo", server.url)
    hidden = {"PYTHONPATH": _without_verifier(tmp_path)}
    result = run_bale("lock", cwd=root, env=hidden)
    assert result.code == 0, result
    assert result.stderr.count("pypi-attestations is not installed") == 1, result
    assert "the provenance (PEP 740) of 1 file could not be verified" in " ".join(result.stderr.split())
    assert _identities(root) == {NAME: []}

    (root / "pylock.toml").unlink()
    refused = run_bale("lock", cwd=root, env={**hidden, "BALE_REQUIRE_PROVENANCE": NAME})
    assert refused.code == 1, refused
    assert "provenance is required for circleci-sign-publish-example" in refused.stderr
    assert "pypi-attestations is not installed, so its provenance could not be verified" in refused.stderr
    assert not (root / "pylock.toml").exists()


def test_start_up_does_not_import_the_verifier(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bale", "--version"],
        env=bale_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in completed.stderr.splitlines()}
    assert not imported & {"pypi_attestations", "sigstore", "pydantic", "cryptography"}


def test_pip_compile_to_a_lock_verifies_and_records_provenance_too(
    assets: Assets, static_index, run_bale, tmp_path: Path
) -> None:
    good = static_index([assets.wheel], provenance={WHEEL: assets.provenance})
    (tmp_path / "requirements.in").write_text(f"{NAME}==0.0.1.dev137\n", encoding="utf-8")
    result = run_bale("pip", "compile", "requirements.in", "-o", "pylock.toml", "-i", good.url, cwd=tmp_path)
    assert result.code == 0, result
    assert _identities(tmp_path) == {NAME: [CIRCLECI]}

    # Another cache: in this one the wheel's digest is verified already, and provenance is not fetched
    # again for a file whose bytes were once shown to come from their publisher.
    bad = static_index([assets.wheel], provenance={WHEEL: _flip_signature_byte(assets.provenance)})
    args = ("pip", "compile", "requirements.in", "-o", "pylock.other.toml", "-i", bad.url)
    refused = run_bale(*args, cwd=tmp_path, env={"BALE_CACHE_DIR": str(tmp_path / "other-cache")})
    assert refused.code == 1, refused
    assert f"the provenance of {WHEEL} does not verify" in refused.stderr
    assert not (tmp_path / "pylock.other.toml").exists()


def test_offline_lock_records_no_publisher_it_could_not_verify(
    assets: Assets, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([assets.wheel], provenance={WHEEL: assets.provenance})
    root = _project(tmp_path / "demo", server.url)
    assert run_bale("lock", cwd=root).code == 0
    # The pages stay cached; the verified provenance is gone (as on a machine that never verified it).
    shutil.rmtree(run_bale.cache_dir / "provenance-v1")
    (root / "pylock.toml").unlink()
    offline = run_bale("lock", "--offline", cwd=root, env={"BALE_NO_MEMO": "1"})
    assert offline.code == 0, offline
    assert "offline: the provenance (PEP 740) of 1 file was not fetched" in " ".join(offline.stderr.split())
    assert _identities(root) == {NAME: []}
    required = run_bale(
        "lock", "--offline", cwd=root, env={"BALE_NO_MEMO": "1", "BALE_REQUIRE_PROVENANCE": NAME}
    )
    assert required.code == 1, required
    assert "bale ran offline, so its provenance was not fetched" in required.stderr


def test_required_provenance_refuses_a_direct_reference(static_index, run_bale, tmp_path: Path) -> None:
    local_package(tmp_path / "local", "local")
    server = static_index([])
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["local"]

        [tool.bale.sources]
        local = {{ path = "{(tmp_path / "local").as_posix()}" }}

        [[tool.bale.index]]
        name = "team"
        url = "{server.url}"
        default = true
        """,
    )
    refused = run_bale("lock", cwd=root, env={"BALE_REQUIRE_PROVENANCE": "local"})
    assert refused.code == 1, refused
    assert "has no verified provenance, and provenance is required for local" in refused.stderr
    assert "a direct reference (path, URL or repository) has no index provenance" in refused.stderr
    assert run_bale("lock", cwd=root).code == 0


def test_the_policy_key_require_provenance_refuses_an_unattested_package(
    assets: Assets, make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    plain = make_pkg("plain", "1.0")
    server = static_index([assets.wheel, plain], provenance={WHEEL: assets.provenance})
    root = _project(tmp_path / "demo", server.url, "plain")
    policy = tmp_path / "org-policy.toml"
    policy.write_text('require-provenance = ["plain"]\n', encoding="utf-8")
    refused = run_bale("lock", "--policy", str(policy), cwd=root)
    assert refused.code == 1, refused
    assert "provenance is required for plain" in " ".join(refused.stderr.split()), refused
    assert not (root / "pylock.toml").exists()

    # The attested package passes the same rule from the project's own [tool.bale.policy].
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + f'\n[tool.bale.policy]\nrequire-provenance = ["{NAME}"]\n',
        encoding="utf-8",
    )
    allowed = run_bale("lock", cwd=root)
    assert allowed.code == 0, allowed
    assert _identities(root)[NAME] == [CIRCLECI]
