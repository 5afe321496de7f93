"""HaloPSA's one-off actions (:class:`~reconciler.psa.base.PsaOperations`): the Synchronize
page's one mode (full) and its ``after_apply`` job, and the installed Halo webhooks (status,
delivery report from Halo's own ``/WebhookEvent`` log, uninstall: :mod:`.operations_webhooks`).

The HaloPSA pages have no product import (PSAS.md): ``reconcile import-products`` refuses a
HaloPSA file. Nothing here prints: the CLI shows what these return.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from reconciler.psa.base import (
    JobAction,
    Note,
    OperationView,
    PsaOperations,
    ReportRequest,
    StatusRequest,
    Uninstall,
    UninstallRequest,
)
from reconciler.psa.halopsa import connection as conn
from reconciler.psa.halopsa.client import HaloClient

SYNC_TITLES: Final = {"full": "Full sync"}
AFTER_APPLY: Final = {"sync_full": JobAction("sync", "full", "reconcile sync --full")}
"""``after_apply`` action -> the Salesbuildr job it starts (Halo: a full sync only)."""


def has_credentials(environ: Mapping[str, str]) -> bool:
    return all((environ.get(name) or "").strip() for name in conn.REQUIRED)


def open_client(environ: Mapping[str, str], config: Any | None, where: str) -> HaloClient:
    """From ``HALOPSA_*`` alone (a HaloPSA file names no Halo host)."""
    from reconciler.psa.halopsa.system import HaloSystem  # noqa: PLC0415 (start-up)

    system = HaloSystem()
    return system.open(environ, system.url(None, where, environ, None), None)


def connected_client(connections: Any) -> HaloClient | None:
    client: HaloClient | None = getattr(connections, "psa_client", None)  # the PSA's client
    return client


class HaloWebhooks:
    """Halo webhooks as the PSA's callouts (``reconcile webhooks ...``)."""

    noun = "webhook"

    def status(self, request: StatusRequest, note: Note) -> OperationView:
        from reconciler.psa.halopsa.operations_webhooks import status  # noqa: PLC0415

        return status(request, note)

    def report(self, request: ReportRequest, note: Note) -> OperationView:
        from reconciler.psa.halopsa.operations_webhooks import report  # noqa: PLC0415

        return report(request, note)

    def prepare_uninstall(self, request: UninstallRequest, note: Note) -> Uninstall:
        from reconciler.psa.halopsa.operations_webhooks import prepare_uninstall  # noqa: PLC0415

        return prepare_uninstall(request, note)


def operations() -> PsaOperations:
    """The ``operations`` hook of the HaloPSA PSA."""
    return PsaOperations(
        sync_modes=SYNC_TITLES,
        after_apply=AFTER_APPLY,
        client=open_client,
        has_credentials=has_credentials,
        connected=connected_client,
        product_import=None,
        callouts=HaloWebhooks(),
    )
