"""Credentials for index hosts (URL userinfo, per-index variables, netrc, keyring) and URL redaction."""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from bale.model.record import record

REDACTED = "****"


@record(frozen=True, slots=True)
class Credentials:
    """A username and password for HTTP basic authentication."""

    username: str
    password: str

    def header(self) -> str:
        """The value of an ``Authorization`` header carrying these credentials."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


def redact_url(url: str) -> str:
    """``url`` with its user and password replaced by ``****``, safe for errors and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    userinfo, at, host = netloc.rpartition("@")
    if not at:
        return url
    hidden = f"{REDACTED}:{REDACTED}" if ":" in userinfo else REDACTED
    return f"{scheme}://{hidden}@{host}{slash}{tail}"


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Split ``url`` into (url without userinfo, username, password); absent parts are None."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, unquote(user) or None, unquote(password) if colon else None


def strip_userinfo(url: str) -> str:
    """``url`` without any ``user:password@`` (what may be written to a lock file, a cache or a log)."""
    if "@" not in url.partition("://")[2].partition("/")[0]:
        return url
    return split_credentials(url)[0]


def index_variable(name: str, part: str) -> str:
    """The variable holding ``part`` (USERNAME or PASSWORD) of the index ``name``: upper case, every
    other character than a letter or digit as ``_`` (``my-index`` -> ``BALE_INDEX_MY_INDEX_USERNAME``),
    as uv's ``UV_INDEX_<NAME>_USERNAME``."""
    return f"BALE_INDEX_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_{part}"


def host_key(url: str) -> str:
    """The ``host[:port]`` that credentials are kept under (lower-case, no userinfo)."""
    netloc = urlsplit(url).netloc
    return netloc.rpartition("@")[2].lower()


class CredentialStore:
    """Credentials per host, learnt from URLs and looked up in netrc and (optionally) the keyring.

    Thread-safe. Once a URL carrying ``user:pass@`` is seen for a host, every later request to that
    host (file links on the same index, metadata files) is sent with the same credentials.
    """

    def __init__(self, *, netrc_path: Path | None = None, use_keyring: bool = True) -> None:
        self._lock = threading.Lock()
        self._by_host: dict[str, Credentials] = {}
        self._usernames: dict[str, str] = {}
        self._netrc_path = netrc_path
        self._netrc: object | None = None
        self._netrc_loaded = False
        self._use_keyring = use_keyring
        self._keyring_cache: dict[tuple[str, str | None], Credentials | None] = {}

    def learn(self, url: str) -> str:
        """Remember credentials embedded in ``url`` for its host; return ``url`` without them."""
        if "@" not in url.partition("://")[2].partition("/")[0]:
            return url
        clean, user, password = split_credentials(url)
        if user is not None:
            key = host_key(clean)
            with self._lock:
                if password is not None:
                    self._by_host[key] = Credentials(user, password)
                else:
                    self._usernames[key] = user
        return clean

    def add_indexes(
        self, indexes: Iterable[tuple[str, str | None]], environ: Mapping[str, str] | None = None
    ) -> None:
        """Learn the credentials of configured indexes, given as (URL, name or None), for their hosts.

        The URL's own ``user:password@`` comes first; then, for a named index, the variables
        ``BALE_INDEX_<NAME>_USERNAME`` and ``_PASSWORD`` (a username alone is completed from netrc or
        the keyring). Called before anything is fetched, so that a locked artifact on an index host
        is downloaded with them even when no index page is read (``sync --frozen``).
        """
        env = os.environ if environ is None else environ
        for url, name in indexes:
            clean = self.learn(url)
            if clean != url or not name:
                continue
            user = env.get(index_variable(name, "USERNAME")) or None
            password = env.get(index_variable(name, "PASSWORD")) or None
            if user is None and password is None:
                continue
            key = host_key(clean)
            with self._lock:
                if password is not None:
                    self._by_host.setdefault(key, Credentials(user or "", password))
                elif user is not None:
                    self._usernames.setdefault(key, user)

    def lookup(self, url: str) -> Credentials | None:
        """Credentials known for ``url``'s host from earlier URLs or netrc; no keyring (it can be slow)."""
        key = host_key(url)
        with self._lock:
            known = self._by_host.get(key)
            username = self._usernames.get(key)
        if known is not None:
            return known
        found = self._from_netrc(url)
        if found is not None and (username is None or found.username == username):
            return found
        return None

    def lookup_keyring(self, url: str) -> Credentials | None:
        """Ask the ``keyring`` package (when installed) for ``url``'s host; memoized per host."""
        if not self._use_keyring:
            return None
        key = host_key(url)
        with self._lock:
            username = self._usernames.get(key)
            if (key, username) in self._keyring_cache:
                return self._keyring_cache[(key, username)]
        found = _keyring_credentials(url, username)
        with self._lock:
            self._keyring_cache[(key, username)] = found
            if found is not None:
                self._by_host[key] = found
        return found

    def _from_netrc(self, url: str) -> Credentials | None:
        with self._lock:
            if not self._netrc_loaded:
                self._netrc = _load_netrc(self._netrc_path)
                self._netrc_loaded = True
            parsed = self._netrc
        if parsed is None:
            return None
        import netrc

        assert isinstance(parsed, netrc.netrc)
        host = urlsplit(url).hostname or ""
        entry = parsed.authenticators(host)
        if entry is None:
            return None
        login, _account, password = entry
        if not login and not password:
            return None
        return Credentials(login or "", password or "")


def _load_netrc(path: Path | None) -> object | None:
    if path is None:
        env = os.environ.get("NETRC")
        path = Path(env) if env else Path.home() / ".netrc"
    if not path.is_file():
        return None
    import netrc

    try:
        return netrc.netrc(str(path))
    except (netrc.NetrcParseError, OSError):
        # A broken netrc must not break installs from public indexes; the 401 message says where to look.
        return None


def _keyring_credentials(url: str, username: str | None) -> Credentials | None:
    try:
        import keyring  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    host = urlsplit(url).hostname or ""
    try:
        if username is not None:
            password = keyring.get_password(host, username)
            return Credentials(username, password) if password is not None else None
        cred = keyring.get_credential(host, None)
    except Exception:
        # keyring back-ends raise anything (locked D-Bus, missing helper): treat as "no credentials".
        return None
    if cred is None:
        return None
    return Credentials(str(cred.username), str(cred.password))
