"""The Salesbuildr simulator (:mod:`.app`): the public API parts we use plus the proposed settings
contract, serving every PSA's settings documents from the JSON Schema files in ``documents/``.

Imports only :mod:`reconciler.sandbox.common`; the launcher finds it through
``SALESBUILDR_SIMULATOR = "reconciler.sandbox.salesbuildr:sandbox_hook"``.
"""

from reconciler.sandbox.salesbuildr.app import API_PREFIX, SalesbuildrSimulator
from reconciler.sandbox.salesbuildr.launch import SalesbuildrSandboxHook, sandbox_hook
from reconciler.sandbox.salesbuildr.receiver import RECEIVER_PATH, receiver_path

__all__ = [
    "API_PREFIX",
    "RECEIVER_PATH",
    "SalesbuildrSandboxHook",
    "SalesbuildrSimulator",
    "receiver_path",
    "sandbox_hook",
]
