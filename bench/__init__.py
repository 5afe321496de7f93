"""Benchmarks of reconcile against the sandbox: ``python -m bench`` (``make bench``).

The client runs in this process; both simulators run in a child process (:mod:`bench.sim`) with a
fixed latency per request (120 ms by default), so the client's CPU time, memory and wall time
are its own. Workloads (:mod:`bench.workloads`):

* W1 plan, no-op, on the ``large`` seed (the YAML is its export);
* W2 plan with 1 % drift: 51 objects changed by hand across five sections (:mod:`bench.drift`);
* W3 apply, cold create: the ``large`` tenant's reference data, no integration settings, to the
  W1 YAML with a secret on every webhook (a create needs one), run at ``--apply-latency-ms``
  (30 ms) with ``--parallelism`` N (8) where apply takes one;
* W4 scale series: webhooks 10 -> 500, categories and mappings 100 -> 20,000, billing codes
  100 -> 5,000 (plans over HTTP), and ``compute_plan`` alone on hand-built states of 100 ->
  20,000 objects (:mod:`bench.compute`);
* W5 the W1 plan on a busy tenant: Autotask's hourly counter preset to 60 %, where every
  Autotask call is slowed by 0.5 s;
* W6 sandbox startup (:mod:`bench.startup`): ``reconcile sandbox`` until ready, ``start_sandbox``
  and the Autotask simulator on ``demo`` and ``large``, the speed targets the tests no longer
  assert (a test must pass on a busy machine);
* W7, W8 a no-op plan of ConnectWise Manage and HaloPSA on their ``large`` seeds (their own
  export), the bound computed from the listings recorded (:mod:`bench.psa_plans`);
* W9, W10 a cold apply of each one's example YAML on its ``large`` seed (lock, stale check,
  writes, verification, unlock), then a re-plan that must find zero changes
  (:mod:`bench.psa_applies`). Each PSA's limits (paging order, in-flight and rate caps, where
  its kinds are re-read and written) come from its plugin's ``Psa.bench`` through the registry
  (:mod:`bench.psa_specs`).

Metrics per workload (one JSON object each): API calls per system against the lower bound
computed from what the YAML needs and the rows the simulators hold, with the excess per
endpoint; wall time against the floor, ``max(latency floor, (client CPU + simulator CPU) / 2
cores)``, the latency floor being the run's requests scheduled in rounds under the APIs' limits
(:mod:`bench.bounds` for the requests, :mod:`bench.floors` for the rounds); client CPU per write
(W3, goal 2 ms); CPU time
of ``compute_plan`` alone; ``tracemalloc`` peak; bytes received with and without
``IncludeFields``; the most requests the simulators saw in flight on one endpoint; and the naive
per-object refresh (one GET by id per managed Autotask object) for comparison.
"""
