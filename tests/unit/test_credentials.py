"""What a run needs from the environment, named at once (transport/credentials.py)."""

from __future__ import annotations

import pytest

from reconciler.errors import UsageError
from reconciler.psa.autotask import CREDENTIALS as AUTOTASK
from reconciler.transport.credentials import (
    check_salesbuildr_url,
    missing_credentials,
    require_credentials,
)

ALL = {
    "SALESBUILDR_API_URL": "https://acme.salesbuildr.com/public-api",
    "SALESBUILDR_API_KEY": "k",
    "AUTOTASK_API_USERNAME": "u",
    "AUTOTASK_API_SECRET": "s",
    "AUTOTASK_API_INTEGRATION_CODE": "c",
}


def test_every_missing_variable_of_both_systems_is_named_in_one_error() -> None:
    with pytest.raises(UsageError) as caught:
        require_credentials({}, psa=AUTOTASK, salesbuildr=True)
    message = caught.value.message
    assert message.startswith("credentials missing: 5 variables are not set: ")
    for name in ALL:
        assert name in message


def test_only_what_the_run_needs_is_required() -> None:
    partial = {"SALESBUILDR_API_KEY": "k"}
    assert missing_credentials(partial, salesbuildr=True) == [
        "SALESBUILDR_API_URL (or salesbuildr.url in the YAML)"
    ]
    assert (
        missing_credentials(partial, salesbuildr=True, salesbuildr_url="https://x/public-api") == []
    )
    assert missing_credentials({}, psa=AUTOTASK, salesbuildr=False) == [
        "AUTOTASK_API_USERNAME",
        "AUTOTASK_API_SECRET",
        "AUTOTASK_API_INTEGRATION_CODE",
    ]
    require_credentials(ALL, psa=AUTOTASK, salesbuildr=True)  # nothing missing: no error


def test_one_missing_variable_reads_as_one() -> None:
    with pytest.raises(UsageError) as caught:
        require_credentials({**ALL, "AUTOTASK_API_SECRET": ""}, psa=AUTOTASK, salesbuildr=True)
    assert caught.value.message == "credentials missing: variable is not set: AUTOTASK_API_SECRET"


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.salesbuildr.com/public-api",
        "https://acme.salesbuildr.com/public-api/",
        "http://127.0.0.1:8080/public-api",
    ],
)
def test_a_public_api_base_is_accepted(url: str) -> None:
    assert check_salesbuildr_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "suggested"),
    [
        ("https://acme.salesbuildr.com", "https://acme.salesbuildr.com/public-api"),
        ("https://acme.salesbuildr.com/api/", "https://acme.salesbuildr.com/public-api"),
        ("https://user:pw@acme.salesbuildr.com/", "https://acme.salesbuildr.com/public-api"),
    ],
)
def test_a_url_without_public_api_gets_a_hint(url: str, suggested: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_salesbuildr_url(url)
    assert "does not end in /public-api" in caught.value.message
    assert caught.value.hint == f"use the public API's base, e.g. {suggested}"
    assert "pw" not in caught.value.message + (caught.value.hint or "")
