"""Which live object a desired one is: equal natural keys after :func:`~names.fold`, and where
several live objects fold alike, the one spelled exactly like the desired key; otherwise an
ambiguity naming every id, never a silent pick.

Kinds keyed by a reference table's names (categories, roles, UDFs ...) never get here twice:
their tables already show a shared name as ``Name (#id)`` and resolve it to one entry. This is
for kinds whose key is a live object's own name (webhooks, inventory locations).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.errors import AmbiguousMatch
from reconciler.kinds.names import fold
from reconciler.state import Resource

MatchKey = tuple[str, str]


def match_key(resource: Resource) -> MatchKey:
    return resource.kind, fold(resource.key)


def index_live(live: Iterable[Resource]) -> dict[MatchKey, list[Resource]]:
    """Live objects by folded natural key, each list in address order (deterministic)."""
    found: dict[MatchKey, list[Resource]] = {}
    for resource in sorted(live, key=lambda r: r.address):
        found.setdefault(match_key(resource), []).append(resource)
    return found


def exact_match(key: str, candidates: Sequence[Resource]) -> Resource | None:
    spelled = [c for c in candidates if c.key == key]
    return spelled[0] if len(spelled) == 1 else None


def pick(wanted: Resource, candidates: Sequence[Resource]) -> Resource | None:
    """The live object ``wanted`` is (None: none, so it is a create); raises
    :class:`AmbiguousMatch` when two or more fold alike and not exactly one is spelled alike."""
    if not candidates:
        return None
    exact = exact_match(wanted.key, candidates)
    if exact is not None:
        return exact
    if len(candidates) == 1:
        return candidates[0]
    raise ambiguity(wanted, candidates)


def live_id(resource: Resource) -> str:
    ident = resource.ids.get("id")
    return str(ident) if ident is not None else resource.address


def _spelling(resource: Resource) -> str:
    """The name as the YAML writes it (a webhook's key also carries its entity)."""
    return str(resource.attributes.get("name") or resource.key)


def ambiguity(wanted: Resource, candidates: Sequence[Resource]) -> AmbiguousMatch:
    spelled = [c for c in candidates if c.key == wanted.key]
    shown = ", ".join(f"'{c.key}' (id {live_id(c)})" for c in candidates)
    what = wanted.kind.replace("_", " ")
    if spelled:
        hint = (
            "these are spelled exactly alike, so no name can say which: rename one of them in "
            "the admin UI, then plan again"
        )
    else:
        hint = (
            "write the name exactly as the one you mean is spelled ("
            + " or ".join(repr(_spelling(c)) for c in candidates)
            + "), or rename one of them in the admin UI"
        )
    return AmbiguousMatch(
        f"{len(candidates)} live {what}s match {wanted.address} after folding case, width and "
        f"spacing, and not exactly one is spelled '{wanted.key}': {shown}",
        hint=hint,
    )


def lookup(index: dict[MatchKey, list[Resource]], kind: str, key: str) -> Resource | None:
    """The live object of ``kind`` named ``key`` (exact spelling first), None when there is
    none or it is ambiguous (for re-reads after a write, which report rather than raise)."""
    candidates = index.get((kind, fold(key)), [])
    exact = exact_match(key, candidates)
    if exact is not None:
        return exact
    return candidates[0] if len(candidates) == 1 else None
