"""The policy from the command line: lock, add, sync and pip install enforce it; show, check and explain."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.sources.helpers import write_project
from tests.support.cli import scrub

PROJECT = """
    [project]
    name = "demo"
    version = "0.1.0"
    requires-python = "{python}"
    dependencies = [{dependencies}]
"""


def policy_file(folder: Path, text: str, name: str = "org-policy.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def project(folder: Path, dependencies: str = '"alpha"', extra: str = "") -> Path:
    text = PROJECT.replace("{dependencies}", dependencies) + textwrap.dedent(extra)
    return write_project(folder / "demo", text)


def locked(root: Path, name: str) -> list[str]:
    """The versions of ``name`` in the project's pylock.toml."""
    import tomllib

    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return [p.get("version", "-") for p in data["packages"] if p["name"] == name]


def alpha_index(make_pkg, static_index, **options):  # type: ignore[no-untyped-def]
    return static_index(
        [make_pkg("alpha", "1.0"), make_pkg("alpha", "2.0"), make_pkg("beta", "1.0")], **options
    )


def test_a_deny_rule_changes_what_the_resolver_picks(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = alpha_index(make_pkg, static_index)
    org = policy_file(tmp_path, '[[deny]]\npackage = "alpha>=2"\nreason = "breaks our API"\n')
    root = project(tmp_path)
    result = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root)
    assert result.code == 0, result
    assert locked(root, "alpha") == ["1.0"]
    # BALE_POLICY names it as well as --policy does.
    (root / "pylock.toml").unlink()
    again = run_bale("lock", "-i", server.url, cwd=root, env={"BALE_POLICY": str(org)})
    assert again.code == 0, again
    assert locked(root, "alpha") == ["1.0"]


def test_no_solution_names_the_rule_its_file_line_and_reason(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = alpha_index(make_pkg, static_index)
    org = policy_file(
        tmp_path, 'allow = ["alpha", "beta"]\ndeny = [{ package = "alpha>=2", reason = "breaks our API" }]\n'
    )
    root = project(tmp_path, '"alpha>=2"')
    result = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root)
    assert result.code == 1
    assert scrub(result.stderr, {org: "[POLICY]", tmp_path: "[TMP]"}) == (
        "error: No solution found when resolving dependencies:\n"
        '  Because demo depends on alpha>=2 which is denied (policy rule deny "alpha>=2" at [POLICY]:2: '
        "breaks our API), demo's requirements are unsatisfiable.\n"
        "  (the requirements come from [TMP]/demo/pyproject.toml:5)\n"
    )


def test_an_allow_list_refuses_a_new_package_on_add(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = alpha_index(make_pkg, static_index)
    org = policy_file(tmp_path, '# approved packages\nallow = ["alpha"]\n')
    root = project(tmp_path)
    result = run_bale("add", "beta", "-i", server.url, "--policy", str(org), cwd=root)
    assert result.code == 1, result
    assert scrub(result.stderr, {org: "[POLICY]", tmp_path: "[TMP]"}) == (
        "error: No solution found when resolving dependencies:\n"
        "  Because demo depends on beta which is not on the allow-list (policy rule allow at [POLICY]:2), "
        "demo's requirements are unsatisfiable.\n"
        "  (the requirements come from [TMP]/demo/pyproject.toml:5)\n"
    )
    assert "beta" not in (root / "pyproject.toml").read_text(encoding="utf-8")


def test_a_licence_rule_skips_a_version_with_a_refused_licence(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    files = [
        make_pkg("alpha", "1.0", metadata_version="2.4", extra_metadata=["License-Expression: MIT"]),
        make_pkg("alpha", "2.0", metadata_version="2.4", extra_metadata=["License-Expression: GPL-3.0-only"]),
        make_pkg(
            "beta", "1.0", metadata_version="2.4", extra_metadata=["License-Expression: MIT OR GPL-3.0-only"]
        ),
    ]
    server = static_index(files)
    org = policy_file(tmp_path, 'licenses = { allow = ["MIT", "Apache-2.0"], deny = ["GPL-3.0-only"] }\n')
    root = project(tmp_path, '"alpha", "beta"')
    result = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root)
    assert result.code == 0, result
    assert locked(root, "alpha") == ["1.0"]
    assert locked(root, "beta") == ["1.0"]  # MIT OR GPL: one allowed side is enough

    explained = run_bale("policy", "explain", "alpha==2.0", "--policy", str(org), "-i", server.url, cwd=root)
    assert (explained.code, scrub(explained.stdout, {org: "[P]"})) == (
        1,
        "alpha 2.0: refused: see its files and licence below\n"
        "  requires: licenses ([P]:1): its licence must be allowed (allow: MIT, Apache-2.0; deny: "
        "GPL-3.0-only; unknown: deny)\n"
        "  alpha-2.0-py3-none-any.whl: allowed\n"
        "  licence GPL-3.0-only: refused: it has a licence the policy refuses, GPL-3.0-only (policy rule "
        "licenses.deny at [P]:1)\n",
    )
    pinned = project(tmp_path / "pinned", '"alpha==2.0"')
    refused = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=pinned)
    assert refused.code == 1
    assert scrub(refused.stderr, {org: "[POLICY]", tmp_path: "[TMP]"}) == (
        "error: No solution found when resolving dependencies:\n"
        "  Because demo depends on alpha==2.0 which has a licence the policy refuses, GPL-3.0-only (policy "
        "rule licenses.deny at [POLICY]:1), demo's requirements are unsatisfiable.\n"
        "  (the requirements come from [TMP]/pinned/demo/pyproject.toml:5)\n"
    )


def test_a_cooldown_waits_for_new_uploads(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    old, new = make_pkg("alpha", "1.0"), make_pkg("alpha", "2.0")
    server = static_index(
        [old, new], upload_times={old.name: now - timedelta(days=30), new.name: now - timedelta(days=1)}
    )
    org = policy_file(tmp_path, 'min-release-age = "7 days"\n')
    root = project(tmp_path)
    result = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root)
    assert result.code == 0, result
    assert locked(root, "alpha") == ["1.0"]
    check = run_bale("policy", "check", "--policy", str(org), "-i", server.url, cwd=root)
    assert (check.code, check.stdout) == (0, ""), check  # the lock keeps each file's upload time
    explained = run_bale("policy", "explain", "alpha==2.0", "--policy", str(org), "-i", server.url, cwd=root)
    assert (explained.code, scrub(explained.stdout, {org: "[P]"}).splitlines()[-1]) == (
        1,
        "  alpha-2.0-py3-none-any.whl: refused: it was uploaded less than 7 days ago (policy rule "
        'min-release-age = "7 days" at [P]:1)',
    )
    # The project may name a shorter wait for one package only when the organisation lets it.
    loosened = project(tmp_path / "loose", extra='\n[tool.bale.policy]\nmin-release-age = "0 days"\n')
    kept = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=loosened)
    assert kept.code == 0, kept
    assert locked(loosened, "alpha") == ["1.0"]
    assert (
        "warning: [TMP]/loose/demo/pyproject.toml:8: min-release-age (0 days) is looser than the "
        "organisation's policy at [TMP]/org-policy.toml:1; the organisation's applies (it does not set "
        "project-overrides = true)"
    ) in scrub(kept.stderr, {tmp_path: "[TMP]"}), kept.stderr
    trusting = policy_file(
        tmp_path, 'project-overrides = true\nmin-release-age = "7 days"\n', "trusting.toml"
    )
    (loosened / "pylock.toml").unlink()  # its versions would be preferred
    overridden = run_bale("lock", "-i", server.url, "--policy", str(trusting), cwd=loosened)
    assert overridden.code == 0, overridden
    assert locked(loosened, "alpha") == ["2.0"]


def test_sync_refuses_a_hand_edited_lock_and_check_lists_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = alpha_index(make_pkg, static_index)
    org = policy_file(tmp_path, 'deny = [{ package = "alpha>=2", reason = "breaks our API" }]\n')
    root = project(tmp_path, '"alpha"')
    assert run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root).code == 0
    assert locked(root, "alpha") == ["1.0"]
    # Edited by hand (or in a pull request) to the version the policy refuses.
    lock = root / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    edited = text.replace("alpha-1.0", "alpha-2.0").replace(
        'name = "alpha"\nversion = "1.0"', 'name = "alpha"\nversion = "2.0"'
    )
    lock.write_text(edited, encoding="utf-8")
    assert locked(root, "alpha") == ["2.0"]
    check = run_bale("policy", "check", "--policy", str(org), "-i", server.url, cwd=root)
    assert (check.code, scrub(check.stdout, {org: "[P]"})) == (
        1,
        'alpha 2.0 is denied (policy rule deny "alpha>=2" at [P]:1: breaks our API)\n',
    )
    as_json = run_bale(
        "policy", "check", "--format", "json", "--policy", str(org), "-i", server.url, cwd=root
    )
    assert as_json.code == 1, as_json
    assert json.loads(as_json.stdout)["violations"] == [
        {
            "name": "alpha",
            "version": "2.0",
            "rule": 'deny "alpha>=2"',
            "key": "deny",
            "file": str(org),
            "line": 1,
            "reason": "breaks our API",
            "message": f'alpha 2.0 is denied (policy rule deny "alpha>=2" at {org}:1: breaks our API)',
        }
    ]
    sync = run_bale("sync", "--frozen", "-i", server.url, "--policy", str(org), cwd=root)
    assert (sync.code, scrub(sync.stderr, {org: "[P]", root: "[R]"})) == (
        1,
        "error: Refusing to install from [R]/pylock.toml: alpha 2.0 is denied (policy rule deny "
        '"alpha>=2" at [P]:1: breaks our API)\n'
        "hint: relock (`bale lock`) to pick versions the policy allows, or see `bale policy check`\n",
    )
    assert not (root / ".venv").exists()
    # pip install of the same lock file is refused the same way.
    pip = run_bale("pip", "install", "-r", str(lock), "--policy", str(org), cwd=root)
    assert pip.code == 1, pip
    assert "Refusing to install from" in pip.stderr and "alpha 2.0 is denied" in pip.stderr


def test_policy_check_reads_licences_and_warns_without_a_vulnerability_database(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    files = [
        make_pkg("alpha", "1.0", metadata_version="2.4", extra_metadata=["License-Expression: GPL-3.0-only"]),
        make_pkg("beta", "1.0"),
    ]
    server = static_index(files)
    root = project(tmp_path, '"alpha", "beta"')
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    org = policy_file(
        tmp_path, 'licenses = { allow = ["MIT"], unknown = "warn" }\nmax-vulnerability = "high"\n'
    )
    check = run_bale("policy", "check", "pylock.toml", "--policy", str(org), "-i", server.url, cwd=root)
    assert check.code == 1, (check.stdout, check.stderr)
    assert scrub(check.stdout, {org: "[POLICY]"}) == (
        "alpha 1.0 has a licence the policy refuses, GPL-3.0-only "
        "(policy rule licenses.allow at [POLICY]:1)\n"
    )
    assert scrub(check.stderr, {org: "[POLICY]", tmp_path: "[TMP]"}) == (
        'warning: beta 1.0 declares no licence (policy rule licenses.unknown = "warn" at [POLICY]:1)\n'
        'warning: Could not check max-vulnerability = "high" ([POLICY]:2): there is no local vulnerability '
        "database; run `bale audit --update-db` first\n"
        "1 violation of the policy in [TMP]/demo/pylock.toml (2 packages checked)\n"
    )


def test_pip_install_refuses_a_git_requirement_before_fetching_it(run_bale, tmp_path: Path) -> None:
    import sys

    org = policy_file(tmp_path, "sources = { git = false }\n")
    wanted = "demo @ git+https://example.invalid/demo.git"
    result = run_bale("pip", "install", wanted, "--policy", str(org), "--python", sys.executable, "--dry-run")
    assert (result.code, scrub(result.stderr, {org: "[P]"})) == (
        1,
        "error: demo (the command line) comes from a git requirement (policy rule sources.git = false at "
        "[P]:1)\n"
        "hint: ask for the package from an allowed index instead, or change the policy's sources rule\n",
    )


def test_policy_show_and_explain(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = alpha_index(make_pkg, static_index)
    org = policy_file(
        tmp_path,
        """
        allow = ["alpha>=1,<3", "beta"]
        deny = [{ package = "alpha>=2", reason = "breaks our API" }]
        typosquat = "warn"
        """,
    )
    root = project(tmp_path, extra='\n[tool.bale.policy]\nonly-binary = ["alpha"]\ntyposquat = "deny"\n')
    shown = run_bale("policy", "show", "--policy", str(org), cwd=root)
    assert shown.code == 0, shown
    assert scrub(shown.stdout, {tmp_path: "[TMP]"}) == textwrap.dedent(
        """\
        # organisation policy: [TMP]/org-policy.toml (from --policy)
        allow "alpha>=1,<3"  # [TMP]/org-policy.toml:1
        allow "beta"  # [TMP]/org-policy.toml:1
        deny "alpha>=2" (reason: breaks our API)  # [TMP]/org-policy.toml:2
        typosquat = "warn"  # [TMP]/org-policy.toml:3
        # project policy: [TMP]/demo/pyproject.toml [tool.bale.policy]
        only-binary = ["alpha"]  # [TMP]/demo/pyproject.toml:8
        typosquat = "deny"  # [TMP]/demo/pyproject.toml:9
        # in force: typosquat = "deny"
        """
    )
    explained = run_bale("policy", "explain", "alpha==2.1", "--policy", str(org), cwd=root)
    assert explained.code == 1, explained
    assert scrub(explained.stdout, {org: "[P]", root: "[R]"}).splitlines() == [
        'alpha 2.1: refused: it is denied (policy rule deny "alpha>=2" at [P]:2: breaks our API)',
        '  refuses: deny "alpha>=2" ([P]:2): denies it: breaks our API',
        '  allows: allow "alpha>=1,<3" ([P]:1): allows it',
        "  requires: only-binary ([R]/pyproject.toml:8): its source distributions may not be used, "
        "only its wheels",
    ]
    fine = run_bale("policy", "explain", "beta==1.0", "--policy", str(org), "-i", server.url, cwd=root)
    assert (fine.code, scrub(fine.stdout, {org: "[P]"})) == (
        0,
        "beta 1.0: allowed\n"
        '  allows: allow "beta" ([P]:1): allows it\n'
        "  beta-1.0-py3-none-any.whl: allowed\n",
    )


def test_policy_file_errors_name_the_file_and_line(run_bale, tmp_path: Path) -> None:
    org = policy_file(tmp_path, 'allow = ["alpha"]\nmax-vulnerability = "severe"\nrequire-hash = true\n')
    root = project(tmp_path)
    result = run_bale("lock", "--policy", str(org), "-i", "http://127.0.0.1:9/simple", cwd=root)
    assert result.code == 1
    assert scrub(result.stderr, {org: "[P]"}).splitlines() == [
        "error: Invalid policy in [P]: 2 problems",
        "  line 3: require-hash: unknown policy key; did you mean 'require-hashes'?",
        "  line 2: max-vulnerability: expected one of none, low, medium, high, critical, "
        'got a string ("severe")',
    ]
    missing = run_bale("policy", "show", "--policy", str(tmp_path / "nope.toml"), cwd=root)
    assert missing.code == 1
    assert "The policy file [TMP]/nope.toml (named by --policy) does not exist" in scrub(
        missing.stderr, {tmp_path: "[TMP]"}
    )
    broken = policy_file(tmp_path, "deny = [\n", "broken.toml")
    syntax = run_bale("policy", "show", "--policy", str(broken), cwd=root)
    assert syntax.code == 1 and "broken.toml:" in syntax.stderr and "invalid TOML" in syntax.stderr


def test_max_vulnerability_uses_the_local_database(
    make_pkg, static_index, run_bale, tmp_path: Path, osv_server
) -> None:
    from tests.audit.test_audit_cli import advisory

    server = alpha_index(make_pkg, static_index)
    root = project(tmp_path)
    org = policy_file(tmp_path, 'max-vulnerability = "medium"\n')
    unchecked = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root)
    assert unchecked.code == 0, unchecked
    assert locked(root, "alpha") == ["2.0"]
    assert (
        'warning: The policy\'s max-vulnerability = "medium" ([P]:1) is not enforced: there is no local '
        "vulnerability database; run `bale audit --update-db` first\n"
    ) in scrub(unchecked.stderr, {org: "[P]"}), unchecked.stderr
    flaw = advisory("PYSEC-2026-7", "alpha", [{"introduced": "2.0"}], severity="HIGH")
    osv = osv_server([flaw])
    assert run_bale("audit", "--update-db", "--db-url", osv.db_url, cwd=tmp_path).code == 0
    check = run_bale("policy", "check", "--policy", str(org), cwd=root)
    assert (check.code, scrub(check.stdout, {org: "[P]"})) == (
        1,
        'alpha 2.0 has a known high vulnerability (PYSEC-2026-7) (policy rule max-vulnerability = "medium" '
        "at [P]:1)\n",
    )
    (root / "pylock.toml").unlink()
    relocked = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root)
    assert relocked.code == 0, relocked
    assert locked(root, "alpha") == ["1.0"]


def test_the_policy_comes_from_a_url_or_a_config_file(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = alpha_index(make_pkg, static_index)
    (server.root / "policy.toml").write_text('deny = ["alpha>=2"]\n', encoding="utf-8")
    url = f"{server.base}/policy.toml"
    root = project(tmp_path)
    result = run_bale("lock", "-i", server.url, "--policy", url, cwd=root)
    assert result.code == 0, result
    assert locked(root, "alpha") == ["1.0"]
    shown = run_bale("policy", "show", "--policy", url, cwd=root)
    assert scrub(shown.stdout).splitlines()[:2] == [
        "# organisation policy: http://127.0.0.1:[PORT]/policy.toml (from --policy)",
        'deny "alpha>=2"  # http://127.0.0.1:[PORT]/policy.toml:1',
    ]
    gone = run_bale("policy", "show", "--policy", f"{server.base}/missing.toml", cwd=root)
    assert gone.code == 1
    assert scrub(gone.stderr).startswith(
        "error: Could not read the policy http://127.0.0.1:[PORT]/missing.toml (named by --policy): HTTP 404"
    ), gone.stderr
    # A bale.toml's `policy` key, relative to that file's folder.
    config = tmp_path / "settings"
    config.mkdir()
    policy_file(config, 'deny = ["beta"]\n', "rules.toml")
    (config / "bale.toml").write_text('policy = "rules.toml"\n', encoding="utf-8")
    from_config = run_bale("policy", "show", "--config-file", str(config / "bale.toml"), cwd=root)
    assert from_config.code == 0, from_config
    assert scrub(from_config.stdout, {tmp_path: "[TMP]"}).splitlines()[:2] == [
        "# organisation policy: [TMP]/settings/rules.toml (from --config-file bale.toml "
        "[TMP]/settings/bale.toml)",
        'deny "beta"  # [TMP]/settings/rules.toml:1',
    ]


def test_pip_install_follows_the_policy_with_and_without_resolving(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    import sys

    server = alpha_index(make_pkg, static_index)
    org = policy_file(tmp_path, 'deny = [{ package = "alpha>=2", reason = "breaks our API" }]\n')
    common = ("-i", server.url, "--policy", str(org), "--python", sys.executable, "--dry-run")
    for extra in ((), ("--no-deps",)):
        result = run_bale("pip", "install", "alpha", *extra, *common, cwd=tmp_path)
        assert result.code == 0, result
        assert "+ alpha==1.0" in result.stderr, result.stderr
    refused = run_bale("pip", "install", "alpha==2.0", "--no-deps", *common, cwd=tmp_path)
    assert (refused.code, scrub(refused.stderr, {org: "[P]"})) == (
        1,
        "error: No file of alpha that the policy allows (alpha==2.0 at the command line): "
        'alpha 2.0 is denied (policy rule deny "alpha>=2" at [P]:1: breaks our API)\n'
        "hint: see `bale policy explain NAME==VERSION`\n",
    )
    (tmp_path / "requirements.txt").write_text("alpha==2.0\n", encoding="utf-8")
    synced = run_bale("pip", "sync", "requirements.txt", *common, cwd=tmp_path)
    assert synced.code == 1
    assert scrub(synced.stderr, {org: "[P]"}).startswith(
        "error: No file of alpha that the policy allows (alpha==2.0 at requirements.txt:1): "
        "alpha 2.0 is denied"
    ), synced.stderr
    hashes = policy_file(tmp_path, "require-hashes = true\n", "hashes.toml")
    unhashed = run_bale(
        "pip", "install", "alpha", *common[:2], "--policy", str(hashes), *common[4:], cwd=tmp_path
    )
    assert unhashed.code == 1
    assert "alpha (at the command line) has no --hash" in unhashed.stderr


def test_the_projects_own_packages_are_not_judged(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    from tests.sources.helpers import local_package

    server = alpha_index(make_pkg, static_index)
    org = policy_file(
        tmp_path, 'allow = ["alpha"]\nsources = { path = false }\nlicenses = { allow = ["MIT"] }\n'
    )
    files = [make_pkg("alpha", "1.0", metadata_version="2.4", extra_metadata=["License-Expression: MIT"])]
    server = static_index(files)
    root = project(
        tmp_path, '"alpha", "inner"', extra='\n[tool.bale.sources]\ninner = { path = "packages/inner" }\n'
    )
    local_package(root / "packages" / "inner", "inner", "0.5")
    result = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root)
    assert result.code == 0, result
    assert locked(root, "inner") == ["-"]  # a source tree: its version is not locked
    check = run_bale("policy", "check", "--policy", str(org), "-i", server.url, cwd=root)
    assert (check.code, check.stdout) == (0, ""), check
    assert check.stderr.endswith("2 packages, no violation of the policy\n"), check.stderr


def test_an_index_outside_the_allowed_prefixes_is_refused(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = alpha_index(make_pkg, static_index)
    org = policy_file(tmp_path, 'indexes = ["https://packages.example.com/simple"]\n')
    root = project(tmp_path)
    result = run_bale("lock", "-i", server.url, "--policy", str(org), cwd=root)
    assert (result.code, scrub(result.stderr, {org: "[P]", root: "[R]"})) == (
        1,
        "error: No solution found when resolving dependencies:\n"
        "  Because every version of alpha is only on http://127.0.0.1:[PORT]/simple, not an allowed index "
        "(policy rule indexes at [P]:1) and demo depends on alpha, demo's requirements are unsatisfiable.\n"
        "  (the requirements come from [R]/pyproject.toml:5)\n",
    )
    allowed = policy_file(tmp_path, f'indexes = ["{server.base}"]\n', "allowed.toml")
    assert run_bale("lock", "-i", server.url, "--policy", str(allowed), cwd=root).code == 0


def test_a_timeless_policy_lets_a_repeat_be_answered_but_never_with_a_stale_policy(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = alpha_index(make_pkg, static_index)
    org = policy_file(tmp_path, 'deny = [{ package = "alpha>=2", reason = "breaks our API" }]\n')
    (tmp_path / "in.txt").write_text("alpha\n")
    argv = (
        "pip",
        "compile",
        "in.txt",
        "--no-header",
        "--no-annotate",
        "-i",
        server.url,
        "--policy",
        str(org),
    )
    first = run_bale(*argv)
    assert (first.code, first.stdout) == (0, "alpha==1.0\n"), first
    server.requests.clear()
    # The same command, inputs, pages and policy file: the stored answer, without a request.
    again = run_bale(*argv)
    assert (again.code, again.stdout) == (0, "alpha==1.0\n"), again
    assert server.paths() == [], server.paths()
    # The policy file changed under the same name: resolved anew, with the new rule.
    policy_file(tmp_path, 'deny = [{ package = "alpha<2", reason = "too old" }]\n')
    changed = run_bale(*argv)
    assert (changed.code, changed.stdout) == (0, "alpha==2.0\n"), changed
