"""Issue 15 item 3: one redactor at every exit.

The attacker: anyone who can type into a live admin field (a location named after a secret), and
a server that echoes what it was sent (an Autotask 500 ``errors`` list quoting the request body,
a Salesbuildr 422 quoting it and the API key). Real ``reconcile`` processes run plan, drift,
export and apply with ``-vv``, ``--debug`` and ``--out``; afterwards no secret value, in any
encoding, is in any stdout, stderr, plan, journal or export, while the echoed messages themselves
are still shown (minus the secrets)."""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_server_support import HostileProxy, Seen, hostile_proxy, via
from redact_support import (
    CREDENTIALS,
    EXTERNAL_HOOK,
    EXTRA,
    SECRET_VALUES,
    Runner,
    example,
    files_under,
    leaks,
    scan,
)
from sandbox_clients import autotask_api

from reconciler import redact
from reconciler.sandbox.common import Sandbox, start_sandbox

PLANTED = {
    "Van " + CREDENTIALS.autotask_secret: CREDENTIALS.autotask_secret,
    "Shelf " + EXTRA["GITHUB_TOKEN"][:40]: EXTRA["GITHUB_TOKEN"],
}
"""Live location names an admin typed, each carrying a secret value."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo", credentials=CREDENTIALS)
    yield running
    running.stop()


class Attack:
    def __init__(self, runner: Runner, at: HostileProxy, sb: HostileProxy):
        self.runner, self.at, self.sb = runner, at, sb

    def sandbox_writes(self) -> list[Any]:
        """The simulators' request statistics of writes (what a refusal must leave unchanged)."""
        stats = []
        for url in (
            self.runner.sandbox.env["AUTOTASK_API_URL"],
            self.runner.sandbox.env["SALESBUILDR_API_URL"],
        ):
            root = url.removesuffix("/atservicesrest").removesuffix("/public-api")
            body = httpx.get(root + "/_sandbox/stats", timeout=30, trust_env=False).json()
            stats.append(
                {
                    k: v
                    for k, v in body["endpoints"].items()
                    if not k.startswith(("GET", "POST")) and not k.endswith("/lock")
                }
            )
        return stats


@pytest.fixture
def attack(sandbox: Sandbox, tmp_path: Path) -> Iterator[Attack]:
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({})
        simulator.reset("demo")
    env = sandbox.env
    with autotask_api(env) as autotask:
        for name in PLANTED:
            made = autotask.post(
                "/InventoryLocations", json={"locationName": name, "isActive": True}
            )
            assert made.status_code == 200, made.text
    with (
        hostile_proxy(env["AUTOTASK_API_URL"]) as at,
        hostile_proxy(env["SALESBUILDR_API_URL"]) as sb,
    ):
        urls = {
            "AUTOTASK_API_URL": via(at, env["AUTOTASK_API_URL"]),
            "SALESBUILDR_API_URL": via(sb, env["SALESBUILDR_API_URL"]),
        }
        yield Attack(Runner(sandbox, tmp_path, urls), at, sb)


def _echo_autotask(seen: Seen, number: int) -> tuple[int, Any]:
    """Autotask refusing a webhook and quoting the body it was sent (the secret key included)."""
    return 500, {"errors": [f"Invalid webhook: {json.dumps(seen.body)} (request {number})"]}


def _echo_salesbuildr(seen: Seen, number: int) -> tuple[int, Any]:
    """Salesbuildr refusing a settings document, quoting the body and the key it was sent."""
    return 422, {
        "message": f"rejected {json.dumps(seen.body)}",
        "errors": [{"path": "api-key", "message": f"key {CREDENTIALS.salesbuildr_api_key} ok?"}],
    }


def test_no_secret_reaches_any_output_or_file(attack: Attack) -> None:
    run = attack.runner
    yaml_text = example(
        ("    inventory: additive\n", "    inventory: full\n"),
        ("  sb-tickets:\n", EXTERNAL_HOOK + "  sb-tickets:\n"),
    )
    (run.workdir / "mappings.yaml").write_text(yaml_text, encoding="utf-8")

    shown = run("-vv", "--debug", "plan", "mappings.yaml", "--out", "plan.json")
    assert shown.returncode == 0, shown.output
    assert "Van <redacted>" in shown.stdout, shown.output  # the planted name, minus the secret
    for fmt in ("json", "markdown"):
        assert run("-vv", "plan", "mappings.yaml", "--format", fmt).returncode == 0
    assert run("-vv", "drift", "mappings.yaml", "--format", "json").returncode == 2
    exported = run("-vv", "export", "--out", "exported.yaml")
    assert exported.returncode == 0, exported.output
    assert "Van <redacted>" in (run.workdir / "exported.yaml").read_text(encoding="utf-8")

    # A saved plan whose first Autotask write meets a server quoting the request body back.
    # (Additive inventory: the planted names are not touched; see the test below for why.)
    additive = example(("  sb-tickets:\n", EXTERNAL_HOOK + "  sb-tickets:\n"))
    (run.workdir / "mappings.yaml").write_text(additive, encoding="utf-8")
    assert run("plan", "mappings.yaml", "--out", "plan.json").returncode == 0
    attack.at.rule("POST", r"Webhooks$", _echo_autotask)
    refused = run("-vv", "--debug", "apply", "plan.json")
    assert refused.returncode in (1, 4), refused.output
    assert "Invalid webhook:" in refused.stderr, refused.output  # shown verbatim ...
    assert "<redacted>" in refused.stderr, refused.output  # ... minus the secret
    assert "Traceback" in refused.stderr or refused.returncode == 4, refused.output

    # Then Salesbuildr refuses the settings document, quoting it and the API key.
    attack.at.rules.clear()
    attack.sb.rule("PUT", r".", _echo_salesbuildr)
    again = run("-vv", "plan", "mappings.yaml", "--out", "plan2.json")
    assert again.returncode == 0, again.output
    second = run("-vv", "apply", "plan2.json")
    assert second.returncode in (1, 4), second.output
    assert "rejected" in second.stderr and "key <redacted> ok?" in second.stderr, second.output

    journals = [p for p in files_under(run.workdir) if p.name.endswith(".jsonl")]
    assert journals, "the applies journaled their writes"
    assert not scan(run), "\n".join(scan(run))


def test_plan_files_are_sealed_after_redaction(attack: Attack) -> None:
    """A plan whose live data held a secret is saved redacted and sealed after redaction: the
    file, the views and the footer's checksum agree. A change addressed by a redacted name cannot
    be applied from the saved plan (the name no longer matches): apply refuses, no write."""
    run = attack.runner
    yaml_text = example(("    inventory: additive\n", "    inventory: full\n"))
    (run.workdir / "mappings.yaml").write_text(yaml_text, encoding="utf-8")
    made = run("plan", "mappings.yaml", "--out", "plan.json", "--format", "markdown")
    assert made.returncode == 0, made.output
    saved = json.loads((run.workdir / "plan.json").read_text(encoding="utf-8"))
    assert saved["checksum"] in made.stdout
    addresses = [c["address"] for c in saved["changes"]]
    assert any("Van <redacted>" in a for a in addresses), addresses
    before = attack.sandbox_writes()
    applied = run("apply", "plan.json")
    assert applied.returncode == 3, applied.output
    assert 'inventory.locations["Van <redacted>"]: no longer exists' in applied.stderr
    assert attack.sandbox_writes() == before
    assert not scan(run), "\n".join(scan(run))


# --- the redactor itself --------------------------------------------------------------------------


@pytest.fixture
def registry() -> Iterator[None]:
    redact.clear()
    yield
    redact.clear()


BASIC_PAIR = f"{CREDENTIALS.autotask_username}:{CREDENTIALS.autotask_secret}"


def test_every_registered_form_is_replaced(registry: None) -> None:
    redact.register_environment(
        {
            "AUTOTASK_API_USERNAME": CREDENTIALS.autotask_username,
            "AUTOTASK_API_SECRET": CREDENTIALS.autotask_secret,
            "SALESBUILDR_API_KEY": CREDENTIALS.salesbuildr_api_key,
            "SALESBUILDR_WEBHOOK_SECRET": CREDENTIALS.salesbuildr_webhook_secret,
            "WEBHOOK_SECRET_SB_EXTERNAL": EXTRA["WEBHOOK_SECRET_SB_EXTERNAL"],
            "GITHUB_TOKEN": EXTRA["GITHUB_TOKEN"],
            "HOME": "/home/someone-long-enough",
        }
    )
    text = "\n".join(
        [
            json.dumps({"secret": CREDENTIALS.salesbuildr_webhook_secret}),
            json.dumps({"secret": EXTRA["WEBHOOK_SECRET_SB_EXTERNAL"]}),
            "https://x.example/?key=" + quote_plus(CREDENTIALS.salesbuildr_api_key),
            "Authorization: Basic " + base64.b64encode(BASIC_PAIR.encode()).decode(),
            f"token {EXTRA['GITHUB_TOKEN']} and {CREDENTIALS.autotask_secret}",
            "home is /home/someone-long-enough",
        ]
    )
    out = redact.redact(text)
    assert leaks(out) == [], out
    assert "home is /home/someone-long-enough" in out  # not a secret: not registered
    assert out.count(redact.REDACTED) == 6, out


def test_the_connectwise_basic_header_is_replaced(registry: None) -> None:
    # ConnectWise's Basic user is company+publicKey: the header must be hidden even when only
    # the environment holds the credentials (no ConnectWise client constructed).
    redact.register_environment(
        {
            "CONNECTWISE_COMPANY": "acme-msp",
            "CONNECTWISE_PUBLIC_KEY": "pubKEY1234",
            "CONNECTWISE_PRIVATE_KEY": "privKEY5678",
        }
    )
    header = base64.b64encode(b"acme-msp+pubKEY1234:privKEY5678").decode()
    out = redact.redact(f"Authorization: Basic {header}")
    assert header not in out and redact.REDACTED in out


def test_a_longer_secret_is_replaced_whole(registry: None) -> None:
    redact.register("abcdefgh", "abcdefgh-and-more")
    assert redact.redact("x abcdefgh-and-more y abcdefgh z") == "x <redacted> y <redacted> z"


def test_referenced_values_follow_the_length_rule(registry: None) -> None:
    redact.register_reference("SOME_NAME", "short")
    redact.register_reference("SOME_NAME", "long-enough-value")
    redact.register_reference("ANY_SECRET", "tiny")
    redact.register_reference("SOME_URL", "https://api.example.com/v1")
    out = redact.redact("short long-enough-value tiny https://api.example.com/v1")
    assert out == "short <redacted> <redacted> https://api.example.com/v1"


def test_a_large_text_is_one_pass_over_one_compiled_pattern(
    registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 20,000-change plan is redacted by one pattern built at registration, matching each
    occurrence once (the shape of a linear pass, counted, never timed)."""
    redact.register(*SECRET_VALUES)
    compiled: list[str] = []
    real_compile = re.compile
    monkeypatch.setattr(
        re, "compile", lambda *a, **k: compiled.append(str(a[0])) or real_compile(*a, **k)
    )
    rows = [
        {"address": f'inventory.locations["Van {i}"]', "before": {"name": f"x{i}"}}
        for i in range(20_000)
    ]
    for i in range(0, 20_000, 10):
        rows[i]["before"]["note"] = f"{SECRET_VALUES[i % len(SECRET_VALUES)]}"
    text = json.dumps(rows)
    out = redact.redact(text)
    assert compiled == []  # nothing built per call
    assert out.count(redact.REDACTED) == 2_000
    assert len(out) == len(text) - sum(
        len(json.dumps(SECRET_VALUES[i % len(SECRET_VALUES)])) - 2 - len(redact.REDACTED)
        for i in range(0, 20_000, 10)
    )
    assert leaks(out) == []


def test_redact_data_keeps_the_shape(registry: None) -> None:
    redact.register("s3cr3t-value")
    data = {"a": ["x s3cr3t-value", 3, None, {"s3cr3t-value": True}]}
    assert redact.redact_data(data) == {"a": ["x <redacted>", 3, None, {"<redacted>": True}]}
