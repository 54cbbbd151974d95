"""What each command does and an example of it, for ``bale COMMAND --help``."""

from __future__ import annotations

# Keyed by the command's words after ``bale``; the example lines are shown as they are, indented.
_ABOUT: dict[str, tuple[str, str]] = {
    "": (
        "bale: one fast tool for Python packages, environments and projects.",
        "bale init demo && cd demo && bale add requests && bale run python -c 'import requests'",
    ),
    "venv": (
        "Create a virtual environment (default: .venv), with the interpreter --python asks for.",
        "bale venv --python 3.12 .venv",
    ),
    "python": ("Find, pin and install Python interpreters.", "bale python list"),
    "python list": (
        "List the interpreters bale can find, one per line, and (with BALE_PYTHON_INSTALL_MIRROR) the "
        "mirror's builds for this platform that are not installed.",
        "bale python list --only-installed",
    ),
    "python pin": (
        "Write the Python a project (or folder) uses to its .python-version, after checking that an "
        "interpreter answers it within requires-python; with no version, print the pin.",
        "bale python pin 3.12",
    ),
    "python install": (
        "Download CPython builds from the python-build-standalone mirror BALE_PYTHON_INSTALL_MIRROR "
        "names, into bale's data dir (BALE_PYTHON_INSTALL_DIR), where --python finds them.",
        "bale python install 3.12    # with BALE_PYTHON_INSTALL_MIRROR=https://mirror.example/pbs",
    ),
    "python uninstall": (
        "Remove managed Pythons that `bale python install` put in place.",
        "bale python uninstall 3.12",
    ),
    "python dir": ("Print the folder managed Pythons are installed in.", "bale python dir"),
    "python find": (
        "Print the path of the interpreter a request selects (the newest when none is given).",
        "bale python find '>=3.11'",
    ),
    "pip": (
        "pip-compatible commands that work on an environment directly, without a project.",
        "bale pip install -r requirements.txt",
    ),
    "pip install": (
        "Install packages into the active virtual environment (or --python's), resolving their "
        "dependencies; what is already installed and satisfies the request is kept.",
        "bale pip install 'requests>=2.31' -r requirements.txt -c constraints.txt",
    ),
    "pip sync": (
        "Make an environment exactly match requirements files: install what they list, at those "
        "versions, and remove everything else. Dependencies are not resolved: list them all.",
        "bale pip sync requirements.txt",
    ),
    "pip compile": (
        "Resolve requirements (requirements.in, pyproject.toml, setup.cfg) into a pinned "
        "requirements.txt or a pylock.toml (-o pylock.toml); existing pins in the output file are "
        "kept unless --upgrade is given.",
        "bale pip compile requirements.in -o requirements.txt --generate-hashes",
    ),
    "pip uninstall": ("Remove packages from an environment.", "bale pip uninstall requests"),
    "pip tree": (
        "Show the installed packages as a dependency tree.",
        "bale pip tree --package requests",
    ),
    "pip list": ("List the installed packages and their versions.", "bale pip list --outdated"),
    "pip show": (
        "Show installed packages' metadata: version, location, requirements and dependents.",
        "bale pip show requests --files",
    ),
    "pip freeze": (
        "List the installed packages in requirements format.",
        "bale pip freeze > requirements.txt",
    ),
    "pip check": (
        "Check that every installed package's requirements are installed at suitable versions.",
        "bale pip check",
    ),
    "pip audit": (
        "Check the packages installed in an environment (the active one, or --python's) for known "
        "vulnerabilities (OSV); exit 1 when there are some, 2 on an error.",
        "bale pip audit --python .venv --format json",
    ),
    "pip download": (
        "Download distributions (and their dependencies) into a folder, without installing them.",
        "bale pip download requests -d wheels/",
    ),
    "config": (
        "bale's configuration: the user's and the system's bale.toml (or --config-file's), under "
        "the project's [tool.bale], the environment and the command line.",
        "bale config show",
    ),
    "config show": (
        "Print every setting in force and where it comes from: the command line, an environment "
        "variable, the project's pyproject.toml, the user's or the system's bale.toml, or the default.",
        "bale config show --output-format json",
    ),
    "cache": ("Inspect and clean bale's cache.", "bale cache size --human"),
    "cache dir": ("Print the cache directory.", "bale cache dir"),
    "cache prune": (
        "Remove cache entries nothing uses any more (old unpacked archives, stale builds).",
        "bale cache prune",
    ),
    "cache size": ("Print the size of the cache in bytes.", "bale cache size -H"),
    "cache clean": (
        "Remove everything from the cache, or only the named packages' entries.",
        "bale cache clean requests",
    ),
    "cache export": (
        "Copy the cache's entries (index pages, metadata, wheels, sdists and built wheels) into a "
        "folder with a manifest of their sha256s, to warm the cache of a machine with no network.",
        "bale cache export /media/usb/bale-cache --package requests",
    ),
    "cache import": (
        "Add the entries of a `bale cache export` folder to this cache: each is checked against the "
        "manifest first (a changed one is refused by name), and entries already here are kept.",
        "bale cache import /media/usb/bale-cache && bale pip install --offline requests",
    ),
    "cache remote": (
        "Inspect and maintain the remote cache (--remote-cache, BALE_REMOTE_CACHE, remote-cache in "
        "bale.toml): wheels built from sdists, sdists' metadata and shared wheels on S3 or a folder.",
        "bale cache remote stats --remote-cache s3://team-bale/cache",
    ),
    "cache remote stats": (
        "Print how many objects and bytes the remote cache holds: payloads and manifests.",
        "bale cache remote stats",
    ),
    "cache remote prune": (
        "Delete the remote cache's entries uploaded longer ago than --older-than (30d, 12h, 2w), "
        "keeping the payloads younger manifests name.",
        "bale cache remote prune --older-than 30d",
    ),
    "cache remote verify": (
        "Download every object of the remote cache and check it against the sha256 in its key; "
        "exits 1 listing the bad ones (--delete removes them).",
        "bale cache remote verify",
    ),
    "lock": (
        "Resolve the project's dependencies for every platform and write pylock.toml. Versions "
        "already locked are kept unless --upgrade or --upgrade-package asks otherwise.",
        "bale lock --upgrade-package requests\n"
        "  bale lock --all    # a per-member workspace: every member's lock",
    ),
    "sync": (
        "Make the project's environment (.venv) match pylock.toml: lock first when the lock is out "
        "of date, install what the selection needs and remove what it does not.",
        "bale sync --extra docs --group test",
    ),
    "run": (
        "Run a command in the project's environment, after syncing it (unless --no-sync).",
        "bale run -- pytest -x",
    ),
    "add": (
        "Add dependencies to pyproject.toml (the project's, an extra's with --optional, or a "
        "group's with --dev/--group), then lock and sync.",
        "bale add 'requests>=2.31' httpx\n  bale add --dev pytest ruff",
    ),
    "remove": (
        "Remove dependencies from pyproject.toml, then lock and sync.",
        "bale remove requests\n  bale remove --dev pytest",
    ),
    "tree": ("Show the project's locked dependency tree.", "bale tree --depth 2"),
    "why": (
        "Show every path from the project to a package: who requires it, and through what.",
        "bale why urllib3",
    ),
    "export": (
        "Write the lock as requirements.txt (with hashes), as a pylock.toml, or as an SBOM with each "
        "package's licence: CycloneDX 1.6 JSON (--format cyclonedx) or SPDX 2.3 JSON (--format spdx).",
        "bale export --no-dev -o requirements.txt\n  bale export --format cyclonedx -o sbom.cdx.json",
    ),
    "licenses": (
        "Show the licence of every locked package (PEP 639 License-Expression, else License, else its "
        "classifiers), read from cached or PEP 658 metadata; UNKNOWN ones are counted on stderr.",
        "bale licenses --no-dev\n  bale licenses --format csv > licenses.csv",
    ),
    "audit": (
        "Check the lock (or a lock file, -r requirements files, an environment) for known vulnerabilities "
        "(OSV, online or from a local copy); --fix relocks with the lowest versions that fix them. "
        "Exit 0 when none remain, 1 when some do, 2 on an error.",
        "bale audit --update-db && bale audit --offline --format sarif -o audit.sarif\n"
        "  bale audit --fix --dry-run",
    ),
    "policy": (
        "The organisation's package policy (--policy, BALE_POLICY or a bale.toml's policy key) under the "
        "project's [tool.bale.policy]: rules that lock, sync, add and pip install enforce as they resolve.",
        "bale policy show\n  bale policy check pylock.toml\n  bale policy explain requests==2.32.3",
    ),
    "policy show": (
        "Print the policy in force, layer by layer, with the file and line of each rule.",
        "bale policy show --policy https://example.com/policy.toml",
    ),
    "policy check": (
        "Check a lock file (bale's, uv's or pip's pylock.toml) against the policy: exit 1 listing every "
        "violation, 0 when there is none.",
        "bale policy check pylock.toml",
    ),
    "policy explain": (
        "Say which rules of the policy allow or refuse one package version, and why.",
        "bale policy explain alpha==2.0",
    ),
    "diff": (
        "Show what a lock change does, for review: packages added, removed, upgraded and downgraded; those "
        "that now build from source at install; new indexes and hosts; changed or lost publishers "
        "(attestation identities); licences of new and changed versions; vulnerabilities fixed and "
        "introduced (by the local database, never the network). OLD and NEW are lock files or git "
        "revisions of the project's pylock.toml (default: HEAD against the working tree). Exit 0, or "
        "with --exit-code 1 when the locks differ.",
        "bale diff\n  bale diff main --format markdown > lock-diff.md\n"
        "  bale diff old.toml new.toml --format json\n  bale lock --upgrade --diff",
    ),
    "build": (
        "Build the project's sdist and wheel (by default the wheel from the sdist) into dist/.",
        "bale build --wheel -o dist/",
    ),
    "publish": (
        "Upload distributions to an index (default: PyPI), skipping files it already has with --check-url.",
        'bale publish --token "$PYPI_TOKEN" dist/*',
    ),
    "tool": (
        "Install command-line tools, each in an environment of its own, and run them.",
        "bale tool install 'black[d]' && bale tool run ruff check .",
    ),
    "tool install": (
        "Install a tool in its own environment and link its executables into the bin dir "
        "(~/.local/bin, or BALE_TOOL_BIN_DIR); what it was installed from is kept for upgrades.",
        "bale tool install 'black[d]>=24' --with click",
    ),
    "tool run": (
        "Run a tool in a cached environment without installing it (alias: bx); a second run of the same "
        "request touches no network. NAME@latest (or --refresh) looks for a newer version.",
        "bale tool run ruff@latest check .\n  bx --from httpie http --version",
    ),
    "tool list": (
        "List the installed tools with their versions and executables (--show-paths: where they are).",
        "bale tool list --show-paths",
    ),
    "tool uninstall": (
        "Remove a tool's environment and the links to its executables (links that are not its stay).",
        "bale tool uninstall black",
    ),
    "tool dir": (
        "Print the folder the tool environments live in (--bin: where their executables are linked).",
        "bale tool dir --bin",
    ),
    "tool upgrade": (
        "Upgrade tools, keeping the extras, --with packages, version spec and index they came with.",
        "bale tool upgrade --all",
    ),
    "tool audit": (
        "Check every installed tool's environment for known vulnerabilities, as `bale audit` does (OSV "
        "API, --db FILE or the local database with --offline); exit 1 when a finding remains.",
        "bale tool audit --update-db\n  bale tool audit black --offline --format json",
    ),
    "tool update-shell": (
        "Add the tools' bin dir to PATH in your shell's start-up file (SHELL's: .bashrc, .zshrc, fish).",
        "bale tool update-shell",
    ),
    "init": (
        "Create a project: pyproject.toml, a README and a first module.",
        "bale init --lib demo",
    ),
    "import": (
        "Turn another tool's project files (requirements*.txt and .in, Pipfile, poetry, pdm, uv, conda's "
        "environment.yml) into a PEP 621 pyproject.toml and a pylock.toml. The old lock's versions "
        "(Pipfile.lock, poetry.lock, pdm.lock, uv.lock, pinned requirements) are kept where they still "
        "fit; each one that moved is listed. The old files stay unless --remove-old.",
        "bale import --dry-run\n  bale import --from poetry ../legacy-app",
    ),
    "shell": (
        "Start your shell ($SHELL: bash, zsh, fish, sh, PowerShell) with the project's environment active, "
        "after syncing it as `bale run` does: VIRTUAL_ENV and PATH set, your start-up file read, then the "
        "environment's activation script (the prompt shows it, `deactivate` leaves it). The shell's exit "
        "status is bale's.",
        "bale shell\n  echo 'python -V' | bale shell",
    ),
    "task": (
        "Run a task of the project's [tool.bale.tasks] in its synced environment, after the tasks it "
        "depends on (each once, in order; a failing one stops with its exit status), or list them. "
        "`bale run NAME` runs the task too when no executable NAME exists. Tasks run in the folder of "
        "their pyproject.toml (or their cwd under it); ARGS are appended to the command.",
        "bale task --list\n  bale task test -- -k slow\n"
        '  # [tool.bale.tasks]  test = "pytest -q"\n'
        '  #   lint = { cmd = ["ruff", "check"], env = { RUFF_CACHE_DIR = ".cache" }, depends = ["test"] }',
    ),
    "version": (
        "Show the project's [project] version, set it (VERSION) or bump it (--bump, repeatable: major, "
        "minor, patch, stable, alpha, beta, rc, post, dev, applied in that order); pyproject.toml is "
        "otherwise kept byte for byte. A dynamic version is an error.",
        "bale version --bump minor --dry-run\n  bale version --bump patch --bump beta --short",
    ),
    "self": ("bale itself.", "bale self version"),
    "self version": ("Print bale's version.", "bale self version --output-format json"),
    "generate-shell-completion": (
        "Print a completion script for bash, zsh, fish or PowerShell, made from bale's own command line "
        "(every command and option completes).",
        "bale generate-shell-completion fish > ~/.config/fish/completions/bale.fish\n"
        '  eval "$(bale generate-shell-completion bash)"   # in ~/.bashrc',
    ),
    "help": ("Show a command's help: the same as `bale COMMAND --help`.", "bale help pip install"),
    "upgrade": (
        "Raise the ranges pyproject.toml declares (dependencies, extras, dependency groups) so that they "
        "admit each package's latest version, then relock and show what moved. >= bounds move up; caps "
        "(<, <=, ~=, ==X.*) that keep the latest out are only widened with --bounds major|minor, and "
        "otherwise reported and kept. The rest of pyproject.toml stays byte for byte.",
        "bale upgrade --dry-run\n  bale upgrade requests --bounds major",
    ),
    "outdated": (
        "One row per locked package: the range pyproject.toml declares for it, the locked version, the "
        "latest that fits the declared ranges and the rest of the lock, and the latest on the index.",
        "bale outdated\n  bale outdated --format json",
    ),
    "git": ("Set up git for the project's lock file.", "bale git install-merge-driver"),
    "git install-merge-driver": (
        "Make `git merge` merge pylock.toml with bale: `pylock.toml merge=bale` in .gitattributes and "
        "merge.bale.driver in the repository's config. The driver (`bale lock --merge BASE OURS THEIRS "
        "PATH`) relocks the merged pyproject.toml preferring both sides' pins (the higher when they "
        "differ, reported); a pyproject.toml that conflicted itself leaves the lock conflicted.",
        "bale git install-merge-driver",
    ),
}


def about(command: str) -> tuple[str | None, str | None]:
    """The description and example of ``command`` (``"pip install"``); None where there is none."""
    description, example = _ABOUT.get(command, (None, None))
    return description, (f"  {example}" if example else None)
