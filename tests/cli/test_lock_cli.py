"""`reconcile force-unlock` says what this host can tell about the holder, and "lock left in
place" when the answer is no (a real process on a pseudo-terminal, as a person would answer)."""

from __future__ import annotations

import getpass
import os
import pty
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox, start_sandbox

LOCK = "/integration/autotask/lock"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="empty")
    yield running
    running.stop()


@pytest.fixture
def salesbuildr(sandbox: Sandbox) -> Iterator[httpx.Client]:
    sandbox.salesbuildr.reset("empty")
    env = sandbox.env
    with httpx.Client(
        base_url=env["SALESBUILDR_API_URL"], headers={"api-key": env["SALESBUILDR_API_KEY"]}
    ) as client:
        yield client


def hold(client: httpx.Client, owner: str) -> None:
    taken = client.put(LOCK, json={"owner": owner, "ttlSeconds": 3600})
    assert taken.status_code == 201, taken.text


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def here(pid: int) -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}:{pid}"


def test_a_dead_holder_on_this_host_is_named_dead(
    sandbox: Sandbox, salesbuildr: httpx.Client
) -> None:
    pid = dead_pid()
    hold(salesbuildr, here(pid))

    result = CliRunner().invoke(cli, ["force-unlock", "--auto-approve"], env=sandbox.env)

    assert result.exit_code == 0, result.output
    assert f"Holder process {pid} on this host is not running." in result.stdout
    assert "Lock released." in result.stdout
    assert salesbuildr.get(LOCK).status_code == 404


def test_a_live_holder_on_this_host_is_named_running(
    sandbox: Sandbox, salesbuildr: httpx.Client
) -> None:
    hold(salesbuildr, here(os.getpid()))

    result = CliRunner().invoke(cli, ["force-unlock", "--auto-approve"], env=sandbox.env)

    assert result.exit_code == 0, result.output
    assert f"Holder process {os.getpid()} on this host is running." in result.stdout


def test_a_holder_on_another_host_cannot_be_told(
    sandbox: Sandbox, salesbuildr: httpx.Client
) -> None:
    hold(salesbuildr, "ci@build-7.example:4242")

    result = CliRunner().invoke(cli, ["force-unlock", "--auto-approve"], env=sandbox.env)

    assert result.exit_code == 0, result.output
    assert (
        "The holder is on build-7.example: this host cannot tell whether it is still running."
        in result.stdout
    )


def test_no_leaves_the_lock_in_place(
    sandbox: Sandbox, salesbuildr: httpx.Client, tmp_path: Path
) -> None:
    owner = "ci@build-7.example:4242"
    hold(salesbuildr, owner)
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"n\n")  # typed ahead; read when the question is asked
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "force-unlock"],
            stdin=terminal,
            capture_output=True,
            env={**os.environ, **sandbox.env},
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    stderr = done.stderr.decode()

    assert done.returncode == 1, (done.stdout, stderr)
    assert "Break it?" in done.stdout.decode()
    assert "Lock left in place." in stderr
    assert "Traceback" not in stderr
    assert salesbuildr.get(LOCK).json()["owner"] == owner
