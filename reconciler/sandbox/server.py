"""Run an ASGI app with uvicorn on a loopback port in a background thread.

Used by ``reconcile sandbox``, the tests and the benchmarks, so that every caller talks real HTTP.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningServer:
    """A uvicorn server serving one app on loopback until :meth:`stop`."""

    url: str
    port: int
    _server: uvicorn.Server
    _thread: threading.Thread = field(repr=False)

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)


def serve_in_thread(app: Any, *, port: int = 0, host: str = LOOPBACK) -> RunningServer:
    """Start ``app`` on ``host:port`` (a free port when 0); return once it accepts connections."""
    chosen = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=chosen,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"sandbox-{chosen}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the sandbox server on {host}:{chosen} failed to start")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the sandbox server on {host}:{chosen} did not start in 10 s")
        time.sleep(0.01)
    return RunningServer(url=f"http://{host}:{chosen}", port=chosen, _server=server, _thread=thread)
