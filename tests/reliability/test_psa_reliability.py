"""The reliability scenarios, once for every PSA of tests/psa_suites.CASES (its plugin's fixtures).

Every apply is a real ``python -m reconciler`` process against the PSA's simulator and the
Salesbuildr one over loopback; "nothing lost" is checked through the simulators' own APIs:

* a create whose answer is lost (committed, then the connection reset) is resolved by its natural
  key (a callback's description, a webhook's name) and adopted: nothing is created twice;
* an apply SIGKILLed mid-way (at a held request, so the point is known on any machine) leaves a
  truthful journal and its lock; the next apply takes the dead run's lock over and converges;
* a saved plan is refused as stale when the live objects moved since it was made;
* another run's apply lock refuses an apply at once (exit 3) naming the holder;
* a 429 storm from the PSA's own rate cap is waited out as its Retry-After asks;
* the PSA's validation refusal of a write is a clear error naming the field, not a traceback.

Autotask's hourly budget and thread limit have no counterpart here: each PSA has a rate cap
(its simulator's, :attr:`PsaCase.rate_cap`; the client's own: test_psa_scenarios).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.psa_suites import PsaRig, cases, held_and_dropped, psa, wait_until

__all__ = ["psa"]  # the fixture, used by name

pytestmark = pytest.mark.slow


def test_a_create_whose_answer_is_lost_is_adopted_by_natural_key(psa: PsaRig) -> None:
    case = psa.case
    middleware = psa.simulator.middleware
    # Only the PSA's creates lose their answers (the token and settings calls are answered).
    middleware.is_read = lambda method, path: not case.write(method, path)
    missing = psa.missing()
    assert missing, "the example creates none of the PSA's objects"
    psa.simulator.set_faults({"reset-after-commit": 1.0})

    applied = psa("apply", "mappings.yaml", "--auto-approve")
    psa.simulator.set_faults(None)

    assert applied.returncode == 0, applied.output
    creates = psa.creates()
    assert len(creates) == len(missing), creates
    assert {r["outcome"] for r in creates} == {"adopted"}, creates
    live_ids = {str(row["id"]) for row in psa.objects()}
    assert {str(r["id"]) for r in creates} <= live_ids
    psa.assert_converged()


def _is_settings_put(method: str, path: str) -> bool:
    return method == "PUT" and "/settings/" in path


@pytest.mark.parametrize("at", ["psa-create", "settings-put"])
@pytest.mark.parametrize("resume", ["yaml", "saved-plan"])
def test_an_apply_killed_mid_way_resumes_from_the_journal_and_converges(
    psa: PsaRig, at: str, resume: str
) -> None:
    planned = psa("plan", "mappings.yaml", "--out", "plan.json")
    assert planned.returncode == 0, planned.output
    missing = psa.missing()
    if at == "psa-create":  # killed with the PSA's create in flight, never committed
        middleware, selected = psa.simulator.middleware, psa.case.write
    else:  # killed after the PSA's objects, at the first Salesbuildr document
        middleware, selected = psa.sandbox.salesbuildr.middleware, _is_settings_put

    with held_and_dropped(middleware, selected) as arrived:
        process = psa.start("apply", "plan.json")
        wait_until(arrived.is_set, "the apply to reach the held request")
        pid = process.popen.pid
        process.kill()
    killed = psa.finished(process, killed=True)
    assert killed.returncode < 0, killed.output

    journal = psa.journals()
    if at == "settings-put":  # every create answered before the kill is journalled, and live
        creates = psa.creates()
        assert {str(r["id"]) for r in creates} <= {str(o["id"]) for o in psa.objects()}
        assert len(creates) == len(missing), journal
    assert all(r["outcome"] == "ok" for r in journal), journal
    holder = psa.lock_holder()
    assert holder is not None and holder["owner"].endswith(f":{pid}"), holder

    if resume == "saved-plan":
        rest = psa("plan", "mappings.yaml", "--out", "rest.json")
        assert rest.returncode == 0, rest.output
        # Nothing the journal says was written is created again. (An object written in
        # stages, an Autotask webhook and then its fields, may still be left to update.)
        done = {a for r in journal for a in r["addresses"]}
        left = {
            c["address"] for c in psa.plan_json("rest.json")["changes"] if c["action"] == "create"
        }
        assert not done & left, (done, left)
        rerun = psa("apply", "rest.json")
    else:
        rerun = psa("apply", "mappings.yaml", "--auto-approve")
    assert rerun.returncode == 0, rerun.output
    assert "taking over the lock" in rerun.stderr, rerun.output
    assert f":{pid}" in rerun.stderr
    psa.assert_converged()


def test_a_saved_plan_is_refused_when_live_changed_since(psa: PsaRig) -> None:
    planned = psa("plan", "mappings.yaml", "--out", "plan.json")
    assert planned.returncode == 0, planned.output
    name = psa.missing()[0]
    psa.plant(name)  # someone created an object the plan creates
    before = (psa.psa_writes(), psa.settings_writes())

    applied = psa("apply", "plan.json")

    assert applied.returncode == 3, applied.output
    assert "Saved plan is stale" in applied.stderr, applied.output
    assert "was created by someone else since the plan" in applied.stderr, applied.output
    assert "run `reconcile plan` again" in applied.stderr
    assert (psa.psa_writes(), psa.settings_writes()) == before  # not one write
    assert [r for r in psa.journals()] == []
    assert psa.lock_holder() is None


def test_another_runs_lock_refuses_an_apply_naming_the_holder(psa: PsaRig) -> None:
    owner = "ops@build-host-7:4242"
    with psa.salesbuildr() as api:
        taken = api.put(psa.lock_path, json={"owner": owner, "ttlSeconds": 600})
    assert taken.status_code in (200, 201), taken.text
    before = psa.psa_writes()

    refused = psa("apply", "mappings.yaml", "--auto-approve", "--lock-timeout", "0s")

    assert refused.returncode == 3, refused.output
    assert owner in refused.stderr, refused.output
    assert psa.psa_writes() == before
    assert psa.keys() != psa.desired_keys()
    with psa.salesbuildr() as api:
        released = api.delete(psa.lock_path, headers={"X-Lock-Owner": owner})
        assert released.status_code == 204, released.text
    applied = psa("apply", "mappings.yaml", "--auto-approve")
    assert applied.returncode == 0, applied.output
    psa.assert_converged()


def _rate_cap(psa: PsaRig, limit: int, window_s: float) -> Any:
    assert psa.case.rate_cap is not None
    return psa.case.rate_cap(limit, window_s)


CAPPED = cases(lambda case: case.rate_cap is not None)
"""The PSAs whose simulator has a rate cap of its own (Autotask's limits: its own suites)."""


@CAPPED
def test_a_429_storm_is_waited_out_as_retry_after_asks(psa: PsaRig) -> None:
    """The simulator's own rate cap, far below what an apply needs in one window: every request
    past it is a 429 with Retry-After; the client waits as asked (within --max-rate-wait) and the
    apply converges with nothing sent twice."""
    # At most 3 refusals in all (each Retry-After 1 s): fewer than any client's retries, so
    # the outcome does not depend on how the machine schedules the requests in flight.
    cap = _rate_cap(psa, limit=1, window_s=1.0)
    refusals: list[Any] = []
    answer = cap.refusal

    def counted() -> Any:
        if len(refusals) >= 3:
            return None
        refused = answer()
        if refused is not None:
            refusals.append(refused)
        return refused

    cap.refusal = counted
    missing = psa.missing()
    psa.simulator.rate_cap = cap

    applied = psa("apply", "mappings.yaml", "--auto-approve", env={"RECONCILE_MAX_RATE_WAIT": "60"})
    psa.simulator.rate_cap = None

    assert applied.returncode == 0, applied.output
    assert refusals, "the storm never happened"
    assert all("Retry-After" in r.headers for r in refusals)
    creates = psa.creates()
    assert len(creates) == len(missing), creates
    psa.assert_converged()


class OneRefusal:
    """A rate cap that lets the first request through and refuses the second (Retry-After: the
    window), then none: the refusal is certain, and a run that waits it out does not hang."""

    def __init__(self, cap: Any) -> None:
        self.cap = cap
        self.refused: list[Any] = []

    def refusal(self) -> Any:
        if self.refused:
            return None
        answer = self.cap.refusal()
        if answer is not None:
            self.refused.append(answer)
        return answer


@CAPPED
def test_a_429_asking_for_more_than_the_wait_cap_stops_naming_when_to_retry(
    psa: PsaRig, request: pytest.FixtureRequest
) -> None:
    one = OneRefusal(_rate_cap(psa, limit=1, window_s=20.0))
    psa.simulator.rate_cap = one
    before = psa.psa_writes()

    stopped = psa("plan", "mappings.yaml", env={"RECONCILE_MAX_RATE_WAIT": "5"})

    assert one.refused, "no 429 was sent"
    assert psa.psa_writes() == before
    assert stopped.returncode == 1, stopped.output
    assert "rate limit" in stopped.stderr.lower(), stopped.output
    assert "--max-rate-wait" in stopped.stderr, stopped.output


def test_the_psas_validation_refusal_names_the_field(psa: PsaRig) -> None:
    psa.case.refuse(psa.simulator)

    applied = psa("apply", "mappings.yaml", "--auto-approve")

    assert applied.returncode != 0, applied.output
    assert psa.case.refused_field in applied.stderr, applied.output
    assert "Traceback" not in applied.stderr
    failed = [r for r in psa.journals() if r["outcome"] != "ok"]
    assert failed, psa.journals()
    assert psa.lock_holder() is None
