"""Credentials go only where the operator said (issue 15, item 2).

Attackers: a pull request naming its own host in `autotask.url` / `salesbuildr.url` (also when an
environment variable overrides it), a swapped saved plan whose `targets` name another host, a
`.env` beside the YAML setting reconcile's URL or trust variables, URLs carrying user-info, and a
ZoneInformation answer naming a host that is not Autotask's. Each is refused before any request
(the simulators count what they answered; an httpx MockTransport stands in for every host no
test may contact), with exit 1 and a message naming the host and how to allow it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from env_hosts_support import SECRETS, Recorder, Rig, api_requests, no_secret_in, zone_answer
from plan_integrity_support import resealed, rig_on, write_plan

from reconciler.config import parse_config
from reconciler.errors import ProviderError, UsageError
from reconciler.hosts import AllowedHosts, allowed_hosts
from reconciler.psa.autotask.client import DISCOVERY_URL, discover_zone
from reconciler.sandbox.common import Sandbox, start_sandbox
from reconciler.session import Transports, connect, connect_for_plan

ATTACKER = "attacker.invalid"
PASSWORD = "Hunter2-UserInfo-Password-a81c"
CREDENTIALS = {
    "AUTOTASK_API_USERNAME": SECRETS.autotask_username,
    "AUTOTASK_API_SECRET": SECRETS.autotask_secret,
    "AUTOTASK_API_INTEGRATION_CODE": SECRETS.autotask_integration_code,
    "SALESBUILDR_API_KEY": SECRETS.salesbuildr_api_key,
}
"""The operator's credentials, with no URL variable (the in-process tests' environment)."""
SB_LOOPBACK = {"SALESBUILDR_API_URL": "http://127.0.0.1:9/public-api"}
"""A Salesbuildr URL for in-process Autotask tests (connect sends it no request)."""
ZONE_5 = "https://webservices5.autotask.net/atservicesrest"
DISCOVERY_HOST = httpx.URL(DISCOVERY_URL).host


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="empty", credentials=SECRETS)
    yield running
    running.stop()


@pytest.fixture
def rig(sandbox: Sandbox, tmp_path: Path) -> Iterator[Rig]:
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({}, latency_ms=0)
        simulator.reset("empty")
    with rig_on(sandbox, tmp_path / "work") as made:
        yield made


def refused_run(rig: Rig, *args: str, env: dict[str, str | None] | None = None) -> str:
    """Run ``reconcile args``: exit 1, no request to either simulator, no secret printed."""
    before = api_requests(rig)
    run = rig.reconcile(*args, env=env)
    assert run.returncode == 1, run.output
    assert api_requests(rig) == before, f"requests were sent:\n{run.output}"
    assert "Traceback" not in run.output and "internal error" not in run.output, run.output
    no_secret_in(run.stdout, run.stderr)
    return run.stderr


def loaded(text: str, environ: dict[str, str] | None = None) -> Any:
    return parse_config(text.encode(), file="m.yaml", environ=environ or {})


def webhooks_yaml(**connection: str) -> str:
    head = "".join(f"{system}:\n  url: {url}\n" for system, url in connection.items())
    return f"version: 1\n{head}webhooks: {{}}\n"


# --- a pull request names its own host ----------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "override"),
    [("salesbuildr", True), ("salesbuildr", False), ("autotask", True)],
    ids=["salesbuildr-env-overrides", "salesbuildr-yaml-only", "autotask-env-overrides"],
)
def test_a_yaml_url_on_an_unknown_host_stops_the_run(rig: Rig, system: str, override: bool) -> None:
    path = "/public-api" if system == "salesbuildr" else "/atservicesrest"
    mappings = rig.write(webhooks_yaml(**{system: f"https://{ATTACKER}{path}"}))
    env: dict[str, str | None] = {}
    if not override:
        env["SALESBUILDR_API_URL"] = None
    # (Autotask without AUTOTASK_API_URL asks ZoneInformation: tested in-process, below.)
    stderr = refused_run(rig, "plan", str(mappings), env=env)
    assert f"the {system}.url in {mappings} names the host {ATTACKER}" in stderr, stderr
    assert f"set RECONCILE_ALLOWED_HOSTS={ATTACKER}" in stderr, stderr
    assert "no request was sent" in stderr


def test_allowed_hosts_admit_exact_names_and_star_domains() -> None:
    allowed = allowed_hosts(
        "salesbuildr", {"RECONCILE_ALLOWED_HOSTS": " Tenant.Example.com ,*.acme.example,"}
    )
    assert allowed == AllowedHosts(
        system="salesbuildr", exact=frozenset({"tenant.example.com"}), domains=(".acme.example",)
    )
    for url, verdict in [
        ("https://tenant.example.com/api", True),
        ("https://eu.acme.example/api", True),
        ("https://acme.example/api", False),  # `*.` is the subhosts only
        ("https://evilacme.example/api", False),
        ("https://tenant.example.com.attacker.invalid/api", False),
        ("http://127.0.0.1:9/api", True),
        ("https://[::1]/api", True),
        ("https://localhost/api", True),
    ]:
        assert allowed.allows(url) is verdict, url


def test_an_allowed_host_receives_the_key_and_nothing_else_does() -> None:
    recorder = Recorder()
    environ = {**CREDENTIALS, "RECONCILE_ALLOWED_HOSTS": "*.salesbuildr.example"}
    config = loaded(webhooks_yaml(salesbuildr="https://acme.salesbuildr.example/public-api"))
    transports = Transports(salesbuildr=recorder.transport())
    with connect(config, environ, sections=["webhook_receiver"], transports=transports) as c:
        assert c.salesbuildr is not None
        c.salesbuildr.http.request("GET", "products")
    assert recorder.credentials_sent() == ["acme.salesbuildr.example"]

    refused = Recorder()
    config = loaded(webhooks_yaml(salesbuildr=f"https://{ATTACKER}/public-api"))
    with pytest.raises(UsageError, match=f"names the host {ATTACKER}"):
        connect(
            config,
            environ,
            sections=["webhook_receiver"],
            transports=Transports(salesbuildr=refused.transport()),
        )
    assert refused.requests == []


def test_an_autotask_url_is_checked_before_zone_discovery() -> None:
    """No AUTOTASK_API_URL: a YAML host that is not Autotask's is refused before ZoneInformation
    is asked (which would tell the attacker nothing, but is a request all the same)."""
    recorder = Recorder(zone_answer(ZONE_5))
    config = loaded(webhooks_yaml(autotask=f"https://{ATTACKER}/atservicesrest"))
    with pytest.raises(UsageError, match=f"autotask.url in m.yaml names the host {ATTACKER}"):
        connect(
            config,
            {**CREDENTIALS, **SB_LOOPBACK},
            sections=["webhooks"],
            transports=Transports(recorder.transport(), recorder.transport()),
        )
    assert recorder.requests == []


def test_a_yaml_zone_must_be_the_zone_zone_information_names() -> None:
    recorder = Recorder(zone_answer(ZONE_5))
    transports = Transports(recorder.transport(), recorder.transport())
    wrong = loaded(webhooks_yaml(autotask="https://webservices9.autotask.net/atservicesrest"))
    with pytest.raises(UsageError, match=r"ZoneInformation names webservices5\.autotask\.net"):
        connect(wrong, {**CREDENTIALS, **SB_LOOPBACK}, sections=["webhooks"], transports=transports)
    assert recorder.hosts() == [DISCOVERY_HOST] and recorder.credentials_sent() == []

    recorder.requests.clear()
    right = loaded(webhooks_yaml(autotask=ZONE_5))
    with connect(
        right, {**CREDENTIALS, **SB_LOOPBACK}, sections=["webhooks"], transports=transports
    ) as c:
        assert c.psa_client is not None
        c.psa_client.http.request("GET", "Version")
    assert recorder.hosts() == [DISCOVERY_HOST, "webservices5.autotask.net"]
    assert recorder.credentials_sent() == ["webservices5.autotask.net"]


# --- a misbehaving zone lookup ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        f"https://{ATTACKER}/atservicesrest",
        "https://webservices5.autotask.net.attacker.invalid/atservicesrest",
        "http://webservices5.autotask.net/atservicesrest",  # not https
        f"https://user:{PASSWORD}@webservices5.autotask.net/atservicesrest",
    ],
)
def test_a_zone_answer_naming_another_host_is_refused(answer: str) -> None:
    recorder = Recorder(zone_answer(answer))
    with pytest.raises(ProviderError) as caught:
        discover_zone(SECRETS.autotask_username, transport=recorder.transport())
    assert "which is not an Autotask zone (https://*.autotask.net)" in caught.value.message
    assert PASSWORD not in str(caught.value) + (caught.value.hint or "")
    config = loaded(webhooks_yaml())
    recorder.requests.clear()
    transports = Transports(recorder.transport(), recorder.transport())
    with pytest.raises(ProviderError):
        connect(
            config, {**CREDENTIALS, **SB_LOOPBACK}, sections=["webhooks"], transports=transports
        )
    assert recorder.hosts() == [DISCOVERY_HOST], "only ZoneInformation was asked"
    assert recorder.credentials_sent() == []


# --- a swapped saved plan -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "target"),
    [
        ("salesbuildr", f"https://{ATTACKER}/public-api"),
        ("autotask", f"https://{ATTACKER}/atservicesrest"),
    ],
)
def test_a_saved_plans_targets_are_reviewed_like_the_yaml(
    rig: Rig, system: str, target: str
) -> None:
    planned = rig.reconcile("plan", str(rig.example()), "--out", "made.json")
    assert planned.returncode == 0, planned.output
    data = json.loads((rig.workdir / "made.json").read_text())
    data["targets"][system] = target
    write_plan(rig, resealed(data))
    # The apply job has no URL variables: the plan's targets would decide where keys go.
    env: dict[str, str | None] = {"AUTOTASK_API_URL": None, "SALESBUILDR_API_URL": None}
    stderr = refused_run(rig, "apply", "plan.json", "--auto-approve", env=env)
    assert f"the plan's {system.capitalize()} target names the host {ATTACKER}" in stderr, stderr
    assert f"RECONCILE_ALLOWED_HOSTS={ATTACKER}" in stderr


def test_connect_for_plan_checks_before_any_request() -> None:
    recorder = Recorder(zone_answer(ZONE_5))
    plan = type("P", (), {})()
    plan.targets = {
        "autotask": "https://webservices9.autotask.net/atservicesrest",
        "salesbuildr": "https://acme.salesbuildr.example/public-api",
    }
    environ = {**CREDENTIALS, "RECONCILE_ALLOWED_HOSTS": "acme.salesbuildr.example"}
    transports = Transports(recorder.transport(), recorder.transport())
    with pytest.raises(UsageError, match="ZoneInformation names webservices5"):
        connect_for_plan(plan, environ, transports=transports)
    assert recorder.hosts() == [DISCOVERY_HOST] and recorder.credentials_sent() == []


# --- user-info and .env ------------------------------------------------------------------------


def test_a_yaml_url_with_user_info_is_refused_and_never_shown(rig: Rig) -> None:
    url = f"https://bob:{PASSWORD}@acme.salesbuildr.com/public-api"
    mappings = rig.write(webhooks_yaml(salesbuildr=url))
    for command in ("validate", "plan"):
        stderr = refused_run(rig, command, str(mappings))
        assert "carries user-info (user:password@)" in stderr, stderr
        assert PASSWORD not in stderr and "bob:" not in stderr


@pytest.mark.parametrize("variable", ["SALESBUILDR_API_URL", "AUTOTASK_API_URL"])
def test_an_environment_url_with_user_info_is_refused_and_never_shown(
    rig: Rig, sandbox: Sandbox, variable: str
) -> None:
    real = httpx.URL(sandbox.env[variable])
    url = str(real.copy_with(username="bob", password=PASSWORD))
    assert PASSWORD in url
    stderr = refused_run(rig, "plan", str(rig.example()), env={variable: url})
    # The example YAML reads the URL through ${env:...}: its validation refuses it first.
    assert "carries user-info (user:password@), which is refused and not shown" in stderr, stderr
    assert PASSWORD not in stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SALESBUILDR_API_URL", f"https://{ATTACKER}/public-api"),
        ("RECONCILE_ALLOWED_HOSTS", ATTACKER),
    ],
)
def test_a_dotenv_cannot_allow_a_host(rig: Rig, name: str, value: str) -> None:
    (rig.workdir / ".env").write_text(f"{name}={value}\n")
    mappings = rig.write(webhooks_yaml(salesbuildr=f"https://{ATTACKER}/public-api"))
    stderr = refused_run(rig, "plan", str(mappings))
    assert f".env sets reconcile's own variables: {name}" in stderr, stderr


def test_the_sandbox_env_file_still_drives_a_run(rig: Rig) -> None:
    """The sandbox's variables come from the real environment (its env file is sourced), and its
    hosts are loopback: plan works unchanged."""
    run = rig.reconcile("plan", str(rig.example()))
    assert run.returncode in (0, 2), run.output
    assert api_requests(rig) != (0, 0)


@pytest.mark.parametrize(
    ("args", "document"),
    [
        (("webhooks", "status"), webhooks_yaml(autotask=f"https://{ATTACKER}/atservicesrest")),
        (
            ("webhooks", "status"),
            f"version: 1\nautotask:\n  url: https://{ATTACKER}/atservicesrest\n",
        ),
    ],
    ids=["with-webhooks", "without-webhooks"],
)
def test_other_commands_check_the_yaml_url_too(
    rig: Rig, args: tuple[str, ...], document: str
) -> None:
    mappings = rig.write(document)
    stderr = refused_run(rig, *args, str(mappings))
    assert f"names the host {ATTACKER}" in stderr, stderr
