"""`${env:}` is a reviewed reference, never a channel (issue 15, item 1).

Attackers: anyone who types into an Autotask admin field (live text holding `${env:...}`), and
anyone who opens a pull request (the YAML, a `.env` beside it). Live text comes back from
`export` with every `${` written `$${`, so the next `plan` never expands it and plans to zero;
the YAML may reference variables only from secret fields and connection urls, never reconcile's
own credentials, trust settings or CI tokens; a `.env` never sets reconcile's own variables.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from env_hosts_support import (
    SECRETS,
    Rig,
    no_secret_in,
    plant_webhook,
    references_in,
)
from plan_integrity_support import rig_on

from reconciler.config import parse_config
from reconciler.envvars import (
    CI_TOKENS,
    SYSTEM_VARIABLES,
    VariableRole,
    escape_literal,
    role_of,
)
from reconciler.errors import ConfigError
from reconciler.sandbox.common import Sandbox, start_sandbox
from reconciler.schema import mappings_schema
from reconciler.session import secret_lookup

PLANTED = "${env:AUTOTASK_API_SECRET}"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo", credentials=SECRETS)
    yield running
    running.stop()


@pytest.fixture
def rig(sandbox: Sandbox, tmp_path: Path) -> Iterator[Rig]:
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({}, latency_ms=0)
        simulator.reset("demo")
    with rig_on(sandbox, tmp_path / "work") as made:
        yield made


def forbidden_variables() -> list[str]:
    """From the one table: every credential, the CI tokens, and trust settings."""
    names = [name for system in SYSTEM_VARIABLES for name in system.credentials]
    return [*names, *CI_TOKENS, "RECONCILE_ALLOWED_HOSTS", "RECONCILE_PLAN_SIGNING_KEY"]


def url_variables() -> list[str]:
    return [name for system in SYSTEM_VARIABLES for name in system.urls]


def refused(text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(textwrap.dedent(text).encode(), file="m.yaml", environ=environ or {})
    return [d.render() for d in caught.value.diagnostics]


# --- live text: export escapes, plan never expands ----------------------------------------------


def test_live_references_come_back_escaped_and_plan_to_zero(rig: Rig) -> None:
    """Names and URLs typed into Autotask holding `${env:AUTOTASK_API_SECRET}`: export writes
    them as `$${...}`; the plan of the export is empty in every format; the secret never shows."""
    plant_webhook(rig, f"hook {PLANTED}", f"https://hooks.example/{PLANTED}/in")
    plant_webhook(rig, "${env:SALESBUILDR_API_KEY}", "https://hooks.example/${env:PATH}")

    exported = rig.reconcile("export", "--out", "exported.yaml")
    assert exported.returncode == 0, exported.output
    text = (rig.workdir / "exported.yaml").read_text()
    assert f"hook $${PLANTED[1:]}" in text and f"https://hooks.example/$${PLANTED[1:]}/in" in text
    assert "$${env:SALESBUILDR_API_KEY}" in text
    variables = references_in(text)  # the secrets export asks for; never the planted names
    assert variables and all(role_of(v) is VariableRole.OTHER for v in variables), variables
    env = {name: f"value-of-{name}" for name in variables}

    outputs = []
    for fmt in ("text", "json", "markdown"):
        run = rig.reconcile("plan", "exported.yaml", "--format", fmt, env=env)
        assert run.returncode == 0, run.output
        outputs += [run.stdout, run.stderr]
        if fmt == "json":
            plan = json.loads(run.stdout)
            assert {c["action"] for c in plan["changes"]} == {"no-op"}, plan["changes"]
            planted = [c for c in plan["changes"] if PLANTED in c["address"]]
            assert len(planted) == 1, "the planted webhook is matched as it is, not re-created"
            assert planted[0]["after"]["url"] == f"https://hooks.example/{PLANTED}/in"
    no_secret_in(*outputs, text)


def test_escape_round_trips_through_the_loader() -> None:
    """`escape_literal` and the loader are inverses, even for text that already holds `$${`."""
    for live in ("${env:AUTOTASK_API_SECRET}", "a $${b} ${c", "$$${env:X}", "${", "plain $5"):
        document = f"version: 1\npurchase_order:\n  queue: {json.dumps(escape_literal(live))}\n"
        loaded = parse_config(document.encode(), file="m.yaml", environ={"X": "expanded"})
        assert loaded.config.purchase_order is not None
        assert loaded.config.purchase_order.queue == live


# --- the YAML: where a reference may stand, what it may name ------------------------------------


@pytest.mark.parametrize("name", forbidden_variables())
def test_reconciles_own_variables_cannot_be_referenced(name: str) -> None:
    value = f"VALUE-OF-{name}-5e2a"
    problems = refused(
        f"""\
        version: 1
        webhook_receiver:
          secret: ${{env:{name}}}
        """,
        {name: value},
    )
    assert len(problems) == 1, problems
    assert problems[0].startswith("m.yaml:3:11: webhook_receiver.secret: "), problems
    assert f"${{env:{name}}} names a {role_of(name).value}" in problems[0]
    assert value not in problems[0]


@pytest.mark.parametrize("name", url_variables())
def test_url_variables_stand_only_in_url_fields(name: str) -> None:
    problems = refused(
        f"""\
        version: 1
        webhooks:
          out:
            entity: company
            url: https://hooks.example/in
            secret: ${{env:{name}}}
            fields: [CompanyName]
        """,
        {name: "https://acme.example/api"},
    )
    assert problems == [
        f"m.yaml:6:13: webhooks.out.secret: ${{env:{name}}} is a URL variable; it may stand "
        "only in a connection url field (autotask.url, salesbuildr.url) (write the value here, "
        "or move the reference to the url field)"
    ]
    loaded = parse_config(
        b"version: 1\nsalesbuildr:\n  url: ${env:SALESBUILDR_API_URL}\n",
        file="m.yaml",
        environ={"SALESBUILDR_API_URL": "https://acme.salesbuildr.com/public-api"},
    )
    assert loaded.config.salesbuildr is not None
    assert loaded.config.salesbuildr.url == "https://acme.salesbuildr.com/public-api"


@pytest.mark.parametrize(
    ("path", "document"),
    [
        ("purchase_order.queue", "purchase_order:\n  queue: ${env:HOOK_KEY}\n"),
        (
            "webhooks.out.url",
            "webhooks:\n  out:\n    entity: company\n    url: https://x.example/${env:HOOK_KEY}\n"
            "    secret: ${env:HOOK_KEY}\n    fields: [CompanyName]\n",
        ),
        (
            "webhooks.out.name",
            "webhooks:\n  out:\n    entity: company\n    name: ${env:HOOK_KEY}\n"
            "    fields: [CompanyName]\n",
        ),
    ],
)
def test_references_stand_only_in_secret_and_url_fields(path: str, document: str) -> None:
    """A variable of the operator's own, copied into a name or a callout URL, would be posted
    to Autotask and printed in every plan: refused with its location."""
    problems = refused("version: 1\n" + document, {"HOOK_KEY": "HOOK-KEY-VALUE-77c1"})
    assert len(problems) == 1, problems
    assert (
        f": {path}: ${{env:...}} may stand only in secret fields and connection urls"
        in (problems[0])
    )
    assert "for a literal ${ write $${" in problems[0]
    assert "HOOK-KEY-VALUE-77c1" not in problems[0]


def test_validate_refuses_a_pull_request_that_references_a_credential(rig: Rig) -> None:
    path = rig.write(
        "version: 1\nwebhooks:\n  out:\n    entity: company\n"
        "    url: https://hooks.example/in\n    secret: ${env:AUTOTASK_API_SECRET}\n"
        "    fields: [CompanyName]\n"
    )
    before = rig.stats("autotask")["requests"]
    for command in ("validate", "plan"):
        run = rig.reconcile(command, str(path))
        assert run.returncode == 1, run.output
        assert (
            "mappings.yaml:6:13: error: webhooks.out.secret: ${env:AUTOTASK_API_SECRET} names a "
            "credential reconcile reads itself"
        ) in run.stderr
        no_secret_in(run.stdout, run.stderr)
    assert rig.stats("autotask")["requests"] == before


def test_defaults_mean_the_same_to_the_loader_and_to_apply() -> None:
    """One helper: `${env:NAME:-default}` with NAME set to "" is the default for both."""
    loaded = parse_config(
        b"version: 1\nwebhook_receiver:\n  secret: ${env:RT_EMPTY:-fallback-secret}\n",
        file="m.yaml",
        environ={"RT_EMPTY": ""},
    )
    assert loaded.config.webhook_receiver is not None
    assert loaded.config.webhook_receiver.secret.get_secret_value() == "fallback-secret"

    change = SimpleNamespace(
        address="webhook_receiver", secret_refs={"secret": "${env:RT_EMPTY:-fallback-secret}"}
    )
    assert secret_lookup({"RT_EMPTY": ""})(change, "secret") == "fallback-secret"  # type: ignore[arg-type]


# --- .env ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["AUTOTASK_API_SECRET", "AUTOTASK_API_URL", "SALESBUILDR_API_KEY", "RECONCILE_X"]
)
def test_dotenv_may_not_set_reconciles_own_variables(rig: Rig, name: str) -> None:
    value = "DOTENV-PLANTED-VALUE-91fe"
    (rig.workdir / ".env").write_text(f"{name}={value}\nHOOK_KEY=fine\n")
    path = rig.write("version: 1\nwebhook_receiver:\n  secret: ${env:HOOK_KEY}\n")
    before = rig.stats("salesbuildr")["requests"]
    run = rig.reconcile("plan", str(path))
    assert run.returncode == 1, run.output
    assert f".env sets reconcile's own variables: {name} ({role_of(name).value})" in run.stderr
    assert "export them in the real environment" in run.stderr
    assert value not in run.output
    no_secret_in(run.stdout, run.stderr)
    assert rig.stats("salesbuildr")["requests"] == before


def test_dotenv_supplies_the_yamls_own_references(rig: Rig) -> None:
    (rig.workdir / ".env").write_text("HOOK_KEY=from-dotenv-secret-1\n")
    path = rig.write("version: 1\nwebhook_receiver:\n  secret: ${env:HOOK_KEY}\n")
    run = rig.reconcile("validate", str(path))
    assert run.returncode == 0, run.output
    assert "from-dotenv-secret-1" not in run.output


# --- the schema says it -------------------------------------------------------------------------


def test_schema_says_where_references_stand_and_how_to_write_a_literal() -> None:
    schema = mappings_schema()
    defs = schema["$defs"]
    for model, prop in (
        ("AutotaskConnection", "url"),
        ("SalesbuildrConnection", "url"),
        ("WebhookReceiver", "secret"),
        ("Webhook", "secret"),
    ):
        description = defs[model]["properties"][prop]["description"]
        assert "${env:NAME}" in description and "A literal ${ is written $${." in description
    committed = Path(__file__).resolve().parents[2] / "schemas" / "mappings.schema.json"
    assert json.loads(committed.read_text()) == schema
