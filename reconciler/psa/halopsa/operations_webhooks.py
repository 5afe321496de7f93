"""``reconcile webhooks status|report|uninstall`` for HaloPSA.

* status: every Halo webhook (``GET /Webhook``), compared with the YAML's ``webhooks`` section
  through a plan of that section alone;
* report: Halo's own delivery log (``GET /WebhookEvent?webhook_id=``, halopsa-api.md §5) since
  the window's start, per webhook: delivered, failed, pending (``status`` codes [I], as the
  simulator's);
* uninstall: the named webhooks (or the YAML's) deleted through the HaloPSA writer, every write
  journalled and an unknown outcome re-read, then a re-read proving none is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from reconciler.errors import PartialApplyError, ReconcileError, UsageError
from reconciler.kinds.names import did_you_mean
from reconciler.plan import Action, Change
from reconciler.psa.base import (
    Note,
    OperationView,
    ReportRequest,
    StatusRequest,
    Table,
    UninstallRequest,
)
from reconciler.psa.halopsa.client import HaloClient
from reconciler.psa.halopsa.config import SECTIONS
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK, SECTION, live_webhooks
from reconciler.psa.halopsa.operations import open_client
from reconciler.psa.halopsa.read import read_webhooks
from reconciler.psa.halopsa.write import HaloWriter
from reconciler.render.escape import terminal
from reconciler.session import connect, make_plan
from reconciler.state import Resource
from reconciler.writes import Journal

DELIVERED: Final = 1
FAILED: Final = 2
"""``WebhookEvent.status`` codes (not enumerated in SPEC-H) [I]; anything else is pending."""


def _events(resource: Resource) -> str:
    return ", ".join(resource.attributes.get("events") or []) or "-"


# --- status -----------------------------------------------------------------------------------


def _yaml_states(request: StatusRequest, note: Note) -> dict[str, str] | None:
    """Webhook name -> how it compares with the YAML (None: no webhooks section to compare)."""
    if request.loaded is None:
        return None
    config = request.loaded.config
    if getattr(config, "webhooks", None) is None:
        note(f"note: {request.file} has no webhooks section: nothing to compare with")
        return None
    narrowed = config.model_copy(update={s: None for s in SECTIONS if s != SECTION})
    loaded = replace(request.loaded, config=narrowed)
    with connect(loaded, request.environ, sections=[SECTION]) as connections:
        plan = make_plan(loaded, connections).plan
    drifted = {d.address for d in plan.drift if d.diff}
    states: dict[str, str] = {}
    for change in plan.changes:
        if change.kind != HALO_WEBHOOK.name:
            continue
        if change.action is Action.CREATE:
            states[change.key] = "not installed"
        elif change.action is Action.DELETE:
            states[change.key] = "not in YAML (apply deletes it: manage full)"
        elif change.action is Action.UPDATE or change.address in drifted:
            paths = ", ".join(d.path for d in change.diff) or "drift"
            states[change.key] = f"differs: {paths}"
        else:
            states[change.key] = "yes"
    return states


def status(request: StatusRequest, note: Note) -> OperationView:
    states = _yaml_states(request, note)
    with open_client(request.environ, None, request.file) as client:
        installed = live_webhooks(read_webhooks(client))
    compared = request.file if states is not None else None
    header = ["name", "active", "events", "url"] + (["matches YAML?"] if states is not None else [])
    rows: list[list[str]] = []
    data: list[dict[str, Any]] = []
    for hook in sorted(installed, key=lambda r: (r.key.casefold(), str(r.ids.get("id")))):
        a = hook.attributes
        state = (states or {}).pop(hook.key, "not in YAML") if states is not None else None
        row = [hook.key, "yes" if a.get("active") else "no", _events(hook), str(a.get("url"))]
        rows.append(row + ([state or ""] if states is not None else []))
        data.append({"id": hook.ids.get("id"), **a, "installed": True, "yaml": state})
    for name, state in sorted((states or {}).items()):
        rows.append([name, "-", "-", "-", state])
        data.append({"name": name, "installed": False, "yaml": state})
    view = {"compared_with": compared, "webhooks": data}
    if not rows:
        return OperationView(view, ["No webhooks are installed."])
    summary = f"{len(installed)} webhook(s) installed"
    if compared is not None:
        summary += f"; compared with {terminal(compared)}"
    return OperationView(view, [Table(header, rows), summary + "."])


# --- report -----------------------------------------------------------------------------------


def _when(text: Any) -> datetime | None:
    """A ``/WebhookEvent`` timestamp as an aware datetime; None when it is none.

    [assumed] A timestamp without a UTC offset (``2099-12-04T10:00:00``, as Halo writes them) is
    UTC: the fact sheet does not say, but Halo's API answers in UTC unless a request asks for an
    offset (the ``utcoffset`` parameter some of its list routes take, psa-specs-SOURCES.md)."""
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return _aware(when)


def _aware(when: datetime) -> datetime:
    """``--since`` compared as UTC when it carries no offset of its own."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def report(request: ReportRequest, note: Note) -> OperationView:
    if request.client is None:
        raise UsageError(
            "the HaloPSA delivery report reads Halo's webhook log: HALOPSA_URL, "
            "HALOPSA_CLIENT_ID and HALOPSA_CLIENT_SECRET must be set"
        )
    client: HaloClient
    since_text = request.since.strftime("%Y-%m-%dT%H:%M:%SZ")
    rows: list[list[str]] = []
    data: list[dict[str, Any]] = []
    since = _aware(request.since)
    with request.client() as client:
        for hook in live_webhooks(read_webhooks(client)):
            events = [
                e
                for e in client.webhook_events(str(hook.ids.get("id")))
                if (when := _when(e.get("timestamp"))) is None or when >= since
            ]
            counts = {
                "delivered": sum(e.get("status") == DELIVERED for e in events),
                "failed": sum(e.get("status") == FAILED for e in events),
            }
            counts["pending"] = len(events) - counts["delivered"] - counts["failed"]
            last = max((str(e.get("timestamp") or "") for e in events), default="")
            data.append({"name": hook.key, "id": hook.ids.get("id"), **counts, "last": last})
            rows.append(
                [hook.key, str(len(events)), *(str(counts[k]) for k in counts), last or "-"]
            )
    total = sum(int(r[1]) for r in rows)
    view = {"since": since_text, "webhooks": data}
    header = ["webhook", "deliveries", "delivered", "failed", "pending", "last"]
    return OperationView(
        view,
        [Table(header, rows, right=(1, 2, 3, 4)), f"{total} delivery(ies) since {since_text}."],
    )


# --- uninstall --------------------------------------------------------------------------------


def _removal(hook: Resource) -> Change:
    return Change(
        address=hook.address,
        kind=HALO_WEBHOOK.name,
        key=hook.key,
        section=SECTION,
        owner=HALO_WEBHOOK.owner,
        action=Action.DELETE,
        before=dict(hook.attributes),
        after=None,
        ids={"live": dict(hook.ids)},
    )


def select(
    installed: Sequence[Resource], names: Sequence[str], *, strict: bool = True
) -> list[Resource]:
    """The webhooks ``names`` mean, exactly by name (every unknown name reported at once;
    ``strict`` False: the YAML's names, where one not installed is nothing to delete)."""
    chosen: list[Resource] = []
    problems: list[str] = []
    for name in names:
        hits = [h for h in installed if h.key == name]
        if not hits and strict:
            hint = did_you_mean(name, [h.key for h in installed])
            problems.append(
                f"no installed webhook is named {name!r}" + (f"; {hint}" if hint else "")
            )
        chosen.extend(h for h in hits if h not in chosen)
    if problems:
        raise UsageError(terminal("; ".join(problems)))
    return chosen


class HaloUninstall:
    """The Halo webhooks one uninstall deletes (:class:`~reconciler.psa.base.Uninstall`)."""

    def __init__(self, client: HaloClient, salesbuildr: Any, chosen: Sequence[Resource]) -> None:
        self.client = client
        self._salesbuildr = salesbuildr
        self.chosen = list(chosen)
        self.count = len(self.chosen)
        rows = [
            [h.key, str(h.ids.get("id")), _events(h), str(h.attributes.get("url"))]
            for h in self.chosen
        ]
        self.preview: list[str | Table] = (
            [Table(["name", "id", "events", "url"], rows)] if rows else ["Nothing to delete."]
        )
        self.question = f"Delete these {self.count} webhook(s)?"

    @property
    def salesbuildr(self) -> Any:
        return self._salesbuildr

    def run(self, journal: Journal, progress: Note) -> None:
        writer = HaloWriter(self.client)
        done: list[str] = []
        for hook in self.chosen:
            progress(f"  delete {terminal(hook.address)}")
            try:
                for stage in writer.removal_writes(_removal(hook)):
                    for op in stage:
                        op.run(journal)
            except ReconcileError as error:
                if not done:
                    raise
                left = [h.address for h in self.chosen if h.address not in done]
                raise PartialApplyError(
                    f"uninstall stopped: {terminal(error.message)}\n"
                    f"  deleted: {terminal(', '.join(done))}\n"
                    f"  not deleted: {terminal(', '.join(left))}",
                    hint="every delete is in the journal; run the command again to finish",
                ) from error
            done.append(hook.address)

    def verify(self) -> str:
        ids = {str(h.ids.get("id")) for h in self.chosen}
        left = [r for r in read_webhooks(self.client) if str(r.get("id")) in ids]
        if left:
            names = ", ".join(terminal(str(r.get("name"))) for r in left)
            raise PartialApplyError(
                f"the webhooks were deleted, but a re-read still finds: {names}",
                hint="run `reconcile webhooks uninstall` again; it deletes what is left",
            )
        return f"Deleted {self.count} webhook(s). Verified: none remains."

    def __enter__(self) -> HaloUninstall:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self._salesbuildr is not None:
            self._salesbuildr.close()


def _managed(config: Any) -> list[str]:
    hooks: Mapping[str, Any] = getattr(config, "webhooks", None) or {}
    return list(hooks)


def prepare_uninstall(request: UninstallRequest, note: Note) -> HaloUninstall:
    names = list(request.names)
    if not names:
        if request.config is None:
            raise UsageError(
                f"{request.config_file} does not exist: name the webhooks to delete",
                hint="reconcile webhooks uninstall NAME [NAME...]",
            )
        names = _managed(request.config)
        if not names:
            note(f"note: {request.config_file} manages no webhooks")
    client: HaloClient = request.client()
    try:
        installed = live_webhooks(read_webhooks(client))
        chosen = select(installed, names, strict=bool(request.names)) if names else []
        salesbuildr = request.salesbuildr()
    except BaseException:
        client.close()
        raise
    return HaloUninstall(client, salesbuildr, chosen)
