"""Reading a saved plan for ``apply PLAN``: refuse anything but exactly the reviewed plan.

In order, each step stopping at the first that fails, before any API call:

1. the bytes are UTF-8 JSON (a syntax error or a truncated file is reported as FILE:LINE:COL);
2. the format's major version is this tool's;
3. the document matches the plan JSON Schema (shipped in the package: ``reconciler/data``);
4. the checksum matches, and the signature too when the operator set the signing key;
5. what the views show is what apply does (:func:`view_problems`): the views (``show``, the PR
   comment) render each change's ``diff`` and the plan's ``summary`` and ``risk`` while apply
   writes ``before``/``after`` and counts the changes itself, so a file whose stored view
   disagrees with what it would write is refused, naming the change;
6. every ``${env:NAME}`` a change's secret refers to may be referenced at all (the YAML's rule,
   ``refused_reference``): never one of reconcile's own variables (credentials, trust
   settings, CI tokens, limits);
7. every update, delete and deactivation has the fingerprint the stale check compares, and every
   Salesbuildr settings document the plan writes has the ETag it was read with. (A create needs
   neither: the stale check looks the object up by its natural key and requires it absent.)

Why refuse rather than render from ``before``/``after`` alone: the diff is the plan's contract
(CLI.md "Plan JSON"), read by the CI comment and by tools; rendering from a second source would
leave the stored field lying to those readers. Recomputing it at load and refusing a mismatch
keeps one truth for every reader: the diff is exactly what ``before``/``after`` say.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema

from reconciler.errors import PlanFileError
from reconciler.plan.compute import REMOVED
from reconciler.plan.integrity import SIGNATURE_FIELD, SIGNING_KEY_VARIABLE, seal_problems
from reconciler.plan.model import FORMAT_VERSION, SENSITIVE, Action, Change, FieldDiff, Plan
from reconciler.plan.risk import risk_of

DocumentsTouched = Callable[[Change], Sequence[str]]
"""The settings documents a change writes, by their keys in ``observed`` (where the ETag the plan
read is kept: ``"<owner>:<document>"``)."""
TouchedBy = Callable[[Plan], DocumentsTouched]
"""The documents a plan's changes write, by the plan's PSA (``Plan.psa``)."""
RefusedReference = Callable[[str], str | None]
"""Why a ``${env:...}`` reference may not be resolved (None: it may), as the YAML's check says."""

FINGERPRINTED = (Action.UPDATE, Action.DELETE, Action.DEACTIVATE)
SIDES = {
    Action.CREATE: (False, True),
    Action.UPDATE: (True, True),
    Action.DELETE: (True, False),
    Action.DEACTIVATE: (True, True),
}
"""Which of ``before``/``after`` a change of each action has (a no-op: either)."""
MAX_PROBLEMS = 20
REMAKE = "make the plan again with `reconcile plan --out`, review it, and apply that file"


@dataclass(frozen=True)
class SavedPlan:
    """A verified saved plan, and what the operator should know about how it was verified."""

    plan: Plan
    warnings: tuple[str, ...] = ()


@functools.cache
def plan_schema() -> dict[str, Any]:
    """The plan JSON Schema as shipped in the package (``schemas/plan.schema.json`` is a copy)."""
    text = resources.files("reconciler").joinpath("data/plan.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def looks_like_plan(raw: bytes, name: str) -> bool:
    """A JSON object that names a ``format_version`` (or a ``.json`` file that does not parse).

    Anything else goes to the YAML loader: a mappings file may be written as JSON, too.
    """
    if not raw.lstrip().startswith(b"{"):
        return False
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return name.endswith(".json") or b'"format_version"' in raw
    return isinstance(data, dict) and "format_version" in data


def load_saved_plan(
    raw: bytes,
    *,
    source: str,
    signing_key: str | None,
    documents_touched: TouchedBy,
    refused_reference: RefusedReference | None = None,
) -> SavedPlan:
    """The plan in ``raw`` (the file ``source``), or :class:`PlanFileError` naming each problem.

    ``refused_reference`` is the YAML's rule for ``${env:NAME}``
    (:func:`reconciler.config.references.refused_reference`; the CLI passes it; None: names
    are not checked here, and the secret lookup of apply still refuses them)."""
    data = _parse(raw, source)
    version = str(data.get("format_version"))
    if version.partition(".")[0] != FORMAT_VERSION.partition(".")[0]:
        raise PlanFileError(
            f"{source} is a plan of format {_shown(version)}; this reconcile reads "
            f"{FORMAT_VERSION}",
            hint="make the plan again with this version of reconcile",
        )
    _refuse(source, "does not match the plan format", schema_problems(data))
    _refuse(source, "is not the plan `reconcile plan` wrote", seal_problems(data, signing_key))
    try:
        plan = Plan.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:  # the schema should have said it
        _refuse(source, "does not match the plan format", [f"{type(error).__name__}: {error}"])
        raise  # pragma: no cover (_refuse raised)
    _refuse(source, "shows one thing and would apply another", view_problems(data, plan))
    if refused_reference is not None:
        problems = secret_ref_problems(plan, refused_reference)
        _refuse(source, "names variables a plan may not use", problems)
    _refuse(source, "cannot be checked for staleness", unverifiable(plan, documents_touched(plan)))
    warnings: tuple[str, ...] = ()
    if data.get(SIGNATURE_FIELD) and not signing_key:
        warnings = (
            f"{source} is signed, but {SIGNING_KEY_VARIABLE} is not set: its signature was not "
            "checked (only its checksum)",
        )
    return SavedPlan(plan, warnings)


def schema_problems(data: Mapping[str, Any]) -> list[str]:
    """Each place where ``data`` breaks the plan JSON Schema, located by its JSON path."""
    validator = jsonschema.Draft202012Validator(plan_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_where(data, list(e.absolute_path))}: {_message(e)}" for e in errors]


def view_problems(data: Mapping[str, Any], plan: Plan) -> list[str]:
    """Where the file's stored view (each change's ``diff``, the ``summary``, the ``risk``)
    disagrees with what apply acts on (``action``, ``before``, ``after``; the changes)."""
    problems: list[str] = []
    raw_changes = data.get("changes") or []
    for raw, change in zip(raw_changes, plan.changes, strict=True):
        problems.extend(_diff_problems(change, raw.get("diff") or []))
    summary = data.get("summary")
    if summary is not None and dict(summary) != plan.summary:
        problems.append(
            f"summary: says {_counts(summary)}, but its changes are {_counts(plan.summary)}"
        )
    risk = risk_of(plan.changes, plan.blocked_reasons)
    if plan.risk is not risk:
        problems.append(
            f"risk: says {_shown(plan.risk.value)}, but its changes and blocked reasons make it "
            f"{risk.value}"
        )
    return problems


def _diff_problems(change: Change, raw: Sequence[Any]) -> list[str]:
    """The diff of ``change`` against the one ``before``/``after`` make (:func:`expected_diff`),
    and ``raw`` (the stored entries, with their ``added``/``removed``) against its own parse."""
    where = _shown(change.address)
    shape = _shape_problem(change)
    if shape:
        return [f"{where}: {shape}"]
    stored = {d.path: d for d in change.diff}
    if len(stored) != len(change.diff):
        return [f"{where}: its diff names an attribute twice"]
    expected = {d.path: d for d in expected_diff(change)}
    wrong = sorted(
        path for path in stored.keys() & expected.keys() if not _same(stored[path], expected[path])
    )
    unshown = sorted(expected.keys() - stored.keys())
    extra = sorted(stored.keys() - expected.keys())
    problems = [
        f"{where}: its diff shows {_shown(path)} as {_pair(stored[path])}, but apply would "
        f"write {_pair(expected[path])}"
        for path in wrong
    ]
    if unshown:
        problems.append(
            f"{where}: apply would write {_names(unshown)}, which its diff does not show"
        )
    if extra:
        problems.append(f"{where}: its diff shows {_names(extra)}, which apply would not change")
    if not problems and [d.to_dict() for d in change.diff] != list(raw):
        problems.append(f"{where}: its diff's added/removed do not follow from before/after")
    return problems


def _shape_problem(change: Change) -> str:
    """What makes ``change`` show other than it acts ("": nothing): sides its action does not
    have, a value every view hides without a secret behind it, a removal's reason that is not
    the plan's (the views print it beside the address)."""
    action, before, after = change.action, change.before, change.after
    sides = (before is not None, after is not None)
    wanted = SIDES.get(action, sides)
    if sides != wanted:
        has = " and ".join(
            n for n, there in zip(("`before`", "`after`"), wanted, strict=True) if there
        )
        return f"{_article(action)} that has not exactly {has}"
    for path in change.sensitive_paths:
        shown = {(before or {}).get(path, SENSITIVE), (after or {}).get(path, SENSITIVE)}
        if path not in change.secret_refs or shown - {SENSITIVE, None}:
            return f"{_shown(path)} is hidden as sensitive, but it is not a secret the plan sends"
    if action is Action.DELETE and change.reason != REMOVED:
        return f"a delete whose reason is {_shown(change.reason, 80)!r}, not {REMOVED!r}"
    if action is Action.DEACTIVATE and not change.reason.startswith(REMOVED + "; "):
        return f"a deactivation whose reason is {_shown(change.reason, 80)!r}"
    return ""


def expected_diff(change: Change) -> list[FieldDiff]:
    """What the plan computed as the diff of ``change``, from its ``before``/``after`` alone
    (plan/compute.py: a create lists every attribute, a delete every live one, an update or a
    deactivation those that differ; a rotated secret shows as sensitive on both sides)."""
    before, after = dict(change.before or {}), dict(change.after or {})
    if change.action is Action.NO_OP:
        return []
    if change.action is Action.CREATE:
        return [FieldDiff(k, None, v) for k, v in sorted(after.items())]
    if change.action is Action.DELETE:
        return [FieldDiff(k, v, None) for k, v in sorted(before.items())]
    keys = sorted(set(before) | set(after), key=str)
    diff = [
        FieldDiff(k, before.get(k), after.get(k))
        for k in keys
        if _canonical(before.get(k)) != _canonical(after.get(k))
    ]
    shown = {d.path for d in diff}
    diff.extend(
        FieldDiff(path, SENSITIVE, SENSITIVE)
        for path in change.sensitive_paths
        if path not in shown and any(d.path == path for d in change.diff)
    )
    return diff


def _same(stored: FieldDiff, expected: FieldDiff) -> bool:
    return _canonical(stored.before) == _canonical(expected.before) and _canonical(
        stored.after
    ) == _canonical(expected.after)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _pair(diff: FieldDiff) -> str:
    return _shown(f"{_canonical(diff.before)} -> {_canonical(diff.after)}", 120)


def _names(paths: Sequence[str]) -> str:
    return ", ".join(_shown(p, 60) for p in paths[:5]) + (" …" if len(paths) > 5 else "")


def _counts(summary: Mapping[str, Any]) -> str:
    return _shown(", ".join(f"{k} {v}" for k, v in sorted(summary.items())))


def secret_ref_problems(plan: Plan, refused: RefusedReference) -> list[str]:
    """Each pending change whose secret refers to a variable the YAML could not reference."""
    problems: list[str] = []
    for change in plan.pending:
        for path, reference in sorted(change.secret_refs.items()):
            why = refused(reference) if reference else None
            if why:
                problems.append(f"{_shown(change.address)}: its secret {_shown(path)}: {why}")
    return problems


def unverifiable(plan: Plan, documents_touched: DocumentsTouched) -> list[str]:
    """The writes whose stale check would have nothing to compare with."""
    problems: list[str] = []
    missing_documents: dict[str, str] = {}
    for change in plan.pending:
        fingerprint = plan.observed.get(change.address, "")
        if change.action in FINGERPRINTED and not fingerprint.startswith("sha256:"):
            problems.append(
                f"{_shown(change.address)}: {_article(change.action)} without a fingerprint "
                f"(`observed[{_shown(json.dumps(change.address))}]` is missing)"
            )
        for key in documents_touched(change):
            etag = plan.observed.get(key, "")
            if not etag.removeprefix("etag:"):
                missing_documents.setdefault(key, change.address)
    problems.extend(
        f"{_shown(address)}: writes the settings document {key!r} without its ETag "
        f"(`observed[{_shown(json.dumps(key))}]` is missing)"
        for key, address in sorted(missing_documents.items())
    )
    return problems


def _article(action: Action) -> str:
    return ("an " if action is Action.UPDATE else "a ") + action.value


def _message(error: Any) -> str:
    """The schema's message, with the offending value (its first words) cut short."""
    message, value = str(error.message), repr(error.instance)
    if message.startswith(value) and len(value) > 60:
        message = value[:59] + "…" + message[len(value) :]
    return _shown(message)


def _parse(raw: bytes, source: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise PlanFileError(
            f"{source}:{line}:{column}: the saved plan is not UTF-8 text", hint=REMAKE
        ) from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as error:
        raise PlanFileError(
            f"{source}: the saved plan has the key {_shown(json.dumps(error.key))} twice in one "
            "object (JSON readers disagree on which one counts)",
            hint=REMAKE,
        ) from None
    except RecursionError:
        raise PlanFileError(
            f"{source}: the saved plan is nested too deeply to be a plan", hint=REMAKE
        ) from None
    except json.JSONDecodeError as error:
        content = text.rstrip()
        # An unterminated string always runs to the end of the file (JSON has no raw newlines).
        if error.pos >= len(content) or error.msg.startswith("Unterminated string"):
            line = content.count("\n") + 1
            column = len(content) - (content.rfind("\n") + 1) + 1
            where, what = f"{line}:{column}", "the file ends early (truncated?)"
        else:
            where, what = f"{error.lineno}:{error.colno}", error.msg
        raise PlanFileError(
            f"{source}:{where}: the saved plan is not valid JSON: {what}",
            hint="download the plan artifact again, or " + REMAKE,
        ) from None
    if not isinstance(data, dict):
        raise PlanFileError(f"{source}: the saved plan is not a JSON object", hint=REMAKE)
    return data


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def _refuse(source: str, what: str, problems: Sequence[str]) -> None:
    if not problems:
        return
    shown = list(problems[:MAX_PROBLEMS])
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS} more")
    raise PlanFileError(
        f"{source} {what}; nothing was applied, no API call was made:\n  - " + "\n  - ".join(shown),
        hint=REMAKE,
    )


def _where(data: Mapping[str, Any], path: Sequence[Any]) -> str:
    """``changes[2].after.queue`` (with the change's address), or ``the plan`` at the top."""
    if not path:
        return "the plan"
    text = str(path[0])
    for part in path[1:]:
        if isinstance(part, int):
            text += f"[{part}]"
        else:  # an address is a key of `observed`: `observed["webhooks[\"x\"]"]`
            text += f".{part}" if str(part).isidentifier() else f"[{json.dumps(part)}]"
    changes = data.get("changes")
    if path[0] == "changes" and len(path) > 1 and isinstance(changes, list):
        index = path[1]
        change = changes[index] if isinstance(index, int) and index < len(changes) else None
        if isinstance(change, dict) and isinstance(change.get("address"), str):
            text += f" ({change['address']})"
    return _shown(text)


def _shown(text: str, limit: int = 200) -> str:
    """Text from the file as a message may show it: no control or invisible characters, short."""
    visible = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return visible if len(visible) <= limit else visible[: limit - 1] + "…"
