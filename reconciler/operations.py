"""One-off actions and reports beside plan/apply (CONFIG.md "Not state, but actions").

Salesbuildr jobs (sync, product import) and the ``after_apply`` hook that runs them; installed
Autotask webhooks compared with the YAML; the delivery report grouped per webhook; removing
webhooks with the apply machinery (writer, journal) and checking that nothing is left behind.
Nothing here prints: ``reconciler/cli/operations.py`` shows it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.config import LoadedConfig
from reconciler.config.models import AfterApplyAction, Config
from reconciler.errors import PartialApplyError, ReconcileError, UsageError
from reconciler.kinds import tables as t
from reconciler.kinds.base import address
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.names import did_you_mean, fold
from reconciler.kinds.registry import SECTIONS
from reconciler.kinds.webhooks import SECTION as WEBHOOKS
from reconciler.kinds.webhooks import WEBHOOK, natural_key
from reconciler.plan import Action, Change, FieldDiff, Plan
from reconciler.providers import autotask_state as at_state
from reconciler.providers.autotask import AutotaskClient, in_
from reconciler.providers.base import ChangeWriter, Journal
from reconciler.providers.salesbuildr import Category, Job, SalesbuildrClient
from reconciler.render.escape import terminal
from reconciler.session import Connections, LiveRead, make_plan, read_live
from reconciler.state import Resource

# --- durations ------------------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str, *, option: str, allow_zero: bool = False) -> float:
    """``90``, ``30s``, ``10m``, ``24h``, ``7d`` -> seconds; a UsageError naming ``option``."""
    match = _DURATION.match(text.strip().lower())
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)] if match else -1.0
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise UsageError(
            f"{option} {text!r}: expected a {'' if allow_zero else 'positive '}duration like "
            "30s, 10m, 24h or 7d"
        )
    return seconds


def parse_since(text: str, *, now: datetime) -> datetime:
    """``--since``: a duration back from ``now`` (``30m``, ``24h``, ``7d``) or an ISO-8601
    timestamp (``2026-11-25T08:00:00Z``; without an offset it is UTC)."""
    if _DURATION.match(text.strip().lower()):
        return now - timedelta(seconds=parse_duration(text, option="--since"))
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--since {text!r}: expected a duration (30m, 24h, 7d) or an ISO-8601 timestamp",
            hint="e.g. --since 24h or --since 2026-11-25T08:00:00Z",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- jobs -----------------------------------------------------------------------------------------

SYNC_MODES = ("full", "fields", "inventory")
AFTER_APPLY: dict[str, tuple[str, str | None]] = {
    AfterApplyAction.SYNC_FIELDS.value: ("sync", "fields"),
    AfterApplyAction.SYNC_FULL.value: ("sync", "full"),
    AfterApplyAction.SYNC_INVENTORY.value: ("sync", "inventory"),
    AfterApplyAction.IMPORT_PRODUCTS.value: ("import", None),
}
"""``after_apply`` action -> (job kind, sync mode)."""


@dataclass
class PollSchedule:
    """The pauses between polls of a job: short at first (most jobs end in seconds), doubling up
    to ``ceiling_s``, so that a long job cannot spend the 500-requests-per-10-minutes budget
    (5 s is 120 polls in 10 minutes). Passed as ``wait_for_job(sleep=...)``: it ignores the
    interval asked for."""

    first_s: float = 0.25
    ceiling_s: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    _next: float | None = None

    def __call__(self, _asked: float) -> None:
        delay = self.first_s if self._next is None else self._next
        self.sleep(delay)
        self._next = min(delay * 2, self.ceiling_s)


def run_job(
    client: SalesbuildrClient,
    job_id: str,
    *,
    timeout_s: float,
    on_progress: Callable[[Job], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Job:
    """Poll a started job until it ends (ProviderError after ``timeout_s``)."""
    return client.wait_for_job(
        job_id,
        timeout_s=timeout_s,
        interval_s=PollSchedule.first_s,
        on_progress=on_progress,
        sleep=PollSchedule(sleep=sleep),
    )


def after_apply_actions(plan: Plan) -> list[str]:
    """The ``after_apply`` actions a plan carries (``policy.after_apply``), in order."""
    actions = [str(a) for a in plan.policy.get("after_apply") or []]
    unknown = [a for a in actions if a not in AFTER_APPLY]
    if unknown:
        raise UsageError(
            f"the plan's after_apply names unknown action(s): {', '.join(unknown)}",
            hint=f"known actions: {', '.join(AFTER_APPLY)}",
        )
    return actions


def start_action(client: SalesbuildrClient, action: str) -> str:
    """Start the job of one ``after_apply`` action; its job id."""
    kind, mode = AFTER_APPLY[action]
    return client.start_sync(mode) if kind == "sync" and mode else client.start_import()


# --- product import -------------------------------------------------------------------------------

IMPORT_TABLES = (
    ("roles", "role", t.AT_ROLES),
    ("productCategories", "product category", t.AT_PRODUCT_CATEGORIES),
    ("services", "service", t.AT_SERVICES),
)
"""Job ``counts`` key, what it counts, the Autotask table that names its ids."""


@dataclass(frozen=True)
class ImportLine:
    """Items an import brought in for one mapped Autotask role, product category or service."""

    kind: str
    id: str
    name: str | None
    imported: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "imported": self.imported}


def category_table(categories: Iterable[Category]) -> NameTable:
    """Salesbuildr categories by path (``Hardware/Laptops``), as the YAML names them."""
    return NameTable(
        "Salesbuildr category",
        [Entry(id=c.id, name=c.name, path=c.path) for c in categories],
        paths=True,
    )


def resolve_categories(table: NameTable, paths: Sequence[str]) -> list[Entry]:
    """The categories ``--category`` names (case-insensitive paths), every unknown one reported
    at once with the closest valid paths."""
    found: list[Entry] = []
    problems: list[tuple[str, str | None]] = []
    for text in paths:
        outcome = table.resolve(text, allow_inactive=True)
        if outcome.entry is None:
            problems.append((outcome.message or f"unknown category {text!r}", outcome.hint))
        elif outcome.entry not in found:
            found.append(outcome.entry)
    if len(problems) == 1:
        message, hint = problems[0]
        raise UsageError(f"--category: {message}", hint=hint)
    if problems:
        lines = [terminal(f"{m} ({h})" if h else m) for m, h in problems]
        raise UsageError(
            f"--category: {len(problems)} paths name no Salesbuildr category:\n  "
            + "\n  ".join(lines),
            hint="paths use / between levels, as in the YAML (Hardware/Laptops)",
        )
    return found


def unmapped_categories(
    categories: Sequence[Category], chosen: Sequence[Entry], product_import: Mapping[str, Any]
) -> list[Entry]:
    """The chosen categories whose subtree no role, product category or service mapping of the
    ``product-import`` settings points into: importing them brings nothing in."""
    children: dict[str, list[str]] = {}
    for category in categories:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category.id)
    mapped = {
        str(row.get("categoryId"))
        for key, _, _ in IMPORT_TABLES
        for row in product_import.get(key) or []
        if isinstance(row, Mapping)
    }

    def covers(category_id: str) -> bool:
        seen: set[str] = set()
        stack = [category_id]
        while stack:
            current = stack.pop()
            if current in mapped:
                return True
            if current not in seen:  # a parent cycle cannot loop
                seen.add(current)
                stack.extend(children.get(current, ()))
        return False

    return [entry for entry in chosen if not covers(str(entry.id))]


def tables_for_counts(counts: Mapping[str, Any]) -> list[str]:
    """The Autotask tables that name the ids an import's counts use."""
    return [table for key, _, table in IMPORT_TABLES if counts.get(key)]


def import_lines(counts: Mapping[str, Any], tables: Mapping[str, NameTable]) -> list[ImportLine]:
    """The counts of a finished import, per role / product category / service, with names where
    the table knows the id (``name`` None otherwise)."""
    lines: list[ImportLine] = []
    for key, kind, table_name in IMPORT_TABLES:
        table = tables.get(table_name)
        per_id = counts.get(key) or {}
        rows = []
        for item_id, imported in per_id.items():
            entry = table.by_id(item_id) if table is not None else None
            rows.append(ImportLine(kind, str(item_id), entry.name if entry else None, imported))
        lines.extend(sorted(rows, key=lambda line: (fold(line.name or ""), line.id)))
    return lines


def import_total(counts: Mapping[str, Any]) -> int:
    total = counts.get("total")
    if isinstance(total, int):
        return total
    return sum(sum((counts.get(key) or {}).values()) for key, _, _ in IMPORT_TABLES)


def read_import_tables(client: AutotaskClient, counts: Mapping[str, Any]) -> dict[str, NameTable]:
    tables: dict[str, NameTable] = {}
    for name in tables_for_counts(counts):
        table = at_state.read_table(client, name)
        if table is not None:
            tables[name] = table
    return tables


# --- installed webhooks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalledWebhook:
    """One Autotask webhook as installed (children shown by label where the tables were read)."""

    entity: str
    id: int
    name: str
    guid: str | None
    url: str | None
    active: bool
    ready: bool | None
    fields: tuple[str, ...] = ()
    udf_fields: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return natural_key(self.entity, self.name)

    @property
    def label(self) -> str:
        return f"{self.entity}/{self.name}"

    @classmethod
    def of_row(cls, entity: str, row: Mapping[str, Any]) -> InstalledWebhook:
        return cls(
            entity=entity,
            id=int(row["id"]),
            name=str(row.get("name") or ""),
            guid=str(row["webhookGUID"]) if row.get("webhookGUID") else None,
            url=row.get("webhookUrl"),
            active=bool(row.get("isActive")),
            ready=row.get("isReady") if isinstance(row.get("isReady"), bool) else None,
        )

    @classmethod
    def of_resource(cls, resource: Resource) -> InstalledWebhook:
        row = resource.raw.get("webhook") or {}
        base = cls.of_row(str(resource.attributes["entity"]), row)
        return replace(
            base,
            fields=tuple(resource.attributes.get("fields") or ()),
            udf_fields=tuple(resource.attributes.get("udf_fields") or ()),
        )


def read_webhook_rows(client: AutotaskClient) -> list[InstalledWebhook]:
    """Every webhook of the five entities, without children: one query per entity."""
    prefixes = at_state.WEBHOOK_ENTITY_PREFIX
    with ThreadPoolExecutor(max_workers=len(prefixes), thread_name_prefix="webhooks") as pool:
        jobs = {
            entity: pool.submit(
                client.query, f"{prefix}Webhooks", include_fields=at_state.WEBHOOK_FIELDS
            )
            for entity, prefix in prefixes.items()
        }
        return [
            InstalledWebhook.of_row(entity, row)
            for entity, job in jobs.items()
            for row in sorted(job.result(), key=lambda r: (fold(str(r.get("name") or "")), r["id"]))
        ]


def _complete_labels(client: AutotaskClient, live: LiveRead) -> list[Resource]:
    """The live webhooks, with the field tables of every entity that has one (a YAML names
    only some entities, and only their tables were read)."""
    hooks = [r for r in live.state if r.kind == WEBHOOK.name]
    catalog: Catalog = live.catalog
    missing = sorted(
        {
            str(r.attributes["entity"])
            for r in hooks
            if t.at_webhook_fields(str(r.attributes["entity"])) not in catalog.tables
        }
    )
    if not missing:
        return hooks
    for name in sorted(WEBHOOK.tables_for(missing) - set(catalog.tables)):
        table = at_state.read_table(client, name)
        if table is not None:
            catalog.tables[name] = table
    rebuilt: list[Resource] = []
    taken: set[str] = set()
    for entity in at_state.WEBHOOK_ENTITY_PREFIX:
        mine = [r for r in hooks if r.attributes["entity"] == entity]
        data: dict[str, list[dict[str, Any]]] = {
            "webhooks": [dict(r.raw.get("webhook") or {}) for r in mine],
            "fields": [f for r in mine for f in r.raw.get("fields") or []],
            "udf_fields": [f for r in mine for f in r.raw.get("udf_fields") or []],
            "excluded": [x for r in mine for x in r.raw.get("excluded_resources") or []],
        }
        rebuilt.extend(at_state.webhook_resources(entity, data, catalog, taken))
    return rebuilt


def webhook_config(loaded: LoadedConfig) -> LoadedConfig | None:
    """The YAML narrowed to its webhooks (and the receiver their secret and URL come from), or
    None when it has no webhooks section."""
    config: Config = loaded.config
    if config.webhooks is None:
        return None
    keep = {WEBHOOKS, "webhook_receiver"}
    narrowed = config.model_copy(update={s: None for s in SECTIONS if s not in keep})
    return replace(loaded, config=narrowed)


@dataclass(frozen=True)
class YamlMatch:
    """How an installed webhook compares with the YAML."""

    state: str  # "yes" | "differs" | "not in YAML" | "not installed"
    differences: tuple[FieldDiff, ...] = ()
    deleted_by_apply: bool = False


@dataclass(frozen=True)
class WebhookStatus:
    webhook: InstalledWebhook | None  # None: in the YAML, not installed
    entity: str
    name: str
    match: YamlMatch | None  # None: no YAML to compare with


def _matches(plan: Plan) -> dict[str, tuple[Change, YamlMatch]]:
    drift = {d.address: d for d in plan.drift}
    found: dict[str, tuple[Change, YamlMatch]] = {}
    for change in plan.changes:
        if change.kind != WEBHOOK.name:
            continue
        diff = tuple(d for d in change.diff if d.path not in WEBHOOK.sensitive)
        if change.action is Action.CREATE:
            match = YamlMatch("not installed")
        elif change.action is Action.DELETE:
            match = YamlMatch("not in YAML", deleted_by_apply=True)
        elif change.action is Action.UPDATE:
            match = YamlMatch("differs", diff)
        elif change.address in drift and drift[change.address].diff:
            match = YamlMatch("differs", tuple(drift[change.address].diff))
        else:
            match = YamlMatch("yes")
        found[fold(change.key)] = (change, match)
    return found


def webhook_statuses(
    client: AutotaskClient, connections: Connections, loaded: LoadedConfig | None
) -> list[WebhookStatus]:
    """Every installed webhook of the five entities; with ``loaded`` (narrowed by
    :func:`webhook_config`) each compared with the YAML through a plan, plus the YAML's webhooks
    that are not installed."""
    if loaded is not None:
        run = make_plan(loaded, connections)
        live, matches = run.live, _matches(run.plan)
    else:
        live, matches = read_live(connections, [WEBHOOKS], []), {}
    statuses = []
    for resource in _complete_labels(client, live):
        hook = InstalledWebhook.of_resource(resource)
        entry = matches.pop(fold(hook.key), None)
        match = entry[1] if entry else (YamlMatch("not in YAML") if loaded else None)
        statuses.append(WebhookStatus(hook, hook.entity, hook.name, match))
    for change, match in matches.values():
        after = change.after or {}
        if match.state == "not installed":
            entity, name = str(after.get("entity")), str(after.get("name"))
            statuses.append(WebhookStatus(None, entity, name, match))
    order = list(at_state.WEBHOOK_ENTITY_PREFIX)
    return sorted(statuses, key=lambda s: (order.index(s.entity), fold(s.name)))


def describe_diff(diff: FieldDiff) -> str:
    """``fields +Phone``, ``events +delete -update``, ``active true -> false``."""
    if isinstance(diff.before, list) and isinstance(diff.after, list):
        added = [f"+{v}" for v in diff.after if v not in diff.before]
        removed = [f"-{v}" for v in diff.before if v not in diff.after]
        return f"{diff.path} {' '.join(added + removed)}".rstrip()
    return f"{diff.path} {_shown(diff.before)} -> {_shown(diff.after)}"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


# --- delivery report ------------------------------------------------------------------------------

DELIVERY_STATUSES = ("delivered", "failed", "bad_signature")


@dataclass
class DeliveryGroup:
    """The deliveries of one webhook (or of one unknown GUID) in the report's window."""

    guid: str | None
    entity: str | None
    name: str | None  # None: no installed webhook has this GUID
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DELIVERY_STATUSES, 0))
    last_received: str | None = None
    last_error: str | None = None

    @property
    def known(self) -> bool:
        return self.name is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "webhook_guid": self.guid,
            "entity": self.entity,
            "name": self.name,
            "known": self.known,
            **self.counts,
            "last_received": self.last_received,
            "last_error": self.last_error,
        }


def _moment(text: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def group_deliveries(
    deliveries: Iterable[Mapping[str, Any]],
    webhooks: Iterable[InstalledWebhook],
    *,
    always: Iterable[InstalledWebhook] = (),
) -> list[DeliveryGroup]:
    """Deliveries per webhook GUID, named by the installed webhook with that GUID.

    ``always`` are webhooks shown even without deliveries (those that call Salesbuildr). Order:
    known webhooks by entity and name, then unknown GUIDs, then deliveries without a GUID.
    """
    by_guid = {h.guid.casefold(): h for h in webhooks if h.guid}
    groups: dict[str | None, DeliveryGroup] = {}

    def group_of(guid: str | None, entity: str | None) -> DeliveryGroup:
        key = guid.casefold() if guid else None
        if key not in groups:
            hook = by_guid.get(key) if key else None
            groups[key] = DeliveryGroup(
                guid=guid,
                entity=hook.entity if hook else entity,
                name=hook.name if hook else None,
            )
        return groups[key]

    for hook in always:
        if hook.guid:
            group_of(hook.guid, hook.entity)
    for delivery in deliveries:
        guid = delivery.get("webhookGuid")
        group = group_of(str(guid) if guid else None, delivery.get("entity"))
        status = str(delivery.get("status"))
        group.counts[status] = group.counts.get(status, 0) + 1
        received = delivery.get("receivedAt")
        newest = group.last_received is None or _moment(received) >= _moment(group.last_received)
        if newest:
            group.last_received = str(received) if received else group.last_received
        if delivery.get("error") and (newest or group.last_error is None):
            group.last_error = str(delivery["error"])
    order = list(at_state.WEBHOOK_ENTITY_PREFIX)

    def sort_key(group: DeliveryGroup) -> tuple[int, int, str, str]:
        rank = 0 if group.known else (1 if group.guid else 2)
        entity = order.index(group.entity) if group.entity in order else len(order)
        return rank, entity, fold(group.name or ""), group.guid or ""

    return sorted(groups.values(), key=sort_key)


def points_at(hook: InstalledWebhook, receiver_url: str | None) -> bool:
    if not receiver_url or not hook.url:
        return False
    return hook.url.rstrip("/").casefold() == receiver_url.rstrip("/").casefold()


# --- uninstall ------------------------------------------------------------------------------------


def select_webhooks(
    installed: Sequence[InstalledWebhook], names: Sequence[str]
) -> list[InstalledWebhook]:
    """The webhooks ``NAME`` arguments mean: a webhook name, or ``entity/name`` when two
    entities' webhooks share it. Every unknown or ambiguous name is reported at once."""
    chosen: list[InstalledWebhook] = []
    problems: list[str] = []
    hints: list[str] = []
    for text in names:
        entity, _, rest = text.partition("/")
        hits = [h for h in installed if fold(h.name) == fold(text)]
        if entity in at_state.WEBHOOK_ENTITY_PREFIX and rest:
            scoped = [h for h in installed if h.entity == entity and fold(h.name) == fold(rest)]
            hits = scoped or hits
        spelled = [h for h in hits if text in (h.name, h.label)]  # the exact spelling wins
        hits = spelled if len(spelled) == 1 else hits
        if len(hits) > 1:
            problems.append(
                f"{len(hits)} webhooks are named {text!r}: "
                + ", ".join(terminal(h.label) for h in hits)
            )
            hints.append(f"write one of {', '.join(terminal(h.label) for h in hits)}")
        elif not hits:
            problems.append(f"no installed webhook is named {text!r}")
            hint = did_you_mean(text, [h.name for h in installed] + [h.label for h in installed])
            if hint:
                hints.append(terminal(hint))
        elif hits[0] not in chosen:
            chosen.append(hits[0])
    if problems:
        if not installed:
            hints = ["no webhook is installed in any of the five entities"]
        raise UsageError("; ".join(problems), hint="; ".join(hints) or None)
    return chosen


def managed_webhooks(config: Config) -> list[tuple[str, str]]:
    """(entity, name) of every webhook the YAML's webhooks section lists."""
    return [(hook.entity.value, hook.name or key) for key, hook in (config.webhooks or {}).items()]


def select_managed(
    installed: Sequence[InstalledWebhook], managed: Sequence[tuple[str, str]]
) -> tuple[list[InstalledWebhook], list[str]]:
    """The installed webhooks the YAML manages, and the managed ones that are not installed."""
    chosen: list[InstalledWebhook] = []
    absent: list[str] = []
    for entity, name in managed:
        hits = [h for h in installed if h.entity == entity and fold(h.name) == fold(name)]
        chosen.extend(h for h in hits if h not in chosen)
        if not hits:
            absent.append(f"{entity}/{name}")
    return chosen, absent


def removal(hook: InstalledWebhook, address_key: str) -> Change:
    """The plan change that deletes one webhook (the writer deletes its children with it)."""
    return Change(
        address=address(WEBHOOKS, address_key),
        kind=WEBHOOK.name,
        key=hook.key,
        section=WEBHOOKS,
        owner=WEBHOOK.owner,
        action=Action.DELETE,
        before={"entity": hook.entity, "name": hook.name, "url": hook.url, "active": hook.active},
        after=None,
        reason="reconcile webhooks uninstall",
        ids={"live": {"id": hook.id}},
    )


def removals(hooks: Sequence[InstalledWebhook]) -> list[Change]:
    """Deletes in a stable order; a name shared by two entities is addressed ``name@entity``,
    as the plan addresses it."""
    taken: set[str] = set()
    changes = []
    order = list(at_state.WEBHOOK_ENTITY_PREFIX)
    for hook in sorted(hooks, key=lambda h: (order.index(h.entity), fold(h.name), h.id)):
        key = hook.name if hook.name not in taken else f"{hook.name}@{hook.entity}"
        taken.add(key)
        changes.append(removal(hook, key))
    return changes


def remove_webhooks(
    writer: ChangeWriter,
    changes: Sequence[Change],
    journal: Journal,
    *,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Delete each webhook through the apply writer (unknown outcomes resolved, every write
    journalled); the addresses deleted. A failure after a delete is a partial run (exit 4)."""
    done: list[str] = []
    for change in changes:
        if progress is not None:
            progress(f"delete {change.address}")
        try:
            writer.remove(change, journal)
        except ReconcileError as error:
            if not done:
                raise
            left = [c.address for c in changes if c.address not in done]
            raise PartialApplyError(
                f"uninstall stopped: {terminal(error.message)}\n"
                f"  deleted: {terminal(', '.join(done))}\n"
                f"  not deleted: {terminal(', '.join(left))}",
                hint="every delete is in the journal; run the command again to finish",
            ) from error
        done.append(change.address)
    return done


CHILD_COLLECTIONS = ("WebhookFields", "WebhookUdfFields", "WebhookExcludedResources")


def leftovers(client: AutotaskClient, hooks: Sequence[InstalledWebhook]) -> list[str]:
    """What is still there of deleted webhooks: the webhooks themselves, and any child row of
    theirs in the root child collections (one query per collection, never one per webhook)."""
    found: list[str] = []
    for entity, prefix in at_state.WEBHOOK_ENTITY_PREFIX.items():
        ids = sorted(h.id for h in hooks if h.entity == entity)
        if not ids:
            continue
        for row in client.query(f"{prefix}Webhooks", in_("id", ids), include_fields=["name"]):
            found.append(terminal(f"{entity}/{row.get('name')} (id {row['id']}) still exists"))
        for child in CHILD_COLLECTIONS:
            if entity == "ticket_note" and child == "WebhookUdfFields":
                continue
            rows = client.query_children(f"{prefix}{child}", "webhookID", ids)
            for row in rows:
                found.append(
                    f"{prefix}{child} id {row.get('id')} of webhook {row.get('webhookID')} "
                    "is orphaned"
                )
    return found
