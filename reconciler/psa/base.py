"""What a PSA package brings to the engine: one :class:`Psa` object, found through the
``reconciler.psa`` entry-point group (:mod:`reconciler.psa.registry`).

Everything specific to a PSA hangs off this object, so the core (config, plan, apply, render,
the CLI) dispatches to it and never names a PSA. Fields are filled lazily by the package: a
PSA's heavy parts (its HTTP client, its simulator) are imported only by the commands that use
them, so ``reconcile --help`` and ``validate`` keep their start-up targets.

The interface is a handful of small groups rather than one large class, each a frozen dataclass
or a Protocol the package satisfies:

=====================  ===================================================================
:class:`Psa`           name, title, env variables, the engine hooks (sections, kinds, document,
                       check, export, operations, system), policy keys, documents, the groups below
:class:`PsaOperations` the one-off actions: sync modes, after_apply actions, the product import
                       (:class:`ProductImport`), the PSA-side callouts (:class:`CalloutOperations`)
:class:`SandboxHooks`  its simulator as ``module:factory`` for the launcher, and its seeds
:class:`BenchHooks`    the lower bounds the bench holds its reads and writes to
:class:`TestFixtures`  what lets the reliability and hostile-PR suites run for this PSA
=====================  ===================================================================

Values crossing the seam are plain core types (:class:`Table`, :class:`OperationView`,
:class:`ImportLine`): a PSA package computes *what* to show, the CLI alone prints it.

Hook signatures use ``Any`` where the core type is being moved by the restructure (#20: the
clients' ``State``/``Connections``/``Writer`` types); each hook's contract is in its docstring
field below and in ``docs/architecture.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from reconciler.errors import EXIT_ERROR, UsageError
from reconciler.psa.system import (  # the run side, in its own module; names kept here
    LiveReader,
    PsaSystem,
    SettingsDocuments,
    SystemReads,
    SystemWriter,
)

__all__ = [
    "UNSUPPORTED_EXIT",
    "BenchHooks",
    "CalloutOperations",
    "ImportLine",
    "JobAction",
    "LiveReader",
    "Note",
    "OperationView",
    "ProductImport",
    "Psa",
    "PsaOperations",
    "PsaSystem",
    "ReportRequest",
    "SandboxHooks",
    "SettingsDocuments",
    "StatusRequest",
    "SystemReads",
    "SystemWriter",
    "Table",
    "TestFixtures",
    "Uninstall",
    "UninstallRequest",
    "unsupported",
]

UNSUPPORTED_EXIT = EXIT_ERROR
"""The exit code of a command the YAML's PSA does not offer: 1, bad input (2 is "changes" in
the exit-code table, so not click's usage exit)."""

Note = Callable[[str], None]
"""Where an operation says something beside its result (the CLI: a line on stderr)."""


# --- values the CLI shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """An aligned table the CLI prints (every cell escaped there, numbers right-aligned)."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    right: Sequence[int] = ()


@dataclass(frozen=True)
class OperationView:
    """What one operation shows: ``data`` for ``--format json``, ``blocks`` for text.

    A block is a line (already escaped where it quotes live values) or a :class:`Table`."""

    data: Mapping[str, Any]
    blocks: Sequence[str | Table] = ()


@dataclass(frozen=True)
class ImportLine:
    """Items a product import brought in for one mapped PSA-side object (an Autotask role,
    product category or service; a ConnectWise category; a Halo item group ...)."""

    kind: str
    id: str
    name: str | None
    imported: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "imported": self.imported}


@dataclass(frozen=True)
class JobAction:
    """The Salesbuildr job one ``after_apply`` action starts: a sync (with its mode) or the
    product import."""

    job: Literal["sync", "import"]
    mode: str | None = None
    command: str = ""
    """The command that runs it by hand (``reconcile sync --fields``), for the hint."""


# --- operations -------------------------------------------------------------------------------


class ProductImport(Protocol):
    """The product import of a PSA's pages (Autotask: Data Import > Product Import).

    The job itself is Salesbuildr's (``start_import``); the PSA says which settings document
    maps categories, how the job's ``counts`` are named, and how to read those names."""

    settings_document: str
    """The Salesbuildr settings document holding the category mappings (``product-import``)."""
    mapped_objects: str
    """What a category is mapped to, in words (``role, product category or service``)."""
    unmapped_hint: str
    """How to map a category the import would bring nothing in for."""
    no_credentials_note: str
    """The note when the PSA's credentials are not set (the counts are shown by id)."""

    def unmapped(
        self, categories: Sequence[Any], chosen: Sequence[Any], document: Mapping[str, Any]
    ) -> list[Any]:
        """The chosen categories whose subtree no mapping of ``document`` points into."""
        ...

    def needs_names(self, counts: Mapping[str, Any]) -> bool:
        """Whether the counts use ids only the PSA can name."""
        ...

    def read_names(self, client: Any, counts: Mapping[str, Any]) -> Mapping[str, Any]:
        """The PSA's name tables for those ids (``client`` from :attr:`PsaOperations.client`)."""
        ...

    def lines(self, counts: Mapping[str, Any], names: Mapping[str, Any]) -> list[ImportLine]:
        """The counts per mapped object, named where ``names`` knows the id."""
        ...

    def total(self, counts: Mapping[str, Any]) -> int: ...


class CalloutOperations(Protocol):
    """The PSA-side objects that call Salesbuildr (Autotask and HaloPSA webhooks, ConnectWise
    callbacks): ``reconcile webhooks status|report|uninstall``.

    Each call reads what it needs, computes the view, and says notes through ``note``; none
    prints. ``uninstall`` is two steps so the CLI can show and confirm between them."""

    noun: str
    """What the PSA calls them, singular (``webhook``, ``callback``)."""

    def status(self, request: StatusRequest, note: Note) -> OperationView: ...

    def report(self, request: ReportRequest, note: Note) -> OperationView: ...

    def prepare_uninstall(self, request: UninstallRequest, note: Note) -> Uninstall:
        """Read and choose what would be deleted, before the CLI asks."""
        ...


@dataclass(frozen=True)
class StatusRequest:
    environ: Mapping[str, str]
    loaded: Any | None
    """The YAML (a ``LoadedConfig``), or None: no file to compare with."""
    file: str


@dataclass(frozen=True)
class ReportRequest:
    environ: Mapping[str, str]
    salesbuildr: Callable[[], Any]
    """Opens the Salesbuildr client (the deliveries are Salesbuildr's)."""
    since: Any
    """The start of the window (a timezone-aware ``datetime``)."""
    client: Callable[[], Any] | None
    """Opens the PSA client; None when its credentials are not set."""


@dataclass(frozen=True)
class UninstallRequest:
    environ: Mapping[str, str]
    names: Sequence[str]
    """What to delete, by name; empty: what the YAML manages."""
    config: Any | None
    """The YAML's config (None: ``config_file`` does not exist)."""
    config_file: str
    client: Callable[[], Any]
    """Opens the PSA client."""
    salesbuildr: Callable[[], Any]
    """Opens the Salesbuildr client (the lock lives there)."""


class Uninstall(Protocol):
    """A prepared uninstall: the preview, then :meth:`run` under the apply lock and journal
    (:func:`reconciler.apply_workflow.locked_journal`) the CLI holds, then :meth:`verify`. A
    context manager: leaving it closes the clients it opened."""

    @property
    def count(self) -> int:
        """How many objects it deletes (0: nothing to do; the preview says so)."""
        ...

    @property
    def preview(self) -> Sequence[str | Table]: ...

    @property
    def question(self) -> str:
        """The confirmation question (``Delete these 2 webhook(s)?``)."""
        ...

    @property
    def salesbuildr(self) -> Any:
        """The open Salesbuildr client, for the lock."""
        ...

    def __enter__(self) -> Uninstall: ...

    def __exit__(self, *exc: object) -> None: ...

    def run(self, journal: Any, progress: Note) -> None:
        """Delete, journalling every write (a failure after a delete: ``PartialApplyError``)."""
        ...

    def verify(self) -> str:
        """Re-read; the closing line, or ``PartialApplyError`` naming what remains."""
        ...


@dataclass(frozen=True)
class PsaOperations:
    """The one-off actions beside plan/apply (CONFIG.md "Not state, but actions").

    The CLI dispatches ``sync``, ``import-products`` and ``webhooks ...`` to the YAML's PSA; an
    absent operation is :func:`unsupported` (exit :data:`UNSUPPORTED_EXIT`)."""

    sync_modes: Mapping[str, str]
    """Sync mode (the ``--full`` flag without dashes) -> its title (``Full sync``)."""
    after_apply: Mapping[str, JobAction]
    """``after_apply`` action name (``sync_fields``) -> the job it starts."""
    client: Callable[[Mapping[str, str], Any | None, str], Any] | None = None
    """Opens the PSA client for an operation: (environ, the YAML's config or None, where the
    YAML's URL comes from) -> a client usable as a context manager."""
    has_credentials: Callable[[Mapping[str, str]], bool] | None = None
    """Whether the PSA's credentials are set (an operation names by id without them)."""
    connected: Callable[[Any], Any | None] | None = None
    """The PSA client of a run's connections, if that run connected one (after_apply names an
    import's counts with it)."""
    product_import: ProductImport | None = None
    callouts: CalloutOperations | None = None


def unsupported(psa: Psa, operation: str, *, hint: str | None = None) -> UsageError:
    """The error of an operation ``psa`` does not have (``hint``: why, when not because its
    Salesbuildr pages lack it)."""
    return UsageError(
        f"{psa.title} (psa: {psa.name}) has no {operation}",
        hint=hint or f"the {psa.title} pages of Salesbuildr offer no such action",
        exit_code=UNSUPPORTED_EXIT,
    )


# --- sandbox, bench, tests --------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxHooks:
    """The PSA's simulator, for ``reconcile sandbox --psa NAME`` and the tests.

    ``launcher`` is a ``module:factory`` string the launcher in ``reconciler.sandbox.common``
    imports only when it starts this PSA's simulator: the core never imports a simulator."""

    launcher: str
    seeds: tuple[str, ...] = ("empty", "demo", "large")
    default_seed: str = "demo"


@dataclass(frozen=True)
class BenchHooks:
    """How the bench (``python -m bench``) holds this PSA to its lower bounds: ``module:function``
    strings under ``bench/``, imported by the bench only (through the registry: the bench names
    no PSA).

    ``read_floor``: the lower bound of a plan's reads. Autotask's is computed from what the YAML
    needs and the rows the simulators hold (``bench.bounds:plan_phases``); a PSA bounded from
    the requests it made (``bench.psa_plans:bound``) groups them into listings and counts the
    pages each needs. ``write_floor``: a plan's changes -> the fewest writes that carry them
    out (Autotask: ``bench.bounds_apply:write_phases``), with the re-reads an apply's guarantees
    need (the stale check, the verification) for a PSA bounded from its requests
    (``bench.psa_applies:write_floor``). ``spec``: for the latter, a function returning the
    PSA's :class:`bench.psa_specs.PsaBench`: its paging order, in-flight and rate caps, the
    listing each PSA-owned kind is re-read from and the document each Salesbuildr section is
    written to ("" for Autotask, whose limits are the bench's own tables). The bench schedules
    the phases under those limits for the wall-time floor a run is compared with."""

    read_floor: str = ""
    write_floor: str = ""
    spec: str = ""


@dataclass(frozen=True)
class TestFixtures:
    """What lets the per-PSA reliability and hostile-PR suites (``tests/psa_suites.py``) run for
    this PSA: strings only, resolved by those suites (the package never imports its tests).

    The suites take every registered PSA whose ``suite_case`` is set, start its simulator (found
    through :attr:`Psa.simulator`) beside the Salesbuildr one, copy ``example_config`` into an
    empty working directory and run every scenario against it: a new PSA joins them by these
    lines in its plugin and one case module of data under ``tests/``."""

    __test__ = False  # not a pytest class, whatever its name

    suite_case: str = ""
    """``module:NAME`` of the PSA's case (a ``PsaCase`` of ``tests/reliability/psa_case.py``):
    its sandbox's credentials, the callout objects it holds for Salesbuildr and how an admin
    lists, plants and removes one, the write that creates one, its own refusal of it, the
    variables naming its hosts, its simulator's rate cap. "" keeps the PSA out of the suites."""
    example_config: str = ""
    """A YAML of every section of the PSA's pages, as a repository path: the suites plan and
    apply it on the ``demo`` seed, and the re-plan must be empty."""
    hostile_inputs: str = ""
    """``module:NAME`` of the hostile live names (escapes, Markdown, HTML, bidi, very long) the
    hostile-PR suite plants as the PSA's callout objects, each cut to what the PSA keeps."""
    sandbox_factory: str = "reconciler.sandbox.common:start_sandbox"
    """``module:function`` starting the simulators, called as ``(psa=NAME, seed=, credentials=)``
    and returning a ``reconciler.sandbox.common.Sandbox``: the shared launcher unless a PSA needs
    its own."""


# --- the PSA ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Psa:
    """One PSA as the engine sees it.

    ``name`` is the YAML's ``psa:`` value and the key of its kinds and documents; ``title`` is
    how messages name it ("Autotask"). ``env_vars`` are the variables its connection reads from
    the real environment (never from the YAML); ``limit_vars`` the optional ones that set its
    client's limits (rate cap, page size). Neither may be set by a ``.env`` file nor referenced
    from the YAML (config.env, config.references): a pull request cannot change them.

    Engine hooks (each a callable, so a package imports its modules only when called):

    * ``sections()`` -> YAML section name -> its pydantic model (the config union, the schema);
    * ``document()`` -> the whole-document model (a ``reconciler.config.common.PsaDocument``:
      the common keys, the PSA's policy and its sections), the member of the config union
      tagged ``name`` (None: the config derives one from ``sections()``);
    * ``check(document, source)`` -> ``(errors, warnings)``: the offline rules over several
      fields of a valid document (``reconcile validate``; None: none);
    * ``kinds()`` -> the PSA's registered kinds;
    * ``export(state, catalog, sections, header)`` -> the YAML text of those live sections (a
      file of this PSA, ``header`` as its comments) that plans to zero changes;
    * ``system()`` -> :class:`PsaSystem`, the PSA's side of a run: its client (credentials,
      checked URL), reads, writer, preflight and Salesbuildr documents (None: validate only);
    * ``operations()`` -> :class:`PsaOperations` (None: the PSA has none).

    ``policy_keys`` are the policy keys that belong to this PSA
    (``min_remaining_autotask_requests``): its document's policy declares them, and another
    PSA's file that writes one is told whose key it is; ``salesbuildr_documents`` is the
    package resource holding the JSON Schema of each Salesbuildr settings document its pages
    use. ``extra`` holds what only some PSAs have, keyed by hook name, so a new hook is added
    here once rather than guessed at by the core."""

    name: str
    title: str
    env_vars: tuple[str, ...]
    sections: Callable[[], Mapping[str, Any]]
    kinds: Callable[[], tuple[Any, ...]]
    document: Callable[[], type[Any]] | None = None
    check: Callable[[Any, Any], tuple[list[Any], list[Any]]] | None = None
    export: Callable[[Any, Any, Sequence[str], Sequence[str]], str] | None = None
    operations: Callable[[], PsaOperations] | None = None
    system: Callable[[], PsaSystem] | None = None
    """The PSA's side of a run (:class:`PsaSystem`); None: plan and apply are not offered."""
    limit_vars: tuple[str, ...] = ()
    """Variables that set the client's limits, from the real environment only (see above)."""
    policy_keys: tuple[str, ...] = ()
    request_floor_key: str = ""
    """The policy key of the PSA's request-budget floor (apply refuses below it; "" none)."""
    after_apply: tuple[str, ...] = ()
    """The ``after_apply`` action names the YAML may list (the jobs: :class:`PsaOperations`)."""
    salesbuildr_documents: str = ""
    """The package resource (``reconciler.psa.autotask:salesbuildr_documents.json``) holding
    the JSON Schema of each Salesbuildr settings document its pages use."""
    simulator: SandboxHooks | None = None
    bench: BenchHooks = field(default_factory=BenchHooks)
    fixtures: TestFixtures = field(default_factory=TestFixtures)
    extra: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    def require_operations(self, operation: str) -> PsaOperations:
        """The PSA's operations, or :func:`unsupported` for ``operation``."""
        operations = self.operations() if self.operations is not None else None
        if operations is None:
            raise unsupported(self, operation)
        return operations
