"""Attacker: a pull request (a ``.env`` beside the YAML) or whoever can edit a saved plan (a CI
artifact) without the signing key, so the checksum can be recomputed (``integrity.seal(d, None)``).

* A PSA's limits (ConnectWise's rate cap, HaloPSA's rate cap and page size) come from the real
  environment alone: a ``.env`` that sets one is refused like a credential, before any request;
  the YAML cannot reference one; the real environment's value is the one used.
* A saved plan applies what it shows: ``show`` renders each change's ``diff`` and the plan's
  ``summary`` and ``risk`` while apply writes ``before``/``after``, so a resealed plan whose
  stored view disagrees with what it would write is refused by ``show`` and by ``apply``, naming
  the change, with no write.
* A saved plan's secret references obey the YAML's rule: one naming reconcile's own credentials
  or a CI token is refused at load, and the secret lookup of apply never resolves one.

Every ``reconcile`` here is a real process (``python -m reconciler``) against the simulators.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from plan_integrity_support import SECRETS, Rig, api_requests, rig_on, start_sandbox

from reconciler.config.references import reference_problems
from reconciler.envvars import SYSTEM_VARIABLES, Reference, VariableRole, role_of
from reconciler.errors import UsageError
from reconciler.plan import Action, Change
from reconciler.plan.integrity import seal
from reconciler.psa import registry
from reconciler.session import secret_lookup
from tests.psa_suites import PsaRig, cases, psa

__all__ = ["psa"]  # the fixture, used by name

pytestmark = pytest.mark.slow

EVIL = "https://evil.example/tampered"
TAMPERED = "shows one thing and would apply another; nothing was applied, no API call was made"


# --- limits: never from .env or the YAML ---------------------------------------------------------


def test_every_limit_a_psa_declares_is_one_of_reconciles_own_variables() -> None:
    """The PSAs' declarations and envvars' table agree: what a PSA reads is refused from .env
    (config.env) and from the YAML (config.references) whichever of the two is consulted."""
    table = {entry.system: entry for entry in SYSTEM_VARIABLES}
    declared = {name: psa for name, psa in registry.installed().items() if psa.limit_vars}
    assert {"connectwise", "halopsa"} <= set(declared), sorted(declared)
    for name, psa_object in registry.installed().items():
        assert set(psa_object.limit_vars) == set(table[name].limits), name
        for variable in psa_object.limit_vars:
            assert role_of(variable) is VariableRole.LIMIT, variable
        for variable in psa_object.env_vars:
            assert role_of(variable) in (VariableRole.CREDENTIAL, VariableRole.URL), variable
    # ... and the variables the clients read are the ones declared.
    from reconciler.psa.connectwise.system import RATE_VARIABLE  # noqa: PLC0415
    from reconciler.psa.halopsa.connection import LIMITS  # noqa: PLC0415

    assert registry.get("connectwise").limit_vars == (RATE_VARIABLE,)
    assert registry.get("halopsa").limit_vars == LIMITS


@pytest.mark.parametrize(
    "variable",
    ["CONNECTWISE_REQUESTS_PER_MINUTE", "HALOPSA_REQUESTS_PER_5_MINUTES", "HALOPSA_PAGE_SIZE"],
)
def test_the_yaml_cannot_reference_a_limit(variable: str) -> None:
    problems = reference_problems(None, ("webhooks", "x", "secret"), [Reference(variable, None)])
    assert [message for message, _ in problems] == [
        f"webhooks.x.secret: ${{env:{variable}}} names a limit reconcile reads itself; it "
        "cannot be referenced from the YAML"
    ]


ON_LIMITED = cases(lambda case: bool(registry.get(case.name).limit_vars))
"""The PSAs whose clients have limits of their own (Autotask's budget is its API's answer)."""


def limit_variables(rig: PsaRig) -> tuple[str, ...]:
    variables = registry.get(rig.case.name).limit_vars
    assert variables, rig.case.name
    return variables


@ON_LIMITED
def test_a_dotenv_setting_a_limit_is_refused_before_any_request(psa: PsaRig) -> None:
    dotenv = psa.workdir / ".env"
    for variable in limit_variables(psa):
        for value in ("2", "1000000"):  # slower, or the tenant's only pacing lifted
            dotenv.write_text(f"MY_OWN_VALUE=fine\n{variable}={value}\n", encoding="utf-8")
            before = psa.simulator.stats()["requests"]
            refused = psa("plan", "mappings.yaml")
            assert refused.returncode == 1, refused.output
            assert (
                f".env sets reconcile's own variables: {variable} (limit); a .env file may only "
                "supply values for the YAML's ${env:NAME} references"
            ) in refused.stderr, refused.output
            assert "export them in the real environment" in refused.stderr, refused.output
            assert psa.simulator.stats()["requests"] == before, refused.output
    dotenv.write_text("MY_OWN_VALUE=fine\n", encoding="utf-8")
    assert psa("plan", "mappings.yaml").returncode == 0


@ON_LIMITED
def test_a_limit_is_read_from_the_real_environment(psa: PsaRig) -> None:
    variables = limit_variables(psa)
    for variable in variables:
        refused = psa("plan", "mappings.yaml", env={variable: "0"})
        assert refused.returncode == 1, refused.output
        assert f"{variable} '0' is not a positive whole number" in refused.stderr, refused.output
    if "HALOPSA_PAGE_SIZE" in variables:  # and used: one record a page takes more requests
        counts = []
        for page_size in (None, "1"):
            before = psa.simulator.stats()["requests"]
            run = psa("plan", "mappings.yaml", env={"HALOPSA_PAGE_SIZE": page_size})
            assert run.returncode == 0, run.output
            counts.append(psa.simulator.stats()["requests"] - before)
        default, one_a_page = counts
        assert one_a_page > default, counts


# --- a saved plan applies what it shows ----------------------------------------------------------


def saved_plan(rig: PsaRig) -> dict[str, Any]:
    planned = rig("plan", "mappings.yaml", "--out", "plan.json")
    assert planned.returncode == 0, planned.output
    shown = rig("show", "plan.json")
    assert shown.returncode == 0, shown.output  # the untampered plan shows
    return rig.plan_json()


def psa_create_with_url(data: dict[str, Any], owner: str) -> dict[str, Any]:
    """The first create of the PSA's own objects that sends a URL (a Halo webhook, a CW
    callback): where an attacker would point deliveries."""
    found: dict[str, Any] = next(
        c
        for c in data["changes"]
        if c["owner"] == owner and c["action"] == "create" and "url" in (c["after"] or {})
    )
    return found


def refused_everywhere(rig: PsaRig, data: dict[str, Any], *needles: str) -> None:
    """``show`` and ``apply --auto-approve`` of ``data`` (resealed) both refuse it, naming each
    of ``needles``, exit 1, not one request or write, no journal."""
    path = rig.workdir / "tampered.json"
    path.write_text(json.dumps(seal(data, None), indent=2, sort_keys=True, ensure_ascii=False))
    before = (rig.simulator.stats()["requests"], rig.psa_writes(), rig.settings_writes())
    for args in (("show", "tampered.json"), ("apply", "tampered.json", "--auto-approve")):
        run = rig(*args)
        assert run.returncode == 1, run.output
        assert "Traceback" not in run.stderr
        for needle in needles:
            assert needle in run.stderr, run.output
    after = (rig.simulator.stats()["requests"], rig.psa_writes(), rig.settings_writes())
    assert after == before, "a refused plan reached the PSA"
    assert not (rig.workdir / "tampered.json.journal.jsonl").exists()
    assert rig.lock_holder() is None


def test_an_after_changed_under_its_diff_is_refused_by_show_and_apply(psa: PsaRig) -> None:
    data = saved_plan(psa)
    tampered = copy.deepcopy(data)
    change = psa_create_with_url(tampered, psa.case.name)
    change["after"]["url"] = EVIL  # the diff still shows the reviewed URL

    refused_everywhere(
        psa,
        tampered,
        f"tampered.json {TAMPERED}",
        f"{change['address']}: its diff shows url as",
        EVIL,
    )
    assert all(EVIL not in json.dumps(row) for row in psa.objects())


def test_a_diff_changed_alone_is_refused(psa: PsaRig) -> None:
    data = saved_plan(psa)
    tampered = copy.deepcopy(data)
    change = psa_create_with_url(tampered, psa.case.name)
    shown = next(d for d in change["diff"] if d["path"] == "url")
    shown["after"] = "https://looks-fine.example/"  # what the reviewer sees; apply writes after

    refused_everywhere(psa, tampered, f"{change['address']}: its diff shows url as")


def test_a_diff_hiding_an_attribute_is_refused(psa: PsaRig) -> None:
    data = saved_plan(psa)
    tampered = copy.deepcopy(data)
    change = psa_create_with_url(tampered, psa.case.name)
    change["diff"] = [d for d in change["diff"] if d["path"] != "url"]

    refused_everywhere(
        psa, tampered, f"{change['address']}: apply would write url, which its diff does not show"
    )


def test_an_evil_value_hidden_as_sensitive_is_refused(psa: PsaRig) -> None:
    """after and diff agree on the evil URL, but every view would print it as (sensitive)."""
    data = saved_plan(psa)
    tampered = copy.deepcopy(data)
    change = psa_create_with_url(tampered, psa.case.name)
    change["after"]["url"] = EVIL
    next(d for d in change["diff"] if d["path"] == "url")["after"] = EVIL
    change["sensitive_paths"] = [*change["sensitive_paths"], "url"]

    refused_everywhere(
        psa,
        tampered,
        f"{change['address']}: url is hidden as sensitive, but it is not a secret the plan sends",
    )


def test_a_summary_or_risk_that_does_not_follow_from_the_changes_is_refused(psa: PsaRig) -> None:
    data = saved_plan(psa)
    quiet = copy.deepcopy(data)
    quiet["summary"] = {**data["summary"], "create": 0}
    refused_everywhere(psa, quiet, "summary: says create 0")

    calm = copy.deepcopy(data)
    calm["risk"] = "destructive" if data["risk"] == "safe" else "safe"
    refused_everywhere(psa, calm, f"risk: says {calm['risk']}, but its changes")


# --- a saved plan's secret references ------------------------------------------------------------


@pytest.fixture
def autotask_rig(tmp_path: Path) -> Any:
    sandbox = start_sandbox(seed="empty", credentials=SECRETS)
    try:
        with rig_on(sandbox, tmp_path / "work") as rig:
            yield rig
    finally:
        sandbox.stop()


def _webhook_create(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(
        c for c in data["changes"] if c["action"] == "create" and c.get("secret_refs")
    )
    return found


@pytest.mark.parametrize(
    ("variable", "role"),
    [("SALESBUILDR_API_KEY", "credential"), ("GITHUB_TOKEN", "CI token")],
)
def test_a_saved_plan_naming_reconciles_own_variable_as_a_secret_is_refused(
    autotask_rig: Rig, variable: str, role: str
) -> None:
    rig = autotask_rig
    planned = rig.reconcile("plan", str(rig.example()), "--out", "plan.json")
    assert planned.returncode == 0, planned.output
    tampered = rig.plan_json("plan.json")
    change = _webhook_create(tampered)
    path = sorted(change["secret_refs"])[0]
    change["secret_refs"][path] = "${env:" + variable + "}"
    (rig.workdir / "plan.json").write_text(json.dumps(seal(tampered, None)), encoding="utf-8")

    before = api_requests(rig)
    for args in (("show", "plan.json"), ("apply", "plan.json", "--auto-approve")):
        run = rig.reconcile(*args, env={"GITHUB_TOKEN": "ghs-token-of-the-ci-job"})
        assert run.returncode == 1, run.output
        assert "plan.json names variables a plan may not use" in run.stderr, run.output
        assert (
            f"{change['address']}: its secret {path}: ${{env:{variable}}} names a {role} "
            "reconcile reads itself"
        ) in run.stderr, run.output
        assert "ghs-token-of-the-ci-job" not in run.output
    assert api_requests(rig) == before, "a refused plan reached a system"
    assert not (rig.workdir / "plan.json.journal.jsonl").exists()


def test_the_secret_lookup_never_resolves_reconciles_own_variables() -> None:
    """The last guard, whatever loaded the plan: the value is never read, so never sent."""
    environ = {"SALESBUILDR_API_KEY": "sb-key-value", "MY_SECRET": "mine", "HALOPSA_URL": "u"}
    lookup = secret_lookup(environ)
    for name, why in (
        ("SALESBUILDR_API_KEY", "names a credential reconcile reads itself"),
        ("HALOPSA_URL", "is a URL variable, never a secret"),
    ):
        change = _change({"secret": "${env:" + name + "}"})
        with pytest.raises(UsageError) as refused:
            lookup(change, "secret")
        assert f"the secret secret: ${{env:{name}}} {why}; it was not sent" in refused.value.message
        assert environ[name] not in refused.value.message
    assert lookup(_change({"secret": "${env:MY_SECRET}"}), "secret") == "mine"


def _change(secret_refs: dict[str, str | None]) -> Change:
    return Change(
        address='webhooks["sb"]',
        kind="webhook",
        key="company/sb",
        section="webhooks",
        owner="autotask",
        action=Action.CREATE,
        before=None,
        after={"secret": "(sensitive)"},
        secret_refs=secret_refs,
    )
