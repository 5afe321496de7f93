"""The Autotask REST API simulator (:mod:`.app`), its data, and its launcher hook (:mod:`.launch`).

Imports only :mod:`reconciler.sandbox.common`; the launcher finds it through
``PSA_SIMULATORS["autotask"] = "reconciler.sandbox.autotask:sandbox_hook"``.
"""

from reconciler.sandbox.autotask.app import BASE_PATH, AutotaskSimulator
from reconciler.sandbox.autotask.auth import AutotaskCredentials
from reconciler.sandbox.autotask.launch import (
    ENV_NAMES,
    PSA_ENV_NAMES,
    AutotaskSandboxHook,
    SandboxCredentials,
    sandbox_hook,
)
from reconciler.sandbox.autotask.seed import SEEDS

__all__ = [
    "BASE_PATH",
    "ENV_NAMES",
    "PSA_ENV_NAMES",
    "SEEDS",
    "AutotaskCredentials",
    "AutotaskSandboxHook",
    "AutotaskSimulator",
    "SandboxCredentials",
    "sandbox_hook",
]
