"""Autotask's installed webhooks: read (one query per entity), compared with the YAML
through a plan (``reconcile webhooks status``), and the view of that comparison.

:class:`AutotaskWebhooks` is the PSA's :class:`~reconciler.psa.base.CalloutOperations`; the
delivery report and the uninstall are in their own modules, imported when used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from reconciler.config import LoadedConfig
from reconciler.hosts import shown_value
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.names import fold
from reconciler.plan import Action, Change, FieldDiff, Plan
from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.client import AutotaskClient, credentials_from_env
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.kinds.registry import SECTIONS
from reconciler.psa.autotask.kinds.webhooks import SECTION as WEBHOOKS
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK, natural_key
from reconciler.psa.autotask.models import Config
from reconciler.psa.autotask.targets import autotask_url
from reconciler.psa.base import (
    Note,
    OperationView,
    ReportRequest,
    StatusRequest,
    Table,
    UninstallRequest,
)
from reconciler.render.escape import terminal
from reconciler.session import Connections, LiveRead, connect, make_plan, read_live
from reconciler.state import Resource

if TYPE_CHECKING:
    from reconciler.psa.autotask.operations_uninstall import AutotaskUninstall


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
            url=shown_value(row.get("webhookUrl")),  # never a user-info password
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
        rebuilt.extend(at_state.webhook_resources(entity, _rows_of(mine), catalog, taken))
    return rebuilt


def _rows_of(hooks: Sequence[Resource]) -> dict[str, list[dict[str, Any]]]:
    """The rows the webhooks of one entity were built from, as read (to rebuild them)."""
    return {
        "webhooks": [dict(r.raw.get("webhook") or {}) for r in hooks],
        "fields": [f for r in hooks for f in r.raw.get("fields") or []],
        "udf_fields": [f for r in hooks for f in r.raw.get("udf_fields") or []],
        "excluded": [x for r in hooks for x in r.raw.get("excluded_resources") or []],
    }


def webhook_config(loaded: LoadedConfig) -> LoadedConfig | None:
    """The YAML narrowed to its webhooks (and the receiver their secret and URL come from), or
    None when it has no webhooks section."""
    config = loaded.document_as(Config)
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


# --- reconcile webhooks status --------------------------------------------------------------------


def _short(items: Sequence[str], limit: int = 40) -> str:
    text = f"{len(items)}" + (f": {', '.join(items)}" if items else "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _yaml_state(status: WebhookStatus) -> str:
    match = status.match
    if match is None:
        return ""
    if match.state == "differs":
        return "differs: " + "; ".join(describe_diff(d) for d in match.differences)
    if match.deleted_by_apply:
        return "not in YAML (apply deletes it: manage full)"
    return match.state


def status_dict(status: WebhookStatus) -> dict[str, Any]:
    hook = status.webhook
    match = status.match
    return {
        "entity": status.entity,
        "name": status.name,
        "installed": hook is not None,
        "id": hook.id if hook else None,
        "webhook_guid": hook.guid if hook else None,
        "url": hook.url if hook else None,
        "active": hook.active if hook else None,
        "ready": hook.ready if hook else None,
        "fields": list(hook.fields) if hook else [],
        "udf_fields": list(hook.udf_fields) if hook else [],
        "yaml": (
            {
                "state": match.state,
                "differences": [d.to_dict() for d in match.differences],
                "deleted_by_apply": match.deleted_by_apply,
            }
            if match is not None
            else None
        ),
    }


def status_view(statuses: Sequence[WebhookStatus], compared_with: str | None) -> OperationView:
    """The status table (and its JSON) of every installed webhook, compared with the YAML
    ``compared_with`` (None: no YAML)."""
    data = {"compared_with": compared_with, "webhooks": [status_dict(s) for s in statuses]}
    if not statuses:
        return OperationView(data, ["No webhooks are installed."])
    installed = [s for s in statuses if s.webhook is not None]
    header = ["entity", "name", "active", "ready", "fields", "url"]
    if compared_with is not None:
        header.append("matches YAML?")
    rows = []
    for status in statuses:
        hook = status.webhook
        row = (
            [
                status.entity,
                status.name,
                "yes" if hook.active else "no",
                {True: "yes", False: "no", None: "?"}[hook.ready],
                _short(hook.fields),
                hook.url or "",
            ]
            if hook is not None
            else [status.entity, status.name, "-", "-", "-", "-"]
        )
        if compared_with is not None:
            row.append(_yaml_state(status))
        rows.append(row)
    summary = f"{len(installed)} webhook(s) installed"
    if compared_with is not None:
        states = [s.match.state for s in statuses if s.match is not None]
        summary += (
            f"; compared with {terminal(compared_with)}: {states.count('yes')} match, "
            f"{states.count('differs')} differ, {states.count('not in YAML')} not in it, "
            f"{states.count('not installed')} not installed"
        )
    return OperationView(data, [Table(header, rows), summary + "."])


def webhook_status(request: StatusRequest, note: Note) -> OperationView:
    """``reconcile webhooks status``: read, compare with the YAML's webhooks section when
    ``request.loaded`` has one, and show."""

    loaded = None
    yaml_url = None
    if request.loaded is not None:
        config = request.loaded.config
        yaml_url = config.autotask.url if config.autotask else None
        loaded = webhook_config(request.loaded)
        if loaded is None:
            note(f"note: {request.file} has no webhooks section: nothing to compare with")
    if loaded is not None:
        sections = loaded.config.present_sections()
        connections = connect(loaded, request.environ, sections=sections)
    else:
        url = autotask_url(yaml_url, f"autotask.url in {request.file}", request.environ)
        connections = Connections(
            psa_client=AutotaskClient.connect(credentials_from_env(request.environ), url=url)
        )
    with connections:
        assert connections.psa_client is not None
        statuses = webhook_statuses(connections.psa_client, connections, loaded)
    return status_view(statuses, request.file if loaded is not None else None)


class AutotaskWebhooks:
    """Autotask webhooks as the PSA's callouts (``reconcile webhooks ...``)."""

    noun = "webhook"

    def status(self, request: StatusRequest, note: Note) -> OperationView:
        return webhook_status(request, note)

    def report(self, request: ReportRequest, note: Note) -> OperationView:
        from reconciler.psa.autotask.operations_deliveries import (  # noqa: PLC0415 (a cycle)
            delivery_report,
        )

        return delivery_report(request, note)

    def prepare_uninstall(self, request: UninstallRequest, note: Note) -> AutotaskUninstall:
        from reconciler.psa.autotask.operations_uninstall import (  # noqa: PLC0415 (a cycle)
            prepare_uninstall,
        )

        return prepare_uninstall(request, note)
