"""Which hosts may receive a system's credentials.

The YAML, a ``.env`` beside it and a saved plan all arrive in a pull request, so none of them may
decide where the pipeline's credentials go. A system's credentials are sent only to hosts named
outside those files: the real environment's URL variable (``AUTOTASK_API_URL``,
``SALESBUILDR_API_URL``), the zone Autotask's ZoneInformation names (``*.autotask.net``),
loopback (the sandbox), and ``RECONCILE_ALLOWED_HOSTS`` (comma-separated host names, ``*.``
prefix for a domain's subhosts). A URL with user-info (``user:pass@``) is refused, and never
shown with it. Pure: the callers check before their first request.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reconciler.envvars import url_variable
from reconciler.errors import UsageError

ALLOWED_HOSTS_VARIABLE = "RECONCILE_ALLOWED_HOSTS"
AUTOTASK_ZONE_DOMAIN = ".autotask.net"


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ``localhost`` and ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    """The lower-cased host of ``url`` ("" when it has none or does not parse)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def shown(url: str) -> str:
    """``url`` safe to print and to hold in a plan: its user-info (``user:password@``) replaced by
    ``<user-info>@``, and so is that of any URL inside it (a ``?next=https://u:p@h`` parameter).

    What stays: the scheme, host, port, path, query and fragment. A token in a query string
    (``?token=...``) is part of the address and is shown; only the one redactor hides it, when it
    is a registered secret. Idempotent; a URL that does not parse is masked by text alone.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO_OF_URLS.sub(USER_INFO, url)
    if "@" in parts.netloc:
        netloc = USER_INFO + parts.netloc.rsplit("@", 1)[1]
        url = parts._replace(netloc=netloc).geturl()
    return _USERINFO_OF_URLS.sub(USER_INFO, url)


def shown_value(value: Any) -> Any:
    """A live URL attribute as the plan holds it: :func:`shown` for a string, anything else as it
    is (``None``, a number a hostile server sent instead)."""
    return shown(value) if isinstance(value, str) else value


USER_INFO = "<user-info>@"
_USERINFO_IN_TEXT = re.compile(r"(?<=://)[^/\s@'\"]+@")
_USERINFO_OF_URLS = re.compile(r"(?<=://)[^/?#\s@'\"<>]+@")
"""The user-info of a URL inside a value (stops at the path, query and fragment: the ``@`` of a
``?mail=a@b`` parameter is no user-info, and masking up to it would show ``b`` as the host)."""


def mask_userinfo(text: str) -> str:
    """``text`` (a source line shown under a diagnostic) with every URL's user-info masked."""
    return _USERINFO_IN_TEXT.sub(USER_INFO, text)


def refuse_userinfo(url: str, *, what: str) -> None:
    """A URL that carries ``user:pass@`` would send a credential no one reviewed: refused."""
    try:
        has_userinfo = "@" in urlsplit(url).netloc
    except ValueError:
        has_userinfo = "@" in url
    if has_userinfo:
        raise UsageError(
            f"{what} {shown(url)!r} carries user-info (user:password@), which is refused and "
            "not shown",
            hint="remove the user-info from the URL; credentials come from their own variables",
        )


def is_autotask_zone(url: str) -> bool:
    """An https URL on a ``*.autotask.net`` host: what ZoneInformation may answer."""
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        return False
    return scheme == "https" and host_of(url).endswith(AUTOTASK_ZONE_DOMAIN)


@dataclass(frozen=True)
class AllowedHosts:
    """The hosts one system's credentials may go to (besides loopback, always allowed)."""

    system: str
    exact: frozenset[str]
    domains: tuple[str, ...]
    """``*.example.com`` entries, kept as ``.example.com``."""

    def allows(self, url: str) -> bool:
        host = host_of(url)
        if not host:
            return False
        return (
            is_loopback_host(host)
            or host in self.exact
            or any(host.endswith(domain) for domain in self.domains)
        )


def allowed_hosts(system: str, environ: Mapping[str, str]) -> AllowedHosts:
    """What the real environment allows for ``system`` (its URL variable, RECONCILE_ALLOWED_HOSTS).

    ``environ`` must be the real environment, or one whose tool variables came from it alone
    (:func:`reconciler.config.env.run_environment` guarantees that).
    """
    exact: set[str] = set()
    domains: list[str] = []
    own = environ.get(url_variable(system))
    if own:
        exact.add(host_of(own))
    for raw in (environ.get(ALLOWED_HOSTS_VARIABLE) or "").split(","):
        entry = raw.strip().lower().rstrip(".")
        if entry.startswith("*.") and len(entry) > 2:
            domains.append(entry[1:])
        elif entry:
            exact.add(entry)
    exact.discard("")
    return AllowedHosts(system=system, exact=frozenset(exact), domains=tuple(domains))


def check_reviewed_url(url: str, *, system: str, source: str, allowed: AllowedHosts) -> None:
    """Refuse a URL from a reviewed file (YAML, saved plan) whose host the operator did not allow.

    ``source`` says where the URL came from (``autotask.url in mappings.yaml``).
    """
    refuse_userinfo(url, what=f"the {source}")
    if allowed.allows(url):
        return
    host = host_of(url) or shown(url)
    variable = url_variable(system)
    raise UsageError(
        f"the {source} names the host {host}, which is not allowed to receive the {system} "
        f"credentials; no request was sent",
        hint=f"if {host} is right, set {ALLOWED_HOSTS_VARIABLE}={host} (or {variable}) in the "
        "real environment of the run (not in .env or the YAML)",
    )
