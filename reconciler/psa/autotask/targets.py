"""Which URL the Autotask client is opened on, checked by :mod:`reconciler.hosts` before any
request: the real environment's URL variable, else a reviewed URL (the YAML's, a saved plan's
target) whose host the environment allows or ZoneInformation names, else the zone
ZoneInformation names (Salesbuildr's: :mod:`reconciler.salesbuildr.targets`)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from reconciler.errors import UsageError
from reconciler.hosts import (
    ALLOWED_HOSTS_VARIABLE,
    allowed_hosts,
    check_reviewed_url,
    host_of,
    is_autotask_zone,
    refuse_userinfo,
)
from reconciler.psa.autotask.client import credentials_from_env, discover_zone


def autotask_url(
    reviewed: str | None,
    source: str,
    environ: Mapping[str, str],
    discovery: httpx.BaseTransport | None = None,
) -> str:
    """The Autotask zone to send the credentials to.

    ``reviewed`` is a URL from a file the pull request can change (the YAML, a saved plan): it
    must name a host the environment allows, or be the zone ZoneInformation names for the API
    user (asked on Autotask's fixed discovery host, which receives the user name only;
    ``discovery`` is the test seam for that request)."""
    own = environ.get("AUTOTASK_API_URL")
    if own:
        refuse_userinfo(own, what="AUTOTASK_API_URL")
    allowed = allowed_hosts("autotask", environ)
    if reviewed and (own or allowed.allows(reviewed) or not is_autotask_zone(reviewed)):
        check_reviewed_url(reviewed, system="autotask", source=source, allowed=allowed)
    if own:
        return own
    if reviewed and allowed.allows(reviewed):
        return reviewed
    username = credentials_from_env(environ).username
    zone = discover_zone(username, transport=discovery)
    if reviewed and host_of(zone) != host_of(reviewed):
        raise UsageError(
            f"the {source} names the host {host_of(reviewed)}, but ZoneInformation names "
            f"{host_of(zone)} for the API user; the credentials were not sent",
            hint=f"remove the url (the zone is discovered), or set {ALLOWED_HOSTS_VARIABLE}="
            f"{host_of(reviewed)} in the real environment if it is right",
        )
    return reviewed or zone
