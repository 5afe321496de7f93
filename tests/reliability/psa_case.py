"""What the per-PSA suites (tests/psa_suites.py) need to know of one PSA: a :class:`PsaCase`.

A PSA's plugin names its case (``TestFixtures.suite_case``, ``module:NAME``) and its example;
the case is data and a few small functions of what an admin does in that PSA (list, plant and
remove the callout objects it holds for Salesbuildr), what its simulator refuses and how its
hosts are named. The scenarios themselves are written once, in the suites.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SALESBUILDR_KEY = "RT-SALESBUILDR-API-KEY-6d1f0c9e"
RECEIVER_SECRET = "RT-RECEIVER-SECRET-6d1f0c9e"
"""The Salesbuildr side's secrets in every case's sandbox (recognisable: a scan finds them)."""

Env = Mapping[str, str]


@dataclass(frozen=True)
class PsaCase:
    """One PSA in the per-PSA suites. The last four fields are filled by the suites from the
    PSA's plugin (its name, simulator, example and hostile inputs), never by the case."""

    credentials: Callable[[], Any]
    """Fresh sandbox credentials of recognisable values (the launcher's ``credentials=``)."""
    secrets: tuple[str, ...]
    """Every credential value of its sandbox (a scan must never find one); the second is the
    PSA's main secret, which a test replaces by a wrong value."""
    section: str
    """The section of the example holding the PSA's callout objects (callbacks, webhooks)."""
    key: str
    """The natural key of those objects on the wire (a callback's description, a name)."""
    objects: Callable[[Env], list[dict[str, Any]]]
    """Every such object, as the PSA's API lists it to an admin."""
    plant: Callable[[Env, str], None]
    """Create one by that name, as an admin would (it then counts as live, not ours)."""
    remove: Callable[[Env, str], None]
    """Delete the one of that name, as an admin would."""
    write: Callable[[str, str], bool]
    """(method, path) of the PSA's create of one of those objects."""
    refuse: Callable[[Any], None]
    """Make the simulator refuse those creates with the PSA's own validation answer."""
    refused_field: str
    """The field that refusal names."""
    url_variables: tuple[str, ...]
    """The variables naming the PSA's hosts (each is a target for credentials)."""
    max_name: int
    """How much of a planted name the PSA keeps."""
    live_name: tuple[str, str]
    """(key, value) of a line of the example naming a live object (``board: Professional
    Services``): a typo of the value is a did-you-mean at plan time."""
    fast: Mapping[str, str] = field(default_factory=dict)
    """Environment that takes the client-side rate cap out of a test that is not about it."""
    rate_cap: Callable[[int, float], Any] | None = None
    """The simulator's own rate cap (``limit`` requests per ``window_s``), set as
    ``simulator.rate_cap``; None: its simulator has none (its limits are tested elsewhere)."""
    client_cap_variable: str = ""
    """The variable setting the client-side cap in requests per ``client_cap_window_s``
    ("": the cap is not set from the environment)."""
    client_cap_window_s: float = 60.0
    plan_key: Callable[[str], str] = str
    """The key a plan gives a planted object of that name (Autotask's ``company/NAME``)."""
    journal_create: Callable[[str], bool] = lambda request: True
    """Whether a journalled create (its ``request`` text) creates one of those objects, rather
    than one of its child rows (Autotask's webhook fields)."""
    steering: tuple[tuple[str, str], ...] = ()
    """More (variable, value) pairs that must be refused before any request (an
    authorisation server on another host ...)."""

    name: str = ""
    hook: str = ""
    example: Path = Path()
    hostile: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name
