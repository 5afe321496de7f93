"""``reconcile webhooks uninstall`` for Autotask: which installed webhooks the names (or the
YAML) mean, their deletes as plan changes through the apply writer (unknown outcomes resolved,
every write journalled), and the re-read that proves nothing of theirs is left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reconciler.errors import PartialApplyError, ReconcileError, UsageError
from reconciler.kinds.base import address
from reconciler.kinds.names import did_you_mean, fold
from reconciler.plan import Action, Change
from reconciler.psa.autotask import CREDENTIALS
from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.client import AutotaskClient, in_
from reconciler.psa.autotask.kinds.webhooks import SECTION as WEBHOOKS
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.psa.autotask.models import Config
from reconciler.psa.autotask.operations_webhooks import InstalledWebhook, read_webhook_rows
from reconciler.psa.base import Note, Table, UninstallRequest
from reconciler.render.escape import terminal
from reconciler.session import Connections, writer_for
from reconciler.transport.credentials import require_credentials
from reconciler.writes import ChangeWriter, Journal


def _hits(installed: Sequence[InstalledWebhook], text: str) -> list[InstalledWebhook]:
    """The webhooks one ``NAME`` may mean: by name, or by ``entity/name``; the exact spelling
    wins over a case-insensitive match."""
    entity, _, rest = text.partition("/")
    hits = [h for h in installed if fold(h.name) == fold(text)]
    if entity in at_state.WEBHOOK_ENTITY_PREFIX and rest:
        scoped = [h for h in installed if h.entity == entity and fold(h.name) == fold(rest)]
        hits = scoped or hits
    spelled = [h for h in hits if text in (h.name, h.label)]
    return spelled if len(spelled) == 1 else hits


def _problem(
    installed: Sequence[InstalledWebhook], text: str, hits: Sequence[InstalledWebhook]
) -> tuple[str, str | None]:
    """What is wrong with a ``NAME`` that means no webhook or several, and the hint."""
    if hits:
        labels = ", ".join(terminal(h.label) for h in hits)
        return f"{len(hits)} webhooks are named {text!r}: {labels}", f"write one of {labels}"
    hint = did_you_mean(text, [h.name for h in installed] + [h.label for h in installed])
    return f"no installed webhook is named {text!r}", terminal(hint) if hint else None


def select_webhooks(
    installed: Sequence[InstalledWebhook], names: Sequence[str]
) -> list[InstalledWebhook]:
    """The webhooks ``NAME`` arguments mean: a webhook name, or ``entity/name`` when two
    entities' webhooks share it. Every unknown or ambiguous name is reported at once."""
    chosen: list[InstalledWebhook] = []
    problems: list[str] = []
    hints: list[str] = []
    for text in names:
        hits = _hits(installed, text)
        if len(hits) == 1:
            if hits[0] not in chosen:
                chosen.append(hits[0])
            continue
        problem, hint = _problem(installed, text, hits)
        problems.append(problem)
        if hint:
            hints.append(hint)
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


class AutotaskUninstall:
    """The webhooks one uninstall deletes (:class:`~reconciler.psa.base.Uninstall`)."""

    def __init__(
        self,
        connections: Connections,
        environ: dict[str, str],
        chosen: Sequence[InstalledWebhook],
        preview: Sequence[str | Table],
    ):
        self.connections = connections
        self.environ = environ
        self.chosen = list(chosen)
        self.changes = removals(self.chosen)
        self.count = len(self.chosen)
        self.preview = list(preview)
        self.question = f"Delete these {self.count} webhook(s)?"

    @property
    def salesbuildr(self) -> Any:
        return self.connections.salesbuildr

    def run(self, journal: Journal, progress: Note) -> None:
        remove_webhooks(
            writer_for(self.connections, self.environ),
            self.changes,
            journal,
            progress=lambda message: progress(f"  {terminal(message)}"),
        )

    def verify(self) -> str:
        autotask = self.connections.psa_client
        assert autotask is not None
        remaining = leftovers(autotask, self.chosen)
        if remaining:
            raise PartialApplyError(
                "the webhooks were deleted, but a re-read finds:\n  "
                + "\n  ".join(terminal(line) for line in remaining),
                hint="run `reconcile webhooks uninstall` again; it deletes what is left",
            )
        return (
            f"Deleted {self.count} webhook(s). Verified: none remains, and no field, UDF field "
            "or excluded resource of theirs is left."
        )

    def __enter__(self) -> AutotaskUninstall:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connections.close()


def _managed_from(request: UninstallRequest) -> list[tuple[str, str]]:
    config = request.config
    if config is None:
        raise UsageError(
            f"no webhook named and no {request.config_file} to take the managed webhooks from",
            hint="name the webhooks (reconcile webhooks uninstall sb-companies) or pass --file",
        )
    if config.webhooks is None:
        raise UsageError(
            f"{request.config_file} has no webhooks section: it manages no webhook",
            hint="name the webhooks to delete",
        )
    return managed_webhooks(config)


def prepare_uninstall(request: UninstallRequest, note: Note) -> AutotaskUninstall:
    """Read the installed webhooks and choose those the names (or the YAML) mean; the preview
    says what will be deleted (or that nothing will)."""
    managed = [] if request.names else _managed_from(request)
    config = request.config
    url = config.salesbuildr.url if config is not None and config.salesbuildr else None
    require_credentials(request.environ, psa=CREDENTIALS, salesbuildr=True, salesbuildr_url=url)
    connections = Connections(psa_client=request.client())
    try:
        connections.salesbuildr = request.salesbuildr()
        autotask = connections.psa_client
        assert autotask is not None
        installed = read_webhook_rows(autotask)
        if request.names:
            chosen = select_webhooks(installed, request.names)
        else:
            chosen, absent = select_managed(installed, managed)
            if absent:
                note(f"not installed (nothing to delete): {terminal(', '.join(absent))}")
    except BaseException:
        connections.close()
        raise
    if not chosen:
        return AutotaskUninstall(connections, dict(request.environ), [], ["No webhooks to delete."])
    changes = removals(chosen)
    by_address = dict(zip((c.address for c in changes), chosen, strict=True))
    rows = [
        [hook.entity, hook.name, str(hook.id), "yes" if hook.active else "no", hook.url or ""]
        for hook in by_address.values()
    ]
    preview: list[str | Table] = [
        f"Will delete {len(chosen)} webhook(s), with their fields, UDF fields and excluded "
        "resources:",
        Table(["entity", "name", "id", "active", "url"], rows, right=[2]),
    ]
    return AutotaskUninstall(connections, dict(request.environ), chosen, preview)
