"""Put a cached file at a destination path: hardlink, symlink or copy, with a remembered fallback."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable, Mapping
from typing import Literal

from bale.errors import BaleError

LinkMode = Literal["hardlink", "copy", "symlink"]
LINK_MODES: tuple[LinkMode, ...] = ("hardlink", "copy", "symlink")
DEFAULT_LINK_MODE: LinkMode = "hardlink"
LINK_MODE_ENV = "BALE_LINK_MODE"

StrPath = str | os.PathLike[str]

# Errors that say "this filesystem pair cannot link", as opposed to a problem with one file:
# cross-device (EXDEV, Windows ERROR_NOT_SAME_DEVICE maps here), link count limit (EMLINK),
# protected_hardlinks or no link support (EPERM, ENOTSUP, ENOSYS), FAT and some FUSE mounts (EINVAL).
_CANNOT_LINK = frozenset(
    {
        errno.EXDEV,
        errno.EMLINK,
        errno.EPERM,
        errno.EACCES,
        errno.ENOTSUP,
        errno.EOPNOTSUPP,
        errno.ENOSYS,
        errno.EINVAL,
    }
)


def link_mode_from_env(environ: Mapping[str, str] | None = None) -> LinkMode:
    """The link mode ``BALE_LINK_MODE`` asks for (``hardlink`` when unset or empty)."""
    value = (os.environ if environ is None else environ).get(LINK_MODE_ENV, "").strip().lower()
    if not value:
        return DEFAULT_LINK_MODE
    if value not in LINK_MODES:
        raise BaleError(
            f"{LINK_MODE_ENV}={value!r} is not a link mode",
            hint=f"Use one of: {', '.join(LINK_MODES)}.",
        )
    return value


def _copy(src: StrPath, dst: StrPath) -> None:
    # dst may be a hardlink to a cache file (a reinstall): writing through it would change the
    # cache entry, so it is unlinked first; one failed unlink costs ~1 µs next to the copy.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(dst)
    shutil.copyfile(src, dst)  # sendfile on Linux, fcopyfile on macOS
    mode = os.stat(src).st_mode
    if mode & 0o111:
        os.chmod(dst, mode & 0o7777)


class Linker:
    """Places files using one mode for a whole run, thread-safe.

    ``hardlink`` is the fast path (linking 4,000 files takes ~90 ms where copying them takes ~1 s);
    when the filesystem refuses (cache on another device, link limit, no support) the linker copies
    instead, calls ``on_fallback`` once with the reason, and stops trying to link for the rest of the run.
    ``symlink`` falls back the same way (Windows without the privilege). An existing ``dst`` is replaced.
    """

    __slots__ = ("_fallen_back", "mode", "on_fallback")

    def __init__(
        self, mode: LinkMode = DEFAULT_LINK_MODE, *, on_fallback: Callable[[str], None] | None = None
    ) -> None:
        if mode not in LINK_MODES:
            raise ValueError(f"unknown link mode {mode!r}")
        self.mode: LinkMode = mode
        self.on_fallback = on_fallback
        self._fallen_back = False

    @property
    def effective_mode(self) -> LinkMode:
        """The mode in use now: ``copy`` once a fallback happened."""
        return "copy" if self._fallen_back else self.mode

    def link(self, src: StrPath, dst: StrPath) -> None:
        """Make ``dst`` have the content of ``src`` (whose parent directory must exist)."""
        if self.mode == "copy" or self._fallen_back:
            _copy(src, dst)
            return
        make = os.link if self.mode == "hardlink" else os.symlink
        try:
            make(src, dst)
            return
        except FileExistsError:
            os.unlink(dst)
            try:
                make(src, dst)
                return
            except OSError as err:
                self._fall_back(err)
        except FileNotFoundError:
            raise
        except OSError as err:
            self._fall_back(err)
        _copy(src, dst)

    def _fall_back(self, err: OSError) -> None:
        if err.errno not in _CANNOT_LINK and not isinstance(err, PermissionError):
            raise err
        if self._fallen_back:
            return
        self._fallen_back = True
        if self.on_fallback is not None:
            self.on_fallback(
                f"Failed to {self.mode} files from the cache ({err.strerror or err}); falling back to "
                f"copying, which is slower. Set {LINK_MODE_ENV}=copy to silence this warning."
            )


_SHARED: dict[str, Linker] = {}


def link_file(src: StrPath, dst: StrPath, mode: LinkMode = DEFAULT_LINK_MODE) -> None:
    """``Linker(mode).link(src, dst)`` with one linker per mode for the process, so fallbacks stick."""
    linker = _SHARED.get(mode)
    if linker is None:
        linker = _SHARED.setdefault(mode, Linker(mode))
    linker.link(src, dst)
