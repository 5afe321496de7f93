"""W6: how fast the sandbox starts, the speed targets that used to be test assertions.

The test suite checks what starting does (a working environment, both APIs served, SIGTERM
stops it); how long it takes depends on the machine, so it is measured here, best of a few
runs, next to the other targets:

* ``reconcile sandbox`` as a user runs it: a new process until it prints ``sandbox ready``;
* :func:`start_sandbox` (both simulators, ``demo`` seed) in an already-running process;
* the Autotask simulator alone, ``demo`` and ``large`` seeds, until it answers its first request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from reconciler.sandbox.autotask import AutotaskCredentials, AutotaskSimulator
from reconciler.sandbox.launch import start_sandbox
from reconciler.sandbox.server import serve_in_thread

SANDBOX_READY_TARGET_S = 3.0
START_SANDBOX_TARGET_S = 3.0
AUTOTASK_START_TARGET_S = 2.0
READY_TIMEOUT_S = 120.0

_CREDENTIALS = AutotaskCredentials(
    username="bench@acme-it.example", secret="bench-secret", integration_code="BENCHCODE"
)


def _best(runs: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(runs))


def sandbox_command_ready_s() -> float:
    """Seconds from starting ``python -m reconciler sandbox`` to its ``sandbox ready`` line."""
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reconciler",
                "sandbox",
                "--seed",
                "empty",
                "--env-file",
                str(Path(workdir) / "sandbox.env"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.strip() == "sandbox ready":
                    return time.perf_counter() - started
            raise RuntimeError("reconcile sandbox exited before it was ready")
        finally:
            process.terminate()
            try:
                process.wait(timeout=READY_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_sandbox_s() -> float:
    started = time.perf_counter()
    sandbox = start_sandbox(seed="demo")
    elapsed = time.perf_counter() - started
    sandbox.stop()
    return elapsed


def autotask_start_s(seed: str) -> float:
    """Seconds to build the Autotask simulator with ``seed``, serve it and get one answer."""
    started = time.perf_counter()
    sim = AutotaskSimulator(credentials=_CREDENTIALS, seed=seed)
    server = serve_in_thread(sim.app)
    try:
        headers = {
            "ApiIntegrationCode": _CREDENTIALS.integration_code,
            "UserName": _CREDENTIALS.username,
            "Secret": _CREDENTIALS.secret,
        }
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            if client.get("/V1.0/Version").status_code != 200:
                raise RuntimeError("the Autotask simulator did not answer /Version")
        return time.perf_counter() - started
    finally:
        sim.close()
        server.stop()


def w6(quick: bool, check: Callable[[str, float, float], dict[str, Any]]) -> dict[str, Any]:
    runs = 1 if quick else 3
    timings = {
        "reconcile sandbox ready": _best(runs, sandbox_command_ready_s),
        "start_sandbox(demo)": _best(runs, start_sandbox_s),
        "Autotask simulator demo": _best(runs, lambda: autotask_start_s("demo")),
        "Autotask simulator large": _best(runs, lambda: autotask_start_s("large")),
    }
    targets = {
        "reconcile sandbox ready": SANDBOX_READY_TARGET_S,
        "start_sandbox(demo)": START_SANDBOX_TARGET_S,
        "Autotask simulator demo": AUTOTASK_START_TARGET_S,
        "Autotask simulator large": AUTOTASK_START_TARGET_S,
    }
    return {
        "workload": "W6",
        "title": "sandbox startup",
        "best_of": runs,
        "startup_s": {name: round(seconds, 3) for name, seconds in timings.items()},
        "checks": [check(f"W6 {name} s", timings[name], targets[name]) for name in timings],
    }
