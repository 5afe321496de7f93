"""vcrpy cassettes of the ConnectWise and HaloPSA clients' main reads: targets, scrubbing, tape.

Built on :mod:`cassette_support` (its recorder, placeholders, ``recorded-from.json`` and credential
scan), with what these two APIs add:

* ConnectWise: the ``Authorization`` header (Basic of ``company+publicKey:privateKey``) and
  ``clientId`` become placeholders; the API base, whatever its host and codebase path
  (``/v4_6_release``, ``/v2025_1``...), becomes :data:`CW_BASE` in URLs, ``Link`` headers and
  bodies.
* HaloPSA: the token request's form body loses ``client_id`` and ``client_secret`` whatever their
  values, and its ``?tenant=`` is dropped (it names the tenant; the sandbox, which requires it,
  proves it is sent); token answers lose ``access_token`` / ``refresh_token`` (``SECRET_KEYS``),
  and every token seen is also replaced wherever else it appears; the Bearer header becomes the
  ``Authorization`` placeholder; the tenant, its ``/api`` and the authorisation server's token URL
  become :data:`HALO_URL`, ``/api`` and ``/auth/token``.

A :class:`Site` is what a module's tests talk to: placeholders (replay, the default), a fresh
sandbox (``make cassettes``) or the tenant of the ``CONNECTWISE_*`` / ``HALOPSA_*`` variables
(``RECONCILE_RECORD_AGAINST=env make cassettes``).
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from cassette_support import (
    CASSETTES,
    ORIGINS,
    RECORD_AGAINST,
    REDACTED,
    SECRET_KEYS,
    SOURCES_FILE,
    Scrubber,
    known_credential_values,
    read_sources,
    recorder,
)
from vcr.cassette import Cassette
from vcr.request import Request as VcrRequest

from reconciler.errors import AuthError, NotFoundError
from reconciler.psa.connectwise import credentials as cw_env
from reconciler.psa.connectwise.client import ConnectWiseClient
from reconciler.psa.halopsa import connection as halo_env
from reconciler.psa.halopsa.client import HaloClient, RateCap
from reconciler.sandbox.common.server import serve_in_thread
from reconciler.sandbox.connectwise import API_BASE_PATH
from reconciler.sandbox.connectwise import ConnectWiseCredentials as CwSandboxCredentials
from reconciler.sandbox.connectwise import create_app as create_cw
from reconciler.sandbox.connectwise import export_lines as cw_export_lines
from reconciler.sandbox.halopsa import HaloCredentials
from reconciler.sandbox.halopsa import create_app as create_halo
from reconciler.sandbox.halopsa import export_lines as halo_export_lines
from reconciler.transport.http import RetryPolicy
from tests.connectwise.connectwise_fixtures import CREDENTIALS as CW_SUITE_CREDENTIALS
from tests.halopsa.halo_support import CLIENT_ID as HALO_SUITE_CLIENT_ID
from tests.halopsa.halo_support import CLIENT_SECRET as HALO_SUITE_CLIENT_SECRET
from tests.security.redact_support import SECRET_VALUES as REDACTION_SUITE_SECRETS
from tests.security.redact_support import forms

CW_BASE_PATH = API_BASE_PATH  # /v4_6_release/apis/3.0: the simulator's, a common codebase path
CW_BASE = ORIGINS["connectwise"] + CW_BASE_PATH
HALO_URL = ORIGINS["halopsa"]
HALO_TOKEN_URL = HALO_URL + "/auth/token"

DROPPED_QUERY_KEYS = frozenset({"tenant"})
FORM_SECRET_KEYS = SECRET_KEYS | {"client_id"}
TOKEN_KEYS = ("access_token", "refresh_token", "id_token")
NO_RETRY = RetryPolicy(attempts=1, initial_wait=0.0, max_wait=0.0)
MIN_SECRET_LENGTH = 8

CW_RECORDING = CwSandboxCredentials(
    company="cassetterecorder",
    public_key="RECORDING-ONLY-cw-public-key-7c41e9",
    private_key="RECORDING-ONLY-cw-private-key-7c41e9",
    client_id="RECORDING-ONLY-cw-client-id-7c41e9",
)
HALO_RECORDING = HaloCredentials(
    client_id="RECORDING-ONLY-halo-client-id-7c41e9",
    client_secret="RECORDING-ONLY-halo-client-secret-7c41e9",
    tenant="recording-only-tenant-7c41e9",
)
"""Fixed, recognisable credentials of the simulators the cassettes are recorded from."""

SEEDS = {"connectwise": "large", "halopsa": "large"}
"""``large`` for both, so that subcategories (ConnectWise) and items (HaloPSA) really page."""

VARIABLES: Mapping[str, tuple[str, ...]] = {
    "connectwise": cw_env.VARIABLES,
    "halopsa": (*halo_env.REQUIRED, halo_env.TENANT, halo_env.AUTH_URL),
}
SECRET_VARIABLES = (
    "CONNECTWISE_PUBLIC_KEY",
    "CONNECTWISE_PRIVATE_KEY",
    "CONNECTWISE_CLIENT_ID",
    "HALOPSA_CLIENT_ID",
    "HALOPSA_CLIENT_SECRET",
    "HALOPSA_TENANT",
)

REPLAY_ENVIRON: Mapping[str, dict[str, str]] = {
    "connectwise": {
        "CONNECTWISE_API_URL": CW_BASE,
        "CONNECTWISE_COMPANY": "<CONNECTWISE_COMPANY>",
        "CONNECTWISE_PUBLIC_KEY": "<CONNECTWISE_PUBLIC_KEY>",
        "CONNECTWISE_PRIVATE_KEY": "<CONNECTWISE_PRIVATE_KEY>",
        "CONNECTWISE_CLIENT_ID": "<CONNECTWISE_CLIENT_ID>",
    },
    "halopsa": {
        "HALOPSA_URL": HALO_URL,
        "HALOPSA_CLIENT_ID": "<HALOPSA_CLIENT_ID>",
        "HALOPSA_CLIENT_SECRET": "<HALOPSA_CLIENT_SECRET>",
        "HALOPSA_TENANT": "<HALOPSA_TENANT>",
    },
}
"""The variables a replay's client is built from: ``.invalid`` hosts, placeholder credentials."""


# --- scrubbing ------------------------------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class PsaScrubber(Scrubber):
    """:class:`Scrubber` with URL-prefix rewrites (``origins`` maps real prefixes, longest
    first, to placeholders), form bodies and the OAuth2 tokens it sees in answers."""

    learned: list[str] = field(default_factory=list)

    def text(self, value: str) -> str:
        value = super().text(value)
        for token in self.learned:
            value = value.replace(token, REDACTED)
        return value

    def request(self, request: VcrRequest) -> VcrRequest:
        parts = urlsplit(request.uri)
        where = urlsplit(self.text(urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))))
        query = urlencode(
            [
                (key, self.text(value))
                for key, value in parse_qsl(parts.query, keep_blank_values=True)
                if key.lower() not in DROPPED_QUERY_KEYS
            ]
        )
        request.uri = urlunsplit((where.scheme, where.netloc, where.path, query, ""))
        headers = request.headers
        for name in list(headers):
            if name.lower() == "host":
                headers[name] = where.netloc
            elif isinstance(headers[name], str):
                headers[name] = self.text(headers[name])
        request.headers = headers
        if _is_form(headers) and request.body:
            request.body = self.form(request.body)
        else:
            request.body = self.body(request.body)
        for name in list(headers):
            if name.lower() == "content-length":  # kept true: the body may have shrunk
                headers[name] = str(len(request.body or b""))
        request.headers = headers
        return request

    def form(self, raw: bytes | str) -> bytes:
        """A form-encoded body with every secret-named field (``client_secret``, ``client_id``)
        redacted whatever its value, and known secrets replaced in the others."""
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        pairs = [
            (key, REDACTED if key.lower() in FORM_SECRET_KEYS else self.text(value))
            for key, value in parse_qsl(text, keep_blank_values=True)
        ]
        return urlencode(pairs).encode("utf-8")

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        self.learn(response["body"]["string"])
        return super().response(response)

    def learn(self, raw: bytes | str | None) -> None:
        """Remember the tokens of a token answer, so that they are replaced wherever they recur."""
        try:
            body = json.loads(raw or b"")
        except ValueError:
            return
        if isinstance(body, dict):
            for key in TOKEN_KEYS:
                token = body.get(key)
                if isinstance(token, str) and len(token) >= MIN_SECRET_LENGTH:
                    self.learned.append(token)


def _is_form(headers: Mapping[str, Any]) -> bool:
    return any(
        name.lower() == "content-type" and "x-www-form-urlencoded" in str(value)
        for name, value in headers.items()
    )


# --- sites ----------------------------------------------------------------------------------------


@dataclass
class Site:
    """What one PSA's cassette tests talk to: placeholders (replay), a sandbox or the tenant."""

    system: str
    source: str  # "replay" | "sandbox" | "tenant"
    environ: Mapping[str, str]
    rewrites: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    stop: Callable[[], None] | None = None
    transport: httpx.BaseTransport | None = None
    """Tests of the tape itself answer through this instead of a server."""

    @property
    def recording(self) -> bool:
        return self.source != "replay"

    def scrubber(self) -> PsaScrubber:
        return PsaScrubber(self.system, self.rewrites, self.secrets)

    def close(self) -> None:
        if self.stop is not None:
            self.stop()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _secrets(values: Iterable[str]) -> tuple[str, ...]:
    found = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
    return tuple(sorted(found, key=len, reverse=True))


def _exports(lines: Iterable[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in lines:
        name, _, quoted = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(quoted)[0]
    return env


def cw_rewrites(api_url: str) -> dict[str, str]:
    return {api_url.rstrip("/"): CW_BASE, _origin(api_url): ORIGINS["connectwise"]}


def halo_rewrites(connection: halo_env.HaloConnection) -> dict[str, str]:
    return {
        connection.token_url: HALO_TOKEN_URL,
        connection.api_url: HALO_URL + "/api",
        _origin(connection.auth_url): HALO_URL,
        _origin(connection.url): HALO_URL,
    }


def sandbox_site(system: str) -> Site:
    """A fresh simulator with the recording credentials and :data:`SEEDS`' seed."""
    if system == "connectwise":
        cw = create_cw(SEEDS[system], credentials=CW_RECORDING)
        cw_server = serve_in_thread(cw)
        environ = _exports(cw_export_lines(cw_server.url, CW_RECORDING))
        rewrites = cw_rewrites(environ["CONNECTWISE_API_URL"])

        def stop_cw() -> None:
            cw.close()
            cw_server.stop()

        stop = stop_cw
    else:
        halo = create_halo(SEEDS[system], credentials=HALO_RECORDING)
        halo_server = serve_in_thread(halo.app)
        environ = _exports(halo_export_lines(halo_server.url, HALO_RECORDING))
        rewrites = halo_rewrites(halo_env.HaloConnection.from_environment(environ))

        def stop_halo() -> None:
            halo.close()
            halo_server.stop()

        stop = stop_halo
    return Site(system, "sandbox", environ, rewrites, _secrets(suite_secrets({})), stop)


def tenant_site(system: str, environ: Mapping[str, str]) -> Site:
    """The real tenant of the ``CONNECTWISE_*`` / ``HALOPSA_*`` variables (checked as a run
    checks them); skipped, keeping the cassettes, when none of them is set."""
    if not any(environ.get(name) for name in VARIABLES[system]):
        pytest.skip(
            f"{RECORD_AGAINST}=env: no {system.upper()}_* variable is set; the {system} "
            "cassettes recorded before are kept"
        )
    if system == "connectwise":
        rewrites = cw_rewrites(cw_env.credentials_from_env(environ).api_url)
    else:
        rewrites = halo_rewrites(halo_env.HaloConnection.from_environment(environ))
    return Site(system, "tenant", environ, rewrites, _secrets(suite_secrets(environ)))


def site_for(system: str, record_mode: str, environ: Mapping[str, str] = os.environ) -> Site:
    if record_mode == "none":
        return Site(system, "replay", REPLAY_ENVIRON[system])
    against = environ.get(RECORD_AGAINST, "sandbox") or "sandbox"
    if against == "env":
        return tenant_site(system, environ)
    if against != "sandbox":
        raise ValueError(f"{RECORD_AGAINST}={against!r}: expected 'env' or nothing")
    return sandbox_site(system)


# --- the tape -------------------------------------------------------------------------------------


def note_source(cassette: str, site: Site, path: Path = SOURCES_FILE) -> None:
    """Remember where ``cassette`` (``connectwise/callbacks``) was recorded from."""
    sources = read_sources(path)
    entry = {"source": site.source}
    if site.source == "sandbox":
        entry["seed"] = SEEDS[site.system]
    sources[cassette] = entry
    path.write_text(json.dumps(sources, indent=2, sort_keys=True) + "\n", encoding="utf-8")


class PsaTape:
    """Opens one cassette of ``site``'s system and checks it was used exactly.

    Re-recording (``all``) writes into ``scratch`` and moves the cassette into ``cassettes/`` only
    when its test got that far; against a tenant, a 401, 403 or 404 skips the test, so a refused
    or missing endpoint keeps the previous cassette (as any failed recording does)."""

    def __init__(self, site: Site, record_mode: str, scratch: Path):
        self.site = site
        self.system = site.system
        self.record_mode = record_mode
        self.scratch = scratch

    @contextmanager
    def use(self, name: str) -> Iterator[Cassette]:
        library = self.scratch if self.record_mode == "all" else CASSETTES
        vcr = recorder(self.system, self.site.scrubber(), self.record_mode, library=library)
        with vcr.use_cassette(name) as cassette:
            try:
                yield cassette
            except (AuthError, NotFoundError) as error:
                if self.site.source != "tenant":
                    raise
                pytest.skip(
                    f"{self.system}/{name}: the tenant refused {error.path} ({error.message}); "
                    "the cassette recorded before is kept"
                )
        if self.record_mode == "none":
            assert cassette.all_played, f"{self.system}/{name}: recorded requests were not made"
        elif cassette.play_count < len(cassette):  # something was recorded, not replayed
            if library != CASSETTES:
                final = CASSETTES / self.system / f"{name}.yaml"
                final.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(library / self.system / f"{name}.yaml", final)
            note_source(f"{self.system}/{name}", self.site)

    def from_sandbox(self, name: str) -> bool:
        """Whether the seed-specific checks apply to this cassette."""
        if self.site.recording:
            return self.site.source == "sandbox"
        entry = read_sources().get(f"{self.system}/{name}")
        assert entry is not None, f"{self.system}/{name} is missing from recorded-from.json"
        return entry.get("source") == "sandbox"

    @property
    def setting_up(self) -> bool:
        """Whether the test may create what its reads need (a sandbox only, outside the tape)."""
        return self.site.source == "sandbox"

    def connectwise(self) -> ConnectWiseClient:
        # The cap paces a real tenant; a replay or the sandbox must never wait on it.
        pace: dict[str, Any] = {"requests_per_minute": 10**6}
        if self.site.source == "tenant":
            pace = {}
        return ConnectWiseClient.from_env(
            self.site.environ, retry=NO_RETRY, transport=self.site.transport, **pace
        )

    def halopsa(self) -> HaloClient:
        # One request in flight: the pages are recorded in order, so a re-recording diffs cleanly.
        return HaloClient(
            halo_env.HaloConnection.from_environment(self.site.environ),
            transport=self.site.transport,
            retry=NO_RETRY,
            rate_cap=RateCap() if self.site.source == "tenant" else None,
            max_in_flight=1,
        )


# --- the credential scan --------------------------------------------------------------------------


def suite_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Every recognisable secret the suite uses, in each form it may travel in, and the
    credentials of the environment (a tenant recording's). The reliability suite's own values
    are scanned for over every cassette by ``tests/reliability/test_secret_scan.py``."""
    environ = os.environ if environ is None else environ
    values = [
        CW_RECORDING.public_key,
        CW_RECORDING.private_key,
        CW_RECORDING.client_id,
        _basic(CW_RECORDING.username, CW_RECORDING.private_key),
        HALO_RECORDING.client_id,
        HALO_RECORDING.client_secret,
        HALO_RECORDING.tenant or "",
        CW_SUITE_CREDENTIALS.public_key,
        CW_SUITE_CREDENTIALS.private_key,
        CW_SUITE_CREDENTIALS.client_id,
        _basic(CW_SUITE_CREDENTIALS.username, CW_SUITE_CREDENTIALS.private_key),
        HALO_SUITE_CLIENT_ID,
        HALO_SUITE_CLIENT_SECRET,
        *known_credential_values(environ),
    ]
    values += [environ[name] for name in SECRET_VARIABLES if environ.get(name)]
    company, public, private = (
        environ.get(f"CONNECTWISE_{n}") for n in ("COMPANY", "PUBLIC_KEY", "PRIVATE_KEY")
    )
    if company and public and private:
        values.append(_basic(f"{company}+{public}", private))
    values += [form for value in REDACTION_SUITE_SECRETS for form in forms(value)]
    return sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH})
