"""Where a request goes, as logs and errors show it: the path without scheme, host or query,
and the ``HOST:PORT`` a connection failure is counted against (for :mod:`.http`)."""

from __future__ import annotations

import weakref

import httpx

from reconciler.transport.connect import host_and_port


def host_key(client: httpx.Client, url: str) -> str:
    return _where(client, url)[1]


def shown_path(client: httpx.Client, url: str) -> str:
    """The path to log and to put in errors: no scheme, host or query string (it may hold ids)."""
    return _where(client, url)[0]


_WHERE: weakref.WeakKeyDictionary[httpx.Client, dict[str, tuple[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def _where(client: httpx.Client, url: str) -> tuple[str, str]:
    """(path, HOST:PORT) of ``url``, built once per client and URL: building a request is a
    good part of the client's CPU per write. (Racing threads may both build it: same answer.)"""
    known = _WHERE.get(client)
    if known is None:
        known = _WHERE.setdefault(client, {})
    found = known.get(url)
    if found is None:
        full = client.build_request("GET", url).url
        found = known[url] = (full.path, host_and_port(full))
        if len(known) > 4096:
            known.clear()
    return found
