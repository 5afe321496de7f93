"""The world a scenario runs in: the sandbox, API clients on both simulators, a working directory.

A scenario drives the real CLI (click's CliRunner, with the sandbox's environment) in a fresh
working directory and then looks at the LIVE state through the simulators' own APIs: plain httpx
calls to the Autotask REST routes and the Salesbuildr settings contract, or the simulator objects
(stats, faults). Everything runs over real loopback HTTP with no added latency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"
SETTINGS = "/integration/autotask/settings"
LOCK = "/integration/autotask/lock"


@dataclass
class World:
    """The running sandbox, API clients on both simulators, and a working directory."""

    sandbox: Sandbox
    autotask: httpx.Client
    salesbuildr: httpx.Client
    workdir: Path

    # -- the CLI ---------------------------------------------------------------------------------

    def cli(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        """``reconcile ARGS`` in the working directory with the sandbox's environment (and
        ``env`` on top; None unsets a variable)."""
        merged: dict[str, str | None] = {**self.sandbox.env, **(env or {})}
        result = CliRunner().invoke(cli, list(args), env=merged)
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result

    def write(self, text: str, name: str = "mappings.yaml") -> Path:
        path = self.workdir / name
        path.write_text(text, encoding="utf-8")
        return path

    def example(self, *replacements: tuple[str, str]) -> Path:
        """examples/mappings.yaml with each ``(old, new)`` text replaced (exactly once)."""
        text = EXAMPLE.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        return self.write(text)

    def plan_json(self, path: str = "plan.json") -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.workdir / path).read_text(encoding="utf-8"))
        return data

    def converge(self, yaml_file: Path) -> None:
        """Apply a YAML file (exit 0 means applied and verified): a scenario's starting point."""
        applied = self.cli("apply", str(yaml_file), "--auto-approve")
        assert applied.exit_code == 0, applied.output

    # -- Autotask --------------------------------------------------------------------------------

    def query(self, entity: str, *conditions: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row of an Autotask entity matching all ``conditions`` (one query)."""
        search = {"filter": list(conditions) or [{"op": "exist", "field": "id"}]}
        response = self.autotask.post(f"/{entity}/query", json=search)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["pageDetails"]["nextPageUrl"] is None
        items: list[dict[str, Any]] = body["items"]
        return items

    def webhooks(self, collection: str, name: str | None = None) -> list[dict[str, Any]]:
        rows = self.query(collection)
        return [r for r in rows if name is None or r["name"] == name]

    def children(self, root: str, webhook_ids: list[int]) -> list[dict[str, Any]]:
        """Rows of a child collection (``CompanyWebhookFields`` ...) by the root query."""
        if not webhook_ids:
            webhook_ids = [0]
        return self.query(root, {"op": "in", "field": "webhookID", "value": webhook_ids})

    # -- Salesbuildr -----------------------------------------------------------------------------

    def document(self, section: str) -> tuple[dict[str, Any], str]:
        response = self.salesbuildr.get(f"{SETTINGS}/{section}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body, response.headers["ETag"]

    def put_document(self, section: str, body: dict[str, Any]) -> None:
        _, etag = self.document(section)
        response = self.salesbuildr.put(
            f"{SETTINGS}/{section}", json=body, headers={"If-Match": etag}
        )
        assert response.status_code == 200, response.text

    # -- counters --------------------------------------------------------------------------------

    def writes(self) -> tuple[int, int]:
        """(Autotask writes, Salesbuildr writes) counted by the simulators so far; the apply
        lock's PUT and DELETE are not settings writes and are left out."""
        stats = self.sandbox.salesbuildr.stats()
        lock = sum(
            stats["endpoints"].get(f"{method} /public-api{LOCK}", {}).get("requests", 0)
            for method in ("PUT", "DELETE")
        )
        return int(self.sandbox.autotask.stats()["writes"]), int(stats["writes"]) - int(lock)
