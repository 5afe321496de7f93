"""Fault injection: the ``--fault KIND:RATE`` language, the seeded draw, the faults' answers.

A run is reproducible: faults are drawn from a seeded :class:`SandboxRng`, one draw per request,
the kinds' rates laid out as consecutive intervals (:func:`choose_fault`).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from typing import Final

from starlette.responses import JSONResponse, PlainTextResponse, Response

#: Fault kinds accepted by ``--fault KIND:RATE``, in the order their rate intervals are laid out.
FAULT_KINDS: Final = ("429", "500", "503", "timeout", "reset-after-commit")

WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_QUERY_SUFFIXES: Final = ("/query", "/query/count", "/query/next")


def parse_faults(specs: Iterable[str]) -> dict[str, float]:
    """Parse ``KIND:RATE`` strings (the ``--fault`` option) into ``{kind: rate}``.

    Raises ValueError with a readable message for an unknown kind, a rate outside 0..1, a kind
    given twice, or rates that add up to more than 1 (each request gets at most one fault, so the
    rates are fractions of the same requests).
    """
    faults: dict[str, float] = {}
    for spec in specs:
        kind, sep, rate_text = spec.strip().rpartition(":")
        if not sep or not kind:
            raise ValueError(f"fault {spec!r}: expected KIND:RATE, e.g. 429:0.1")
        try:
            rate = float(rate_text)
        except ValueError:
            raise ValueError(f"fault {spec!r}: RATE must be a number in 0..1") from None
        if kind in faults:
            raise ValueError(f"fault {spec!r}: {kind} is given twice")
        faults[kind] = rate
    return validate_faults(faults)


def validate_faults(faults: Mapping[str, float] | None) -> dict[str, float]:
    """Check a ``{kind: rate}`` mapping (see :func:`parse_faults`) and return a plain copy."""
    checked: dict[str, float] = {}
    for kind, rate in (faults or {}).items():
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}"
            )
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"fault {kind}: rate {rate} is outside 0..1")
        checked[kind] = float(rate)
    if sum(checked.values()) > 1.0 + 1e-9:
        raise ValueError("fault rates add up to more than 1")
    return checked


class SandboxRng:
    """A seeded, thread-safe random source, so fault injection is reproducible.

    Given the same seed and the same sequence of requests, the same requests fail.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._random.seed(seed)

    def random(self) -> float:
        with self._lock:
            return self._random.random()

    def chance(self, rate: float) -> bool:
        """True with probability ``rate`` (never for 0, always for 1)."""
        if rate <= 0.0:
            return False
        return self.random() < rate


def choose_fault(rng: SandboxRng, faults: Mapping[str, float], *, is_write: bool) -> str | None:
    """Pick the fault for one request, or None.

    One draw per request; the kinds' rates are laid out as consecutive intervals in
    :data:`FAULT_KINDS` order, so ``429:0.1`` fails exactly 10 % of requests in expectation.
    ``reset-after-commit`` applies to writes only: a read that lands in its interval succeeds.
    """
    if not faults or not any(faults.values()):
        return None
    draw = rng.random()
    edge = 0.0
    for kind in FAULT_KINDS:
        edge += faults.get(kind, 0.0)
        if draw < edge:
            if kind == "reset-after-commit" and not is_write:
                return None
            return kind
    return None


def is_read_request(method: str, path: str) -> bool:
    """GET, and POST to ``…/query``, ``…/query/count`` or ``…/query/next``, are reads.

    Reads never get ``reset-after-commit`` and are not counted as writes.
    """
    if method.upper() not in WRITE_METHODS:
        return True
    lowered = path.lower().rstrip("/")
    return method.upper() == "POST" and lowered.endswith(_QUERY_SUFFIXES)


def default_fault_response(kind: str) -> Response:
    """The response for an injected fault (``429``, ``500``, ``503``) or a thread-limit rejection.

    ``thread-limit`` is the kind used when :class:`SandboxMiddleware` refuses a request over its
    thread limit. Bodies use ``{"errors": [...]}``, which is what Autotask sends; a simulator whose
    API differs passes its own factory to the middleware.
    """
    if kind == "thread-limit":
        return JSONResponse(
            {
                "errors": [
                    "Thread threshold exceeded: too many concurrent requests to this endpoint."
                ]
            },
            status_code=429,
        )
    if kind == "429":
        return JSONResponse({"errors": ["Too many requests (injected fault)."]}, status_code=429)
    if kind == "500":
        return JSONResponse(
            {"errors": ["An unexpected error occurred on the server (injected fault)."]},
            status_code=500,
        )
    return PlainTextResponse("Service Unavailable", status_code=503)
