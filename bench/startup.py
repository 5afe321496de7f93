"""W6: how fast the sandbox and the CLI start, the speed targets that used to be test assertions.

The test suite checks what starting does (a working environment, both APIs served, SIGTERM
stops it; `--help` and `validate` import no client: tests/cli/test_startup_imports.py); how long
it takes depends on the machine, so it is measured here, best of a few runs, next to the other
targets:

* ``reconcile sandbox`` as a user runs it: a new process until it prints ``sandbox ready``;
* :func:`start_sandbox` (both simulators, ``demo`` seed) in an already-running process;
* the Autotask simulator alone, ``demo`` and ``large`` seeds, until it answers its first request;
* ``reconcile --help`` and ``reconcile validate examples/mappings.yaml`` (issue #18: pre-commit
  pays ``validate`` once per file): the CPU seconds (user + sys) of the child process above
  those of ``python -c pass`` in the same run, best of 5 each, the runs interleaved so that a
  change of load touches all three. CPU, not wall: a busy machine slows the wall clock, not the
  work. With a bytecode cache, as an installed package has (in a temporary
  ``PYTHONPYCACHEPREFIX``: ``PYTHONDONTWRITEBYTECODE`` would recompile reconcile's own modules
  on every run); the first round fills it. ``python -m bench.startup`` prints these figures alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from reconciler.sandbox.autotask import AutotaskCredentials, AutotaskSimulator
from reconciler.sandbox.common import serve_in_thread, start_sandbox

SANDBOX_READY_TARGET_S = 3.0
START_SANDBOX_TARGET_S = 3.0
AUTOTASK_START_TARGET_S = 2.0
READY_TIMEOUT_S = 120.0

CLI_HELP_CPU_TARGET_S = 0.15
CLI_VALIDATE_CPU_TARGET_S = 0.35
CLI_RUNS = 5
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mappings.yaml"
CLI_COMMANDS: dict[str, tuple[str, ...]] = {
    "python -c pass": ("-c", "pass"),
    "reconcile --help": ("-m", "reconciler", "--help"),
    "reconcile validate examples/mappings.yaml": ("-m", "reconciler", "validate", str(EXAMPLE)),
}
"""What is measured, as arguments of this interpreter; the first is the baseline."""

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


def child_cpu_s(args: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> float:
    """CPU seconds (user + sys) of one child ``python ARGS``, from its own rusage (``wait4``)."""
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    errors = process.stderr.read()  # small: the child's diagnostics, if any
    process.stderr.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(
            f"python {' '.join(args)} exited {process.returncode}: {errors.decode()[-500:]}"
        )
    return usage.ru_utime + usage.ru_stime


def cli_startup_cpu_s(runs: int = CLI_RUNS) -> dict[str, float]:
    """Best-of-``runs`` CPU seconds of each of :data:`CLI_COMMANDS`, runs interleaved."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RECONCILE_", "SALESBUILDR_", "AUTOTASK_"))
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The example's one ${env:} reference: validate checks the whole file and exits 0.
    env.update({"NO_COLOR": "1", "SALESBUILDR_WEBHOOK_SECRET": "bench-startup-secret"})
    best = dict.fromkeys(CLI_COMMANDS, float("inf"))
    with tempfile.TemporaryDirectory() as workdir:  # no .env of the developer's
        env["PYTHONPYCACHEPREFIX"] = str(Path(workdir) / "pycache")
        for _ in range(runs):
            for name, args in CLI_COMMANDS.items():
                best[name] = min(best[name], child_cpu_s(args, cwd=Path(workdir), env=env))
    return best


def cli_startup(runs: int = CLI_RUNS) -> dict[str, Any]:
    """The CLI's start-up: best CPU of each command, and each above ``python -c pass``."""
    best = cli_startup_cpu_s(runs)
    baseline = best["python -c pass"]
    return {
        "best_of": runs,
        "cpu_s": {name: round(seconds, 4) for name, seconds in best.items()},
        "cpu_above_python_s": {
            name: round(seconds - baseline, 4)
            for name, seconds in best.items()
            if name != "python -c pass"
        },
    }


CLI_TARGETS = {
    "reconcile --help": CLI_HELP_CPU_TARGET_S,
    "reconcile validate examples/mappings.yaml": CLI_VALIDATE_CPU_TARGET_S,
}


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
    cli = cli_startup()
    above = cli["cpu_above_python_s"]
    shown = {f"{name} (CPU above python -c pass)": above[name] for name in CLI_TARGETS}
    return {
        "workload": "W6",
        "title": "sandbox and CLI startup",
        "best_of": runs,
        "startup_s": {name: round(seconds, 3) for name, seconds in timings.items()} | shown,
        "cli_startup": cli,
        "checks": [check(f"W6 {name} s", timings[name], targets[name]) for name in timings]
        + [
            check(f"W6 {name} CPU s above python -c pass", above[name], target)
            for name, target in CLI_TARGETS.items()
        ],
    }


if __name__ == "__main__":  # python -m bench.startup: the CLI's start-up alone
    print(json.dumps(cli_startup(), indent=2))
