"""10. No secret appears anywhere outside the process.

The whole suite runs against a sandbox whose credentials and webhook secrets are recognisable
values (``reliability_support.SECRETS``); every run's stdout and stderr is scanned as it ends, and
every test's working directory when the test ends. This test adds the runs that handle secrets
most (``-vv`` everywhere: plan in every format, apply, ``--rotate-secrets``, drift, export, the
operations commands, a write whose answer is lost, ``--debug`` with a wrong credential), records a
vcrpy cassette of a whole apply through the project's cassette filters, and then searches
everything: outputs, plan files, journals, exported YAML, logs, the recorded cassette and every
cassette in the repository, and the transcript of every run this session made.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cassette_support import CASSETTES, ORIGINS, Scrubber, credential_findings, recorder
from reliability_support import (
    EXTRA_SECRETS,
    TRANSCRIPTS,
    Rig,
    iter_files,
    scan_directory,
    secret_values,
    secrets_in,
)

from reconciler import session
from reconciler.apply import JsonlJournal, apply_plan
from reconciler.config import load_config
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS

pytestmark = pytest.mark.slow

EXTERNAL_HOOK = (
    (
        "  sb-tickets:\n",
        "  sb-external:\n"
        "    entity: contact\n"
        "    url: https://hooks.partner.example/autotask\n"
        "    secret: ${env:WEBHOOK_SECRET_SB_EXTERNAL}\n"
        "    fields: [FirstName, LastName]\n"
        "  sb-tickets:\n",
    ),
)


def test_no_secret_in_any_output_file_or_cassette(rig: Rig, tmp_path: Path) -> None:
    rig.example(*EXTERNAL_HOOK)
    r = rig.reconcile
    runs = [
        r("-vv", "validate", "mappings.yaml"),
        r("-vv", "plan", "mappings.yaml", "--out", "plan.json"),
        r("-vv", "plan", "mappings.yaml", "--format", "json"),
        r("-vv", "plan", "mappings.yaml", "--format", "markdown"),
        r("-vv", "apply", "plan.json"),
        r("-vv", "plan", "mappings.yaml", "--rotate-secrets", "--out", "rotate.json"),
    ]
    rotated = {
        "SALESBUILDR_WEBHOOK_SECRET": EXTRA_SECRETS["RT_ROTATED_SECRET"],
        "WEBHOOK_SECRET_SB_EXTERNAL": EXTRA_SECRETS["RT_ROTATED_SECRET"],
    }
    runs.append(r("-vv", "apply", "rotate.json", env=rotated))
    assert (
        rig.salesbuildr.settings("webhook-receiver")["secret"]
        == rotated["SALESBUILDR_WEBHOOK_SECRET"]
    )  # the secret really travelled, once, in a write body
    drifted = rig.world.autotask.patch(
        "/ContactWebhooks",
        json={"id": rig.world.webhooks("ContactWebhooks")[0]["id"], "isActive": False},
    )
    assert drifted.status_code == 200, drifted.text
    for fmt in ("text", "json", "markdown"):
        runs.append(r("-vv", "drift", "mappings.yaml", "--format", fmt, env=rotated))
    runs += [
        r("-vv", "export", "--out", "exported.yaml"),
        r("-vv", "export"),
        r("-vv", "plan", "exported.yaml", env=rotated),
        r("-vv", "webhooks", "status", "mappings.yaml", env=rotated),
        r("-vv", "webhooks", "report"),
        r("-vv", "force-unlock", "--auto-approve"),
    ]
    # A write whose answer is lost, and a run with a wrong credential under --debug.
    (rig.workdir / "mappings.yaml").write_text(
        (rig.workdir / "mappings.yaml")
        .read_text()
        .replace("default: Hardware Sales", "default: Labor")
    )
    r("-vv", "plan", "mappings.yaml", "--out", "lost.json", env=rotated)
    rig.salesbuildr.set_faults({"reset-after-commit": 1.0})
    runs.append(r("-vv", "apply", "lost.json", env=rotated))
    rig.salesbuildr.set_faults({})
    wrong = {"AUTOTASK_API_SECRET": EXTRA_SECRETS["RT_ROTATED_SECRET"] + "-wrong"}
    runs.append(r("--debug", "-vv", "plan", "mappings.yaml", env={**rotated, **wrong}))
    assert runs[-1].returncode == 1
    assert "refused the credentials" in runs[-1].stderr
    # drift exits 2 (a webhook was deactivated by hand); the lost-answer apply verifies, then its
    # after_apply sync job loses its answer too (exit 1); the wrong credential is refused (1).
    assert [run.returncode for run in runs] == [0] * 7 + [2] * 3 + [0] * 6 + [1, 1], [
        run.output for run in runs
    ]
    assert "Verified" in runs[-2].stdout
    for run in runs:
        assert not secrets_in(run.stdout + run.stderr), run.output

    exported = (rig.workdir / "exported.yaml").read_text()
    assert "sb-external:" in exported and "WEBHOOK_SECRET_" not in exported  # secrets: kept
    journals = list(rig.workdir.glob("*.journal.jsonl"))
    assert len(journals) >= 2
    assert any(f.suffix == ".json" for f in iter_files(rig.workdir))

    cassettes = record_an_apply_cassette(rig, tmp_path / "cassettes")
    values = [*secret_values(), wrong["AUTOTASK_API_SECRET"]]
    assert credential_findings(cassettes, values) == []
    assert credential_findings(CASSETTES, values) == []
    assert scan_directory(rig.workdir) == []
    leaked = [what for what, text in TRANSCRIPTS if secrets_in(text)]
    assert leaked == [], leaked


def record_an_apply_cassette(rig: Rig, library: Path) -> Path:
    """Plan and apply the example in this process while vcrpy records every request through the
    project's cassette filters (headers replaced, secret JSON keys scrubbed; no list of known
    values, so that the structural filters alone must be enough)."""
    for simulator in (rig.autotask, rig.salesbuildr):
        simulator.reset("empty")
    env = {**rig.sandbox.env, **EXTRA_SECRETS}
    origins = {
        f"{urlsplit(env[name]).scheme}://{urlsplit(env[name]).netloc}": ORIGINS[system]
        for name, system in (
            ("AUTOTASK_API_URL", "autotask"),
            ("SALESBUILDR_API_URL", "salesbuildr"),
        )
    }
    scrubber = Scrubber("autotask", origins=origins, secrets=())
    loaded = load_config(rig.example(*EXTERNAL_HOOK, name="recorded.yaml"), environ=env)
    journal = JsonlJournal(rig.workdir / "recorded.journal.jsonl")
    logger = logging.getLogger("reconciler")
    tape = recorder("autotask", scrubber, "all", library=library).use_cassette("apply")
    try:
        with (
            tape,
            session.connect(loaded, env, sections=loaded.config.present_sections()) as connections,
        ):
            run = session.make_plan(loaded, connections)
            apply_plan(
                run.plan,
                session.writer_for(connections, env, run.desired),
                journal=journal,
                check_stale=False,
                kinds=AUTOTASK_KINDS,
            )
    finally:
        journal.close()
        logger.handlers.clear()
    cassette = library / "autotask" / "apply.yaml"
    text = cassette.read_text()
    assert "secretKey" in text and "<REDACTED>" in text  # the webhook creates were recorded
    assert rig.world.webhooks("ContactWebhooks", "sb-external")
    return library
