"""``reconcile preflight``: can these credentials read and write everything the YAML manages?

Without writing anything. The PSA checks its own part (its package's preflight, through its
``PsaSystem``: Autotask states the API user's access per entity). Salesbuildr's settings
contract has no permission endpoint: reading each settings document the file manages proves
read access; write access cannot be known before a write, and the report says so. The CLI
renders :class:`PreflightReport`; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.config import LoadedConfig
from reconciler.errors import AuthError, ProviderError
from reconciler.session import Connections

OK, DENIED_STATUS, UNCHECKED = "ok", "denied", "not checkable"


@dataclass(frozen=True)
class AccessCheck:
    """One line of the report: a system's entity or document, what is needed, what is denied."""

    system: str
    target: str
    status: str
    needed: tuple[str, ...]
    denied: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class PreflightReport:
    checks: tuple[AccessCheck, ...]

    @property
    def ok(self) -> bool:
        """True when everything that can be checked is allowed."""
        return all(c.status != DENIED_STATUS for c in self.checks)


def _salesbuildr_checks(connections: Connections, documents: Sequence[str]) -> list[AccessCheck]:
    client = connections.salesbuildr
    checks: list[AccessCheck] = []
    if client is None:
        return checks
    for name in documents:
        try:
            client.read_section(name)
        except (AuthError, ProviderError) as error:
            if isinstance(error, AuthError) or error.status in (401, 403):
                note = f"reading it failed: {error.message}"
                checks.append(
                    AccessCheck(
                        "salesbuildr", f"settings/{name}", DENIED_STATUS, ("read",), ("read",), note
                    )
                )
                continue
            raise
        checks.append(
            AccessCheck(
                "salesbuildr",
                f"settings/{name}",
                UNCHECKED,
                ("read", "write"),
                note="read ok; write: the settings contract has no permission endpoint",
            )
        )
    return checks


def run_preflight(loaded: LoadedConfig, connections: Connections) -> PreflightReport:
    """Check the access the file needs; reads metadata and settings documents, writes nothing."""
    sections = loaded.config.present_sections()
    desired = connections.psa.desired(loaded)
    checks: list[AccessCheck] = []
    if connections.psa_client is not None:
        checks.extend(
            connections.psa.preflight(
                connections.psa_client, sections, desired, connections.metadata
            )
        )
    checks.extend(
        _salesbuildr_checks(connections, connections.psa.documents.documents_for(sections))
    )
    return PreflightReport(tuple(checks))


def summary(report: PreflightReport) -> Mapping[str, int]:
    counts = {OK: 0, DENIED_STATUS: 0, UNCHECKED: 0}
    for check in report.checks:
        counts[check.status] += 1
    return counts
