"""The hostile-PR suite, once for every PSA of tests/psa_suites.CASES (its plugin's fixtures).

* Hostile live names (ANSI/OSC escapes, Markdown/HTML, newlines, bidi controls, very long)
  planted through the PSA's simulator, as anyone with API access could, stay data in every view:
  the plan as text, Markdown and JSON, the saved plan, drift, export, the callouts' status table.
* Credentials go to the host the operator set, and nowhere else: a variable naming another host
  by plain HTTP or with user info, a Halo authorisation server on another host, a YAML with a
  connection of its own, a saved plan whose target was moved (resealed, so its checksum holds)
  are refused before any request.
* No secret of the sandbox (recognisable values) appears in stdout, stderr, ``-vv`` logs, plan
  files or journals (every run and the working directory are scanned by the fixture too).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml

from reconciler.plan.integrity import seal
from reconciler.psa import registry
from reconciler.render.escape import terminal
from tests.psa_suites import PsaRig, psa
from tests.security.escape_support import (
    assert_markdown_safe,
    assert_terminal_safe,
    assert_text_plan_safe,
    hidden_characters,
)

__all__ = ["psa"]  # the fixture, used by name

pytestmark = pytest.mark.slow

DRIFT_MARKER = "<!-- reconcile-drift -->"


def hostile_names(rig: PsaRig) -> tuple[str, ...]:
    """The PSA's hostile inputs (its plugin's ``fixtures.hostile_inputs``), cut to what it keeps."""
    assert rig.case.hostile, f"{rig.case.name} names no hostile inputs"
    return tuple(dict.fromkeys(name[: rig.case.max_name] for name in rig.case.hostile))


def converge_then_plant(rig: PsaRig) -> tuple[str, ...]:
    """Apply the example, every section managed fully (so that no live object is kept aside
    and the views show the planted ones only), then plant one object per hostile name: each
    is a delete in the plan and drift."""
    config = rig.workdir / "mappings.yaml"
    document = yaml.safe_load(config.read_text())
    document["policy"].update(max_deletes=50, max_change_fraction=1.0)
    manage = document["policy"].get("manage") or {}
    document["policy"]["manage"] = {section: "full" for section in manage}
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    applied = rig("apply", "mappings.yaml", "--auto-approve")
    assert applied.returncode == 0, applied.output
    names = hostile_names(rig)
    for name in names:
        rig.plant(name)
    return names


def shown_fields(plan: dict[str, Any]) -> int:
    """Field lines a text plan shows: every attribute of a create or delete, an update's diff."""
    count = 0
    for change in plan["changes"]:
        if change["action"] == "no-op":
            continue
        if change["action"] == "update":
            count += len(change["diff"])
        else:
            count += len(
                (change["after"] if change["action"] == "create" else change["before"]) or {}
            )
    return count


def test_hostile_live_names_stay_data_in_every_view(psa: PsaRig) -> None:
    names = converge_then_plant(psa)

    as_json = psa("plan", "mappings.yaml", "--format", "json")
    assert as_json.returncode == 0, as_json.output
    plan = json.loads(as_json.stdout)
    deleted = [c for c in plan["changes"] if c["action"] == "delete"]
    keys = sorted(psa.case.plan_key(name) for name in names)
    assert sorted(c["key"] for c in deleted) == keys  # data kept exactly
    assert not hidden_characters(as_json.stdout), hidden_characters(as_json.stdout)

    text = psa("plan", "mappings.yaml")
    assert text.returncode == 0, text.output
    pending = [c for c in plan["changes"] if c["action"] != "no-op"]
    assert_text_plan_safe(text.stdout, pending=len(pending), fields=shown_fields(plan))
    assert_terminal_safe(text.stderr)

    markdown = psa("plan", "mappings.yaml", "--format", "markdown")
    assert markdown.returncode == 0, markdown.output
    assert_markdown_safe(markdown.stdout)
    cells = {html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", markdown.stdout)}
    for change in deleted:  # each address shown (long ones shortened), as its escapes
        shown = terminal(change["address"])
        assert any(c == shown or c.startswith(shown[:60]) for c in cells), change["address"]

    saved = psa("plan", "mappings.yaml", "--out", "plan.json")
    assert saved.returncode == 0, saved.output
    assert_terminal_safe(saved.stdout + saved.stderr)
    kept = psa.plan_json()
    assert sorted(c["key"] for c in kept["changes"] if c["action"] == "delete") == keys
    shown = psa("show", "plan.json")
    assert shown.returncode == 0, shown.output
    assert_terminal_safe(shown.stdout + shown.stderr)


def test_hostile_live_names_stay_data_in_drift(psa: PsaRig) -> None:
    names = converge_then_plant(psa)
    planned = json.loads(psa("plan", "mappings.yaml", "--format", "json").stdout)
    addresses = sorted(c["address"] for c in planned["changes"] if c["action"] == "delete")
    assert len(addresses) == len(names)

    text = psa("drift", "mappings.yaml")
    assert text.returncode == 2, text.output
    assert_terminal_safe(text.stdout + text.stderr)
    items = [
        line for line in text.stdout.split("\n") if line.startswith(f"  * {psa.case.section}[")
    ]
    assert len(items) == len(names), text.stdout  # one line per object: no line forged

    markdown = psa("drift", "mappings.yaml", "--format", "markdown")
    assert markdown.returncode == 2, markdown.output
    assert_markdown_safe(markdown.stdout, marker=DRIFT_MARKER)

    as_json = psa("drift", "mappings.yaml", "--format", "json")
    assert as_json.returncode == 2, as_json.output
    assert not hidden_characters(as_json.stdout), hidden_characters(as_json.stdout)
    drift = json.loads(as_json.stdout)["drift"]
    assert sorted(d["address"] for d in drift) == addresses


def test_hostile_live_names_round_trip_through_export(
    psa: PsaRig, request: pytest.FixtureRequest
) -> None:
    names = converge_then_plant(psa)
    section = psa.case.section

    exported = psa("export", "--psa", psa.case.name, "--section", section, "--out", "live.yaml")
    assert exported.returncode == 0, exported.output
    assert_terminal_safe(exported.stdout + exported.stderr)
    written = (psa.workdir / "live.yaml").read_text(encoding="utf-8")
    assert not hidden_characters(written), hidden_characters(written)
    document = yaml.safe_load(written)
    assert set(names) <= set(document[section]), sorted(document[section])


def test_hostile_live_names_stay_data_in_the_callouts_status(psa: PsaRig) -> None:
    names = converge_then_plant(psa)

    status = psa("webhooks", "status", "mappings.yaml")
    assert status.returncode in (0, 2), status.output
    assert_terminal_safe(status.stdout + status.stderr)
    for name in names:
        assert terminal(name)[:40] in status.stdout, name

    as_json = psa("webhooks", "status", "mappings.yaml", "--format", "json")
    assert as_json.returncode in (0, 2), as_json.output
    assert not hidden_characters(as_json.stdout), hidden_characters(as_json.stdout)


# --- credentials go to the operator's hosts only -------------------------------------------------


def _moved(url: str, host: str, *, scheme: str | None = None, userinfo: str = "") -> str:
    parts = urlsplit(url)
    netloc = (userinfo + "@" if userinfo else "") + host
    return urlunsplit((scheme or parts.scheme, netloc, parts.path, "", ""))


def steering(rig: PsaRig) -> list[tuple[str, str]]:
    """(variable, value) pairs that must be refused before any request."""
    env = rig.sandbox.env
    pairs = []
    for variable in rig.case.url_variables:
        pairs += [
            (variable, _moved(env[variable], "psa.attacker.example", scheme="http")),
            (variable, _moved(env[variable], "127.0.0.1", userinfo="me:pw")),
        ]
    return pairs + list(rig.case.steering)


def test_variables_steering_credentials_elsewhere_are_refused_before_any_request(
    psa: PsaRig,
) -> None:
    for variable, value in steering(psa):
        before = psa.simulator.stats()["requests"]
        refused = psa("plan", "mappings.yaml", env={variable: value})
        assert refused.returncode == 1, refused.output
        assert variable in refused.stderr, refused.output
        assert "me:pw" not in refused.output
        assert psa.simulator.stats()["requests"] == before, (variable, value)


def test_a_yaml_naming_a_connection_is_refused(psa: PsaRig) -> None:
    config = psa.workdir / "mappings.yaml"
    extra = "connection:\n  url: https://psa.attacker.example/api\n  client_id: x\n"
    config.write_text(config.read_text() + extra)
    before = psa.simulator.stats()["requests"]

    refused = psa("plan", "mappings.yaml")

    assert refused.returncode == 1, refused.output
    assert "connection" in refused.stderr, refused.output
    assert psa.simulator.stats()["requests"] == before


def test_a_saved_plan_moved_to_another_host_is_refused_before_any_request(psa: PsaRig) -> None:
    saved = psa("plan", "mappings.yaml", "--out", "plan.json")
    assert saved.returncode == 0, saved.output
    planned = psa.plan_json()
    target = planned["targets"][psa.case.name]
    moved = dict(
        planned,
        targets={**planned["targets"], psa.case.name: _moved(target, "psa.attacker.example")},
    )
    for name, content in (("edited.json", moved), ("resealed.json", seal(moved, None))):
        path = psa.workdir / name
        path.write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        before = (psa.simulator.stats()["requests"], psa.settings_writes())
        refused = psa("apply", name)
        assert refused.returncode != 0, refused.output
        assert (psa.simulator.stats()["requests"], psa.settings_writes()) == before, name
    assert psa.lock_holder() is None


def test_a_yaml_referencing_a_credential_is_refused_at_its_line(psa: PsaRig) -> None:
    """A pull request copying the pipeline's credentials into a callout URL (the PSA's own,
    Salesbuildr's, or another PSA's) would post them to that URL and print them in every
    plan: refused at the reference's line before any request, the value never shown."""
    variables = sorted(name for name, value in psa.sandbox.env.items() if value in psa.case.secrets)
    others = [v for p in registry.installed().values() if p.name != psa.case.name
              for v in p.env_vars if "SECRET" in v or "KEY" in v]  # fmt: skip
    assert variables and others, (variables, others)
    config = psa.workdir / "mappings.yaml"
    document = yaml.safe_load(config.read_text())
    first = next(iter(document[psa.case.section]))
    other = {others[0]: "RT-OTHER-CREDENTIAL-6d1f0c9e"}
    for name in [*variables, others[0]]:
        hostile = dict(document, **{psa.case.section: dict(document[psa.case.section])})
        hostile[psa.case.section][first] = dict(
            document[psa.case.section][first] or {}, url=f"https://hooks.example/${{env:{name}}}"
        )
        text = yaml.safe_dump(hostile, sort_keys=False, allow_unicode=True)
        config.write_text(text)
        line = next(
            n
            for n, row in enumerate(text.split("\n"), 1)
            if f"hooks.example/${{env:{name}}}" in row
        )
        for command in ("validate", "plan"):
            before = (
                psa.simulator.stats()["requests"],
                psa.sandbox.salesbuildr.stats()["requests"],
            )
            # The sandbox's own values stay set (the rig scans every run for them).
            refused = psa(command, "mappings.yaml", env=None if name in variables else other)
            assert refused.returncode == 1, refused.output
            assert f"mappings.yaml:{line}:" in refused.stderr, refused.output
            assert (
                f"${{env:{name}}} names a credential reconcile reads itself" in refused.stderr
                # the receiver's secret is the operator's own: it may stand in secret fields only
                or "${env:...} may stand only in secret fields and connection urls"
                in refused.stderr
            ), refused.output
            assert "RT-OTHER-CREDENTIAL-6d1f0c9e" not in refused.output
            after = (psa.simulator.stats()["requests"], psa.sandbox.salesbuildr.stats()["requests"])
            assert after == before, (name, command)


# --- secrets ------------------------------------------------------------------------------------


def test_no_secret_in_any_output_log_plan_or_journal(psa: PsaRig) -> None:
    runs = [
        psa("-vv", "validate", "mappings.yaml"),
        psa("-vv", "plan", "mappings.yaml", "--out", "plan.json"),
        psa("-vv", "plan", "mappings.yaml", "--format", "json"),
        psa("-vv", "plan", "mappings.yaml", "--format", "markdown"),
        psa("-vv", "apply", "plan.json"),
        psa("-vv", "drift", "mappings.yaml"),
        psa("-vv", "export", "--psa", psa.case.name, "--out", "exported.yaml"),
        psa("-vv", "webhooks", "status", "mappings.yaml"),
        psa("-vv", "preflight", "mappings.yaml"),
    ]
    assert [r.returncode for r in runs[:5]] == [0] * 5, [r.output for r in runs]
    # A write whose answer is lost, logged at -vv; and a wrong credential under --debug.
    psa.simulator.middleware.is_read = lambda method, path: not psa.case.write(method, path)
    psa.plant("to be deleted")
    psa.simulator.set_faults({"reset-after-commit": 1.0})
    runs.append(psa("-vv", "apply", "mappings.yaml", "--auto-approve"))
    psa.simulator.set_faults(None)
    variable = next(k for k, v in psa.sandbox.env.items() if v == psa.case.secrets[1])
    wrong = {variable: "RT-WRONG-VALUE-0000"}
    runs.append(psa("--debug", "-vv", "plan", "mappings.yaml", env=wrong))
    for run in runs:
        assert not psa.secrets_in(run.stdout + run.stderr), run.output
    files = [p for p in psa.workdir.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".jsonl") for p in files), files
    assert any(p.name == "plan.json" for p in files), files
    assert psa.scan_files() == []
    for path in files:
        assert psa.case.secrets[1] not in Path(path).read_text(errors="replace")
