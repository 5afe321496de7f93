"""vcrpy cassettes of the providers' main reads: where they come from, how they are scrubbed.

Cassettes are recorded from the local sandbox (or, with ``RECONCILE_RECORD_AGAINST=env``, from the
real tenant in the environment) and replayed with no server at all. Whatever the source, a cassette
holds no credential and no server address:

* the auth headers (``UserName``, ``Secret``, ``ApiIntegrationCode``, ``api-key``) are replaced by
  placeholders (vcrpy ``filter_headers``);
* request *and* response bodies of every method lose the values of secret keys (``secretKey``,
  ``secret``, ...), and every known credential value is replaced wherever it appears (body, URL,
  header), because vcrpy's ``filter_post_data_parameters`` only sees top-level keys of POSTs;
* scheme, host and port become a fixed placeholder origin per system, in the request URL, the
  ``Host`` header and in response bodies and headers (``nextPageUrl``, the receiver URL), and the
  Autotask base path is normalised to ``/atservicesrest``, so replay matches whatever port the
  sandbox had and whichever zone the tenant is in.

Requests are matched on method, URL and JSON body (every Autotask query is a ``POST …/query``).
The same scrubbing runs on each request before matching, so replay needs no custom matcher.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import vcr
from pydantic import SecretStr
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from reconciler.psa.autotask.client import (
    AutotaskCredentials,
    credentials_from_env,
    discover_zone,
    normalise_zone_url,
)
from reconciler.salesbuildr.client import settings_from_env
from reconciler.sandbox.autotask import SandboxCredentials
from reconciler.sandbox.common import Sandbox, start_sandbox

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
SOURCES_FILE = CASSETTES / "recorded-from.json"
RECORD_AGAINST = "RECONCILE_RECORD_AGAINST"

ORIGINS = {
    "autotask": "https://autotask.cassette.invalid",
    "salesbuildr": "https://salesbuildr.cassette.invalid",
    "connectwise": "https://connectwise.cassette.invalid",
    "halopsa": "https://halopsa.cassette.invalid",
}
AUTOTASK_BASE_PATH = "/atservicesrest"
SALESBUILDR_BASE_PATH = "/public-api"

HEADER_PLACEHOLDERS = {
    "UserName": "<AUTOTASK_API_USERNAME>",
    "Secret": "<AUTOTASK_API_SECRET>",
    "ApiIntegrationCode": "<AUTOTASK_API_INTEGRATION_CODE>",
    "api-key": "<SALESBUILDR_API_KEY>",
    "X-Lock-Owner": "<LOCK_OWNER>",
    "Authorization": "<AUTHORIZATION>",
    "Cookie": "<COOKIE>",
    "clientId": "<CONNECTWISE_CLIENT_ID>",
}
"""Request headers whose values never reach a cassette (matched case-insensitively)."""

SECRET_KEYS = frozenset(
    {"secretkey", "secret", "apikey", "api-key", "password"}
    # OAuth2 (HaloPSA's token endpoint) and Halo webhooks' Basic auth
    | {"access_token", "refresh_token", "id_token", "client_secret", "basic_password"}
)
"""JSON keys (any depth, any case) whose values are replaced by :data:`REDACTED`."""

REDACTED = "<REDACTED>"
DROPPED_RESPONSE_HEADERS = frozenset({"set-cookie", "date"})  # "date": re-recording is stable
MIN_SECRET_LENGTH = 8
CREDENTIAL_ENV = (
    "AUTOTASK_API_USERNAME",
    "AUTOTASK_API_SECRET",
    "AUTOTASK_API_INTEGRATION_CODE",
    "SALESBUILDR_API_KEY",
    "SALESBUILDR_WEBHOOK_SECRET",
)

RECORDING_CREDENTIALS = SandboxCredentials(
    autotask_username="cassette-recorder@reconcile-sandbox.invalid",
    autotask_secret="RECORDING-ONLY-autotask-secret-7c41e9",
    autotask_integration_code="RECORDINGONLYINTEGRATIONCODE7C41E9",
    salesbuildr_api_key="RECORDING-ONLY-salesbuildr-api-key-7c41e9",
    salesbuildr_webhook_secret="RECORDING-ONLY-salesbuildr-webhook-secret-7c41e9",
)
"""Fixed, recognisable credentials of the sandbox the cassettes are recorded from: the credential
test fails if any of them shows up in a cassette."""

SANDBOX_SEEDS = {"autotask": "demo", "salesbuildr": "large"}
"""Autotask from ``demo`` (small webhook children), Salesbuildr from ``large`` (so categories and
data points really page)."""


# --- scrubbing ------------------------------------------------------------------------------------


def scrub_json(value: Any) -> tuple[Any, bool]:
    """``value`` with every :data:`SECRET_KEYS` value that is set replaced; (result, changed)."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS and item not in (None, "", REDACTED):
                out[key] = REDACTED
                changed = True
            else:
                out[key], sub = scrub_json(item)
                changed = changed or sub
        return out, changed
    if isinstance(value, list):
        items = [scrub_json(item) for item in value]
        return [item for item, _ in items], any(sub for _, sub in items)
    return value, False


@dataclass
class Scrubber:
    """The before-record hooks of one system's cassettes.

    ``origins`` maps every real origin that may appear (``http://127.0.0.1:43521``,
    ``https://webservices5.autotask.net``) to the placeholder origin of its system; ``secrets``
    are credential values replaced wherever they appear.
    """

    system: str
    origins: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    @property
    def origin(self) -> str:
        return ORIGINS[self.system]

    def text(self, value: str) -> str:
        for real, placeholder in self.origins.items():
            pattern = re.escape(real) + r"(?![\w.-])"  # not a longer port or host
            value = re.sub(pattern, placeholder, value, flags=re.IGNORECASE)
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        return value

    def body(self, raw: bytes | str | None) -> bytes | None:
        if raw is None or raw == b"" or raw == "":
            return None if raw is None else b""
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        text = self.text(text)
        try:
            parsed = json.loads(text)
        except ValueError:
            return text.encode("utf-8")
        scrubbed, changed = scrub_json(parsed)
        return (json.dumps(scrubbed) if changed else text).encode("utf-8")

    def request(self, request: VcrRequest) -> VcrRequest:
        """Placeholder origin and base path, no credential in URL, headers or body."""
        parts = urlsplit(request.uri)
        path = parts.path
        if self.system == "autotask" and path.lower().startswith(AUTOTASK_BASE_PATH + "/"):
            path = AUTOTASK_BASE_PATH + path[len(AUTOTASK_BASE_PATH) :]
        query = urlencode(
            [
                (key, REDACTED if key.lower() == "user" else self.text(value))
                for key, value in parse_qsl(parts.query, keep_blank_values=True)
            ]
        )
        placeholder = urlsplit(self.origin)
        request.uri = urlunsplit((placeholder.scheme, placeholder.netloc, path, query, ""))
        headers = request.headers
        for name in list(headers):
            if name.lower() == "host":
                headers[name] = placeholder.netloc
            elif isinstance(headers[name], str):
                headers[name] = self.text(headers[name])
        request.headers = headers
        request.body = self.body(request.body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """Placeholder origins and no secret in headers or body; ``content-length`` kept true."""
        body = self.body(response["body"]["string"]) or b""
        response["body"]["string"] = body
        headers: dict[str, list[str]] = {}
        for name, values in response["headers"].items():
            if name.lower() in DROPPED_RESPONSE_HEADERS:
                continue
            if name.lower() == "content-length":
                headers[name] = [str(len(body))]
            else:
                headers[name] = [self.text(str(v)) for v in values]
        response["headers"] = headers
        return response


def recorder(
    system: str, scrubber: Scrubber, record_mode: str, *, library: Path = CASSETTES
) -> vcr.VCR:
    """The VCR of one system's cassettes (``cassettes/<system>/<name>.yaml``)."""
    return vcr.VCR(
        cassette_library_dir=str(library / system),
        path_transformer=vcr.VCR.ensure_suffix(".yaml"),
        serializer="yaml",
        record_mode=record_mode,
        match_on=("method", "scheme", "host", "port", "path", "query", "body"),
        filter_headers=list(HEADER_PLACEHOLDERS.items()),
        before_record_request=scrubber.request,
        before_record_response=scrubber.response,
        decode_compressed_response=True,
        record_on_exception=False,
    )


# --- targets --------------------------------------------------------------------------------------


@dataclass
class Target:
    """What the cassette tests talk to: placeholders (replay), a sandbox, or the real tenant."""

    source: str  # "replay" | "sandbox" | "tenant"
    autotask_url: str
    autotask_credentials: AutotaskCredentials
    salesbuildr_url: str
    salesbuildr_key: SecretStr
    secrets: tuple[str, ...] = ()
    origins: dict[str, str] = field(default_factory=dict)
    sandbox: Sandbox | None = None

    @property
    def recording(self) -> bool:
        return self.source != "replay"

    def scrubber(self, system: str) -> Scrubber:
        return Scrubber(system, self.origins, self.secrets)

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()


def replay_target() -> Target:
    """Placeholder URLs (``.invalid``: nothing can be reached) and placeholder credentials."""
    return Target(
        source="replay",
        autotask_url=ORIGINS["autotask"] + AUTOTASK_BASE_PATH,
        autotask_credentials=AutotaskCredentials(
            username=HEADER_PLACEHOLDERS["UserName"],
            secret=SecretStr(HEADER_PLACEHOLDERS["Secret"]),
            integration_code=SecretStr(HEADER_PLACEHOLDERS["ApiIntegrationCode"]),
        ),
        salesbuildr_url=ORIGINS["salesbuildr"] + SALESBUILDR_BASE_PATH,
        salesbuildr_key=SecretStr(HEADER_PLACEHOLDERS["api-key"]),
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _secrets(values: Iterable[str]) -> tuple[str, ...]:
    """Credential values worth replacing, longest first (one may contain another)."""
    found = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
    return tuple(sorted(found, key=len, reverse=True))


def sandbox_target() -> Target:
    """A fresh sandbox with :data:`RECORDING_CREDENTIALS`, seeded as :data:`SANDBOX_SEEDS`."""
    box = start_sandbox(seed=SANDBOX_SEEDS["autotask"], credentials=RECORDING_CREDENTIALS)
    try:
        box.salesbuildr.reset(SANDBOX_SEEDS["salesbuildr"])
        env = box.env
        creds = RECORDING_CREDENTIALS
        return Target(
            source="sandbox",
            autotask_url=env["AUTOTASK_API_URL"],
            autotask_credentials=AutotaskCredentials(
                username=creds.autotask_username,
                secret=SecretStr(creds.autotask_secret),
                integration_code=SecretStr(creds.autotask_integration_code),
            ),
            salesbuildr_url=env["SALESBUILDR_API_URL"],
            salesbuildr_key=SecretStr(creds.salesbuildr_api_key),
            secrets=_secrets(known_credential_values()),
            origins={
                _origin(env["AUTOTASK_API_URL"]): ORIGINS["autotask"],
                _origin(env["SALESBUILDR_API_URL"]): ORIGINS["salesbuildr"],
            },
            sandbox=box,
        )
    except BaseException:
        box.stop()
        raise


def tenant_target(environ: Mapping[str, str]) -> Target:
    """The real tenant of the usual variables; the Autotask zone is discovered here, outside any
    cassette (its request carries the user name)."""
    credentials = credentials_from_env(environ)
    url = environ.get("AUTOTASK_API_URL")
    zone = normalise_zone_url(url) if url else discover_zone(credentials.username)
    sb_url, sb_key = settings_from_env(environ, None)
    return Target(
        source="tenant",
        autotask_url=zone,
        autotask_credentials=credentials,
        salesbuildr_url=sb_url,
        salesbuildr_key=sb_key,
        secrets=_secrets(
            [
                *known_credential_values(),
                credentials.username,
                credentials.secret.get_secret_value(),
                credentials.integration_code.get_secret_value(),
                sb_key.get_secret_value(),
            ]
        ),
        origins={_origin(zone): ORIGINS["autotask"], _origin(sb_url): ORIGINS["salesbuildr"]},
    )


def recording_target(environ: Mapping[str, str]) -> Target:
    against = environ.get(RECORD_AGAINST, "sandbox") or "sandbox"
    if against == "env":
        return tenant_target(environ)
    if against != "sandbox":
        raise ValueError(f"{RECORD_AGAINST}={against!r}: expected 'env' or nothing")
    return sandbox_target()


# --- where each cassette came from ---------------------------------------------------------------


def read_sources(path: Path = SOURCES_FILE) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def note_source(cassette: str, target: Target, system: str, path: Path = SOURCES_FILE) -> None:
    """Remember that ``cassette`` (``autotask/billing_codes``) was recorded from ``target``."""
    sources = read_sources(path)
    entry = {"source": target.source}
    if target.source == "sandbox":
        entry["seed"] = SANDBOX_SEEDS[system]
    sources[cassette] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sources, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# --- the credential scan --------------------------------------------------------------------------


def known_credential_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The recording sandbox's credentials and any credential set in the environment."""
    environ = os.environ if environ is None else environ
    values = [
        RECORDING_CREDENTIALS.autotask_username,
        RECORDING_CREDENTIALS.autotask_secret,
        RECORDING_CREDENTIALS.autotask_integration_code,
        RECORDING_CREDENTIALS.salesbuildr_api_key,
        RECORDING_CREDENTIALS.salesbuildr_webhook_secret,
    ]
    values += [environ[name] for name in CREDENTIAL_ENV if environ.get(name)]
    return [v for v in values if len(v) >= MIN_SECRET_LENGTH]


def _secret_values(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS and item not in (None, "", REDACTED):
                yield f"{where}: {key} has a value"
            yield from _secret_values(item, where)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item, where)


def _body_findings(body: Any, where: str) -> Iterator[str]:
    if isinstance(body, dict):  # a response body: {"string": ...}
        body = body.get("string")
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body:
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return
    yield from _secret_values(parsed, where)


def _header_findings(headers: Mapping[str, Any], where: str) -> Iterator[str]:
    placeholders = {k.lower(): v for k, v in HEADER_PLACEHOLDERS.items()}
    for name, values in headers.items():
        if name.lower() == "set-cookie":
            yield f"{where}: header {name} recorded"
        expected = placeholders.get(name.lower())
        if expected is None:
            continue
        for value in values if isinstance(values, list) else [values]:
            if value != expected:
                yield f"{where}: header {name} is not the placeholder {expected}"


def credential_findings(root: Path, known_values: Iterable[str]) -> list[str]:
    """Every credential found in any file under ``root`` (empty when clean)."""
    values = [v for v in known_values if len(v) >= MIN_SECRET_LENGTH]
    findings: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = str(path.relative_to(root))
        text = path.read_text(encoding="utf-8", errors="replace")
        findings += [f"{name}: contains a known credential value" for v in values if v in text]
        if path.suffix not in (".yaml", ".yml"):
            continue
        data = yamlserializer.deserialize(text)
        for n, interaction in enumerate(data.get("interactions") or []):
            where = f"{name} #{n}"
            request, response = interaction["request"], interaction["response"]
            findings += _header_findings(request.get("headers") or {}, f"{where} request")
            findings += _header_findings(response.get("headers") or {}, f"{where} response")
            findings += _body_findings(request.get("body"), f"{where} request body")
            findings += _body_findings(response.get("body"), f"{where} response body")
            uri = str(request.get("uri", ""))
            if urlsplit(uri).hostname not in {urlsplit(o).hostname for o in ORIGINS.values()}:
                findings.append(f"{where}: request to {uri} is not at a placeholder origin")
    return findings
