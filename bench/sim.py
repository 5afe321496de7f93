"""Both simulators in a child process, driven over a pipe.

The client under test runs in the benchmark's own process and the simulators in another, as a
real API would be: the two never compete for one interpreter lock, ``time.process_time()`` and
``tracemalloc`` see the client alone, and the simulators' own CPU time shows up only as what it
is for a client, part of each request's latency.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

from bench.tenants import COMMANDS
from reconciler.sandbox.common import start_sandbox

START_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 300.0


def _serve(conn: Connection, seed: str, latency_ms: float) -> None:
    sandbox = start_sandbox(seed=seed, latency_ms=latency_ms)
    conn.send(sandbox.env)
    try:
        while True:
            name, args = conn.recv()
            if name == "stop":
                break
            try:
                result = COMMANDS[name](sandbox, *args)
            except Exception as exc:  # report it to the benchmark, keep serving
                conn.send(("error", f"{name}: {type(exc).__name__}: {exc}"))
            else:
                conn.send(("ok", result))
    finally:
        sandbox.stop()
        conn.send(("ok", None))


class Simulators:
    """A running pair of simulators; :attr:`env` points a client at them."""

    def __init__(self, seed: str, latency_ms: float = 0.0) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, seed, latency_ms), name=f"bench-sandbox-{seed}"
        )
        self._process.start()
        child.close()
        try:
            if not self._conn.poll(START_TIMEOUT_S):
                raise EOFError
            self.env: dict[str, str] = self._conn.recv()
        except EOFError:
            self._kill()
            raise RuntimeError(f"the sandbox ({seed}) did not start") from None
        self.seed = seed

    def call(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        try:
            if not self._conn.poll(CALL_TIMEOUT_S):
                raise EOFError
            status, result = self._conn.recv()
        except EOFError:
            raise RuntimeError(f"the sandbox did not answer {name}") from None
        if status != "ok":
            raise RuntimeError(str(result))
        return result

    # Shorthands for the commands of bench.tenants.
    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.call("stats")
        return stats

    def reset_stats(self) -> None:
        self.call("reset_stats")

    def latency(self, ms: float) -> None:
        self.call("latency", ms)

    def usage(self, count: int) -> None:
        self.call("usage", count)

    def cpu(self) -> float:
        return float(self.call("cpu"))

    def rows(self) -> dict[str, Any]:
        rows: dict[str, Any] = self.call("rows")
        return rows

    def stop(self) -> None:
        if self._process.is_alive():
            try:
                self._conn.send(("stop", ()))
                self._conn.poll(15)
            except (BrokenPipeError, OSError):
                pass
            self._process.join(15)
        self._kill()
        self._conn.close()

    def _kill(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)

    def __enter__(self) -> Simulators:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
