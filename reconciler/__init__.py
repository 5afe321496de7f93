"""reconcile: configuration-as-code for the Salesbuildr <-> Autotask PSA integration.

``__version__`` is the installed distribution's version (pyproject.toml's ``version``, the one
place it is written), read on first use: importing ``importlib.metadata`` costs start-up time.
"""

from __future__ import annotations

DISTRIBUTION = "reconcile"


def __getattr__(name: str) -> str:
    if name != "__version__":
        raise AttributeError(f"module 'reconciler' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        found = version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree on sys.path that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
