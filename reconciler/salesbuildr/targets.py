"""Which URL the Salesbuildr client is opened on, checked by :mod:`reconciler.hosts` before any
request: the real environment's URL variable, else a reviewed URL (the YAML's, a saved plan's
target) whose host the environment allows."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.hosts import allowed_hosts, check_reviewed_url, refuse_userinfo


def salesbuildr_url(reviewed: str | None, source: str, environ: Mapping[str, str]) -> str | None:
    """SALESBUILDR_API_URL, else the reviewed URL once its host is allowed."""
    own = environ.get("SALESBUILDR_API_URL")
    if own:
        refuse_userinfo(own, what="SALESBUILDR_API_URL")
    if reviewed:
        allowed = allowed_hosts("salesbuildr", environ)
        check_reviewed_url(reviewed, system="salesbuildr", source=source, allowed=allowed)
    return own or reviewed
