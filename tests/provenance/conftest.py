"""Real PEP 740 attestations for the provenance tests: the distributions and provenance objects that the
pypi-attestations sdist ships under ``test/assets/``, which .ci/run downloads once into
``.provenance-assets/``. The tests skip without them, as the build tests do without ``.wheelhouse/``."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / ".provenance-assets"
FILL_COMMAND = (
    "python -m pip download --no-deps --no-binary :all: -d .provenance-assets pypi-attestations==0.0.30"
)
# A pure wheel without dependencies, published from CircleCI with its provenance; and the provenance
# of another file (a Google Cloud Build sdist), which must not pass for the wheel's.
WHEEL = "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl"
OTHER_PROVENANCE = "gcb_attestation_test-0.0.0.tar.gz.provenance"
NEEDED = (WHEEL, f"{WHEEL}.provenance", OTHER_PROVENANCE)


@dataclass(frozen=True)
class Assets:
    wheel: Path
    provenance: Path  # the wheel's real provenance
    other_provenance: Path


@pytest.fixture(scope="session")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Assets:
    sdists = sorted(ASSETS.glob("pypi_attestations-*.tar.gz")) if ASSETS.is_dir() else []
    if not sdists:
        pytest.skip(
            f"provenance tests need the pypi-attestations sdist in {ASSETS} (its real attestations); "
            f"fill it once from the repo root with: {FILL_COMMAND}"
        )
    target = tmp_path_factory.mktemp("provenance-assets")
    found: dict[str, Path] = {}
    with tarfile.open(sdists[-1], "r:gz") as archive:
        for member in archive.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and "/test/assets/" in member.name and name in NEEDED:
                handle = archive.extractfile(member)
                assert handle is not None
                (target / name).write_bytes(handle.read())
                found[name] = target / name
    missing = [name for name in NEEDED if name not in found]
    if missing:
        pytest.skip(f"{sdists[-1].name} does not ship {', '.join(missing)} under test/assets/")
    return Assets(found[WHEEL], found[f"{WHEEL}.provenance"], found[OTHER_PROVENANCE])
