"""Golden: plan (text, Markdown, JSON, the saved plan), show, apply of the saved plan, the plan
after it (no changes), export, and export -> plan = zero; against fresh demo/empty sandboxes.

The saved plan is compared as written, normalised as text (data/plan/demo-saved-plan.json). Its
``observed`` fingerprints of webhooks are volatile: a live webhook's URL is the sandbox
receiver's, whose port is chosen free at start, and the fingerprint is a hash of the object as
read.
"""

from __future__ import annotations

import json
from pathlib import Path

from golden_sandbox import SandboxFactory
from golden_support import Normaliser, Transcript, check_golden, transcript

EXAMPLE = "examples/mappings.yaml"


def is_volatile_fingerprint(path: list[str]) -> bool:
    return len(path) == 2 and path[0] == "observed" and path[1].startswith("webhooks[")


def learn_volatile_fingerprints(plan_file: Path, normaliser: Normaliser) -> None:
    """Fingerprints of webhooks in a saved plan, replaced wherever they appear in the text."""
    observed = json.loads(plan_file.read_text(encoding="utf-8"))["observed"]
    for address, value in observed.items():
        if is_volatile_fingerprint(["observed", address]):
            normaliser.extra[value] = "sha256:<fingerprint of a webhook: holds a sandbox port>"


def plan_every_format(scenario: Transcript) -> None:
    scenario.run("plan", EXAMPLE)
    scenario.run("plan", EXAMPLE, "--format", "markdown")
    scenario.run("plan", EXAMPLE, "--format", "json")
    scenario.run("plan", EXAMPLE, "--detailed-exitcode")


def test_plan_show_apply_replan_on_demo(sandboxes: SandboxFactory, workdir: Path) -> None:
    sandbox = sandboxes("demo")
    scenario = transcript("plan/demo-plan-show-apply.txt", env=sandbox.env, workdir=workdir)
    plan_every_format(scenario)
    scenario.run("plan", EXAMPLE, "--out", "plan.json")
    learn_volatile_fingerprints(workdir / "plan.json", scenario.normaliser)
    check_file("plan/demo-saved-plan.json", workdir / "plan.json", scenario)
    for fmt in ("text", "markdown", "json"):
        scenario.run("show", "plan.json", "--format", fmt)

    # One write at a time: the journal's order and the ids and ETags the simulators hand out
    # follow the order of the writes, which parallel writes do not fix.
    scenario.run("apply", "plan.json", "--parallelism", "1")  # a saved plan: no question
    check_file("plan/demo-journal.jsonl", workdir / "plan.json.journal.jsonl", scenario)
    scenario.run("plan", EXAMPLE, "--detailed-exitcode")
    scenario.run("apply", "plan.json", "--auto-approve")  # applied already: stale
    scenario.run("drift", EXAMPLE)
    scenario.check()


def test_parallel_apply_of_a_saved_plan(sandboxes: SandboxFactory, workdir: Path) -> None:
    """The default parallelism: its progress lines are printed as each chain starts, at
    dependency barriers, so they come in one order; the journal's order is not compared."""
    sandbox = sandboxes("demo")
    scenario = transcript("plan/demo-parallel-apply.txt", env=sandbox.env, workdir=workdir)
    scenario.run("plan", EXAMPLE, "--out", "plan.json")
    scenario.run("apply", "plan.json")
    scenario.run("plan", EXAMPLE, "--detailed-exitcode")
    scenario.check()


def test_plan_and_apply_on_empty(sandboxes: SandboxFactory, workdir: Path) -> None:
    sandbox = sandboxes("empty")
    scenario = transcript("plan/empty-plan-apply.txt", env=sandbox.env, workdir=workdir)
    plan_every_format(scenario)
    scenario.run("apply", EXAMPLE)  # plans, then has no terminal to ask on
    scenario.run("apply", EXAMPLE, "--auto-approve", "--parallelism", "1")
    scenario.run("plan", EXAMPLE, "--detailed-exitcode")
    scenario.check()


def test_export_of_demo_and_of_the_applied_demo(sandboxes: SandboxFactory, workdir: Path) -> None:
    sandbox = sandboxes("demo")
    scenario = transcript("export/demo-export.txt", env=sandbox.env, workdir=workdir)
    scenario.run("export")
    scenario.run("export", "--section", "webhooks", "--section", "inventory")
    scenario.run("export", "--out", "exported.yaml")
    check_file("export/demo-exported.yaml", workdir / "exported.yaml", scenario)
    scenario.run("export", "--out", "exported.yaml")  # exists: refused without --force
    scenario.run("plan", "exported.yaml", "--detailed-exitcode")

    scenario.run("apply", EXAMPLE, "--auto-approve", "--parallelism", "1")
    scenario.run("export", "--out", "applied.yaml")
    check_file("export/applied-exported.yaml", workdir / "applied.yaml", scenario)
    scenario.run("plan", "applied.yaml", "--detailed-exitcode")
    scenario.check()


def check_file(name: str, written: Path, scenario: Transcript) -> None:
    """A file a command wrote, normalised as its output is."""
    check_golden(name, scenario.normaliser.text(written.read_text(encoding="utf-8")))


DESTRUCTIVE = """\
version: 1
policy:
  manage: {inventory: full, webhooks: full, billing_codes: full}
  max_deletes: 1
billing_codes:
  default: Hardware Sales
inventory:
  locations:
    Main Warehouse: {active: true, default: true, track_stock: false}
webhooks: {}
"""


def test_deletes_deactivations_and_thresholds(sandboxes: SandboxFactory, workdir: Path) -> None:
    """``manage: full``: what the YAML drops is deactivated (inventory) or deleted (webhooks,
    mapping rows); more deletes than ``max_deletes`` need --force."""
    sandbox = sandboxes("demo")
    (workdir / "full.yaml").write_text(DESTRUCTIVE, encoding="utf-8")
    scenario = transcript("plan/demo-destructive.txt", env=sandbox.env, workdir=workdir)
    scenario.run("plan", "full.yaml", "--detailed-exitcode")
    scenario.run("plan", "full.yaml", "--format", "markdown")
    scenario.run("apply", "full.yaml", "--auto-approve")
    scenario.run("apply", "full.yaml", "--auto-approve", "--force", "--parallelism", "1")
    scenario.run("plan", "full.yaml", "--detailed-exitcode")
    scenario.check()


def test_targeting_and_secret_rotation(sandboxes: SandboxFactory, workdir: Path) -> None:
    sandbox = sandboxes("demo")
    scenario = transcript("plan/demo-targeting.txt", env=sandbox.env, workdir=workdir)
    scenario.run("plan", EXAMPLE, "--target", "webhooks")
    scenario.run("plan", EXAMPLE, "--target", 'webhooks["sb-companies"]', "--format", "markdown")
    scenario.run("plan", EXAMPLE, "--exclude", "webhooks", "--exclude", "purchase_order")
    scenario.run("plan", EXAMPLE, "--target", "billing_codes.categories[*]")
    scenario.run("plan", EXAMPLE, "--target", "webhoks")
    scenario.run("plan", EXAMPLE, "--rotate-secrets", "--target", "webhook_receiver")
    scenario.run("apply", EXAMPLE, "--auto-approve", "--parallelism", "1", "--target", "inventory")
    scenario.run("plan", EXAMPLE, "--target", "inventory", "--detailed-exitcode")
    scenario.check()


def test_signed_and_edited_plans(sandboxes: SandboxFactory, workdir: Path) -> None:
    """With RECONCILE_PLAN_SIGNING_KEY a saved plan is signed; show and apply check the seal."""
    sandbox = sandboxes("demo")
    key = {"RECONCILE_PLAN_SIGNING_KEY": "golden-signing-key"}
    scenario = transcript("plan/demo-signed.txt", env=sandbox.env, workdir=workdir)
    scenario.run("plan", EXAMPLE, "--out", "signed.json", env=key)
    learn_volatile_fingerprints(workdir / "signed.json", scenario.normaliser)
    signed = json.loads((workdir / "signed.json").read_text(encoding="utf-8"))
    scenario.normaliser.extra[signed["signature"]] = "<signature: covers the checksum>"
    scenario.run("show", "signed.json", env=key)
    scenario.run("show", "signed.json", env={"RECONCILE_PLAN_SIGNING_KEY": "another-key"})
    scenario.run("show", "signed.json")
    scenario.run("plan", EXAMPLE, "--out", "unsigned.json")
    scenario.run("apply", "unsigned.json", "--auto-approve", env=key)

    edited = json.loads((workdir / "unsigned.json").read_text(encoding="utf-8"))
    edited["policy"]["max_deletes"] = 500
    (workdir / "edited.json").write_text(json.dumps(edited, indent=2), encoding="utf-8")
    scenario.note("edited.json: unsigned.json with policy.max_deletes raised to 500")
    scenario.run("show", "edited.json")
    scenario.run("apply", "edited.json", "--auto-approve")
    scenario.check()
