"""bale's test bed: package builders, index trees, local servers, the CLI runner and their fixtures.

builders  Pkg, make_wheel, make_sdist, make_bad_wheel, sha256_of       (no network, no servers)
index     build_simple_tree, file_index_url                             (static PEP 503/691 trees)
servers   StaticIndexServer (scriptable faults, request log), PypiServer (the real pypiserver)
cli       BaleRunner / run_bale, scrub                                  (subprocess `python -m bale`)
fixtures  pytest fixtures, registered by tests/conftest.py
"""
