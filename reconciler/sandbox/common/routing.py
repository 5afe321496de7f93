"""Documented path templates -> handlers, and the endpoint keys the stats count under."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]
"""A route handler: the request and the path parameters (``{"id": "42"}``)."""

_PARAM = re.compile(r"^\{(\w+)\}$")


@dataclass(frozen=True)
class RouteSpec:
    """One served route: method, documented path template, handler.

    ``documented`` is False for routes the vendor document does not list (e.g. Autotask's
    ``/query/next``); conformance tests use it to know which routes must exist in the document.
    """

    method: str
    template: str
    handler: Handler = field(compare=False, repr=False)
    documented: bool = True


@dataclass(frozen=True)
class RouteMatch:
    route: RouteSpec
    params: dict[str, str]

    @property
    def key(self) -> str:
        """The endpoint key for stats: ``"GET /V1.0/Companies/{id}"``."""
        return f"{self.route.method} {self.route.template}"


class MethodNotAllowedError(Exception):
    """The path matches a route, but not with this method."""

    def __init__(self, allowed: Iterable[str]) -> None:
        super().__init__("method not allowed")
        self.allowed = sorted(set(allowed))


class TemplateRouter:
    """Matches request paths against documented path templates like ``/V1.0/{E}/{id}``.

    A literal segment beats a parameter (``/Companies/query`` is not ``/Companies/{id}``); a
    parameter listed in ``int_params`` only matches digits, as the document types ids as integers.
    With ``case_insensitive`` literals match in any case (Autotask's paths do).
    """

    def __init__(
        self, *, case_insensitive: bool = False, int_params: Iterable[str] = ("id", "parentId")
    ) -> None:
        self.case_insensitive = case_insensitive
        self.int_params = frozenset(int_params)
        self._routes: list[RouteSpec] = []
        self._by_length: dict[int, list[tuple[tuple[str, ...], list[RouteSpec]]]] = {}
        self._templates: dict[tuple[str, ...], list[RouteSpec]] = {}

    def add(self, method: str, template: str, handler: Handler, *, documented: bool = True) -> None:
        """Serve ``method template`` with ``handler``; adding a route twice is an error."""
        route = RouteSpec(method.upper(), template, handler, documented)
        segments = self._split(template, literal=True)
        routes = self._templates.get(segments)
        if routes is None:
            routes = self._templates[segments] = []
            self._by_length.setdefault(len(segments), []).append((segments, routes))
        if any(r.method == route.method for r in routes):
            raise ValueError(f"route {route.method} {template} is defined twice")
        routes.append(route)
        self._routes.append(route)

    def declare(self, template: str) -> None:
        """Make ``template`` a known path even without any method, so every method gets 405.

        For collection paths the document lists without any verb the simulator serves (e.g.
        ``POST /V1.0/BillingCodes`` of a read-only entity is "method not allowed", not "no route").
        """
        segments = self._split(template, literal=True)
        if segments not in self._templates:
            routes: list[RouteSpec] = []
            self._templates[segments] = routes
            self._by_length.setdefault(len(segments), []).append((segments, routes))

    def routes(self) -> list[RouteSpec]:
        """Every route served, in the order added."""
        return list(self._routes)

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route for ``method path``; None if no template matches the path.

        Raises :class:`MethodNotAllowedError` when the path matches but the method does not.
        """
        segments = self._split(path, literal=False)
        best: tuple[tuple[int, ...], dict[str, str], list[RouteSpec]] | None = None
        for template, routes in self._by_length.get(len(segments), ()):
            params = self._match_segments(template, segments)
            if params is None:
                continue
            rank = tuple(0 if not _PARAM.match(t) else 1 for t in template)
            if best is None or rank < best[0]:
                best = (rank, params, routes)
        if best is None:
            return None
        for route in best[2]:
            if route.method == method.upper():
                return RouteMatch(route, best[1])
        raise MethodNotAllowedError(r.method for r in best[2])

    def endpoint_key(self, method: str, path: str) -> str | None:
        """``"METHOD /documented/template"`` for a request, None if it has no route."""
        try:
            found = self.match(method, path)
        except MethodNotAllowedError:
            return None
        return found.key if found else None

    def _split(self, path: str, *, literal: bool) -> tuple[str, ...]:
        parts = tuple(p for p in path.split("/") if p)
        if self.case_insensitive and literal:
            parts = tuple(p if _PARAM.match(p) else p.lower() for p in parts)
        return parts

    def _match_segments(
        self, template: tuple[str, ...], segments: tuple[str, ...]
    ) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for want, got in zip(template, segments, strict=True):
            param = _PARAM.match(want)
            if param is None:
                if want != (got.lower() if self.case_insensitive else got):
                    return None
                continue
            name = param.group(1)
            if name in self.int_params and not got.lstrip("-").isdigit():
                return None
            params[name] = got
        return params
