"""Machinery shared by the sandbox simulators: servers, faults, latency, stats, the launcher.

Every simulator (Autotask, Salesbuildr, and the ConnectWise and HaloPSA ones) is an ASGI app
wrapped in :class:`SandboxMiddleware` (:mod:`.middleware`), which is where every cross-cutting
behaviour lives, so the API handlers stay plain request -> response functions:

* per-request latency, spent while the request holds its in-flight slot (so concurrency really
  piles up and a thread limit really produces 429s);
* fault injection (``429``, ``500``, ``503``, ``timeout``, ``reset-after-commit``) at a rate per
  kind, drawn from a seeded :class:`SandboxRng` so a run is reproducible (:mod:`.faults`);
* an optional thread limit (Autotask's 3 in-flight requests per object endpoint);
* request statistics per endpoint (:class:`RequestStats`, :mod:`.stats`), keyed by the
  documented path template.

The control surface under ``/_sandbox/`` (:func:`control_routes`, :mod:`.control`) is never
subject to any of that: the middleware passes it straight through. :class:`TemplateRouter`
(:mod:`.routing`) matches documented path templates (case-insensitively if asked) and gives the
endpoint keys; :class:`CalloutSender` (:mod:`.callouts`) posts webhook callouts in the background,
to loopback addresses only. :func:`serve_in_thread` (:mod:`.server`) runs an app on a loopback
port; :func:`start_sandbox` (:mod:`.launcher`) starts a PSA's simulator and the Salesbuildr one,
found through the registry :data:`PSA_SIMULATORS` (see the launcher's docstring for the hook).
:mod:`.tenant` is the demo MSP tenant the simulators agree on.

Nothing here imports any other part of ``reconciler``, the simulators included: they are the
other side of the wire and must not share code with the clients they test.
"""

from reconciler.sandbox.common import tenant
from reconciler.sandbox.common.callouts import CalloutRecord, CalloutSender, is_loopback_url
from reconciler.sandbox.common.control import CONTROL_PREFIX, control_routes
from reconciler.sandbox.common.faults import (
    FAULT_KINDS,
    WRITE_METHODS,
    SandboxRng,
    choose_fault,
    default_fault_response,
    is_read_request,
    parse_faults,
    validate_faults,
)
from reconciler.sandbox.common.launcher import (
    DEFAULT_PSA,
    PSA_SIMULATORS,
    SALESBUILDR_SIMULATOR,
    LaunchOptions,
    PsaSimulatorHook,
    SalesbuildrHook,
    Sandbox,
    SandboxSecrets,
    Simulator,
    psa_hook,
    register_simulator,
    salesbuildr_hook,
    shell_quote,
    start_sandbox,
)
from reconciler.sandbox.common.middleware import EndpointKeyFn, SandboxMiddleware, drop_connection
from reconciler.sandbox.common.routing import (
    Handler,
    MethodNotAllowedError,
    RouteMatch,
    RouteSpec,
    TemplateRouter,
)
from reconciler.sandbox.common.server import (
    LOOPBACK,
    START_TIMEOUT_S,
    RunningServer,
    free_port,
    serve_in_thread,
)
from reconciler.sandbox.common.stats import RequestStats

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_PSA",
    "FAULT_KINDS",
    "LOOPBACK",
    "PSA_SIMULATORS",
    "SALESBUILDR_SIMULATOR",
    "START_TIMEOUT_S",
    "WRITE_METHODS",
    "CalloutRecord",
    "CalloutSender",
    "EndpointKeyFn",
    "Handler",
    "LaunchOptions",
    "MethodNotAllowedError",
    "PsaSimulatorHook",
    "RequestStats",
    "RouteMatch",
    "RouteSpec",
    "RunningServer",
    "SalesbuildrHook",
    "Sandbox",
    "SandboxMiddleware",
    "SandboxRng",
    "SandboxSecrets",
    "Simulator",
    "TemplateRouter",
    "choose_fault",
    "control_routes",
    "default_fault_response",
    "drop_connection",
    "free_port",
    "is_loopback_url",
    "is_read_request",
    "parse_faults",
    "psa_hook",
    "register_simulator",
    "salesbuildr_hook",
    "serve_in_thread",
    "shell_quote",
    "start_sandbox",
    "tenant",
    "validate_faults",
]
