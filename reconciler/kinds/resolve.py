"""kinds.resolve: desired resources with names -> resolved desired State, plus every problem.

All problems are collected (never the first only) and located at the YAML line and column the
config layer recorded, so one run of `reconcile plan` lists everything to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.errors import AmbiguousMatch, Diagnostic
from reconciler.kinds.base import Kind, Problem
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.matching import exact_match, index_live, match_key, pick
from reconciler.state import DeletePolicy, ManageMode, PolicySettings, Resource, State


def parse_location(text: str | None) -> tuple[str, int, int]:
    """``"file:12:5"`` -> ("file", 12, 5); tolerant of colons in the file name."""
    if not text:
        return "", 0, 0
    parts = text.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return parts[0], int(parts[1]), int(parts[2])
    return text, 0, 0


def diagnostic_for(problem: Problem, resource: Resource | None) -> Diagnostic:
    location = None
    if resource is not None:
        location = resource.locations.get(problem.attribute) or resource.location
    file, line, column = parse_location(location)
    return Diagnostic(
        problem.message,
        file=file,
        line=line,
        column=column,
        hint=problem.hint,
        severity=problem.severity,
        id=problem.id,
    )


def resolve_desired(
    resources: Sequence[Resource],
    catalog: Catalog,
    live: State,
    *,
    kinds: Mapping[str, Kind],
    section_locations: Mapping[str, str] | None = None,
    policy: PolicySettings | None = None,
) -> tuple[State, list[Diagnostic]]:
    """Resolve every desired resource; run each section's rules; report duplicates.

    A section's rules see the live objects that will still exist after apply: under
    ``manage: full`` only those that are never removed or that the YAML lists (``policy`` says
    the mode)."""
    resolved, diagnostics = _resolve_each(resources, catalog, live, kinds)
    by_address = {r.address: r for r in resources}
    for section in sorted({r.section for r in resources}):
        desired_here = [r for r in resolved if r.section == section]
        live_here = _surviving(live.in_section(section), desired_here, section, kinds, policy)
        for kind in {k.name: k for k in kinds.values() if k.section == section}.values():
            for problem in kind.check(desired_here, live_here, catalog):
                owner = by_address.get(problem.address)
                if owner is None and section_locations:
                    owner = _section_owner(problem, kind, section, section_locations)
                diagnostics.append(diagnostic_for(problem, owner))
    return State.of(resolved), diagnostics


def _resolve_each(
    resources: Sequence[Resource], catalog: Catalog, live: State, kinds: Mapping[str, Kind]
) -> tuple[list[Resource], list[Diagnostic]]:
    """Each resource resolved and matched to at most one live object; duplicates refused."""
    resolved: list[Resource] = []
    diagnostics: list[Diagnostic] = []
    seen: dict[tuple[str, str], Resource] = {}
    live_index = index_live(live)
    for resource in resources:
        outcome, problems = kinds[resource.kind].resolve(resource, catalog)
        diagnostics.extend(diagnostic_for(p, resource) for p in problems)
        if outcome is None:
            continue
        key = match_key(outcome)
        candidates = live_index.get(key, [])
        try:
            pick(outcome, candidates)
        except AmbiguousMatch as error:
            problem = Problem(resource.address, error.message, error.hint)
            diagnostics.append(diagnostic_for(problem, resource))
            continue
        first = seen.get(key)
        if first is not None and not _both_spelled_live(first, outcome, candidates):
            message = (
                f"this names the same {outcome.kind.replace('_', ' ')} as "
                f"{first.address} ('{outcome.key}')"
            )
            problem = Problem(resource.address, message, "keep one of the two")
            diagnostics.append(diagnostic_for(problem, resource))
            continue
        seen[key] = outcome
        resolved.append(outcome)
    return resolved, diagnostics


def _both_spelled_live(first: Resource, second: Resource, candidates: Sequence[Resource]) -> bool:
    """Two desired objects may fold alike only when each is spelled like a live one."""
    return (
        first.key != second.key
        and exact_match(first.key, candidates) is not None
        and exact_match(second.key, candidates) is not None
    )


def _surviving(
    live_here: Sequence[Resource],
    desired_here: Sequence[Resource],
    section: str,
    kinds: Mapping[str, Kind],
    policy: PolicySettings | None,
) -> list[Resource]:
    """The section's live objects that still exist after apply (``manage: full`` removes the
    others that may be removed)."""
    if policy is None or policy.mode(section) is not ManageMode.FULL:
        return list(live_here)
    wanted = {match_key(r) for r in desired_here}
    return [
        r
        for r in live_here
        if r.kind not in kinds
        or kinds[r.kind].delete_policy is DeletePolicy.NEVER
        or match_key(r) in wanted  # matched: updated, not removed
    ]


def _section_owner(
    problem: Problem, kind: Kind, section: str, section_locations: Mapping[str, str]
) -> Resource:
    """A stand-in owner for a section rule's problem that names no desired object: located at
    the address's own entry, else at the section."""
    where = section_locations.get(problem.address) or section_locations.get(section)
    return Resource(
        address=problem.address,
        kind=kind.name,
        section=section,
        key=problem.address,
        attributes={},
        owner=kind.owner,
        location=where,
    )
