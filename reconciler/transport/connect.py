"""Which connection failures no retry can fix, and how to say why.

A refused connection, a name that does not resolve or a TLS handshake that fails answers the
same way a second later: retrying these for the full backoff only delays the message (an
unreachable host used to take 44 s and 105 attempts). Timeouts are not among them: a slow
network or a busy server may well answer the next attempt.
"""

from __future__ import annotations

import socket
import ssl

import httpx

# Attempts in all (the first and 2 retries) and the cap of each wait: about 1.5 s in all.
FAST_ATTEMPTS = 3
FAST_MAX_WAIT = 1.0

_TEXT_REASONS = (
    ("connection refused", "connection refused"),
    ("name or service not known", "name not resolved"),
    ("nodename nor servname", "name not resolved"),
    ("temporary failure in name resolution", "name not resolved"),
    ("no address associated", "name not resolved"),
    ("getaddrinfo failed", "name not resolved"),
)


def unreachable_reason(exc: BaseException) -> str | None:
    """'connection refused', 'name not resolved' or 'TLS: <reason>'; None if a retry may help."""
    if not isinstance(exc, httpx.ConnectError):
        return None  # ConnectTimeout and PoolTimeout are timeouts: they keep their backoff
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "name not resolved"
        if isinstance(seen, ssl.SSLError):
            return f"TLS: {seen.reason or seen}"
        seen = seen.__cause__ or seen.__context__
    # httpx/httpcore keep only the text of some low-level errors.
    text = str(exc).lower()
    for needle, reason in _TEXT_REASONS:
        if needle in text:
            return reason
    return None


def host_and_port(url: httpx.URL) -> str:
    """``HOST:PORT`` of a URL, with the scheme's default port when none is written."""
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"
