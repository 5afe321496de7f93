"""ConnectWise's one-off actions (:class:`~reconciler.psa.base.PsaOperations`): the Synchronize
page's two modes (full, fields), the Categories page's product import, and the ``after_apply``
jobs that start them. The jobs are Salesbuildr's (``POST /integration/connectwise/sync`` and
``.../import``).

The product import's counts and names: :mod:`.operations_import`; the callbacks
(``webhooks status|uninstall``): :mod:`.operations_callbacks`. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from reconciler.errors import UsageError
from reconciler.psa.base import JobAction, PsaOperations
from reconciler.psa.connectwise.client import ConnectWiseClient
from reconciler.psa.connectwise.config import ConnectWiseAfterApply
from reconciler.psa.connectwise.credentials import credentials_from_env
from reconciler.psa.connectwise.operations_import import ConnectWiseProductImport
from reconciler.psa.connectwise.system import requests_per_minute

SYNC_TITLES: Final = {"full": "Full sync", "fields": "Fields sync"}
"""The Synchronize page's modes (salesbuildr-connectwise-configuration.md section 1)."""
AFTER_APPLY: Final[dict[str, JobAction]] = {
    ConnectWiseAfterApply.SYNC_FIELDS.value: JobAction("sync", "fields", "reconcile sync --fields"),
    ConnectWiseAfterApply.SYNC_FULL.value: JobAction("sync", "full", "reconcile sync --full"),
    ConnectWiseAfterApply.IMPORT_PRODUCTS.value: JobAction(
        "import", None, "reconcile import-products"
    ),
}


def has_credentials(environ: Mapping[str, str]) -> bool:
    try:
        credentials_from_env(environ)
    except UsageError:
        return False
    return True


def open_client(environ: Mapping[str, str], config: Any | None, where: str) -> ConnectWiseClient:
    """From the environment only (the YAML names no ConnectWise host)."""
    return ConnectWiseClient.connect(
        credentials_from_env(environ), requests_per_minute=requests_per_minute(environ)
    )


def connected_client(connections: Any) -> ConnectWiseClient | None:
    """The ConnectWise client of a run's connections (None: the run did not connect it)."""
    client: ConnectWiseClient | None = getattr(connections, "psa_client", None)
    return client


def operations() -> PsaOperations:
    """The ``operations`` hook of the ConnectWise PSA."""
    from reconciler.psa.connectwise.operations_callbacks import (  # noqa: PLC0415 (a cycle)
        ConnectWiseCallbacks,
    )

    return PsaOperations(
        sync_modes=SYNC_TITLES,
        after_apply=AFTER_APPLY,
        client=open_client,
        has_credentials=has_credentials,
        connected=connected_client,
        product_import=ConnectWiseProductImport(),
        callouts=ConnectWiseCallbacks(),
    )
