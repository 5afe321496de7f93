"""12. Hostile input to the config loader and to the sandbox's webhook receiver: huge, deeply
nested, alias bombs, invalid UTF-8. Each is refused with a clear, located message, in bounded time
and memory, and without a traceback; the receiver records each as a failed delivery and keeps
serving.

The loader runs as a real `reconcile validate` process, measured with ``wait4`` (its own peak RSS
and CPU time). The receiver runs in this process, measured with ``tracemalloc`` and this
process's CPU time. "Bounded time" is CPU time, which other work on a busy machine does not
inflate the way it does wall time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from reliability_support import SECRETS, Rig, base_environment

from reconciler.sandbox.common import Sandbox
from reconciler.sandbox.salesbuildr.receiver import signature

MAX_CPU_SECONDS = 20.0
MAX_EXTRA_RSS_MB = 64  # over a `reconcile validate` of a one-line file


def measured_validate(sandbox: Sandbox, document: Path) -> tuple[int, str, float, float]:
    """(exit code, stderr, CPU seconds, peak RSS in MB) of `reconcile validate DOCUMENT`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "validate", document.name],
        cwd=document.parent,
        env=base_environment(sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    stderr = process.stderr.read().decode("utf-8", errors="replace")
    process.stderr.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu_seconds = usage.ru_utime + usage.ru_stime
    return process.returncode, stderr, cpu_seconds, usage.ru_maxrss / 1024


def huge_sparse(path: Path) -> str:
    with path.open("wb") as handle:
        handle.truncate(256 * 1024 * 1024)  # 256 MB of NUL bytes, no disk used
    return "the limit is 1 MB"


def deep_flow(path: Path) -> str:
    path.write_bytes(b"version: 1\nwebhooks: " + b"[" * 1_000_000 + b"\n")
    return "nesting deeper than 50 levels"


def deep_block(path: Path) -> str:
    path.write_bytes(b"version: 1\n" + b"".join(b" " * i + b"k:\n" for i in range(1000)))
    return "nesting deeper than 50 levels"


def alias_bomb(path: Path) -> str:
    lines = [b"version: 1", b"a: &a [" + b", ".join([b"lol"] * 10) + b"]"]
    for number in range(8):  # 10 ** 9 values once expanded
        name, previous = f"n{number}".encode(), (f"n{number - 1}" if number else "a").encode()
        lines.append(name + b": &" + name + b" [" + b", ".join([b"*" + previous] * 10) + b"]")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return "the document expands to more than 100,000 values"


def merge_key_bomb(path: Path) -> str:
    rows = b"".join(b"m%d: {<<: [*a, *a, *a]}\n" % i for i in range(40_000))
    path.write_bytes(b"version: 1\na: &a {x: [1, 2, 3]}\n" + rows[:1_000_000])
    return "the document expands to more than 100,000 values"


def many_keys(path: Path) -> str:
    rows = b"".join(b"  key%d: 1\n" % i for i in range(120_000))
    path.write_bytes(b"version: 1\nbilling_codes:\n" + rows[:1_040_000])
    return "the document expands to more than 100,000 values"


def invalid_utf8_at_the_end(path: Path) -> str:
    path.write_bytes(b"version: 1\n" + b"# padding\n" * 90_000 + b"x: caf\xe9\n")
    return "not valid UTF-8 (byte 0xe9)"


LOADER_CASES: list[Callable[[Path], str]] = [
    huge_sparse,
    deep_flow,
    deep_block,
    alias_bomb,
    merge_key_bomb,
    many_keys,
    invalid_utf8_at_the_end,
]


@pytest.fixture(scope="module")
def baseline_rss(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> float:
    """Peak RSS of `reconcile validate` on a one-line file."""
    small = tmp_path_factory.mktemp("baseline") / "small.yaml"
    small.write_text("version: 1\n")
    code, stderr, _, rss = measured_validate(sandbox, small)
    assert code == 0, stderr
    return rss


@pytest.mark.parametrize("make", LOADER_CASES)
def test_the_loader_refuses_hostile_documents_in_bounded_time_and_memory(
    rig: Rig, baseline_rss: float, make: Callable[[Path], str]
) -> None:
    document = rig.workdir / "mappings.yaml"
    expected = make(document)

    code, stderr, seconds, rss = measured_validate(rig.sandbox, document)

    document.unlink()  # the scan at the end of the test need not read it
    assert code == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert stderr.startswith("mappings.yaml"), stderr  # located
    assert expected in stderr, stderr
    assert seconds < MAX_CPU_SECONDS, seconds
    assert rss - baseline_rss < MAX_EXTRA_RSS_MB, (rss, baseline_rss)


# --- the sandbox receiver -------------------------------------------------------------------------


def receiver_url(rig: Rig) -> str:
    return rig.control("salesbuildr") + "/webhooks/autotask"


def deliveries(rig: Rig) -> list[dict[str, object]]:
    response = rig.world.salesbuildr.get(
        "/integration/autotask/webhook-deliveries", params={"size": 100}
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


def stream(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * chunk
        sent += chunk


@pytest.fixture
def receiving(rig: Rig) -> Iterator[httpx.Client]:
    secret_set = rig.reconcile(
        "apply",
        str(
            rig.write(
                "version: 1\nwebhook_receiver:\n  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}\n"
            )
        ),
        "--auto-approve",
    )
    assert secret_set.returncode == 0, secret_set.output
    with httpx.Client(timeout=30, trust_env=False) as client:
        yield client


def signed(body: bytes) -> dict[str, str]:
    return {"X-Hook-Signature": signature(SECRETS.salesbuildr_webhook_secret, body)}


def test_the_receiver_refuses_huge_and_garbage_bodies_and_records_them(
    rig: Rig, receiving: httpx.Client
) -> None:
    url = receiver_url(rig)
    tracemalloc.start()
    try:
        started = time.process_time()
        declared = receiving.post(url, content=b"{" * 5_000_000, headers=signed(b"{" * 5_000_000))
        streamed = receiving.post(url, content=stream(50 * 1024 * 1024))
        bad_utf8 = receiving.post(
            url, content=b'{"Action": "caf\xe9"}', headers=signed(b'{"Action": "caf\xe9"}')
        )
        unsigned = receiving.post(url, content=b"\x00\xff garbage")
        seconds = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert bad_utf8.status_code == 400
    assert unsigned.status_code == 401
    assert seconds < MAX_CPU_SECONDS
    assert peak < 32 * 1024 * 1024, peak  # never the whole 50 MB stream
    recorded = deliveries(rig)
    assert [d["status"] for d in recorded] == ["failed", "failed", "failed", "bad_signature"]
    assert "exceeds 1000000 bytes" in str(recorded[0]["error"])
    assert "not valid UTF-8" in str(recorded[2]["error"])
    fine = b'{"Action": "Update", "EntityType": "Company", "Id": 1, "Guid": "g"}'
    assert receiving.post(url, content=fine, headers=signed(fine)).status_code == 200


@pytest.mark.parametrize("sign", [False, True], ids=["unsigned", "signed"])
def test_the_receiver_records_deeply_nested_json_as_a_failed_delivery(
    rig: Rig, receiving: httpx.Client, sign: bool
) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    answer = receiving.post(receiver_url(rig), content=body, headers=signed(body) if sign else {})
    assert answer.status_code in (400, 401), answer.text
    assert len(deliveries(rig)) == 1
