"""Transport: `http://` only for loopback hosts (checked where every client is made, so the URL
variables are covered, not only the YAML), and TLS certificates verified by default."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from reliability_support import Rig

BOTH_SYSTEMS = "version: 1\nbilling_codes:\n  default: Hardware Sales\n"


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("SALESBUILDR_API_URL", "http://acme.salesbuildr.example/public-api"),
        ("SALESBUILDR_API_URL", "http://10.0.0.7:8080/public-api"),
        ("AUTOTASK_API_URL", "http://webservices5.autotask.example/atservicesrest"),
        ("AUTOTASK_API_URL", "http://127.0.0.1.nip.example/atservicesrest"),
    ],
)
def test_plain_http_to_a_non_loopback_host_is_refused_before_any_request(
    rig: Rig, variable: str, url: str
) -> None:
    """The URL comes from the environment (the YAML names none): the one client factory every
    request goes through refuses it."""
    mappings = rig.write(BOTH_SYSTEMS)

    run = rig.reconcile("plan", str(mappings), env={variable: url})

    assert run.returncode == 1, run.output
    assert f"URL '{url}" in run.stderr
    assert "must be https://" in run.stderr
    assert "loopback" in run.stderr
    assert rig.autotask.stats()["requests"] == 0
    assert rig.salesbuildr.stats()["requests"] == 0


def test_plain_http_to_a_loopback_name_is_allowed(rig: Rig) -> None:
    env = {
        name: rig.sandbox.env[name].replace("127.0.0.1", "localhost")
        for name in ("AUTOTASK_API_URL", "SALESBUILDR_API_URL")
    }
    run = rig.reconcile("plan", str(rig.write(BOTH_SYSTEMS)), env=env)
    assert run.returncode == 0, run.output


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate: (its URL, the certificate)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/public-api", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_tls_certificates_are_verified(rig: Rig, tls_server: tuple[str, Path]) -> None:
    url, _ = tls_server
    mappings = rig.write(BOTH_SYSTEMS)

    run = rig.reconcile("-v", "plan", str(mappings), env={"SALESBUILDR_API_URL": url})

    assert run.returncode == 1, run.output
    assert "cannot connect to salesbuildr: its TLS certificate could not be verified" in run.stderr
    assert "self-signed certificate" in run.stderr
    failed = [line for line in run.stderr.splitlines() if "connection failed" in line]
    assert failed and len(failed) == len(set(failed))  # not retried: it cannot get better
    assert _Recorder.requests == []  # no request (and no API key) crossed the failed handshake


def test_a_trust_store_named_in_the_environment_is_honoured(
    rig: Rig, tls_server: tuple[str, Path]
) -> None:
    """What SECURITY.md should say: verification cannot be switched off, but httpx takes the trust
    store from SSL_CERT_FILE / SSL_CERT_DIR (and proxies from HTTPS_PROXY ...) like any client."""
    url, cert = tls_server
    mappings = rig.write(BOTH_SYSTEMS)

    run = rig.reconcile(
        "plan", str(mappings), env={"SALESBUILDR_API_URL": url, "SSL_CERT_FILE": str(cert)}
    )

    assert run.returncode == 1, run.output
    assert "not found" in run.stderr  # TLS succeeded; the test server answers 404
    assert _Recorder.requests
