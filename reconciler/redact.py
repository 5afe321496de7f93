"""The one redactor: every known secret value becomes ``<redacted>`` in all the process writes.

A process-wide registry of secret values, filled where the environment is read
(:func:`register_environment`) and where ``${env:NAME}`` is interpolated
(:func:`register_reference`), and :func:`redact`, which every exit applies: the CLI's stdout
and stderr (so echo, progress, logs and tracebacks), plan files, journals, exports and errors.

Each value is also matched in the forms it travels in: JSON-escaped, URL-encoded, base64 (alone and,
for the credential pairs a Basic ``Authorization`` header would carry, as ``user:secret``).

Cheap on large outputs: one compiled alternation (longest first, rebuilt only when the registry
changes) replaces every value in a single left-to-right pass, so the cost is linear in the text
(about 0.1 s per MB with a few dozen forms registered; one pass beats a substring check per value).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "<redacted>"

CREDENTIAL_VARIABLES = frozenset(
    {
        # The API user name is not a secret, but it is half of a credential and harmless to hide.
        "AUTOTASK_API_USERNAME",
        "AUTOTASK_API_SECRET",
        "AUTOTASK_API_INTEGRATION_CODE",
        "SALESBUILDR_API_KEY",
        "SALESBUILDR_WEBHOOK_SECRET",
        "RECONCILE_PLAN_SIGNING_KEY",
        "RECONCILE_GITLAB_TOKEN",
        "GITHUB_TOKEN",
        "CI_JOB_TOKEN",
        "CONNECTWISE_PUBLIC_KEY",
        "CONNECTWISE_PRIVATE_KEY",
        "HALOPSA_CLIENT_SECRET",
    }
)
"""Variables whose value is a credential, whatever its length (from :data:`MIN_SECRET_LENGTH`)."""

BASIC_AUTH_PAIRS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("AUTOTASK_API_USERNAME",), "AUTOTASK_API_SECRET"),
    # ConnectWise's user is ``company+publicKey``.
    (("CONNECTWISE_COMPANY", "CONNECTWISE_PUBLIC_KEY"), "CONNECTWISE_PRIVATE_KEY"),
    (("HALOPSA_CLIENT_ID",), "HALOPSA_CLIENT_SECRET"),
)
"""(user parts, secret) variables whose ``base64(user:secret)`` a Basic auth header would carry;
the user is its parts joined by ``+``."""

_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|SIGNING_KEY", re.I)
"""Other variable names that say their value is a secret (e.g. ``WEBHOOK_SECRET_SB_COMPANIES``)."""

MIN_SECRET_LENGTH = 4
"""A credential shorter than this is not redacted: replacing 1-3 characters would destroy output."""

MIN_REFERENCED_LENGTH = 8
"""Any other value a ``${env:}`` reference brings into the configuration, from this length."""

_URL = re.compile(r"^https?://[^@/?#\s]+(?:[/?#][^@\s]*)?$", re.I)
"""A plain http(s) URL without user-info: an address, not a secret (plans record their targets)."""


class _Registry:
    """The registered forms, and the one pattern that matches them all (rebuilt on change)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: set[str] = set()
        self.pattern: re.Pattern[str] | None = None

    def add(self, forms: set[str]) -> None:
        new = {form for form in forms if form} - self.values
        if not new:
            return
        with self.lock:
            self.values.update(new)
            # Longest first: a value that contains another is replaced whole, never half.
            ordered = tuple(sorted(self.values, key=lambda form: (-len(form), form)))
            self.pattern = re.compile("|".join(re.escape(form) for form in ordered))

    def clear(self) -> None:
        with self.lock:
            self.values.clear()
            self.pattern = None


_REGISTRY = _Registry()


def is_secret_name(name: str) -> bool:
    """Whether the variable ``name`` holds a credential or another secret by its name."""
    return name in CREDENTIAL_VARIABLES or bool(_SECRET_NAME.search(name))


def register(*values: str | None) -> None:
    """Register secret values (and their encoded forms); empty and very short ones are ignored."""
    forms: set[str] = set()
    for value in values:
        if value and len(value) >= MIN_SECRET_LENGTH and value not in REDACTED:
            forms.update(_encodings(value))
    _REGISTRY.add(forms)


def register_basic_auth(user: str | None, secret: str | None) -> None:
    """Register ``base64(user:secret)``, as a Basic ``Authorization`` header carries the pair."""
    if user and secret and len(secret) >= MIN_SECRET_LENGTH:
        pair = f"{user}:{secret}".encode()
        _REGISTRY.add({base64.b64encode(pair).decode(), base64.urlsafe_b64encode(pair).decode()})


def register_environment(environ: Mapping[str, str]) -> None:
    """Register every credential and secret-named variable of ``environ`` (real or ``.env``)."""
    register(*(value for name, value in environ.items() if is_secret_name(name)))
    for user_parts, secret in BASIC_AUTH_PAIRS:
        parts = [environ.get(part) for part in user_parts]
        if all(parts):
            register_basic_auth("+".join(p for p in parts if p), environ.get(secret))


def register_reference(name: str, value: str | None) -> None:
    """Register the value a ``${env:NAME}`` reference brought into the configuration: always for
    a secret-named variable, else from 8 characters (plain URLs excepted)."""
    if not value:
        return
    if is_secret_name(name) or (len(value) >= MIN_REFERENCED_LENGTH and not _URL.match(value)):
        register(value)


def redact(text: str) -> str:
    """``text`` with every registered secret (in any registered form) replaced by ``<redacted>``."""
    pattern = _REGISTRY.pattern
    return text if pattern is None else pattern.sub(REDACTED, text)


def holds_secret(text: str) -> bool:
    """Whether :func:`redact` would change ``text``: it holds a registered secret (in any form).
    What a file must not state as data (an export leaves such a value out: written, it would read
    ``<redacted>``, and apply would write that text)."""
    pattern = _REGISTRY.pattern
    return pattern is not None and pattern.search(text) is not None


def redact_data(data: Any) -> Any:
    """A copy of JSON-like ``data`` (dicts, lists, strings) with :func:`redact` applied to every
    string, keys included; other values as they are."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, Mapping):
        return {redact_data(key): redact_data(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [redact_data(item) for item in data]
    return data


def registered_count() -> int:
    """How many forms are registered (for diagnostics and tests)."""
    return len(_REGISTRY.values)


def clear() -> None:
    """Forget every registered value (tests only: a process never un-learns a secret)."""
    _REGISTRY.clear()


def _encodings(value: str) -> Iterable[str]:
    """The forms ``value`` takes in JSON, URLs and base64, as well as itself."""
    raw = value.encode()
    yield value
    yield json.dumps(value)[1:-1]
    yield json.dumps(value, ensure_ascii=False)[1:-1]
    yield quote(value, safe="")
    yield quote_plus(value)
    if len(value) >= MIN_REFERENCED_LENGTH:
        yield base64.b64encode(raw).decode().rstrip("=")
        yield base64.urlsafe_b64encode(raw).decode().rstrip("=")
