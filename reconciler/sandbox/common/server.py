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
START_TIMEOUT_S = 60.0  # generous: a busy machine starts a thread late, never wrongly


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


def _listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (the kernel picks a free port when 0), handed to uvicorn
    as it is: no window between finding a free port and binding it in which another process
    (a parallel test worker, any outgoing connection) could take it."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP.
    # Without it Nagle holds each response's body until the client ACKs its headers, and the
    # client's delayed ACK adds ~40 ms to every request on a reused connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"the sandbox server cannot listen on {host}:{port}: {exc}") from None
    return sock


def serve_in_thread(app: Any, *, port: int = 0, host: str = LOOPBACK) -> RunningServer:
    """Start ``app`` on ``host:port`` (a free port when 0); return once it accepts connections."""
    sock = _listening_socket(host, port)
    chosen: int = sock.getsockname()[1]
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
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{chosen}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"the sandbox server on {host}:{chosen} failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(
                f"the sandbox server on {host}:{chosen} did not start in {START_TIMEOUT_S:.0f} s"
            )
        time.sleep(0.01)
    return RunningServer(url=f"http://{host}:{chosen}", port=chosen, _server=server, _thread=thread)
