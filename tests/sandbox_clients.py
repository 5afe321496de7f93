"""Test-side HTTP clients on a running sandbox and the isolation a CLI test needs.

Tests plant live data (hostile names, drift) through the vendor APIs the way an admin would; these
are the raw clients they use, built one way everywhere: the sandbox's own credentials, no proxy
from the environment (``trust_env=False``), a generous timeout for a loaded machine.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

TIMEOUT_S = 30.0


def autotask_api(env: Mapping[str, str], *, timeout: float = TIMEOUT_S) -> httpx.Client:
    """A client on the Autotask simulator's ``/V1.0`` root, authenticated as the sandbox user."""
    return httpx.Client(
        base_url=env["AUTOTASK_API_URL"] + "/V1.0",
        headers={
            "ApiIntegrationCode": env["AUTOTASK_API_INTEGRATION_CODE"],
            "UserName": env["AUTOTASK_API_USERNAME"],
            "Secret": env["AUTOTASK_API_SECRET"],
        },
        timeout=timeout,
        trust_env=False,
    )


def salesbuildr_api(env: Mapping[str, str], *, timeout: float = TIMEOUT_S) -> httpx.Client:
    """A client on the Salesbuildr simulator's public API, with the sandbox's API key."""
    return httpx.Client(
        base_url=env["SALESBUILDR_API_URL"],
        headers={"api-key": env["SALESBUILDR_API_KEY"]},
        timeout=timeout,
        trust_env=False,
    )


def connectwise_api(env: Mapping[str, str], *, timeout: float = TIMEOUT_S) -> httpx.Client:
    """A client on the ConnectWise simulator, as the sandbox's API member (Basic
    ``company+publicKey:privateKey`` and the ``clientId`` header)."""
    pair = f"{env['CONNECTWISE_COMPANY']}+{env['CONNECTWISE_PUBLIC_KEY']}:"
    pair += env["CONNECTWISE_PRIVATE_KEY"]
    return httpx.Client(
        base_url=env["CONNECTWISE_API_URL"],
        headers={
            "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
            "clientId": env["CONNECTWISE_CLIENT_ID"],
        },
        timeout=timeout,
        trust_env=False,
    )


def halopsa_api(env: Mapping[str, str], *, timeout: float = TIMEOUT_S) -> httpx.Client:
    """A client on the Halo simulator's ``/api``, with a token of the sandbox's application."""
    token = httpx.post(
        env["HALOPSA_AUTH_URL"] + "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": env["HALOPSA_CLIENT_ID"],
            "client_secret": env["HALOPSA_CLIENT_SECRET"],
            "scope": "all",
        },
        timeout=timeout,
        trust_env=False,
    ).json()["access_token"]
    return httpx.Client(
        base_url=env["HALOPSA_URL"] + "/api",
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
        trust_env=False,
    )


@contextlib.contextmanager
def isolated_cli(
    env: Mapping[str, str], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Run in ``workdir`` with none of the sandbox's variables set, and give the ``reconciler``
    logger back as it was (the CLI configures it per invocation)."""
    monkeypatch.chdir(workdir)
    for name in list(env):
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("reconciler")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    try:
        yield
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
