"""Autotask's offline rules of CONFIG.md that span several fields; each finding points at its
node."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reconciler.config.loader import PathKey, SourceDocument
from reconciler.config.rules import fold_name_path, unique_names
from reconciler.config.types import MAX_WEBHOOK_NAME, SecretValue
from reconciler.errors import Diagnostic
from reconciler.kinds.names import PathSyntaxError, fold, fold_path
from reconciler.psa.autotask.models import Config, WebhookEntity
from reconciler.warning_ids import LITERAL_SECRET

Finding = Callable[[PathKey, str], None]


def check(config: Config, source: SourceDocument) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Return (errors, warnings) for every offline rule not expressible in the models; a
    warning whose id ``policy.acknowledge`` lists is left out."""
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []

    def error(path: PathKey, message: str, hint: str | None = None, *, key: bool = False) -> None:
        errors.append(source.diagnostic(path, message, hint=hint, key=key))

    def warn(warning_id: str, path: PathKey, message: str, hint: str | None = None) -> None:
        if warning_id in config.policy.acknowledge:
            return
        diagnostic = source.diagnostic(path, message, hint=hint)
        warnings.append(
            Diagnostic(
                diagnostic.message,
                file=diagnostic.file,
                line=diagnostic.line,
                column=diagnostic.column,
                hint=diagnostic.hint,
                severity="warning",
                id=warning_id,
            )
        )

    _name_maps(config, error)
    _paths(config, error)
    _one_to_one(config, error)
    _inventory(config, error)
    _webhooks(config, error)
    _secrets(config, warn)
    errors.sort(key=lambda d: (d.line, d.column))
    return errors, warnings


def _name_maps(config: Config, error: Callable[..., None]) -> None:
    if config.billing_codes:
        unique_names(
            config.billing_codes.categories,
            ("billing_codes", "categories"),
            "category",
            error,
            folder=fold_name_path,
        )
    if config.company_types:
        for direction in ("to_salesbuildr", "to_autotask"):
            unique_names(
                getattr(config.company_types, direction),
                ("company_types", direction),
                "company type",
                error,
            )
    if config.company_udfs:
        unique_names(config.company_udfs, ("company_udfs",), "company type", error)
        for company_type, udfs in config.company_udfs.items():
            unique_names(udfs, ("company_udfs", company_type), "UDF", error)
    if config.product_import:
        for table, what in (
            ("roles", "role"),
            ("product_categories", "product category"),
            ("services", "service"),
        ):
            unique_names(
                getattr(config.product_import, table), ("product_import", table), what, error
            )
    if config.inventory:
        # Locations are live objects' own names: two that fold alike but are spelled
        # differently may both exist; plan matches each exactly (and refuses anything else).
        unique_names(
            config.inventory.locations,
            ("inventory", "locations"),
            "location",
            error,
            folder=str.strip,
        )
    if config.opportunity:
        unique_names(
            config.opportunity.udfs,
            ("opportunity", "udfs"),
            "data point",
            error,
            folder=fold_name_path,
        )


def _paths(config: Config, error: Callable[..., None]) -> None:
    """Category and data point paths must split into non-empty levels."""

    def check_path(text: str, path: PathKey, *, key: bool) -> None:
        try:
            fold_path(text)
        except PathSyntaxError as exc:
            error(
                path, str(exc), "levels are separated by /; write a literal slash as \\/", key=key
            )

    if config.billing_codes:
        for category in config.billing_codes.categories:
            check_path(category, ("billing_codes", "categories", category), key=True)
    if config.product_import:
        for table in ("roles", "product_categories", "services"):
            for name, category in getattr(config.product_import, table).items():
                check_path(category, ("product_import", table, name), key=False)
    if config.company_udfs:
        for company_type, udfs in config.company_udfs.items():
            for udf, data_point in udfs.items():
                check_path(data_point, ("company_udfs", company_type, udf), key=False)
    if config.opportunity:
        for data_point in config.opportunity.udfs:
            check_path(data_point, ("opportunity", "udfs", data_point), key=True)


def _duplicate_targets(
    items: Iterable[tuple[str, Any]],
    path: PathKey,
    message: str,
    error: Callable[..., None],
    *,
    folder: Callable[[str], str] = fold,
) -> None:
    seen: dict[str, str] = {}
    for key, target in items:
        folded = folder(target) if isinstance(target, str) else f"#id:{target.id}"
        shown = target if isinstance(target, str) else f"{{id: {target.id}}}"
        if folded in seen:
            error((*path, key), message.format(target=shown, first=seen[folded]))
        else:
            seen[folded] = key


def _one_to_one(config: Config, error: Callable[..., None]) -> None:
    if config.company_udfs:
        for company_type, udfs in config.company_udfs.items():
            _duplicate_targets(
                udfs.items(),
                ("company_udfs", company_type),
                "data point '{target}' is mapped twice for this company type (also from "
                "'{first}'); each data point takes one UDF",
                error,
                folder=fold_name_path,
            )
    if config.opportunity:
        _duplicate_targets(
            config.opportunity.udfs.items(),
            ("opportunity", "udfs"),
            "opportunity UDF '{target}' is targeted twice (also by '{first}'); Salesbuildr maps "
            "each UDF once",
            error,
        )


def _inventory(config: Config, error: Callable[..., None]) -> None:
    if not config.inventory:
        return
    defaults = [name for name, loc in config.inventory.locations.items() if loc.default]
    for name in defaults[1:]:
        error(
            ("inventory", "locations", name, "default"),
            f"'{name}' is marked default, and so is '{defaults[0]}'; Autotask has one default "
            "inventory location",
        )
    for name, location in config.inventory.locations.items():
        if location.default and not location.active:
            error(
                ("inventory", "locations", name, "active"),
                f"'{name}' is the default location but inactive",
                "the default location must be active",
            )


def _webhooks(config: Config, error: Callable[..., None]) -> None:
    if not config.webhooks:
        return
    seen: dict[tuple[str, str], str] = {}
    for key, hook in config.webhooks.items():
        path: PathKey = ("webhooks", key)
        name = hook.name or key
        if hook.name is None and len(key) > MAX_WEBHOOK_NAME:
            error(
                path,
                f"webhook name '{key}' is {len(key)} characters; Autotask allows "
                f"{MAX_WEBHOOK_NAME}",
                "shorten the key, or keep it and set a shorter `name:`",
                key=True,
            )
        natural_key = (hook.entity.value, fold(name))
        # Spelled differently but folding alike is allowed: plan matches each to the live
        # webhook spelled exactly so (export writes such pairs), and refuses it otherwise.
        if (
            natural_key in seen
            and (config.webhooks[seen[natural_key]].name or seen[natural_key]) == name
        ):
            error(
                path,
                f"two {hook.entity.value} webhooks are named '{name}' (also '{seen[natural_key]}')",
                "a webhook is identified by entity and name; give one a different `name:`",
                key=True,
            )
        else:
            seen[natural_key] = key
        if not hook.fields and not hook.udf_fields:
            error(
                path,
                f"webhook '{key}' has neither fields nor udf_fields, so Autotask never fires it",
                "list at least one field whose change should fire it, e.g. fields: [CompanyName]",
                key=True,
            )
        if hook.entity is WebhookEntity.TICKET_NOTE and hook.udf_fields:
            error(
                (*path, "udf_fields"),
                "ticket_note webhooks have no UDF fields in Autotask",
                "remove udf_fields from this webhook",
                key=True,
            )
        # A url without a secret is fine: the live secret is kept (secrets are write-only);
        # only a create needs one, which plan checks against the live webhooks.
        if hook.url is None and hook.secret is not None:
            error(
                (*path, "secret"),
                f"webhook '{key}' has a secret but no url",
                "webhooks without url post to Salesbuildr's receiver and use "
                "webhook_receiver.secret; remove this secret or add the url it belongs to",
                key=True,
            )
        if hook.url is None and hook.deactivation_url is not None:
            pass  # the receiver gets the callouts, another endpoint the deactivation notice: fine
        # Without url and without webhook_receiver the live secret is kept too (as above).
        for index, field_name in enumerate(hook.fields):
            if fold(field_name) in {fold(f) for f in hook.fields[:index]}:
                error((*path, "fields", index), f"field '{field_name}' is listed twice")


def _secrets(config: Config, warn: Callable[..., None]) -> None:
    secrets: list[tuple[PathKey, SecretValue]] = []
    if config.webhook_receiver:
        secrets.append((("webhook_receiver", "secret"), config.webhook_receiver.secret))
    for key, hook in (config.webhooks or {}).items():
        if hook.secret is not None:
            secrets.append((("webhooks", key, "secret"), hook.secret))
    for path, secret in secrets:
        if secret.reference is None:
            warn(
                LITERAL_SECRET,
                path,
                "a secret is written literally in the file",
                "write ${env:NAME} and keep the value out of git",
            )
