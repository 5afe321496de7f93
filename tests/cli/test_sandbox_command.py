"""`reconcile sandbox` as a user runs it: a real subprocess, its env file, SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

NAMES = (
    "AUTOTASK_API_URL",
    "AUTOTASK_API_USERNAME",
    "AUTOTASK_API_SECRET",
    "AUTOTASK_API_INTEGRATION_CODE",
    "SALESBUILDR_API_URL",
    "SALESBUILDR_API_KEY",
    "SALESBUILDR_WEBHOOK_SECRET",
)


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"export ([A-Z_]+)='([^']*)'", line)
        assert match, line
        values[match.group(1)] = match.group(2)
    return values


def test_sandbox_subprocess_serves_both_apis_and_stops_on_sigterm(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "--seed",
            "empty",
            "--env-file",
            str(env_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stdout is not None
        lines = []
        while True:
            line = process.stdout.readline()
            assert line, (
                f"the sandbox exited early: {process.stderr.read() if process.stderr else ''}"
            )
            lines.append(line.rstrip("\n"))
            if line.strip() == "sandbox ready":
                break
        # How fast it gets ready is a speed target, measured in bench/ (W6), not asserted here.
        printed = [line for line in lines if line.startswith("export ")]
        assert [line.split("=", 1)[0].removeprefix("export ") for line in printed] == list(NAMES)
        values = read_env_file(env_file)  # complete before "sandbox ready"
        assert list(values) == list(NAMES)

        autotask = values["AUTOTASK_API_URL"] + "/V1.0/ThresholdInformation"
        headers = {
            "ApiIntegrationCode": values["AUTOTASK_API_INTEGRATION_CODE"],
            "UserName": values["AUTOTASK_API_USERNAME"],
            "Secret": values["AUTOTASK_API_SECRET"],
        }
        with httpx.Client(timeout=30) as client:
            threshold = client.get(autotask, headers=headers)
            assert threshold.status_code == 200
            assert threshold.json()["externalRequestThreshold"] == 10000
            types = client.get(
                values["SALESBUILDR_API_URL"] + "/integration/autotask/company-types",
                headers={"api-key": values["SALESBUILDR_API_KEY"]},
            )
            assert types.status_code == 200
            assert {t["name"] for t in types.json()["results"]} >= {"Customer", "Supplier"}
            refused = client.get(autotask, headers={**headers, "Secret": "wrong"})
            assert refused.status_code == 401

        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0
        assert "sandbox stopped" in stderr
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_sandbox_refuses_a_bad_fault_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sandbox", "--fault", "teapot:0.5"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 1
    assert "teapot" in result.stderr
    assert "hint: e.g. --fault 429:0.1" in result.stderr
    assert "Traceback" not in result.stderr
