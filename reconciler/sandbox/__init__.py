"""Local HTTP simulators of the PSAs' REST APIs and of the Salesbuildr API (the "sandbox").

* :mod:`reconciler.sandbox.common`: what every simulator shares (servers, faults, latency, stats,
  the ``/_sandbox/`` control surface, routing, callouts, the demo tenant) and the launcher, which
  finds a PSA's simulator by a ``"module:factory"`` string (``PSA_SIMULATORS``);
* :mod:`reconciler.sandbox.autotask`: the Autotask REST API simulator;
* :mod:`reconciler.sandbox.salesbuildr`: the Salesbuildr simulator, serving every PSA's settings
  documents from the JSON Schema files in its ``documents/``.

They are the other side of the wire: nothing here imports any other part of ``reconciler``; a
simulator imports only ``sandbox.common``, and ``sandbox.common`` no simulator
(``tests/test_layering.py``).
"""
