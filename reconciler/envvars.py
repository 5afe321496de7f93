"""The environment variables reconcile itself reads, and the ``${env:NAME}`` reference syntax.

One declarative table says, per system, which variables are credentials, which are URLs and which
set its client's limits (rate caps, page sizes). The rules that follow from it (see CONFIG.md):

* credentials, limits, trust settings (every ``RECONCILE_*``) and CI tokens are never referenced
  from the YAML, and a ``.env`` file never sets them: they come from the real environment alone
  (a pull request that adds a ``.env`` cannot lift a cap that paces the tenant's API);
* URL variables may stand only in connection ``url`` fields (where the host check reviews them);
* every other variable may be referenced from a secret field or a connection ``url`` field.

A literal ``${`` in a YAML value is written ``$${``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar


@dataclass(frozen=True)
class SystemVariables:
    """The variables one system's client reads: credentials, its API URL(s) and its limits."""

    system: str
    credentials: tuple[str, ...]
    urls: tuple[str, ...]
    limits: tuple[str, ...] = ()
    """Optional variables that set the client's pace or paging (a PSA declares the same names
    in ``Psa.limit_vars``; tests/security/test_plan_trust.py keeps the two equal)."""


SYSTEM_VARIABLES: tuple[SystemVariables, ...] = (
    SystemVariables(
        "autotask",
        credentials=(
            "AUTOTASK_API_USERNAME",
            "AUTOTASK_API_SECRET",
            "AUTOTASK_API_INTEGRATION_CODE",
        ),
        urls=("AUTOTASK_API_URL",),
    ),
    SystemVariables(
        "salesbuildr", credentials=("SALESBUILDR_API_KEY",), urls=("SALESBUILDR_API_URL",)
    ),
    # PSAs to come: reserved now so that no YAML written today can point at their credentials.
    SystemVariables(
        "connectwise",
        credentials=(
            "CONNECTWISE_COMPANY",
            "CONNECTWISE_PUBLIC_KEY",
            "CONNECTWISE_PRIVATE_KEY",
            "CONNECTWISE_CLIENT_ID",
        ),
        urls=("CONNECTWISE_API_URL",),
        limits=("CONNECTWISE_REQUESTS_PER_MINUTE",),
    ),
    SystemVariables(
        "halopsa",
        credentials=("HALOPSA_CLIENT_ID", "HALOPSA_CLIENT_SECRET", "HALOPSA_TENANT"),
        urls=("HALOPSA_URL", "HALOPSA_AUTH_URL"),
        limits=("HALOPSA_REQUESTS_PER_5_MINUTES", "HALOPSA_PAGE_SIZE"),
    ),
)

CI_TOKENS: tuple[str, ...] = ("GITHUB_TOKEN", "CI_JOB_TOKEN", "RECONCILE_GITLAB_TOKEN")
TRUST_PREFIX = "RECONCILE_"
"""Every ``RECONCILE_*`` variable is a trust setting (allowed hosts, signing key, ...)."""

# The per-run limits, which a global option or its RECONCILE_* variable sets for one command. Here,
# beside the variables, so that `reconcile --help` shows them and the CLI sets them without
# loading the clients or the YAML loader that read them.
DEFAULT_MAX_PAGES = 2_000
"""``--max-pages`` / ``RECONCILE_MAX_PAGES``: pages one collection may take (transport.paging)."""
DEFAULT_MAX_RATE_WAIT = 120.0
"""``--max-rate-wait`` / ``RECONCILE_MAX_RATE_WAIT``: seconds a Salesbuildr 429 is waited out."""
MAX_DOCUMENT_BYTES = 1024 * 1024
"""``--max-config-size`` / ``RECONCILE_MAX_CONFIG_SIZE``: the largest YAML loaded (1 MB)."""
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""``--max-response-size`` / ``RECONCILE_MAX_RESPONSE_SIZE``: the largest answer body read (64 MiB;
why that figure: :mod:`reconciler.transport.body`)."""
DEFAULT_PARALLELISM = 8
"""``apply --parallelism``: writes in flight at most (like terraform's ``-parallelism``)."""

Number = TypeVar("Number", int, float)


class RunSetting(Generic[Number]):
    """One per-command setting of the process: its default, or what the CLI set for the command
    that runs (``with setting.using(value):``); the code that applies it reads ``setting.get()``."""

    def __init__(self, default: Number, *, minimum: Number, what: str):
        self.default: Number = default
        self._minimum: Number = minimum
        self._what = what
        self._value: Number = default

    def get(self) -> Number:
        return self._value

    @contextmanager
    def using(self, value: Number | None) -> Iterator[Number]:
        """``value`` (None: the default) while the block runs, then what was there before."""
        if value is not None and value < self._minimum:
            raise ValueError(f"{self._what} must be at least {self._minimum}")
        before = self._value
        self._value = self.default if value is None else value
        try:
            yield self._value
        finally:
            self._value = before


MAX_PAGES: RunSetting[int] = RunSetting(DEFAULT_MAX_PAGES, minimum=1, what="the page ceiling")
MAX_RATE_WAIT: RunSetting[float] = RunSetting(
    DEFAULT_MAX_RATE_WAIT, minimum=0.0, what="the rate-wait cap"
)
MAX_CONFIG_SIZE: RunSetting[int] = RunSetting(
    MAX_DOCUMENT_BYTES, minimum=1, what="the size limit (bytes)"
)
MAX_RESPONSE_BYTES: RunSetting[int] = RunSetting(
    DEFAULT_MAX_RESPONSE_BYTES, minimum=1024, what="the response size cap (bytes)"
)


class VariableRole(StrEnum):
    CREDENTIAL = "credential"
    URL = "url"
    LIMIT = "limit"
    TRUST = "trust setting"
    CI_TOKEN = "CI token"
    OTHER = "other"


def role_of(name: str) -> VariableRole:
    """What reconcile uses the variable ``name`` for (OTHER: nothing; the YAML's own)."""
    if name in CI_TOKENS:
        return VariableRole.CI_TOKEN
    if name.startswith(TRUST_PREFIX):
        return VariableRole.TRUST
    for system in SYSTEM_VARIABLES:
        if name in system.credentials:
            return VariableRole.CREDENTIAL
        if name in system.urls:
            return VariableRole.URL
        if name in system.limits:
            return VariableRole.LIMIT
    return VariableRole.OTHER


def is_tool_variable(name: str) -> bool:
    """True for a variable only the real environment may set (credentials, URLs, limits, trust,
    CI tokens)."""
    return role_of(name) is not VariableRole.OTHER


def url_variable(system: str) -> str:
    """The variable holding ``system``'s API URL (its first, for a PSA with several)."""
    for entry in SYSTEM_VARIABLES:
        if entry.system == system:
            return entry.urls[0]
    raise KeyError(system)


# --- the reference syntax ------------------------------------------------------------------------

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
ENV_REFERENCE = re.compile(r"\$\{env:(" + _NAME + r")(?::-([^}]*))?\}")
"""``${env:NAME}`` or ``${env:NAME:-default}`` (the default holds no ``}``)."""
ENV_START = re.compile(r"\$\{env:")
LITERAL_DOLLAR_BRACE = "$${"
"""How a YAML value writes a literal ``${``: the loader turns it into ``${``, never expanded."""


@dataclass(frozen=True)
class Reference:
    name: str
    default: str | None


def parse_reference(text: str) -> Reference | None:
    """The reference when ``text`` is exactly one ``${env:...}``, else None."""
    match = ENV_REFERENCE.fullmatch(text)
    if match is None:
        return None
    return Reference(match.group(1), match.group(2))


def reference_text(name: str, default: str | None = None) -> str:
    """How a file writes a reference to ``name``: the text :func:`parse_reference` reads."""
    return "${env:" + name + ("" if default is None else ":-" + default) + "}"


def resolve_reference(reference: Reference, environ: Mapping[str, str]) -> str | None:
    """The value of ``reference`` as the loader gives it, or None when unset with no default.

    As in the shell, ``:-default`` also replaces a variable set to the empty string (CI systems
    pass an undefined secret as "").
    """
    value = environ.get(reference.name)
    if value is not None and (value != "" or reference.default is None):
        return value
    return reference.default


def escape_literal(text: str) -> str:
    """``text`` as a YAML value that the loader reads back unchanged: every ``${`` doubled."""
    return text.replace("${", LITERAL_DOLLAR_BRACE)
