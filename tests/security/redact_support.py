"""The rig of the redaction and file-write tests: recognisable secrets (credentials, CI tokens, the
signing key, webhook secrets), every form they can travel in, real ``reconcile`` subprocesses,
and a scan of everything a run printed or left on disk."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

from reconciler.sandbox.autotask import SandboxCredentials
from reconciler.sandbox.common import Sandbox

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"

CREDENTIALS = SandboxCredentials(
    autotask_username="rd-user-5k2p@acme-it.example",
    autotask_secret="RD-AT/SECRET+5k2p=q",
    autotask_integration_code="RDINTEGRATIONCODE5K2P9X",
    salesbuildr_api_key="RD-SB-KEY/5k2p+Q&z",
    salesbuildr_webhook_secret='RD-RECEIVER"SECRET\\5k2p',
)
"""The sandbox's credentials: '/', '+', '=', '&', '"' and '\\' make every encoding differ."""

EXTRA = {
    "WEBHOOK_SECRET_SB_EXTERNAL": "RD-HOOK-SECRET 5k2p/ü",
    "GITHUB_TOKEN": "ghp_RDgithubToken5k2pXXXXXXXXXXXXXX",
    "CI_JOB_TOKEN": "RD-ci-job-token-5k2p",
    "RECONCILE_GITLAB_TOKEN": "glpat-RD5k2pGitlabToken",
    "RECONCILE_PLAN_SIGNING_KEY": "RD-signing-key-5k2p-0001",
    "HALOPSA_CLIENT_SECRET": "RD-halo-client-secret-5k2p",
}
"""More secrets in the environment of every run (CI tokens, the signing key, a webhook secret)."""

SECRET_VALUES = (
    CREDENTIALS.autotask_username,
    CREDENTIALS.autotask_secret,
    CREDENTIALS.autotask_integration_code,
    CREDENTIALS.salesbuildr_api_key,
    CREDENTIALS.salesbuildr_webhook_secret,
    *EXTRA.values(),
)

EXTERNAL_HOOK = (
    "  sb-external:\n"
    "    entity: contact\n"
    "    url: https://hooks.partner.example/autotask\n"
    "    secret: ${env:WEBHOOK_SECRET_SB_EXTERNAL}\n"
    "    fields: [FirstName, LastName]\n"
)


def forms(value: str) -> set[str]:
    """``value`` as it may appear: itself, JSON-escaped, URL-encoded, base64."""
    raw = value.encode()
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode().rstrip("="),
    }


def basic_auth_forms() -> set[str]:
    pair = f"{CREDENTIALS.autotask_username}:{CREDENTIALS.autotask_secret}".encode()
    return {base64.b64encode(pair).decode()}


def leaks(text: str) -> list[str]:
    """Every secret value (in any form) that ``text`` contains."""
    found = [value for value in SECRET_VALUES for form in forms(value) if form in text]
    found += [form for form in basic_auth_forms() if form in text]
    return sorted(set(found))


@dataclass
class Ran:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return f"$ reconcile {' '.join(self.args)} -> {self.returncode}\n{self.stdout}{self.stderr}"


class Runner:
    """``python -m reconciler`` in ``workdir`` with the sandbox's variables (URLs possibly
    pointed at a proxy) and the extra secrets; every run is kept for the final scan."""

    def __init__(self, sandbox: Sandbox, workdir: Path, urls: Mapping[str, str] | None = None):
        self.sandbox, self.workdir = sandbox, workdir
        self.urls = dict(urls or {})
        self.runs: list[Ran] = []

    def environment(self) -> dict[str, str]:
        cleared = ("RECONCILE_", "AUTOTASK_", "SALESBUILDR_", "WEBHOOK_SECRET_", "HALOPSA_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
        for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            env.pop(proxy, None)
        env.update(self.sandbox.env)
        env.update(self.urls)
        env.update(EXTRA)
        env["NO_COLOR"] = "1"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def __call__(self, *args: str, timeout: float = 180) -> Ran:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.workdir,
            env=self.environment(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        ran = Ran(
            tuple(args),
            done.returncode,
            done.stdout.decode("utf-8", errors="replace"),
            done.stderr.decode("utf-8", errors="replace"),
        )
        self.runs.append(ran)
        return ran


def files_under(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def scan(runner: Runner) -> list[str]:
    """``where: value`` for every secret in any run's output or any file of the working folder."""
    found = [f"{ran.output[:120]!r}: {value}" for ran in runner.runs for value in leaks(ran.output)]
    for path in files_under(runner.workdir):
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path}: {value}" for value in leaks(text)]
    return found


def example(*replacements: tuple[str, str]) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text
