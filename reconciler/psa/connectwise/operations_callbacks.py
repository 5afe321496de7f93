"""ConnectWise's callouts are its callbacks (``/system/callbacks``): ``reconcile webhooks
status`` lists the installed ones of the types the Callbacks page holds, compared with the YAML;
``webhooks uninstall`` deletes them (by description, or those the YAML manages) through the apply
writer, journalled, then re-reads. ``webhooks report`` (the deliveries Salesbuildr received) has
no ConnectWise counterpart in the contract yet: it is refused.

Nothing here prints: the CLI shows what these return (every live value escaped there or here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import PartialApplyError, ReconcileError, UsageError
from reconciler.kinds.names import did_you_mean, fold
from reconciler.plan import Action, Change
from reconciler.psa.base import (
    Note,
    OperationView,
    ReportRequest,
    StatusRequest,
    Table,
    UninstallRequest,
)
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.client import ConnectWiseClient
from reconciler.psa.connectwise.credentials import VARIABLES
from reconciler.psa.connectwise.kinds_callbacks import CALLBACK, SECTION, live_callbacks
from reconciler.psa.connectwise.operations import open_client
from reconciler.psa.connectwise.system import ConnectWiseSystem
from reconciler.render.escape import terminal
from reconciler.session import Connections, writer_for
from reconciler.state import Resource
from reconciler.transport.credentials import require_credentials
from reconciler.writes import Journal

COLUMNS = ["description", "id", "type", "level", "active", "url", "in YAML"]


def installed(client: ConnectWiseClient) -> list[Resource]:
    """The live callbacks of the section's types (one read)."""
    return live_callbacks(client.list_all(endpoints.CALLBACKS))


def _wanted(loaded: Any | None) -> dict[str, Mapping[str, Any]]:
    callbacks = getattr(getattr(loaded, "config", None), "callbacks", None) or {}
    return {str(k): v.model_dump() for k, v in callbacks.items()}


def _state(live: Resource, wanted: Mapping[str, Mapping[str, Any]]) -> str:
    match = next((w for k, w in wanted.items() if fold(k) == fold(live.key)), None)
    if match is None:
        return "not in YAML"
    differs = [
        name
        for name in ("type", "level", "active")
        if str(getattr(match.get(name), "value", match.get(name))) != str(live.attributes[name])
    ]
    return "yes" if not differs else "differs (" + ", ".join(differs) + ")"


class ConnectWiseCallbacks:
    noun = "callback"

    def status(self, request: StatusRequest, note: Note) -> OperationView:
        wanted = _wanted(request.loaded)
        with open_client(request.environ, None, request.file) as client:
            live = installed(client)
        rows = [
            [
                terminal(r.key),
                str(r.ids.get("id")),
                str(r.attributes["type"]),
                str(r.attributes["level"]),
                "yes" if r.attributes["active"] else "no",
                terminal(str(r.attributes["url"] or "")),
                _state(r, wanted) if request.loaded is not None else "",
            ]
            for r in sorted(live, key=lambda r: (fold(r.key), str(r.ids.get("id"))))
        ]
        present = {fold(r.key) for r in live}
        missing = sorted(k for k in wanted if fold(k) not in present)
        rows += [[terminal(k), "", "", "", "", "", "not installed"] for k in missing]
        data = {
            "callbacks": [
                {"description": r.key, "id": r.ids.get("id"), **r.attributes} for r in live
            ],
            "not_installed": missing,
        }
        header = f"{len(live)} callback(s) installed in ConnectWise"
        return OperationView(data, [header, Table(COLUMNS, rows, right=[1])])

    def report(self, request: ReportRequest, note: Note) -> OperationView:
        raise UsageError(
            "ConnectWise Manage (psa: connectwise) has no webhooks report",
            hint="Salesbuildr's contract has no delivery report of ConnectWise callbacks yet",
            exit_code=1,
        )

    def prepare_uninstall(self, request: UninstallRequest, note: Note) -> CallbackUninstall:
        names = list(request.names) or _managed(request)
        config = request.config
        url = config.salesbuildr.url if config is not None and config.salesbuildr else None
        require_credentials(request.environ, salesbuildr=True, salesbuildr_url=url, psa=VARIABLES)
        system = ConnectWiseSystem()
        connections = Connections(psa_client=request.client(), system=system)
        try:
            connections.salesbuildr = request.salesbuildr()
            live = installed(_client(connections))
            chosen, absent = _select(live, names, strict=bool(request.names))
        except BaseException:
            connections.close()
            raise
        if absent:
            note(f"not installed (nothing to delete): {terminal(', '.join(absent))}")
        return CallbackUninstall(connections, dict(request.environ), chosen)


def _client(connections: Connections) -> ConnectWiseClient:
    client: ConnectWiseClient | None = connections.psa_client
    assert client is not None  # opened by prepare_uninstall
    return client


def _managed(request: UninstallRequest) -> list[str]:
    config = request.config
    if config is None or not getattr(config, "callbacks", None):
        raise UsageError(
            f"no callback named and {request.config_file} manages no callback",
            hint="name the callbacks by description (reconcile webhooks uninstall "
            "'Salesbuildr companies') or pass --file",
        )
    return [str(k) for k in config.callbacks]


def _select(
    live: Sequence[Resource], names: Sequence[str], *, strict: bool
) -> tuple[list[Resource], list[str]]:
    """The callbacks each description means (every one so described); an unknown name named
    on the command line is an error with a did-you-mean, one of the YAML's just absent."""
    chosen: list[Resource] = []
    absent: list[str] = []
    for name in names:
        hits = [r for r in live if fold(r.key) == fold(name)]
        if not hits and strict:
            hint = did_you_mean(name, [r.key for r in live])
            raise UsageError(
                f"no installed callback is described {terminal(repr(name))}",
                hint=terminal(hint) if hint else None,
            )
        if not hits:
            absent.append(name)
        chosen.extend(h for h in hits if h not in chosen)
    return chosen, absent


def _removal(callback: Resource) -> Change:
    return Change(
        address=callback.address,
        kind=CALLBACK.name,
        key=callback.key,
        section=SECTION,
        owner=CALLBACK.owner,
        action=Action.DELETE,
        before=dict(callback.attributes),
        after=None,
        reason="reconcile webhooks uninstall",
        ids={"live": {"id": callback.ids.get("id")}},
    )


class CallbackUninstall:
    """The callbacks one uninstall deletes (:class:`~reconciler.psa.base.Uninstall`)."""

    def __init__(
        self, connections: Connections, environ: dict[str, str], chosen: Sequence[Resource]
    ) -> None:
        self.connections = connections
        self.environ = environ
        self.chosen = list(chosen)
        self.changes = [_removal(c) for c in self.chosen]
        self.count = len(self.chosen)
        self.question = f"Delete these {self.count} callback(s)?"
        rows = [
            [terminal(c.key), str(c.ids.get("id")), str(c.attributes["type"]),
             terminal(str(c.attributes["url"] or ""))]
            for c in self.chosen
        ]  # fmt: skip
        self.preview: list[str | Table] = (
            [f"Will delete {self.count} callback(s):", Table([*COLUMNS[:3], "url"], rows, [1])]
            if self.chosen
            else ["No callbacks to delete."]
        )

    @property
    def salesbuildr(self) -> Any:
        return self.connections.salesbuildr

    def run(self, journal: Journal, progress: Note) -> None:
        writer = writer_for(self.connections, self.environ)
        done: list[str] = []
        for change in self.changes:
            progress(f"  delete {terminal(change.address)}")
            try:
                writer.remove(change, journal)
            except ReconcileError as error:
                if not done:
                    raise
                left = [c.address for c in self.changes if c.address not in done]
                raise PartialApplyError(
                    f"uninstall stopped: {terminal(error.message)}\n"
                    f"  deleted: {terminal(', '.join(done))}\n"
                    f"  not deleted: {terminal(', '.join(left))}",
                    hint="every delete is in the journal; run the command again to finish",
                ) from error
            done.append(change.address)

    def verify(self) -> str:
        client = _client(self.connections)
        ids = {c.ids.get("id") for c in self.chosen}
        left = [r for r in installed(client) if r.ids.get("id") in ids]
        if left:
            names = ", ".join(terminal(f"{r.key} (id {r.ids.get('id')})") for r in left)
            raise PartialApplyError(
                f"the callbacks were deleted, but a re-read finds: {names}",
                hint="run `reconcile webhooks uninstall` again; it deletes what is left",
            )
        return f"Deleted {self.count} callback(s). Verified: none remains."

    def __enter__(self) -> CallbackUninstall:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connections.close()
