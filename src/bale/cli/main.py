"""Entry point: argv -> settings -> one command -> exit status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bale import __version__
from bale.cli.parser import Commands as _Commands
from bale.cli.parser import Parser as _Parser
from bale.cli.parser import Retry as _Retry
from bale.cli.parser import refuse_together

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bale.cli.printer import Printer

# Importing only argparse here keeps `bale --version` well under 60 ms; each command imports its own modules.

# Global options that take a value: their values are not command words (``bale --directory x sync``).
_GLOBAL_VALUES = frozenset(
    {"--cache-dir", "--directory", "--project", "--config-file", "--color", "--remote-cache"}
)
# ``bale add`` and ``bale pip install``: the typosquatting guard (bale.ops.typosquat) refuses, not warns.
_STRICT_HELP = "refuse a new name that looks like a popular package's [env: BALE_TYPOSQUAT=deny]"


def _chosen_path(argv: Sequence[str]) -> tuple[str, ...]:
    """The words of argv that are not options, up to two: ``("pip", "install")``. A misread (an option's
    value that looks like a command) only costs a second parse with every command defined."""
    words: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _GLOBAL_VALUES:
            skip = True
        elif not word.startswith("-"):
            words.append(word)
    return tuple(words[:2])


def _add_global(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes, before or after its name (``bale -q sync``, ``bale sync -q``).

    In a command's parser they default to SUPPRESS, so that one given before the command's name is not
    overwritten by the command parser's default.
    """
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument(
        "-q", "--quiet", action="count", default=default if suppress else 0, help="print less (errors only)"
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default if suppress else 0,
        help="print more (requests, decisions, tracebacks)",
    )
    group.add_argument("--cache-dir", default=default, help="cache directory [env: BALE_CACHE_DIR]")
    group.add_argument(
        "--no-cache",
        action="store_true",
        default=default if suppress else False,
        help="use a temporary cache for this run [env: BALE_NO_CACHE]",
    )
    group.add_argument(
        "--offline",
        action="store_true",
        default=default if suppress else False,
        help="never touch the network; use only the cache and local files [env: BALE_OFFLINE]",
    )
    group.add_argument(
        "--remote-cache",
        metavar="URL",
        default=default,
        help="share built wheels and metadata through s3://bucket/prefix or file:///dir "
        "[env: BALE_REMOTE_CACHE]",
    )
    group.add_argument(
        "--remote-cache-readonly",
        action="store_true",
        default=default if suppress else False,
        help="read the remote cache but never write to it [env: BALE_REMOTE_CACHE_READONLY]",
    )
    group.add_argument(
        "--color",
        "--colour",
        dest="color",
        choices=["auto", "always", "never"],
        default=default,
        metavar="WHEN",
        help="colour in messages: auto (on a terminal, unless NO_COLOR is set), always or never",
    )
    group.add_argument(
        "--no-progress",
        action="store_true",
        default=default if suppress else False,
        help="no progress bars or spinners, only lines [env: BALE_NO_PROGRESS]",
    )
    group.add_argument(
        "--directory",
        metavar="DIR",
        default=default,
        help="run as if bale was started in DIR (relative paths are relative to DIR)",
    )
    group.add_argument(
        "--project",
        metavar="DIR",
        default=default,
        help="find the project in DIR instead of the current directory (other relative paths stay "
        "relative to the current directory) [env: BALE_PROJECT]",
    )
    group.add_argument(
        "--config-file",
        metavar="FILE",
        default=default,
        help="read settings from this bale.toml [env: BALE_CONFIG_FILE]",
    )
    group.add_argument(
        "--no-config",
        action="store_true",
        default=default if suppress else False,
        help="read no bale.toml configuration file [env: BALE_NO_CONFIG]",
    )
    group.add_argument(
        "--native-tls",
        action="store_true",
        default=default if suppress else False,
        help="verify HTTPS with the system's certificates; accepted for uv compatibility: bale always "
        "does (it bundles no CA list; SSL_CERT_FILE still applies)",
    )


def _add_index(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "index options",
        "Indexes are searched in this order: each --extra-index-url as given, then the project's "
        "[[tool.bale.index]] entries, then --index-url. With --index-strategy first-index (the "
        "default) the first index that has a package gives all of its versions.",
    )
    group.add_argument(
        "-i",
        "--index-url",
        help="the default index, searched last (default: https://pypi.org/simple) [env: BALE_INDEX_URL]",
    )
    group.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        help="another index, searched before --index-url (repeatable, in the order given) "
        "[env: BALE_EXTRA_INDEX_URL]",
    )
    group.add_argument(
        "--index-strategy",
        choices=["first-index", "unsafe-first-match", "unsafe-best-match"],
        default=None,
        help="first-index: only the first index that has a package; unsafe-first-match: every index, "
        "trying one index's versions before the next's; unsafe-best-match: the best version on any "
        "index [env: BALE_INDEX_STRATEGY]",
    )
    group.add_argument(
        "-f",
        "--find-links",
        action="append",
        default=[],
        help="a folder or page of links to distributions [env: BALE_FIND_LINKS]",
    )
    group.add_argument("--no-index", action="store_true", help="ignore every index [env: BALE_NO_INDEX]")
    group.add_argument(
        "--policy",
        metavar="PATH|URL",
        help="the organisation's package policy, a TOML file or URL (see `bale policy --help`) "
        "[env: BALE_POLICY]",
    )


def _add_build(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("build options (sdists and source trees)")
    group.add_argument(
        "--no-build-isolation",
        action="store_true",
        help="build in the target environment, whose build backend must be installed already "
        "[env: BALE_NO_BUILD_ISOLATION]",
    )
    group.add_argument(
        "--no-build-isolation-package",
        action="append",
        default=[],
        metavar="NAME",
        help="build NAME in the target environment, the others isolated (repeatable)",
    )
    group.add_argument(
        "-C",
        "--config-settings",
        "--config-setting",
        dest="config_settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting passed to the PEP 517 build backend (repeatable)",
    )
    group.add_argument(
        "-b",
        "--build-constraint",
        "--build-constraints",
        dest="build_constraint",
        action="append",
        default=[],
        metavar="FILE",
        help="constrain the versions of build requirements [env: BALE_BUILD_CONSTRAINT]",
    )


def _add_package_modes(parser: argparse.ArgumentParser, *, universal: bool, dated: bool) -> None:
    """uv's per-package resolution options; ``universal``: also ``--fork-strategy``; ``dated``: also
    ``--exclude-newer-package``."""
    parser.add_argument(
        "--prerelease-package",
        action="append",
        default=[],
        metavar="NAME=MODE",
        help="the pre-release mode of one package, over --prerelease (repeatable): numpy=allow",
    )
    if dated:
        parser.add_argument(
            "--exclude-newer-package",
            action="append",
            default=[],
            metavar="NAME=DATE",
            help="a cutoff of one package's own, over --exclude-newer (repeatable; NAME=false: none)",
        )
    if universal:
        parser.add_argument(
            "--fork-strategy",
            choices=["requires-python", "fewest"],
            default=None,
            help=(
                "universal locks: requires-python (default) gives each Python the newest versions that "
                "support it, splitting the lock by Python; fewest keeps fewer versions per package"
            ),
        )


def _add_python(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("-p", "--python", help=help_text + " [env: BALE_PYTHON]")


def _add_diff_options(parser: argparse.ArgumentParser, format_option: str) -> None:
    """The options of a lock diff: its format, licences, the vulnerability database."""
    parser.add_argument(
        format_option,
        dest="diff_format",
        choices=["text", "markdown", "json"],
        default="text",
        help="text (default), markdown (for a pull-request comment) or json, on stdout",
    )
    parser.add_argument(
        "--no-licenses",
        action="store_true",
        help="leave licences out (they are read from cached metadata, else from the lock's index)",
    )
    parser.add_argument(
        "--db",
        dest="diff_db",
        metavar="FILE",
        help="an OSV export (all.zip) to find vulnerabilities in (default: the local database, if fetched)",
    )


def _add_output_format(parser: argparse.ArgumentParser, what: str) -> None:
    """``--output-format text|json``: ``json`` prints one JSON document (``what``) on stdout."""
    parser.add_argument(
        "--output-format",
        choices=["text", "json"],
        default="text",
        help=f"text (default), or json: {what} as one JSON document on stdout; messages stay on stderr",
    )


def add_ignore_options(group: argparse._ArgumentGroup) -> None:
    """The audit's ``--ignore ID`` and ``--ignore-until-fixed``, for ``audit`` and ``tool audit``."""
    group.add_argument(
        "--ignore",
        "--ignore-vuln",
        dest="ignore",
        action="append",
        default=[],
        metavar="ID",
        help="ignore this advisory (its id or any alias; repeatable)",
    )
    group.add_argument(
        "--ignore-until-fixed", action="store_true", help="ignore findings that no released version fixes yet"
    )


def _add_audit(parser: argparse.ArgumentParser, *, pip: bool) -> None:
    """``bale audit`` and ``bale pip audit``: what to audit, which data, which output, what to ignore."""
    _add_global(parser, suppress=True)
    _add_index(parser)
    what = parser.add_argument_group("what to audit")
    if not pip:
        what.add_argument(
            "lock_file",
            nargs="?",
            default=None,
            metavar="LOCK",
            help="a pylock.toml (default: the project's)",
        )
    what.add_argument(
        "-r",
        "--requirement",
        "--requirements",
        dest="requirements",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file (pins audited as written; anything looser is resolved first)",
    )
    what.add_argument(
        "-p",
        "--python",
        help="audit the packages installed in this environment (a venv folder or its interpreter)"
        + (" [default: the active one]" if pip else ""),
    )
    what.add_argument("--python-version", metavar="X.Y", help="only packages whose markers allow this Python")
    what.add_argument("--python-platform", metavar="PLATFORM", help="only packages whose markers allow it")
    if not pip:
        what.add_argument("--locked", action="store_true", help="fail if pylock.toml is out of date")
        what.add_argument("--frozen", action="store_true", help="use pylock.toml as it is")
        what.add_argument(
            "--group", action="append", default=[], metavar="GROUP", help="only the project and this group"
        )
        what.add_argument(
            "--only-group", action="append", default=[], metavar="GROUP", help="only this group"
        )
        what.add_argument("--no-dev", action="store_true", help="leave out the dev group")
        what.add_argument("--all-groups", action="store_true", help="every dependency group")
        what.add_argument("--extra", action="append", default=[], metavar="EXTRA", help="also this extra")
        what.add_argument("--all-extras", action="store_true", help="every extra")
        refuse_together(
            parser,
            ("all_extras", "extra"),
            ("only_group", "group"),
            ("all_groups", "only_group"),
            ("locked", "frozen"),
        )
    data = parser.add_argument_group("vulnerability data (OSV)")
    data.add_argument(
        "--service-url",
        metavar="URL",
        help="the OSV API (default: https://api.osv.dev) [env: BALE_OSV_URL]",
    )
    data.add_argument("--db", metavar="FILE", help="use this OSV export (PyPI all.zip) instead of the API")
    data.add_argument(
        "--update-db",
        action="store_true",
        help="fetch OSV's PyPI export into the cache first, then audit with it (see --offline)",
    )
    data.add_argument(
        "--db-url", metavar="URL", help="where --update-db fetches the export from [env: BALE_OSV_DB_URL]"
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--format",
        dest="audit_format",
        choices=["table", "json", "sarif", "markdown"],
        default=None,
        help="table (default), json, sarif (code scanning) or markdown (a pull-request comment)",
    )
    _add_output_format(parser, "the findings (as --format json)")
    out.add_argument("-o", "--output-file", metavar="FILE", help="write the report here instead of stdout")
    add_ignore_options(out)
    if not pip:
        fix = parser.add_argument_group("fixing")
        fix.add_argument(
            "--fix",
            action="store_true",
            help="relock (or rewrite the -r file's pins) with the lowest versions that fix every finding",
        )
        fix.add_argument(
            "--dry-run", action="store_true", help="with --fix: show what would move, write nothing"
        )
        fix.add_argument(
            "--bounds",
            action="store_true",
            help="with --fix: widen the requirements in pyproject.toml that exclude the fix",
        )


def build_parser(path: tuple[str, ...] | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``path`` only that command's options are defined (see ``_Skip``)."""
    parser = _Parser(
        prog="bale",
        description="bale: one fast tool for Python packages, environments and projects.",
        epilog="example:\n  bale init demo && cd demo && bale add requests && bale run python -m requests"
        "\n\nRun `bale COMMAND --help` for a command's options.",
    )
    parser.add_argument(
        "-V", "--version", action="version", version=f"bale {__version__}", help="print bale's version"
    )
    _add_global(parser, suppress=False)
    commands = _Commands(
        parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser), path, 0
    )

    venv = commands.add_parser("venv", help="create a virtual environment")
    _add_global(venv, suppress=True)
    venv.add_argument(
        "path", nargs="?", default=None, help="where (default: .venv) [env: BALE_PROJECT_ENVIRONMENT]"
    )
    _add_python(venv, "the interpreter: 3.12, cpython3.12, >=3.11, or a path")
    venv.add_argument("--seed", action="store_true", help="install pip into the environment")
    venv.add_argument("--prompt", help="the prompt shown when the environment is active")
    venv.add_argument("--clear", action="store_true", help="replace an existing virtual environment")
    venv.add_argument("--allow-existing", action="store_true", help="keep an existing environment's packages")
    venv.add_argument(
        "--system-site-packages", action="store_true", help="see the base interpreter's packages"
    )

    python = commands.add_parser("python", help="find, pin and install interpreters")
    _add_global(python, suppress=True)
    python_commands = python.add_subparsers(dest="python_command", metavar="COMMAND", parser_class=_Parser)
    python_list = python_commands.add_parser("list", help="list the interpreters bale can find")
    _add_global(python_list, suppress=True)
    _add_output_format(python_list, "the interpreters")
    python_find = python_commands.add_parser("find", help="print the interpreter a request selects")
    _add_global(python_find, suppress=True)
    python_find.add_argument("request", nargs="?", help="3.12, >=3.11, cpython3.12, a path; default: any")
    from bale.cli.parser import Skip

    if not isinstance(python, Skip):  # its module is imported only when `python` is the command
        from bale.cli.python_cmd import add_list_options, add_python_subcommands

        add_list_options(python_list)
        add_python_subcommands(python_commands, _add_global)

    pip = commands.add_parser("pip", help="pip-compatible commands")
    _add_global(pip, suppress=True)
    pip_commands = pip.add_subparsers(dest="pip_command", metavar="COMMAND", parser_class=_Parser)

    install = pip_commands.add_parser("install", help="install packages into an environment")
    sync = pip_commands.add_parser("sync", help="make an environment exactly match requirement files")
    for sub in (install, sync):
        _add_global(sub, suppress=True)
        _add_index(sub)
        _add_python(sub, "the environment or interpreter to install into")
        sub.add_argument("--require-hashes", action="store_true", help="every requirement must carry --hash")
        sub.add_argument("--reinstall", action="store_true", help="reinstall every package")
        sub.add_argument(
            "--reinstall-package", action="append", default=[], metavar="NAME", help="reinstall NAME"
        )
        sub.add_argument("--dry-run", action="store_true", help="show what would change and change nothing")
        sub.add_argument("--compile-bytecode", action="store_true", help="write .pyc files after installing")
        sub.add_argument(
            "--link-mode",
            choices=["hardlink", "copy", "symlink"],
            help="how files are placed from the cache [env: BALE_LINK_MODE]",
        )
        sub.add_argument(
            "--prerelease",
            choices=["disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"],
            help="when pre-releases are chosen (default: if-necessary: only when nothing else satisfies)",
        )
        _add_package_modes(sub, universal=False, dated=False)
        _add_output_format(sub, "the environment and what changed in it")
        sub.add_argument(
            "-c",
            "--constraint",
            "--constraints",
            dest="constraint",
            action="append",
            default=[],
            metavar="FILE",
            help="a constraints file: versions to keep to, without installing what it lists",
        )
        sub.add_argument(
            "--no-binary",
            action="append",
            default=[],
            metavar="NAME",
            help="build NAME (or :all:) from source",
        )
        sub.add_argument(
            "--only-binary", action="append", default=[], metavar="NAME", help="never build NAME (or :all:)"
        )
        _add_build(sub)
    install.add_argument("packages", nargs="*", metavar="PACKAGE", help="requirements: names, URLs, paths")
    install.add_argument(
        "-r",
        "--requirement",
        "--requirements",
        dest="requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="install what this requirements file lists (- for stdin)",
    )
    install.add_argument(
        "-e", "--editable", action="append", default=[], metavar="PATH", help="install PATH editable"
    )
    install.add_argument("--no-deps", action="store_true", help="install only the named packages")
    install.add_argument("-U", "--upgrade", action="store_true", help="upgrade named packages to the newest")
    install.add_argument(
        "-P", "--upgrade-package", action="append", default=[], metavar="NAME", help="upgrade NAME only"
    )
    install.add_argument("--strict", action="store_true", help=_STRICT_HELP)
    sync.add_argument("src_files", nargs="+", metavar="FILE", help="requirements files (- for stdin)")
    sync.add_argument(
        "--allow-empty-requirements",
        action="store_true",
        help="accept files that list nothing (uninstall all)",
    )

    compile_ = pip_commands.add_parser("compile", help="resolve requirements into a pinned requirements file")
    _add_global(compile_, suppress=True)
    _add_index(compile_)
    compile_.add_argument(
        "src_files",
        nargs="+",
        metavar="SRC_FILE",
        help="requirements.in, pyproject.toml or setup.cfg (- for stdin)",
    )
    compile_.add_argument("-o", "--output-file", metavar="FILE", help="write here (default: stdout)")
    compile_.add_argument(
        "--format",
        choices=["requirements.txt", "pylock.toml"],
        default=None,
        help="what to write: a requirements.txt, or a PEP 751 lock file (default: pylock.toml when "
        "--output-file is named pylock.toml or pylock.NAME.toml, else requirements.txt)",
    )
    compile_.add_argument(
        "-c",
        "--constraint",
        "--constraints",
        dest="constraint",
        action="append",
        default=[],
        metavar="FILE",
        help="a constraints file: versions to keep to, without adding what it lists",
    )
    compile_.add_argument(
        "--override",
        "--overrides",
        dest="override",
        action="append",
        default=[],
        metavar="FILE",
        help="requirements that replace every other requirement on the same package",
    )
    compile_.add_argument(
        "--extra", action="append", default=[], metavar="EXTRA", help="include this extra of pyproject.toml"
    )
    compile_.add_argument("--all-extras", action="store_true", help="include every extra of pyproject.toml")
    compile_.add_argument("--group", action="append", default=[], metavar="GROUP", help="a PEP 735 group")
    _add_python(compile_, "the interpreter whose environment to resolve for")
    compile_.add_argument("--python-version", help="resolve for this Python version (e.g. 3.9)")
    compile_.add_argument("--python-platform", help="resolve for this platform (linux, macos, windows, ...)")
    compile_.add_argument("--universal", action="store_true", help="one output for every platform and Python")
    refuse_together(compile_, ("all_extras", "extra"), ("universal", "python_platform"))
    compile_.add_argument(
        "--generate-hashes", action="store_true", help="add --hash options for every file of each pin"
    )
    compile_.add_argument(
        "--resolution",
        choices=["highest", "lowest", "lowest-direct"],
        default=None,
        help="which versions to prefer (default: highest) [env: BALE_RESOLUTION]",
    )
    compile_.add_argument(
        "--prerelease",
        choices=["disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"],
        help="when pre-releases are chosen (default: if-necessary: only when nothing else satisfies)",
    )
    _add_package_modes(compile_, universal=True, dated=True)
    compile_.add_argument(
        "--exclude-newer",
        metavar="DATE|DURATION",
        help="ignore files uploaded after this (2026-11-01, or a duration: 7 days)",
    )
    compile_.add_argument(
        "-U", "--upgrade", action="store_true", help="ignore pins already in the output file"
    )
    compile_.add_argument(
        "-P", "--upgrade-package", action="append", default=[], metavar="NAME", help="upgrade NAME only"
    )
    compile_.add_argument("--no-annotate", action="store_true", help="no # via comments")
    compile_.add_argument("--no-header", action="store_true", help="no header comment")
    compile_.add_argument(
        "--no-binary", action="append", default=[], metavar="NAME", help="resolve NAME (or :all:) from sdists"
    )
    compile_.add_argument(
        "--only-binary", action="append", default=[], metavar="NAME", help="never build NAME (or :all:)"
    )
    _add_build(compile_)

    uninstall = pip_commands.add_parser("uninstall", help="remove packages from an environment")
    _add_global(uninstall, suppress=True)
    _add_python(uninstall, "the environment")
    uninstall.add_argument("packages", nargs="*", metavar="PACKAGE", help="the packages to remove")
    uninstall.add_argument(
        "-r",
        "--requirement",
        "--requirements",
        dest="requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="remove what this requirements file lists",
    )
    uninstall.add_argument("-y", "--yes", action="store_true", help="accepted for pip compatibility")
    uninstall.add_argument(
        "--dry-run", action="store_true", help="show what would be removed, remove nothing"
    )

    tree = pip_commands.add_parser("tree", help="show installed packages as a dependency tree")
    _add_global(tree, suppress=True)
    _add_python(tree, "the environment")
    tree.add_argument("--invert", action="store_true", help="show who requires each package")
    tree.add_argument("-d", "--depth", type=int, default=None, help="stop at this depth")
    tree.add_argument(
        "--package", action="append", default=[], metavar="NAME", help="start from these packages"
    )

    pip_list = pip_commands.add_parser("list", help="list installed packages")
    _add_global(pip_list, suppress=True)
    _add_python(pip_list, "the environment")
    _add_index(pip_list)
    pip_list.add_argument(
        "--format", choices=["columns", "freeze", "json"], default="columns", help="the output format"
    )
    pip_list.add_argument("-o", "--outdated", action="store_true", help="only packages with a newer version")
    _add_output_format(pip_list, "the packages (as --format json)")
    pip_list.add_argument("-e", "--editable", action="store_true", help="only editable installs")
    pip_list.add_argument("--exclude-editable", action="store_true", help="leave out editable installs")
    refuse_together(pip_list, ("editable", "exclude_editable"))
    pip_list.add_argument(
        "--exclude", action="append", default=[], metavar="NAME", help="leave out NAME (repeatable)"
    )

    show = pip_commands.add_parser("show", help="show installed packages' metadata")
    _add_global(show, suppress=True)
    _add_python(show, "the environment")
    show.add_argument("packages", nargs="+", metavar="PACKAGE", help="the installed packages to show")
    show.add_argument("-f", "--files", action="store_true", help="list installed files")
    _add_output_format(show, "each package's metadata")

    freeze = pip_commands.add_parser("freeze", help="list installed packages as requirements")
    _add_global(freeze, suppress=True)
    _add_python(freeze, "the environment")
    freeze.add_argument("--exclude-editable", action="store_true", help="leave out editable installs")
    freeze.add_argument(
        "--exclude", action="append", default=[], metavar="NAME", help="leave out NAME (repeatable)"
    )

    check = pip_commands.add_parser("check", help="check that installed packages' requirements are met")
    _add_global(check, suppress=True)
    _add_python(check, "the environment")

    _add_audit(
        pip_commands.add_parser("audit", help="check an environment for known vulnerabilities"), pip=True
    )

    download = pip_commands.add_parser("download", help="download distributions into a folder")
    _add_global(download, suppress=True)
    _add_index(download)
    _add_python(download, "the interpreter the files must suit")
    download.add_argument("packages", nargs="*", metavar="PACKAGE", help="requirements: names, URLs, paths")
    download.add_argument(
        "-r",
        "--requirement",
        "--requirements",
        dest="requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="download what this requirements file lists",
    )
    download.add_argument("-d", "--dest", default=".", help="the folder (default: .)")
    download.add_argument("--no-deps", action="store_true", help="only the named packages")
    download.add_argument("--require-hashes", action="store_true", help="every requirement must carry --hash")
    download.add_argument("--no-binary", action="append", default=[], metavar="NAME", help="sdists of NAME")
    download.add_argument("--only-binary", action="append", default=[], metavar="NAME", help="wheels of NAME")
    _add_build(download)

    config = commands.add_parser("config", help="show bale's settings and where they come from")
    _add_global(config, suppress=True)
    config_commands = config.add_subparsers(dest="config_command", metavar="COMMAND", parser_class=_Parser)
    config_show = config_commands.add_parser("show", help="print each setting in force and its source")
    _add_global(config_show, suppress=True)
    _add_index(config_show)
    config_show.add_argument(
        "--output-format",
        choices=["text", "json"],
        default="text",
        help="text (one `key = value  # source` line each) or json",
    )

    cache = commands.add_parser("cache", help="manage bale's cache")
    _add_global(cache, suppress=True)
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="COMMAND", parser_class=_Parser)
    for name, text in (
        ("dir", "print the cache directory"),
        ("prune", "remove unused entries"),
        ("size", "print the cache's size"),
    ):
        sub = cache_commands.add_parser(name, help=text)
        _add_global(sub, suppress=True)
        if name == "size":
            sub.add_argument("-H", "--human", action="store_true", help="human-readable size")
    clean = cache_commands.add_parser("clean", help="remove everything, or one package's entries")
    _add_global(clean, suppress=True)
    clean.add_argument(
        "packages", nargs="*", metavar="PACKAGE", help="only these packages' entries (default: everything)"
    )
    cache_export = cache_commands.add_parser("export", help="copy the cache's entries into DIR")
    cache_import = cache_commands.add_parser("import", help="check and add the entries of a cache export")
    for sub in (cache_export, cache_import):
        _add_global(sub, suppress=True)
    from bale.cli.parser import Skip

    if not isinstance(cache_export, Skip):  # its module is imported only when `cache export` is the command
        from bale.cli.cache_transfer import add_cache_export_options

        add_cache_export_options(cache_export)
    if not isinstance(cache_import, Skip):
        from bale.cli.cache_transfer import add_cache_import_options

        add_cache_import_options(cache_import)
    cache_remote = cache_commands.add_parser("remote", help="stats, prune or verify the remote cache")
    _add_global(cache_remote, suppress=True)
    if not isinstance(cache_remote, Skip):
        from bale.cli.remote_cache import add_remote_cache_options

        add_remote_cache_options(cache_remote, _add_global)

    lock = commands.add_parser("lock", help="resolve the project into pylock.toml")
    sync_ = commands.add_parser("sync", help="make the project's environment match pylock.toml")
    run = commands.add_parser("run", help="run a command in the project's environment")
    add = commands.add_parser("add", help="add dependencies to the project")
    remove = commands.add_parser("remove", help="remove dependencies from the project")
    for psub in (lock, sync_, run, add, remove):
        _add_global(psub, suppress=True)
        _add_index(psub)
        _add_build(psub)
        psub.add_argument("-U", "--upgrade", action="store_true", help="ignore the locked versions")
        psub.add_argument(
            "-P",
            "--upgrade-package",
            action="append",
            default=[],
            metavar="NAME",
            help="ignore the locked version of NAME only (repeatable)",
        )
        psub.add_argument(
            "--resolution",
            choices=["highest", "lowest", "lowest-direct"],
            default=None,
            help="which versions to prefer (default: highest, or [tool.bale] resolution)",
        )
        psub.add_argument(
            "--prerelease",
            choices=["disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"],
            default=None,
            help="when pre-releases are chosen (default: if-necessary: only when nothing else satisfies)",
        )
        psub.add_argument(
            "--exclude-newer",
            metavar="DATE|DURATION",
            help="ignore files uploaded after this (e.g. '7 days')",
        )
        _add_package_modes(psub, universal=True, dated=True)
    lock.add_argument(
        "--check",
        "--locked",
        dest="check",
        action="store_true",
        help="only check that pylock.toml is up to date (exit 1 if not); write nothing",
    )
    lock.add_argument("--dry-run", action="store_true", help="resolve, but write nothing")
    lock.add_argument(
        "--diff",
        action="store_true",
        help="then print what the lock change does (as `bale diff`); with --check or --dry-run, what "
        "relocking would do",
    )
    _add_diff_options(lock, "--diff-format")
    refuse_together(lock, ("check", "dry_run"))
    lock.add_argument("--package", metavar="NAME", help="a member of a per-member workspace")
    lock.add_argument("--all", action="store_true", help="every member's lock, then check that they agree")
    refuse_together(lock, ("all", "package"))
    lock.add_argument(
        "--merge", nargs="+", metavar="FILE", help="git's merge driver: BASE OURS THEIRS [PATH] (%%O %%A %%B)"
    )
    for psub in (lock, add, remove):
        psub.add_argument("--script", metavar="FILE", help="the PEP 723 script FILE instead of the project")
    for psub in (sync_, run, add, remove):
        _add_python(psub, "the interpreter for a new .venv")
        psub.add_argument("--locked", action="store_true", help="fail if pylock.toml is out of date")
        psub.add_argument("--frozen", action="store_true", help="use pylock.toml as it is")
        psub.add_argument("--group", action="append", default=[], metavar="GROUP", help="also this group")
        psub.add_argument("--no-dev", action="store_true", help="leave out the dev group")
        psub.add_argument("--all-groups", action="store_true", help="every dependency group")
        psub.add_argument("--extra", action="append", default=[], metavar="EXTRA", help="also this extra")
        psub.add_argument("--all-extras", action="store_true", help="every extra")
        psub.add_argument("--inexact", action="store_true", help="keep packages the lock does not list")
        psub.add_argument("--no-install-project", action="store_true", help="leave the project itself out")
    for psub in (sync_, run, add, remove):
        psub.add_argument(
            "--only-group", action="append", default=[], metavar="GROUP", help="only this group (repeatable)"
        )
        psub.add_argument("--package", metavar="NAME", help="a workspace member instead of the root project")
    for psub in (sync_, run):
        psub.add_argument("--all-packages", action="store_true", help="every workspace member")
        refuse_together(psub, ("all_packages", "package"))
    _add_output_format(sync_, "the environment, the lock and what changed")
    for psub in (sync_, run, add, remove):
        refuse_together(
            psub,
            ("locked", "frozen"),
            ("locked", "upgrade"),
            ("frozen", "upgrade"),
            ("all_extras", "extra"),
            ("only_group", "group"),
            ("all_groups", "only_group"),
        )
    for psub in (run, add, remove):
        psub.add_argument("--no-sync", action="store_true", help="do not sync the environment first")
    run.add_argument("cmd", nargs=argparse.REMAINDER, metavar="COMMAND", help="the command and its arguments")
    # PEP 723 scripts and ephemeral additions (bale.cli.script).
    run.add_argument(
        "--script", action="store_true", help="treat COMMAND as a Python script (for `#!` lines); `-`: stdin"
    )
    run.add_argument(
        "--with", dest="with_", action="append", default=[], metavar="PKG", help="also these packages"
    )
    run.add_argument(
        "--with-requirements", action="append", default=[], metavar="FILE", help="also these requirements"
    )
    run.add_argument("--no-project", action="store_true", help="ignore the project in this folder")
    run.add_argument(
        "--isolated",
        action="store_true",
        help="run in a fresh environment synced from the lock, leaving the project's own untouched",
    )
    for psub in (add, remove):
        psub.add_argument(
            "packages",
            nargs="+",
            metavar="PACKAGE",
            help="requirements (names, URLs, paths); they may come before or after the options",
        )
        psub.add_argument("--dev", action="store_true", help="the dev dependency group")
        psub.add_argument("--optional", metavar="EXTRA", help="the optional dependencies of EXTRA")
        refuse_together(
            psub, ("dev", "optional"), ("dev", "group"), ("optional", "group"), ("no_sync", "frozen")
        )
    add.add_argument(
        "--bounds",
        choices=["lower", "major", "minor", "exact"],
        default="lower",
        help="the version bound written for a bare name (default: lower, >=LOCKED)",
    )
    add.add_argument("--index", metavar="NAME", help="take the packages from this [[tool.bale.index]]")
    add.add_argument("--editable", action="store_true", help="install the added folders editable")
    add.add_argument("--tag", metavar="TAG", help="the git tag of a git+URL argument")
    add.add_argument("--branch", metavar="BRANCH", help="the git branch of a git+URL argument")
    add.add_argument("--rev", metavar="REV", help="the git commit of a git+URL argument")
    add.add_argument("--strict", action="store_true", help=_STRICT_HELP)
    refuse_together(add, ("tag", "branch"), ("tag", "rev"), ("branch", "rev"))
    tree_ = commands.add_parser("tree", help="show the project's locked dependency tree")
    why = commands.add_parser("why", help="show every path from the project to a package")
    export = commands.add_parser(
        "export", help="write the lock as requirements.txt, pylock.toml or an SBOM (CycloneDX, SPDX)"
    )
    licenses_ = commands.add_parser("licenses", help="show the licence of every locked package")
    for psub in (tree_, why, export, licenses_):
        _add_global(psub, suppress=True)
        _add_index(psub)
        psub.add_argument("--locked", action="store_true", help="fail if pylock.toml is out of date")
        psub.add_argument("--frozen", action="store_true", help="use pylock.toml as it is")
    for psub in (why, export, licenses_):
        psub.add_argument("--package", metavar="NAME", help="a workspace member instead of the root project")
    for psub in (tree_, export, licenses_):
        psub.add_argument("--group", action="append", default=[], metavar="GROUP", help="also this group")
        psub.add_argument(
            "--only-group", action="append", default=[], metavar="GROUP", help="only this group"
        )
        psub.add_argument("--no-dev", action="store_true", help="leave out the dev group")
        psub.add_argument("--all-groups", action="store_true", help="every dependency group")
        psub.add_argument("--extra", action="append", default=[], metavar="EXTRA", help="also this extra")
        psub.add_argument("--all-extras", action="store_true", help="every extra")
        refuse_together(psub, ("all_extras", "extra"), ("only_group", "group"), ("all_groups", "only_group"))
    for psub in (tree_, why, export, licenses_):
        refuse_together(psub, ("locked", "frozen"))
    tree_.add_argument("-d", "--depth", type=int, default=None, metavar="N", help="stop N levels down")
    tree_.add_argument("--invert", action="store_true", help="show what depends on each package")
    tree_.add_argument(
        "--package",
        dest="filter_packages",
        action="append",
        default=[],
        metavar="NAME",
        help="show only the tree below (or, with --invert, above) NAME",
    )
    tree_.add_argument("--outdated", action="store_true", help="show the latest version where newer")
    tree_.add_argument("--no-dedupe", action="store_true", help="repeat subtrees already shown")
    tree_.add_argument(
        "--format",
        dest="tree_format",
        choices=["text", "json", "dot", "mermaid"],
        default=None,
        help="text (default), json (nested objects), dot (Graphviz) or mermaid (a flowchart)",
    )
    _add_output_format(tree_, "the tree (as --format json)")
    why.add_argument("target", metavar="PACKAGE", help="the package to explain")
    export.add_argument(
        "--format",
        choices=[
            *("requirements.txt", "requirements-txt", "pylock.toml"),
            *("cyclonedx", "cyclonedx1.5", "cyclonedx1.6", "spdx"),
        ],
        default="requirements.txt",
        help="the output format (default: requirements.txt); cyclonedx (1.6 JSON) and spdx (2.3 JSON) are "
        "SBOMs with each package's licence",
    )
    export.add_argument("--no-hashes", action="store_true", help="leave out --hash options")
    export.add_argument("--no-header", action="store_true", help="leave out the header comment")
    export.add_argument("--no-annotate", action="store_true", help="leave out the '# via' comments")
    export.add_argument("--no-emit-project", action="store_true", help="leave out the project itself")
    export.add_argument("-o", "--output-file", metavar="FILE", help="write here instead of stdout")
    export.add_argument(
        "--wheelhouse",
        metavar="DIR",
        help="download the lock's files into DIR with a PEP 503 index (DIR/simple) and DIR/pylock.toml",
    )
    export.add_argument(
        "--platform",
        dest="wheelhouse_platforms",
        action="append",
        default=[],
        metavar="PLATFORM",
        help="with --wheelhouse: only what this platform needs (linux_x86_64, macos_arm64, win_amd64, a tag)",
    )
    export.add_argument(
        "--python",
        dest="wheelhouse_pythons",
        action="append",
        default=[],
        metavar="VERSION",
        help="with --wheelhouse: only what this Python version needs (default: all the lock admits)",
    )
    export.add_argument(
        "--build",
        dest="wheelhouse_build",
        action="store_true",
        help="with --wheelhouse: also build the sdist-only packages into wheels for this machine",
    )
    export.add_argument(
        "--script", metavar="FILE", help="the PEP 723 script FILE's lock instead of the project's"
    )
    licenses_.add_argument(
        "--format",
        dest="licenses_format",
        choices=["table", "json", "csv"],
        default="table",
        help="table (default), json or csv, on stdout",
    )

    _add_audit(commands.add_parser("audit", help="check the lock for known vulnerabilities (OSV)"), pip=False)

    diff_ = commands.add_parser(
        "diff", help="show what a lock change does: versions, sources, publishers, licences, vulnerabilities"
    )
    _add_global(diff_, suppress=True)
    _add_index(diff_)
    diff_.add_argument(
        "old",
        nargs="?",
        metavar="OLD",
        help="a lock file (a path, or a name ending in .toml) or a git revision of the project's pylock.toml "
        "(default: HEAD)",
    )
    diff_.add_argument(
        "new", nargs="?", metavar="NEW", help="the same (default: the working tree's pylock.toml)"
    )
    _add_diff_options(diff_, "--format")
    diff_.add_argument(
        "--exit-code", action="store_true", help="exit 1 when the locks differ, 0 when not (as `git diff`)"
    )

    policy = commands.add_parser("policy", help="show, check and explain the package policy")
    _add_global(policy, suppress=True)
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="COMMAND", parser_class=_Parser)
    policy_show = policy_commands.add_parser("show", help="print the policy in force and where each rule is")
    policy_check = policy_commands.add_parser("check", help="check a lock file against the policy")
    policy_explain = policy_commands.add_parser("explain", help="say which rules allow or refuse a version")
    for psub in (policy_show, policy_check, policy_explain):
        _add_global(psub, suppress=True)
        _add_index(psub)
    policy_check.add_argument(
        "lock_file", nargs="?", default=None, metavar="PYLOCK", help="the lock file (default: the project's)"
    )
    policy_explain.add_argument("target", metavar="NAME==VERSION", help="the package version to explain")
    policy_check.add_argument(
        "--format",
        dest="policy_format",
        choices=["text", "json"],
        default="text",
        help="text (one violation a line, default) or json, on stdout",
    )

    build = commands.add_parser("build", help="build the project's sdist and wheel")
    _add_global(build, suppress=True)
    _add_index(build)
    _add_build(build)
    build.add_argument(
        "path", nargs="?", default=None, help="the source tree or sdist (default: the project)"
    )
    build.add_argument("--sdist", action="store_true", help="build an sdist only")
    build.add_argument("--wheel", action="store_true", help="build a wheel only")
    build.add_argument("-o", "--out-dir", metavar="DIR", help="where to put the files (default: dist/)")
    build.add_argument("--package", metavar="NAME", help="a workspace member instead of the root project")
    _add_python(build, "the interpreter to build with")

    publish = commands.add_parser("publish", help="upload distributions to an index")
    _add_global(publish, suppress=True)
    publish.add_argument("files", nargs="*", metavar="FILE", help="the files (default: dist/*)")
    publish.add_argument(
        "--index", metavar="NAME", help="an index named in [[tool.bale.index]] with a publish-url"
    )
    publish.add_argument("--publish-url", metavar="URL", help="the upload endpoint [env: BALE_PUBLISH_URL]")
    publish.add_argument("-u", "--username", help="the index user name [env: BALE_PUBLISH_USERNAME]")
    publish.add_argument("--password", help="the index password [env: BALE_PUBLISH_PASSWORD]")
    publish.add_argument("-t", "--token", help="an API token (user __token__) [env: BALE_PUBLISH_TOKEN]")
    publish.add_argument("--check-url", metavar="URL", help="an index URL to skip files already uploaded")
    publish.add_argument("--no-check", action="store_true", help="skip checking the files before upload")

    tool = commands.add_parser(
        "tool", help="install and manage command-line tools, each in its own environment"
    )
    _add_global(tool, suppress=True)
    tool_commands = tool.add_subparsers(dest="tool_command", metavar="COMMAND", parser_class=_Parser)
    tool_install = tool_commands.add_parser("install", help="install a tool and link its executables")
    _add_global(tool_install, suppress=True)
    _add_index(tool_install)
    tool_install.add_argument(
        "package", metavar="PACKAGE", help="the tool's package: NAME[extras][==VERSION]"
    )
    tool_install.add_argument(
        "--with", dest="with_", action="append", default=[], metavar="PKG", help="also install PKG"
    )
    _add_python(tool_install, "the interpreter of the tool's environment")
    tool_install.add_argument("--force", action="store_true", help="reinstall, replacing executables")
    tool_install.add_argument(
        "-e", "--editable", action="store_true", help="install PACKAGE (a path) editable"
    )
    tool_list = tool_commands.add_parser("list", help="list the installed tools and their executables")
    _add_global(tool_list, suppress=True)
    tool_list.add_argument("--show-paths", action="store_true", help="show environments and links")
    tool_uninstall = tool_commands.add_parser("uninstall", help="remove tools and their executables")
    _add_global(tool_uninstall, suppress=True)
    tool_uninstall.add_argument("names", nargs="+", metavar="NAME", help="the tools")
    tool_dir = tool_commands.add_parser("dir", help="print where tools (or, with --bin, executables) go")
    _add_global(tool_dir, suppress=True)
    tool_dir.add_argument("--bin", action="store_true", help="the executables' dir")
    tool_upgrade = tool_commands.add_parser(
        "upgrade", help="upgrade tools within their install's constraints"
    )
    _add_global(tool_upgrade, suppress=True)
    tool_upgrade.add_argument("names", nargs="*", metavar="NAME", help="the tools")
    tool_upgrade.add_argument("--all", action="store_true", help="every installed tool")
    tool_audit = tool_commands.add_parser("audit", help="check the installed tools for known vulnerabilities")
    _add_global(tool_audit, suppress=True)
    from bale.cli.parser import Skip

    if not isinstance(tool_audit, Skip):  # its module is imported only when `tool` is the command
        from bale.cli.tool_audit import add_tool_audit_options

        add_tool_audit_options(tool_audit)
    tool_shell = tool_commands.add_parser("update-shell", help="put the executables' dir on PATH")
    _add_global(tool_shell, suppress=True)
    tool_run = tool_commands.add_parser("run", help="run a tool in a cached environment (alias: bx)")
    _add_global(tool_run, suppress=True)
    _add_index(tool_run)
    tool_run.add_argument("--from", dest="from_", metavar="PKG", help="the package providing the command")
    tool_run.add_argument(
        "--with", dest="with_", action="append", default=[], metavar="PKG", help="also install PKG"
    )
    _add_python(tool_run, "the interpreter of the tool's environment")
    tool_run.add_argument(
        "--refresh", action="store_true", help="build the environment again, from the index"
    )
    tool_run.add_argument(
        "tool_cmd", metavar="COMMAND", help="the command: NAME, NAME@VERSION or NAME@latest"
    )
    tool_run.add_argument("tool_args", nargs=argparse.REMAINDER, metavar="ARGS", help="its arguments")

    from bale.cli.housekeeping_args import add_housekeeping  # shell, task, version, self, completion, help

    add_housekeeping(commands, _add_global, _add_index, _add_build, _Parser)

    init = commands.add_parser("init", help="create a project")
    _add_global(init, suppress=True)
    init.add_argument("path", nargs="?", default=None, help="where (default: the current directory)")
    init.add_argument("--app", action="store_true", help="an application (the default)")
    init.add_argument("--lib", action="store_true", help="a library (src layout, built)")
    init.add_argument("--name", help="the project name (default: the directory name)")
    init.add_argument(
        "--python",
        help="the Python: 3.12 (the minimum), >=3.11, python3.11 or a path (default: .python-version, "
        "else the first found); sets requires-python and .python-version",
    )
    init.add_argument(
        "--script", metavar="FILE", help="add a PEP 723 metadata block to FILE (created if missing)"
    )
    refuse_together(init, ("app", "lib"))

    from bale.cli.parser import Skip as _Skip

    upgrade = commands.add_parser("upgrade", help="raise pyproject.toml's ranges to the latest, then relock")
    outdated = commands.add_parser("outdated", help="show each locked package's range, locked and latest")
    git_ = commands.add_parser("git", help="set up git for the project's lock")
    if not isinstance(upgrade, _Skip) or not isinstance(outdated, _Skip) or not isinstance(git_, _Skip):
        from bale.cli.team import add_team_parsers  # only when one of them is the command

        add_team_parsers(upgrade, outdated, git_, _add_global, _add_index, _add_build)
    import_ = commands.add_parser("import", help="turn another tool's files into pyproject.toml + a lock")
    _add_global(import_, suppress=True)
    _add_index(import_)
    _add_build(import_)
    import_.add_argument("path", nargs="?", default=None, help="the project folder (default: here)")
    import_.add_argument(
        "--from",
        dest="import_from",
        choices=["requirements", "pip-tools", "pipenv", "poetry", "pdm", "uv", "conda"],
        help="the tool whose files to read (default: detected)",
    )
    import_.add_argument(
        "--dry-run", action="store_true", help="print the pyproject.toml it would write; write nothing"
    )
    import_.add_argument(
        "--remove-old", action="store_true", help="delete the old tool's files once the lock is written"
    )
    return parser


def _output_options(namespace: argparse.Namespace, printer: Printer) -> None:
    """``--color`` (over NO_COLOR and FORCE_COLOR, as in uv) and ``--no-progress`` / BALE_NO_PROGRESS."""
    from bale.envvars import env_flag

    color = getattr(namespace, "color", None)
    if color in ("always", "never"):
        printer.colour = color == "always"
    if getattr(namespace, "no_progress", False) or env_flag("BALE_NO_PROGRESS"):
        printer.interactive = False


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    import time

    started = time.time()
    from bale.cli.replay import Recorder, replayable

    recorder = Recorder(args) if replayable(args) else None
    parser = build_parser(_chosen_path(args))
    _Parser.lazy = True
    try:
        namespace = parser.parse_args(args)
    except _Retry:
        _Parser.lazy = False
        parser = build_parser()
        namespace = parser.parse_args(args)
    finally:
        _Parser.lazy = False
    verbosity = (namespace.verbose or 0) - (namespace.quiet or 0)
    from bale.cli.printer import Printer

    printer = Printer(verbosity)
    _output_options(namespace, printer)
    if namespace.command is None:
        parser.print_help(sys.stderr)
        return 2
    # A replay finds its inputs from the working directory and keys on the BALE_* environment alone:
    # an answer that depends on --directory, --project or a config file is never recorded.
    moved = any(
        getattr(namespace, name, None) for name in ("directory", "project", "config_file", "no_config")
    )
    namespace.replay = None if moved else recorder
    namespace.argv = None if moved else args  # a no-op's stamp (cli.noop) keys on argv
    namespace.started = started
    from bale.project.notices import Notice, listen

    def notice(note: Notice) -> None:  # how a pyproject.toml was read: a replay would not say it again
        namespace.replay = None
        (printer.warn if note.warning else printer.info)(note.text)

    listen(notice)
    from bale.errors import INTERNAL_ERROR, BaleError

    try:
        from bale.cli import commands

        return commands.run(namespace, printer)
    except BaleError as err:
        if verbosity >= 1:
            import traceback

            traceback.print_exc()
        printer.error(err)
        return err.code
    except KeyboardInterrupt:
        printer.info("interrupted")
        raise  # cli.entry cancels the work in flight and ends the process by SIGINT
    except Exception as exc:  # a bug in bale: say so plainly, traceback only with -v
        if isinstance(exc, BrokenPipeError) and exc.filename is None:
            return 1  # stdout closed by its reader (`bale pip list | head`): nothing to say
        if verbosity >= 1:
            import traceback

            traceback.print_exc()
        from bale.cli.os_errors import user_error

        # A full disk, a permission denied, a NUL byte in a path: the machine's state, not a bug.
        known = user_error(exc, cache_root=getattr(namespace, "cache_dir", None))
        if known is not None:
            printer.error(known)
            return known.code
        printer.error(
            BaleError(
                f"bale failed unexpectedly: {type(exc).__name__}: {exc}",
                hint="this is a bug in bale; run again with -v for the traceback and report it",
                code=INTERNAL_ERROR,
            )
        )
        return INTERNAL_ERROR
    finally:
        # The listener writes to this run's printer: a later caller in the same process (the tests call
        # main() many times) must not send its notices to a stream that may be closed by then.
        listen(None)


if __name__ == "__main__":
    from bale.cli.entry import entry

    entry()
