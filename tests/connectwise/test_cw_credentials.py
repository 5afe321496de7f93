"""The connection comes from the real environment alone, and the credentials go only to the host
it names: https (http only to loopback), no user-info, the API base's path, no redirect followed,
no page followed elsewhere (test_paging), secrets registered with the redactor."""

from __future__ import annotations

import base64

import httpx
import pytest

from reconciler import redact
from reconciler.errors import ProviderError, UsageError
from reconciler.psa.connectwise.client import ConnectWiseClient
from reconciler.psa.connectwise.credentials import check_api_url, credentials_from_env

GOOD = {
    "CONNECTWISE_API_URL": "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/",
    "CONNECTWISE_COMPANY": "acme",
    "CONNECTWISE_PUBLIC_KEY": "PublicKey12345",
    "CONNECTWISE_PRIVATE_KEY": "PrivateKey67890",
    "CONNECTWISE_CLIENT_ID": "0f8fad5b-d9cb-469f-a165-70867728950e",
}


def test_every_missing_variable_is_named_at_once() -> None:
    with pytest.raises(UsageError) as missing:
        credentials_from_env({"CONNECTWISE_COMPANY": "acme"})
    for name in GOOD:
        if name != "CONNECTWISE_COMPANY":
            assert name in missing.value.message
    assert "CONNECTWISE_COMPANY" not in missing.value.message
    assert "4 variables" in missing.value.message


def test_the_credentials_and_their_basic_header_are_redacted() -> None:
    credentials = credentials_from_env(GOOD)
    assert credentials.api_url == "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    header = credentials.headers()["Authorization"]
    pair = base64.b64encode(b"acme+PublicKey12345:PrivateKey67890").decode()
    assert header == f"Basic {pair}"
    text = f"{header} PublicKey12345 PrivateKey67890"
    assert redact.redact(text) == "Basic <redacted> <redacted> <redacted>"
    assert "PrivateKey67890" not in repr(credentials)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://api-na.myconnectwise.net/v4_6_release/apis/3.0", "must be https"),
        ("https://user:pw@api-na.myconnectwise.net/v4_6_release/apis/3.0", "user-info"),
        ("https://api-na.myconnectwise.net/v4_6_release", "not a ConnectWise API base"),
        ("https://api-na.myconnectwise.net/", "not a ConnectWise API base"),
        ("ftp://api-na.myconnectwise.net/v4_6_release/apis/3.0", "must be https"),
        ("not a url at all", "must be https"),
    ],
)
def test_a_url_that_would_leak_or_misroute_the_credentials_is_refused(url: str, why: str) -> None:
    with pytest.raises(UsageError, match=why) as refused:
        credentials_from_env({**GOOD, "CONNECTWISE_API_URL": url})
    assert "pw@" not in refused.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v4_6_release/apis/3.0",
        "http://localhost:9/v4_6_release/apis/3.0",
        "https://cw.onprem.example/v2017_3/apis/3.0",
        "https://api-staging.connectwisedev.com/v4_6_release/apis/3.0",
    ],
)
def test_operator_given_hosts_are_accepted(url: str) -> None:
    assert check_api_url(url, {**GOOD, "CONNECTWISE_API_URL": url}) == url


def test_a_redirect_is_never_followed() -> None:
    sent: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        return httpx.Response(302, headers={"Location": "https://attacker.example/steal"})

    credentials = credentials_from_env(GOOD)
    with (
        ConnectWiseClient.connect(credentials, transport=httpx.MockTransport(answer)) as client,
        pytest.raises(ProviderError),
    ):
        client.system_info()
    assert [url.host for url in sent] == ["api-na.myconnectwise.net"]
