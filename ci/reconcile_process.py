"""Running one ``reconcile`` process for a CI step: its output reaches the log as it comes and
is kept. Standard library only."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass
class Completed:
    """What one ``reconcile`` process did."""

    argv: list[str]
    exitcode: int
    stdout: str
    stderr: str


Runner = Callable[[list[str], Mapping[str, str], Path], Completed]


def _pump(source: IO[str], sink: IO[str], into: list[str]) -> None:
    for line in source:
        into.append(line)
        sink.write(line)
        sink.flush()


def tee_run(argv: list[str], env: Mapping[str, str], cwd: Path) -> Completed:
    """Run ``argv``; its stdout and stderr reach the log as they come and are kept."""
    out: list[str] = []
    err: list[str] = []
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        threads = [
            threading.Thread(target=_pump, args=(process.stdout, sys.stdout, out)),
            threading.Thread(target=_pump, args=(process.stderr, sys.stderr, err)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        code = process.wait()
    return Completed(argv=argv, exitcode=code, stdout="".join(out), stderr="".join(err))
