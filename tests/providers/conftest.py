"""Options of the provider tests: how the vcrpy cassettes are used.

``--record-mode`` is vcrpy's record mode for the tests marked ``cassette``: ``none`` (the default,
and what CI runs) replays ``cassettes/`` with no server at all and fails on any request that is not
recorded; ``all`` re-records every cassette (``make cassettes``) against a fresh local sandbox, or,
with ``RECONCILE_RECORD_AGAINST=env``, against the real tenant named by the usual environment
variables. ``once`` and ``new_episodes`` are vcrpy's own modes and need a target as well.
"""

from __future__ import annotations

import pytest

RECORD_MODES = ("none", "once", "new_episodes", "all")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-mode",
        action="store",
        default="none",
        choices=RECORD_MODES,
        help="vcrpy record mode of the cassette tests: none (replay only, default) or all "
        "(re-record against a fresh sandbox, or the tenant in the environment with "
        "RECONCILE_RECORD_AGAINST=env)",
    )


@pytest.fixture(scope="session")
def record_mode(request: pytest.FixtureRequest) -> str:
    mode: str = request.config.getoption("--record-mode")
    return mode
