"""The reporter seam: engines emit progress and warnings here; only the CLI turns them into output."""

from __future__ import annotations


class Reporter:
    """Receives events from the index client, downloader, resolver and installer.

    Every method does nothing by default, so engines can call them unconditionally and tests can
    pass a recording subclass. Methods are called from worker threads: implementations must be
    thread-safe and cheap (they run inside download loops, once per chunk of at most 256 KiB).
    """

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the command."""

    def debug(self, message: str) -> None:
        """Detail shown with ``-v`` (requests, cache hits, decisions)."""

    def download_start(self, key: str, label: str, total: int | None) -> None:
        """A transfer of ``total`` bytes (None when unknown) identified by ``key`` began."""

    def download_progress(self, key: str, delta: int) -> None:
        """``delta`` more bytes of ``key`` arrived."""

    def download_done(self, key: str) -> None:
        """The transfer ``key`` ended (successfully or not)."""

    def install_progress(self, label: str, done: int, total: int) -> None:
        """``done`` of ``total`` distributions are linked into the environment; ``label`` is the latest."""

    def build_start(self, name: str, version: str | None) -> None:
        """A wheel of ``name`` began to build (``version`` is None for a source tree: known once built)."""

    def build_done(self, name: str, version: str, seconds: float) -> None:
        """The wheel of ``name`` ``version`` was built, in ``seconds``."""

    def resolve_start(self) -> None:
        """A resolution began (called once per resolution, from the thread that runs it)."""

    def resolve_done(self) -> None:
        """The resolution that began last ended, solved or not."""


NULL_REPORTER = Reporter()
