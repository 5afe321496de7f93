"""``export`` never states a secret as data: an entry whose key or value holds a known secret is
left out with a comment (reconciler/export/document.py), in every PSA's export.

Written as data, the one redactor would turn it into the text ``<redacted>``: re-plan would show
``"<redacted>" -> "<redacted>"`` and apply would write that text. Planted here through the vendor
APIs as an admin (or anyone holding the value) could: a ConnectWise callback whose description and
URL carry the Salesbuildr API key, a Halo webhook named after it and a Halo account code holding
it, an Autotask webhook whose URL carries it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reconciler import redact
from reconciler.cli import cli
from reconciler.export.document import SECRET_NOTE, Comments, Flow, render
from reconciler.sandbox.common import Sandbox, start_sandbox
from tests.psa_suites import PsaRig, cases, psa
from tests.reliability.psa_case import SALESBUILDR_KEY
from tests.reliability.psa_cases import connectwise, halopsa
from tests.sandbox_clients import autotask_api, isolated_cli

__all__ = ["psa"]  # the fixture, used by name

SECRET = "S3CRET-VALUE-0f9e8d7c"


@pytest.fixture
def registered() -> Iterator[str]:
    redact.clear()
    redact.register(SECRET)
    yield SECRET
    redact.clear()


def _data_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def test_entries_holding_a_secret_are_commented_out_with_a_note(registered: str) -> None:
    sections: dict[str, Any] = {
        "callbacks": {
            f"cb {registered}": Flow(type="company"),
            "plain": Flow(type="contact", url=f"https://h.example/{registered}"),
            "kept": Flow(type="opportunity"),
        },
        "account_codes": {"Hardware": {"income": "4000", "expense": registered}},
        "webhooks": {"hooks": {"events": ["a", registered]}},
    }
    text = redact.redact(
        render(sections, Comments(), order=["callbacks", "account_codes", "webhooks"])
    )
    data = yaml.safe_load(text)
    assert set(data["callbacks"]) == {"kept"}
    assert data["account_codes"] is None  # the whole group: each attribute is part of it
    assert data["webhooks"] is None
    assert not any(redact.REDACTED in line for line in _data_lines(text)), text
    assert text.count(SECRET_NOTE) == 4, text
    assert registered not in text


def test_nothing_is_left_out_without_a_registered_secret() -> None:
    redact.clear()
    sections = {"callbacks": {"a": Flow(type="company", url="https://h.example/x")}}
    text = render(sections, Comments(), order=["callbacks"])
    assert SECRET_NOTE not in text
    assert yaml.safe_load(text)["callbacks"] == {
        "a": {"type": "company", "url": "https://h.example/x"}
    }


def _plant_secrets(rig: PsaRig) -> None:
    if rig.case.name == "connectwise":
        body = {"description": f"cb {SALESBUILDR_KEY}", "url": "http://127.0.0.1:9/cb",
                "type": "Company", "level": "Owner", "objectId": 1}  # fmt: skip
        with connectwise.api(rig.env) as api:
            assert api.post("system/callbacks", json=body).status_code == 201
            body = {**body, "description": "by url", "url": f"http://127.0.0.1:9/{SALESBUILDR_KEY}"}
            assert api.post("system/callbacks", json=body).status_code == 201
        return
    with halopsa.api(rig.env) as api:
        one = {"url": "http://127.0.0.1:9/h", "events": [{"eventno": 2}]}
        hooks = [
            {**one, "name": f"hook {SALESBUILDR_KEY}"},
            {**one, "name": "by url", "url": f"http://127.0.0.1:9/{SALESBUILDR_KEY}"},
        ]
        assert api.post("/Webhook", json=hooks).status_code in (200, 201)
        body = api.get("/ItemGroup").json()
        groups = (
            body
            if isinstance(body, list)
            else next(v for v in body.values() if isinstance(v, list))
        )
        group = groups[0]["id"]
    with rig.salesbuildr() as api:
        path = "/integration/halopsa/settings/account-codes"
        current = api.get(path)
        assert current.status_code == 200, current.text
        document = current.json()
        codes = {"itemGroupId": group, "incomeCode": "4000", "expenseCode": SALESBUILDR_KEY}
        document["itemGroups"] = [codes]
        etag = {"If-Match": current.headers["ETag"]} if "ETag" in current.headers else {}
        answer = api.put(path, json=document, headers=etag)
        assert answer.status_code in (200, 204), answer.text


@pytest.mark.slow
@cases(lambda case: case.name in ("connectwise", "halopsa"))  # Autotask: below
def test_every_psa_export_leaves_secret_values_out(psa: PsaRig) -> None:
    _plant_secrets(psa)
    exported = psa("export", "--psa", psa.case.name, "--out", "live.yaml")
    assert exported.returncode == 0, exported.output
    written = (psa.workdir / "live.yaml").read_text(encoding="utf-8")
    assert SALESBUILDR_KEY not in written
    assert not any(redact.REDACTED in line for line in _data_lines(written)), written
    assert written.count(SECRET_NOTE) >= (2 if psa.case.name == "connectwise" else 3), written
    document = yaml.safe_load(written)
    assert "by url" not in (document.get(psa.case.section) or {})


@pytest.fixture(scope="module")
def autotask() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo", latency_ms=0)
    yield running
    running.stop()


def test_autotask_export_leaves_secret_values_out(
    autotask: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = autotask.env
    secret = env["SALESBUILDR_API_KEY"]
    with isolated_cli(env, tmp_path, monkeypatch), autotask_api(env) as api:
        rows = api.post("/CompanyWebhooks/query", json={"filter": [{"op": "exist", "field": "id"}]})
        hook = rows.json()["items"][0]
        patched = api.patch(
            "/CompanyWebhooks", json={"id": hook["id"], "webhookUrl": f"https://h.example/{secret}"}
        )
        assert patched.status_code == 200, patched.text
        result = CliRunner().invoke(
            cli, ["export", "--section", "webhooks", "--out", "live.yaml"], env=dict(env)
        )
        assert result.exit_code == 0, result.output
        written = (tmp_path / "live.yaml").read_text(encoding="utf-8")
    assert secret not in written
    assert not any(redact.REDACTED in line for line in _data_lines(written)), written
    assert SECRET_NOTE in written
    assert hook["name"] not in (yaml.safe_load(written)["webhooks"] or {})
