"""Frozen settings for each use case, already merged from the command line, environment and defaults."""

from __future__ import annotations

from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bale.model.record import record

if TYPE_CHECKING:
    from bale.policy.typosquat import TyposquatMode
    from bale.requirements.parse import RequirementsFile

DEFAULT_INDEX_URL = "https://pypi.org/simple"


@record(frozen=True)
class GlobalSettings:
    cache_dir: Path | None = None  # None: BALE_CACHE_DIR or the platform cache directory
    no_cache: bool = False
    offline: bool = False
    verbosity: int = 0
    policy: str | None = None  # --policy: the organisation policy's path or URL (see bale.policy.load)
    remote_cache: str | None = None  # s3://bucket/prefix or file:///dir (see bale.cache.remote)
    remote_cache_readonly: bool = False
    remote_cache_wheels: bool = False  # also share downloaded wheels


INDEX_STRATEGIES = ("first-index", "unsafe-first-match", "unsafe-best-match")


def checked_strategy(value: object, where: str) -> str:
    """``value`` if it names an index strategy, else a BaleError naming ``where`` it was read."""
    if value in INDEX_STRATEGIES:
        return str(value)
    from bale.errors import BaleError

    raise BaleError(
        f"Invalid index strategy {value!r} in {where}",
        hint=f"use one of: {', '.join(INDEX_STRATEGIES)}",
    )


def index_location(text: str) -> str:
    """An index as a URL: a plain path (``./simple``, ``/srv/simple``, ``dir``) becomes its ``file://``
    URL, as uv treats it; a path that does not exist is a BaleError naming it."""
    scheme, sep, _ = text.partition("://")
    if (sep and scheme.isalpha() and len(scheme) > 1) or text[:5].lower() == "file:":
        return text
    path = Path(text).expanduser()
    if not path.is_dir():
        from bale.errors import BaleError

        state = "is not a directory" if path.exists() else "does not exist"
        raise BaleError(
            f"The index {text!r} is not a URL, and as a path it {state} ({path.absolute()})",
            hint="Give an index URL (https://...), or the path of a folder laid out as a simple index "
            "(one folder per project).",
        )
    return path.resolve().as_uri()


@record(frozen=True)
class IndexSettings:
    """Where packages come from. Indexes are searched extra indexes first (in the order given), then
    ``index_url``; ``strategy`` says how their answers combine (see ``bale.index.sources``)."""

    index_url: str = DEFAULT_INDEX_URL
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    # (package name, index URL): packages taken from one index only ({ index = ... } sources).
    pins: tuple[tuple[str, str], ...] = ()
    # first-index | unsafe-first-match | unsafe-best-match (INDEX_STRATEGIES), as uv's --index-strategy;
    # None: not given on the command line nor in BALE_INDEX_STRATEGY (a project's setting, else first-index).
    strategy: str | None = None
    # (name, URL) of the project's [[tool.bale.index]] entries: credentials for a named index may come
    # from BALE_INDEX_<NAME>_USERNAME / _PASSWORD.
    named: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # Every way an index is given (--index-url, a requirements file, BALE_INDEX_URL) passes here.
        object.__setattr__(self, "index_url", index_location(self.index_url))
        object.__setattr__(self, "extra_index_urls", tuple(index_location(u) for u in self.extra_index_urls))

    @property
    def search_strategy(self) -> str:
        """The index strategy in force (``first-index`` when none was chosen)."""
        return self.strategy or INDEX_STRATEGIES[0]

    def with_default_strategy(self, value: object, where: str) -> IndexSettings:
        """These settings with ``value`` (a project's ``index-strategy``, from ``where``) as the
        strategy, unless the command line or the environment chose one."""
        if self.strategy is not None or value is None:
            return self
        return replace(self, strategy=checked_strategy(value, where))

    def credential_sources(self) -> list[tuple[str, str | None]]:
        """Every configured index URL with its name (None when unnamed), for the credential store."""
        if self.no_index:
            return []
        names = {url: name for name, url in self.named}
        urls = (*self.extra_index_urls, self.index_url, *(url for _, url in self.pins), *names)
        return [(url, names.get(url)) for url in dict.fromkeys(urls)]

    def merged_with_requirements(self, parsed: RequirementsFile, *, explicit_index: bool) -> IndexSettings:
        """Add what a parsed requirements file says (index URLs, find-links, --no-index)."""
        return self.merged_with_file(
            parsed.index_url,
            tuple(parsed.extra_index_urls),
            tuple(parsed.find_links),
            parsed.no_index,
            explicit_index=explicit_index,
        )

    def merged_with_file(
        self,
        index_url: str | None,
        extra: tuple[str, ...],
        find_links: tuple[str, ...],
        no_index: bool,
        *,
        explicit_index: bool,
    ) -> IndexSettings:
        """Add what a requirements file says; the command line's ``--index-url`` wins over the file's."""
        return replace(
            self,
            index_url=self.index_url if explicit_index or index_url is None else index_url,
            extra_index_urls=tuple(dict.fromkeys((*self.extra_index_urls, *extra))),
            find_links=tuple(dict.fromkeys((*self.find_links, *find_links))),
            no_index=self.no_index or no_index,
        )


@record(frozen=True)
class BuildSettings:
    """How sdists and source trees are built (``--no-build-isolation``, ``-C``, ``--build-constraint``).

    ``config_settings`` keeps the pairs in the order given; a key given more than once becomes a list
    (PEP 517's ``config_settings`` form, see ``config_dict``). ``constraint_files`` constrain the
    versions of build requirements (``build-system.requires``), not the packages being installed.
    ``no_isolation_packages`` are built without isolation even when ``isolation`` is on.
    """

    isolation: bool = True
    config_settings: tuple[tuple[str, str], ...] = ()
    constraint_files: tuple[Path, ...] = ()
    no_isolation_packages: tuple[str, ...] = ()  # --no-build-isolation-package

    def config_dict(self) -> dict[str, str | list[str]] | None:
        """The PEP 517 ``config_settings`` mapping, or None when no setting was given."""
        if not self.config_settings:
            return None
        from bale.requirements.parse import config_settings_mapping

        return config_settings_mapping(self.config_settings)


@record(frozen=True)
class InstallSettings:
    """``bale pip install`` and ``bale pip sync``."""

    packages: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    constraint_files: tuple[Path, ...] = ()
    editables: tuple[str, ...] = ()
    python: str | None = None
    index: IndexSettings = field(default_factory=IndexSettings)
    explicit_index: bool = False
    exact: bool = False  # sync: remove what is not listed
    no_deps: bool = False
    reinstall: bool = False
    reinstall_packages: tuple[str, ...] = ()
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    dry_run: bool = False
    require_hashes: bool = False
    compile_bytecode: bool = False
    link_mode: str | None = None
    prerelease: str | None = None
    prerelease_package: tuple[str, ...] = ()  # NAME=MODE
    allow_empty: bool = False
    no_binary: tuple[str, ...] = ()  # names, or :all: / :none:
    only_binary: tuple[str, ...] = ()
    build: BuildSettings = field(default_factory=BuildSettings)
    # The guard on named requirements (bale.ops.typosquat); None: BALE_TYPOSQUAT and the policy decide.
    typosquat: TyposquatMode | None = None


@record(frozen=True)
class DownloadSettings:
    packages: tuple[str, ...]
    requirement_files: tuple[Path, ...]
    dest: Path
    python: str | None
    index: IndexSettings
    explicit_index: bool
    no_deps: bool
    require_hashes: bool = False
