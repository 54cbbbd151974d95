"""`bale publish`: check built distributions, then upload them with the legacy upload API."""

from __future__ import annotations

import enum
import glob
import hashlib
import html
import os
import re
import time
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

from bale.context import Context
from bale.errors import BaleError, OfflineError
from bale.http.auth import Credentials, redact_url
from bale.model.names import NormalizedName
from bale.model.record import record

if TYPE_CHECKING:
    import urllib3

    from bale.dist.check import Distribution
    from bale.model.dists import IndexFile

DEFAULT_PUBLISH_URL = "https://upload.pypi.org/legacy/"
DEFAULT_FILES = ("dist/*",)
TOKEN_USERNAME = "__token__"
# Uploads of a large wheel can take a while before the index answers (it hashes and scans the file).
_UPLOAD_READ_TIMEOUT = 300.0
_RETRIES = 2
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@record(frozen=True)
class PublishSettings:
    """``bale publish``, merged from the command line and ``BALE_PUBLISH_*``; secrets never in a repr."""

    cwd: Path
    files: tuple[str, ...] = ()  # paths or globs, relative to cwd; empty: dist/*
    publish_url: str = DEFAULT_PUBLISH_URL
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    check_url: str | None = None  # a simple index URL: files listed there are skipped
    check: bool = True  # check each file before any upload


class UploadStatus(enum.Enum):
    UPLOADED = "uploaded"
    SKIPPED = "skipped"  # already on the index


@record(frozen=True)
class UploadOutcome:
    dist: Distribution
    status: UploadStatus
    detail: str = ""  # why it was skipped


class PublishEvents:
    """What the CLI hears while files are uploaded; every method does nothing by default."""

    def start(self, dists: Sequence[Distribution], url: str, username: str | None) -> None:
        """The files passed their checks and are about to be uploaded to ``url`` (credentials redacted)."""

    def uploading(self, dist: Distribution, size: int) -> None:
        """``dist`` (``size`` bytes) is being sent."""

    def done(self, outcome: UploadOutcome) -> None:
        """``outcome.dist`` was uploaded or skipped."""


def publish(
    ctx: Context, settings: PublishSettings, events: PublishEvents | None = None
) -> list[UploadOutcome]:
    """Upload the files ``settings`` names, sdists first; stop at the first failure.

    Every file is read and (unless ``settings.check`` is off) checked before the first request, so
    a bad file stops the run before anything reaches the index. A file the index already has (HTTP
    409, a 400 saying "already exists", or listed on ``check_url``) is skipped, not an error.
    """
    events = events or PublishEvents()
    from bale.dist.check import check_distribution, read_distribution

    dists = [read_distribution(path) for path in collect_files(settings.files, settings.cwd)]
    _refuse_duplicates(dists)
    if settings.check:
        failures = [(dist, problems) for dist in dists if (problems := check_distribution(dist))]
        if failures:
            context = [f"{dist.filename}: {problem}" for dist, problems in failures for problem in problems]
            count = len(failures)
            raise BaleError(
                f"Refusing to publish: {count} file{'s' if count != 1 else ''} failed the checks",
                context=context,
                hint="fix the project's metadata and build again (bale build); --no-check skips these checks",
            )
    dists.sort(key=upload_order)
    if ctx.offline:
        raise OfflineError(
            f"Cannot publish to {redact_url(settings.publish_url)} while offline",
            hint="Run without --offline to upload.",
        )
    url, credentials = resolve_credentials(ctx, settings)
    events.start(dists, redact_url(url), credentials.username if credentials else None)
    listed: dict[NormalizedName, dict[str, IndexFile]] = {}
    outcomes: list[UploadOutcome] = []
    for dist in dists:
        outcome = None
        if settings.check_url:
            if dist.name not in listed:
                listed[dist.name] = _listed_files(ctx, settings.check_url, dist.name)
            outcome = _already_listed(dist, listed[dist.name], settings.check_url)
        if outcome is None:
            data = dist.path.read_bytes()
            events.uploading(dist, len(data))
            outcome = _upload(ctx, url, dist, data, credentials)
        events.done(outcome)
        outcomes.append(outcome)
    return outcomes


def collect_files(patterns: Sequence[str], cwd: Path) -> list[Path]:
    """The files ``patterns`` name (globs expanded, sorted); a glob keeps only wheels and sdists, so the
    ``.gitignore`` that ``bale build`` writes in ``dist/`` is not an upload."""
    from bale.dist.check import is_distribution_name

    chosen = tuple(patterns) or DEFAULT_FILES
    found: dict[str, Path] = {}
    for pattern in chosen:
        full = os.path.join(cwd, os.path.expanduser(pattern))
        if glob.has_magic(pattern):
            matches = [Path(m) for m in sorted(glob.glob(full)) if os.path.isfile(m)]
            matches = [m for m in matches if is_distribution_name(m.name)]
            if not matches and patterns:
                raise BaleError(f"No wheel or source distribution matches {pattern!r} (in {cwd})")
            for path in matches:
                found.setdefault(os.path.realpath(path), path)
            continue
        path = Path(full)
        if not path.is_file():
            raise BaleError(f"Cannot publish {pattern}: no such file (in {cwd})")
        found.setdefault(os.path.realpath(path), path)
    if not found:
        raise BaleError(
            f"No distributions to publish in {cwd / 'dist'}",
            hint="build them first with `bale build`, or name the files to upload",
        )
    return list(found.values())


def upload_order(dist: Distribution) -> tuple[str, object, int, str]:
    """Sort key: by project and version, the sdist before the wheels (the first file an index sees
    creates the release, and an sdist carries the most complete description)."""
    from bale.dist.check import SDIST

    return (dist.name, dist.version, 0 if dist.filetype == SDIST else 1, dist.filename)


def upload_fields(dist: Distribution, data: bytes) -> list[tuple[str, str]]:
    """The form fields of the legacy upload API for ``dist`` whose bytes are ``data`` (the file part
    excepted): the action, the digests, and every core metadata field, multi-use ones repeated."""
    from packaging.metadata import parse_email

    raw, _unparsed = parse_email(dist.metadata)
    fields: list[tuple[str, str]] = [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("filetype", dist.filetype),
        ("pyversion", dist.pyversion),
        ("sha256_digest", hashlib.sha256(data).hexdigest()),
        ("blake2_256_digest", hashlib.blake2b(data, digest_size=32).hexdigest()),
    ]
    single = (
        "metadata_version",
        "name",
        "version",
        "summary",
        "description",
        "description_content_type",
        "home_page",
        "download_url",
        "author",
        "author_email",
        "maintainer",
        "maintainer_email",
        "license",
        "license_expression",
        "requires_python",
    )
    for key in single:
        value = raw.get(key)
        if isinstance(value, str):
            fields.append((key, value))
    keywords = raw.get("keywords")
    if keywords:
        fields.append(("keywords", ",".join(keywords)))
    repeated = {
        "classifiers": "classifiers",
        "platforms": "platform",
        "supported_platforms": "supported_platform",
        "requires_dist": "requires_dist",
        "provides_dist": "provides_dist",
        "obsoletes_dist": "obsoletes_dist",
        "requires_external": "requires_external",
        "provides_extra": "provides_extra",
        "license_files": "license_file",
        "dynamic": "dynamic",
    }
    for key, form_name in repeated.items():
        values = raw.get(key)
        if isinstance(values, list):
            fields.extend((form_name, str(value)) for value in values)
    urls = raw.get("project_urls")
    if isinstance(urls, dict):
        fields.extend(("project_urls", f"{label}, {link}") for label, link in urls.items())
    if "name" not in raw:
        fields.append(("name", dist.name))
    if "version" not in raw:
        fields.append(("version", str(dist.version)))
    return fields


def resolve_credentials(ctx: Context, settings: PublishSettings) -> tuple[str, Credentials | None]:
    """The upload URL without userinfo, and the credentials to send: a token (user ``__token__``), the
    given username and password, then those in the URL, netrc, and the keyring, in that order."""
    store = ctx.http.auth
    url = store.learn(settings.publish_url)
    if settings.token:
        return url, Credentials(TOKEN_USERNAME, settings.token)
    if settings.password is not None and not settings.username:
        raise BaleError(
            "A password was given without a username",
            hint="add --username (or BALE_PUBLISH_USERNAME), or give an API token with --token",
        )
    if settings.username and settings.password is not None:
        return url, Credentials(settings.username, settings.password)
    if settings.username:
        # Make the stores look up this user's password only.
        parts = urlsplit(url)
        store.learn(urlunsplit(parts._replace(netloc=f"{quote(settings.username, safe='')}@{parts.netloc}")))
        found = store.lookup(url) or store.lookup_keyring(url)
        if found is None:
            raise BaleError(
                f"No password for user {settings.username!r} at {redact_url(url)}",
                hint="give --password (or BALE_PUBLISH_PASSWORD), or store it in netrc or the keyring",
            )
        return url, found
    return url, store.lookup(url) or store.lookup_keyring(url)


# -- the index ----------------------------------------------------------------------------------------


def _listed_files(ctx: Context, check_url: str, name: NormalizedName) -> dict[str, IndexFile]:
    """The files of ``name`` on the simple index ``check_url`` by file name (fetched fresh, not cached)."""
    from bale.index.simple import ACCEPT, parse_project_page

    page = f"{check_url.rstrip('/')}/{name}/"
    response = ctx.http.get(page, {"Accept": ACCEPT}, missing_ok=True)
    if response.status in (404, 410):
        return {}
    files = parse_project_page(response.body, response.content_type, response.url, name)
    return {f.filename: f for f in files}


def _already_listed(dist: Distribution, listed: dict[str, IndexFile], check_url: str) -> UploadOutcome | None:
    found = listed.get(dist.filename)
    if found is None:
        return None
    expected = found.hashes.get("sha256")
    if expected is not None:
        from bale.dist.prepare import file_sha256

        actual = file_sha256(dist.path)
        if actual != expected:
            raise BaleError(
                f"{dist.filename} is already on {redact_url(check_url)} with different contents",
                context=[f"sha256 on the index: {expected}", f"sha256 of {dist.path}: {actual}"],
                hint="an index never replaces a file: raise the project's version and build again",
            )
    return UploadOutcome(dist, UploadStatus.SKIPPED, f"already exists on {redact_url(check_url)}")


def _upload(
    ctx: Context, url: str, dist: Distribution, data: bytes, credentials: Credentials | None
) -> UploadOutcome:
    import urllib3

    from bale.http.client import USER_AGENT

    parts: list[tuple[str, str | tuple[str, bytes, str]]] = list(upload_fields(dist, data))
    parts.append(("content", (dist.filename, data, "application/octet-stream")))
    body, content_type = urllib3.encode_multipart_formdata(parts)
    headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
    if credentials is not None:
        headers["Authorization"] = credentials.header()
        _warn_plain_http(ctx, url)
    secret = credentials.password if credentials is not None else None
    attempt = 0
    while True:
        try:
            response = _post(ctx, url, body, headers)
        except urllib3.exceptions.HTTPError as err:
            if attempt < _RETRIES:
                attempt += 1
                ctx.reporter.debug(f"retrying the upload of {dist.filename}: {type(err).__name__}")
                time.sleep(ctx.http.backoff * 2**attempt)
                continue
            raise BaleError(
                f"Could not upload {dist.filename} to {redact_url(url)}: "
                f"{_scrub(ctx.http.describe_failure(err), secret)}"
            ) from None
        status = response.status
        if (status >= 500 or status == 429) and attempt < _RETRIES:
            attempt += 1
            ctx.reporter.debug(f"retrying the upload of {dist.filename}: HTTP {status}")
            time.sleep(ctx.http.backoff * 2**attempt)
            continue
        return _outcome(dist, url, response, credentials, secret)


def _post(ctx: Context, url: str, body: bytes, headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
    import urllib3

    http = ctx.http
    # The HTTP client's pool carries its TLS (trust store, --cert) and proxy settings.
    pool = http._pool_for(url)
    return pool.urlopen(
        "POST",
        url,
        body=body,
        headers=headers,
        redirect=False,
        retries=False,
        preload_content=True,
        timeout=urllib3.Timeout(
            connect=http.connect_timeout, read=max(http.read_timeout, _UPLOAD_READ_TIMEOUT)
        ),
    )


def _outcome(
    dist: Distribution,
    url: str,
    response: urllib3.BaseHTTPResponse,
    credentials: Credentials | None,
    secret: str | None,
) -> UploadOutcome:
    status = response.status
    reason = _scrub(response.reason or "", secret)
    text = _scrub(_plain_text(response.data), secret)
    where = redact_url(url)
    if 200 <= status < 300:
        return UploadOutcome(dist, UploadStatus.UPLOADED)
    said = f"{reason} {text}".lower()
    # PyPI answers 400 "File already exists"; pypiserver 409 (or 400 to twine); Artifactory/Nexus 409.
    if status == 409 or (status == 400 and "already exist" in said):
        return UploadOutcome(dist, UploadStatus.SKIPPED, f"already exists on {where}")
    detail = [f"the index said: {_said(status, reason, text)}"] if reason or text else []
    if status in (401, 403):
        if credentials is None:
            raise BaleError(
                f"{where} requires authentication to upload (HTTP {status}); no credentials were given",
                context=detail,
                hint="give an API token with --token (or BALE_PUBLISH_TOKEN), or --username and --password; "
                "netrc and the keyring are read too",
            )
        raise BaleError(
            f"{where} refused the credentials of user {credentials.username!r} (HTTP {status})",
            context=detail,
            hint="check the password or token (a token goes with --token, or with username __token__); "
            "an account also needs permission to upload to this project",
        )
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        raise BaleError(
            f"{where} redirects uploads (HTTP {status}) to {redact_url(location) or 'elsewhere'}",
            hint="use the final upload URL with --publish-url (for PyPI: https://upload.pypi.org/legacy/)",
        )
    raise BaleError(f"Could not upload {dist.filename} to {where}: HTTP {status}", context=detail)


def _said(status: int, reason: str, text: str) -> str:
    """The server's own words: its reason phrase when it says more than the standard one (PyPI puts
    its message there), else the body's text."""
    from http import HTTPStatus

    try:
        standard = HTTPStatus(status).phrase
    except ValueError:
        standard = ""
    if reason and reason.lower() != standard.lower():
        return reason
    return text or reason


def _plain_text(body: bytes, limit: int = 400) -> str:
    """A server's error body as one line: tags dropped, whitespace collapsed, cut at ``limit``."""
    text = body.decode("utf-8", "replace")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.IGNORECASE | re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", html.unescape(text)).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` masked, in case a server or a library echoes it back."""
    if secret and len(secret) >= 3:
        return text.replace(secret, "****")
    return text


def _warn_plain_http(ctx: Context, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "http" and (parts.hostname or "") not in _LOOPBACK:
        ctx.reporter.warn(f"sending credentials to {redact_url(url)} over plain HTTP, unencrypted")


def _refuse_duplicates(dists: Sequence[Distribution]) -> None:
    seen: dict[str, Path] = {}
    for dist in dists:
        other = seen.setdefault(dist.filename, dist.path)
        if other != dist.path:
            raise BaleError(
                f"Two files named {dist.filename} were given: {other} and {dist.path}",
                hint="an index keeps one file per name; publish one of them",
            )


__all__ = [
    "DEFAULT_PUBLISH_URL",
    "PublishEvents",
    "PublishSettings",
    "UploadOutcome",
    "UploadStatus",
    "collect_files",
    "publish",
    "resolve_credentials",
    "upload_fields",
    "upload_order",
]
