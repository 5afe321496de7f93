"""More reliability scenarios, once for every PSA of tests/psa_suites.CASES.

* Bad input is an error at ``file:line:col`` (exit 1, no traceback) before any request to either
  system: an unknown key, a duplicated key, a section or a policy key of another PSA (Autotask's
  request-budget floor among them: these PSAs have a rate cap instead), a wrong value type.
* A live name the PSA does not have is a did-you-mean at its line at plan time; apply writes
  nothing.
* Two applies at once, as two real processes: the second is refused at once (exit 3) naming the
  first, which holds the lock (stopped by SIGSTOP at a known point, its write held in the
  simulator until then) and then finishes and converges.
* A saved plan is refused as stale when an object it deletes was removed since (exit 3, not one
  write, no journal).
* The client-side rate cap (where the environment sets it) holds the request past the cap until
  its window has room: the simulator has seen exactly the cap when the client says it waits.
"""

from __future__ import annotations

import os
import re
import signal

import pytest

from reconciler.psa import registry
from tests.psa_suites import CASES, PsaRig, cases, held_then_answered, psa, wait_until
from tests.reliability.psa_case import PsaCase

__all__ = ["psa"]  # the fixture, used by name

pytestmark = pytest.mark.slow


def requests(rig: PsaRig) -> tuple[int, int]:
    """Requests either simulator has answered (or refused) so far."""
    return int(rig.simulator.stats()["requests"]), int(rig.sandbox.salesbuildr.stats()["requests"])


# --- bad input --------------------------------------------------------------------------------


def foreign_section(case: PsaCase) -> str | None:
    """A section of another PSA that this one does not have."""
    psas = registry.installed()
    own = set(psas[case.name].sections())
    other = sorted({s for p in psas.values() if p.name != case.name for s in p.sections()} - own)
    return other[0] if other else None


def foreign_policy_key(case: PsaCase) -> str | None:
    """A policy key of another PSA (Autotask's request floor) this one does not have."""
    psas = registry.installed()
    own = set(psas[case.name].policy_keys)
    keys = sorted({k for p in psas.values() for k in p.policy_keys} - own)
    return keys[0] if keys else None


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line holding ``needle``."""
    found = [n for n, line in enumerate(text.split("\n"), 1) if needle in line]
    assert found, needle
    return found[0]


def bad_documents(rig: PsaRig) -> list[tuple[str, str, str]]:
    """(what, document, the ``file:line:col`` prefix of its first error) made from the example."""
    example = (rig.workdir / "mappings.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n"
    end = example.count("\n") + 1  # the line an appended line lands on
    made = [
        ("unknown top-level key", example + "polcy: {}\n", f"mappings.yaml:{end}:1"),
        ("duplicated key", example + "version: 1\n", f"mappings.yaml:{end}:1"),
    ]
    version = line_of(example, "version: 1")
    wrong = example.replace("version: 1", "version: [1]", 1)
    made.append(("wrong value type", wrong, f"mappings.yaml:{version}:"))
    section = foreign_section(rig.case)
    if section is not None:
        made.append(
            ("another PSA's section", example + f"{section}: {{}}\n", f"mappings.yaml:{end}:1")
        )
    key = foreign_policy_key(rig.case)
    if key is not None:
        policy = line_of(example, "policy:")
        inserted = example.replace("policy:\n", f"policy:\n  {key}: 100\n", 1)
        made.append(("another PSA's policy key", inserted, f"mappings.yaml:{policy + 1}:3"))
    return made


def test_bad_input_is_an_error_at_its_line_before_any_request(psa: PsaRig) -> None:
    config = psa.workdir / "mappings.yaml"
    documents = bad_documents(psa)
    assert len(documents) >= 4, documents  # every PSA has another PSA's sections
    every = (("validate", "mappings.yaml"), ("plan", "mappings.yaml"),
             ("apply", "mappings.yaml", "--auto-approve"))  # fmt: skip
    for n, (what, document, where) in enumerate(documents):
        config.write_text(document, encoding="utf-8")
        # Each document through plan (which would read both systems); the first through all
        # three commands (they load a file the same way).
        for args in every if n == 0 else every[1:2]:
            before = requests(psa)
            refused = psa(*args)
            assert refused.returncode == 1, (what, refused.output)
            first = next(line for line in refused.stderr.split("\n") if ": error: " in line)
            assert first.startswith(where), (what, where, refused.output)
            assert requests(psa) == before, (what, args)  # not one request to either system
    assert psa.lock_holder() is None


@cases(lambda case: foreign_policy_key(case) is not None)  # all but the PSA owning them
def test_the_policy_key_of_another_psa_names_whose_it_is(psa: PsaRig) -> None:
    key = foreign_policy_key(psa.case)
    owners = [p.title for p in registry.installed().values() if key in p.policy_keys]
    document = next(d for what, d, _ in bad_documents(psa) if what == "another PSA's policy key")
    (psa.workdir / "mappings.yaml").write_text(document, encoding="utf-8")

    refused = psa("validate", "mappings.yaml")

    assert refused.returncode == 1, refused.output
    assert f"policy.{key} is an {owners[0]} policy key" in refused.stderr, refused.output
    assert f"psa: {psa.case.name}" in refused.stderr


def test_an_unknown_live_name_is_a_did_you_mean_at_its_line(psa: PsaRig) -> None:
    key, value = psa.case.live_name
    config = psa.workdir / "mappings.yaml"
    text = config.read_text(encoding="utf-8")
    assert f"{key}: {value}" in text, (key, value)
    typo = value[:-1]  # the last letter lost: still the closest name
    config.write_text(text.replace(f"{key}: {value}", f"{key}: {typo}", 1), encoding="utf-8")
    line = line_of(text, f"{key}: {value}")
    column = text.split("\n")[line - 1].index(f"{key}: ") + len(key) + 3

    for args in (("plan", "mappings.yaml"), ("apply", "mappings.yaml", "--auto-approve")):
        refused = psa(*args)
        assert refused.returncode == 1, refused.output
        assert f"mappings.yaml:{line}:{column}: error:" in refused.stderr, refused.output
        assert typo in refused.stderr
        assert re.search(rf"did you mean .*{re.escape(value)}", refused.stderr), refused.output
    assert (psa.psa_writes(), psa.settings_writes()) == (0, 0)
    assert psa.journals() == []
    assert psa.lock_holder() is None


# --- the lock, between two real processes -----------------------------------------------------


def test_a_second_apply_is_refused_while_the_first_holds_the_lock(psa: PsaRig) -> None:
    selected = psa.case.write
    missing = psa.missing()
    with held_then_answered(psa.simulator.middleware, selected) as (arrived, release):
        first = psa.start("apply", "mappings.yaml", "--auto-approve")
        wait_until(arrived.is_set, "the first apply to reach its first create")
        pid = first.popen.pid
        os.kill(pid, signal.SIGSTOP)  # it holds the lock and waits for its create's answer
        try:
            release.set()  # the create is committed; its answer waits in the stopped client
            wait_until(lambda: psa.missing() != missing, "the held create to commit")
            holder = psa.lock_holder()
            assert holder is not None and holder["owner"].endswith(f":{pid}"), holder
            before = (psa.psa_writes(), psa.settings_writes())

            second = psa("apply", "mappings.yaml", "--auto-approve", "--lock-timeout", "0s")

            assert second.returncode == 3, second.output
            assert "another apply holds the lock" in second.stderr, second.output
            assert f":{pid}" in second.stderr, second.output  # the holder, named
            assert (psa.psa_writes(), psa.settings_writes()) == before  # not one write
        finally:
            os.kill(pid, signal.SIGCONT)
    done = psa.finished(first)
    assert done.returncode == 0, done.output
    psa.assert_converged()


# --- stale plans -------------------------------------------------------------------------------


def test_a_saved_plan_is_refused_when_an_object_it_deletes_was_removed(psa: PsaRig) -> None:
    applied = psa("apply", "mappings.yaml", "--auto-approve")
    assert applied.returncode == 0, applied.output
    psa.plant("Planted by an admin")
    planned = psa("plan", "mappings.yaml", "--out", "plan.json")
    assert planned.returncode == 0, planned.output
    deletes = [c for c in psa.plan_json()["changes"] if c["action"] == "delete"]
    assert [c["key"] for c in deletes] == [psa.case.plan_key("Planted by an admin")], deletes
    psa.case.remove(psa.env, "Planted by an admin")  # removed by hand after the review
    before = (psa.psa_writes(), psa.settings_writes())
    journalled = len(psa.journals())

    stale = psa("apply", "plan.json")

    assert stale.returncode == 3, stale.output
    assert "Saved plan is stale" in stale.stderr, stale.output
    assert f"{deletes[0]['address']}: no longer exists" in stale.stderr, stale.output
    assert (psa.psa_writes(), psa.settings_writes()) == before
    assert len(psa.journals()) == journalled
    assert psa.lock_holder() is None
    psa.assert_converged()


# --- the client-side rate cap -------------------------------------------------------------------


@cases(lambda case: bool(case.client_cap_variable))
def test_the_client_side_cap_holds_the_request_past_it(psa: PsaRig) -> None:
    """The cap set low from the environment: a plan needs more requests than it allows, so the
    client says it waits for its window when the simulator has seen exactly the cap (the wait
    is most of the window, so nothing else comes meanwhile); then it is stopped."""
    cap = 3
    process = psa.start("-v", "plan", "mappings.yaml", env={psa.case.client_cap_variable: str(cap)})
    waiting = "request budget spent: waiting"

    def said() -> str:
        return process.err.read_text(errors="replace")

    wait_until(
        lambda: waiting in said() or process.popen.poll() is not None,
        "the client to wait for its rate cap",
    )
    assert waiting in said(), said()
    wait_until(lambda: requests(psa)[0] >= cap, "the capped requests to arrive")
    assert requests(psa)[0] == cap, psa.simulator.stats()
    seconds = float(re.findall(r"waiting ([0-9.]+) s", said())[0])
    assert 0 < seconds <= psa.case.client_cap_window_s
    process.kill()
    killed = psa.finished(process, killed=True)
    assert killed.returncode < 0, killed.output


assert CASES, "no PSA names a suite case"
