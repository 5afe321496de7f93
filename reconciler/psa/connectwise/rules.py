"""Offline rules of the ConnectWise sections that span several fields; each finding points at
its node. :func:`parse_document` is the whole offline check of a ConnectWise file (what the
config loader does once ``psa: connectwise`` has picked this PSA's model)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from reconciler.config.loader import PathKey, SourceDocument, load_bytes
from reconciler.config.rules import fold_name_path, unique_names
from reconciler.config.types import IdRef
from reconciler.config.validation import translate
from reconciler.errors import ConfigError, Diagnostic
from reconciler.kinds.names import PathSyntaxError, fold, split_path
from reconciler.psa.connectwise.config import (
    MAX_CALLBACK_DESCRIPTION,
    REFERENCE_FIELDS,
    CallbackLevel,
    ConnectWiseConfig,
)

Error = Callable[..., None]


@dataclass(frozen=True)
class LoadedConnectWise:
    """A valid ConnectWise document, where it came from, and its warnings."""

    config: ConnectWiseConfig
    source: SourceDocument
    sha256: str
    warnings: list[Diagnostic] = field(default_factory=list)


def parse_document(raw: bytes, *, file: str, environ: Mapping[str, str]) -> LoadedConnectWise:
    """Parse, validate against the models and check the rules; raise :class:`ConfigError`
    listing every problem at once."""
    problems: list[Diagnostic] = []
    source = load_bytes(
        raw, file=file, environ=environ, reference_fields=REFERENCE_FIELDS, problems=problems
    )
    config: ConnectWiseConfig | None = None
    try:
        config = ConnectWiseConfig.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(translate(exc, source, ConnectWiseConfig))
    if config is not None:
        problems.extend(check(config, source))
    if problems:
        raise ConfigError(sorted(problems, key=lambda d: (d.line or 0, d.column or 0)))
    assert config is not None
    return LoadedConnectWise(config, source, hashlib.sha256(raw).hexdigest())


def check(config: ConnectWiseConfig, source: SourceDocument) -> list[Diagnostic]:
    """Every offline rule not expressible in the models, as located errors."""
    errors: list[Diagnostic] = []

    def error(path: PathKey, message: str, hint: str | None = None, *, key: bool = False) -> None:
        errors.append(source.diagnostic(path, message, hint=hint, key=key))

    _categories(config, error)
    _companies(config, error)
    _opportunity_statuses(config, error)
    _callbacks(config, error)
    _inventory(config, error)
    _ticket_settings(config, error)
    errors.sort(key=lambda d: (d.line, d.column))
    return errors


def _unique_items(items: Iterable[Any], path: PathKey, what: str, error: Error) -> None:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        folded = f"#id:{item.id}" if isinstance(item, IdRef) else fold(str(item))
        shown = f"{{id: {item.id}}}" if isinstance(item, IdRef) else f"'{item}'"
        if folded in seen:
            error((*path, index), f"{what} {shown} is listed twice", "keep one of them")
        else:
            seen[folded] = index


def _path(text: str, path: PathKey, error: Error, *, key: bool, levels: int = 0) -> None:
    try:
        found = split_path(text)
    except PathSyntaxError as exc:
        error(path, str(exc), "levels are separated by /; write a literal slash as \\/", key=key)
        return
    if levels and len(found) > levels:
        error(
            path,
            f"'{text}' has {len(found)} levels; a ConnectWise product category has "
            "subcategories but no deeper levels",
            "write Category or Category/Subcategory (a literal slash as \\/)",
            key=key,
        )


def _categories(config: ConnectWiseConfig, error: Error) -> None:
    if config.categories is None:
        return
    mappings = config.categories.mappings
    unique_names(mappings, ("categories", "mappings"), "category", error, folder=fold_name_path)
    for name, target in mappings.items():
        _path(name, ("categories", "mappings", name), error, key=True, levels=2)
        if isinstance(target, str):
            _path(target, ("categories", "mappings", name), error, key=False)
    unique_names(config.categories.data_source, ("categories", "data_source"), "type", error)


def _companies(config: ConnectWiseConfig, error: Error) -> None:
    companies = config.companies
    if companies is None:
        return
    if companies.types is not None:
        for direction in ("to_salesbuildr", "to_connectwise"):
            unique_names(
                getattr(companies.types, direction),
                ("companies", "types", direction),
                "company type",
                error,
            )
    if companies.type_priority is not None:
        _unique_items(
            companies.type_priority, ("companies", "type_priority"), "company type", error
        )
    if companies.statuses is not None:
        _unique_items(companies.statuses, ("companies", "statuses"), "company status", error)
    unique_names(companies.udfs, ("companies", "udfs"), "UDF", error)
    seen: dict[str, str] = {}
    for udf, data_point in companies.udfs.items():
        where: PathKey = ("companies", "udfs", udf)
        _path(data_point, where, error, key=False)
        folded = fold_name_path(data_point)
        if folded in seen:
            error(
                where,
                f"data point '{data_point}' is mapped twice (also from '{seen[folded]}'); each "
                "data point takes one UDF",
            )
        else:
            seen[folded] = udf


def _opportunity_statuses(config: ConnectWiseConfig, error: Error) -> None:
    if config.opportunity_statuses is None:
        return
    for direction in ("to_salesbuildr", "to_connectwise"):
        unique_names(
            getattr(config.opportunity_statuses, direction),
            ("opportunity_statuses", direction),
            "opportunity status",
            error,
        )


def _callbacks(config: ConnectWiseConfig, error: Error) -> None:
    for description, callback in (config.callbacks or {}).items():
        path: PathKey = ("callbacks", description)
        if len(description.strip()) > MAX_CALLBACK_DESCRIPTION:
            error(
                path,
                f"the callback's description is {len(description.strip())} characters; "
                f"ConnectWise allows {MAX_CALLBACK_DESCRIPTION}",
                "shorten the key (a callback's description is its key)",
                key=True,
            )
        if callback.level is not CallbackLevel.OWNER and callback.object_id is None:
            error(
                (*path, "level"),
                f"level {callback.level.value} fires only for the records under one "
                f"{callback.level.value}, which object_id names; it is not set",
                "add object_id: <the ConnectWise id>, or use level: owner (every record)",
            )


def _inventory(config: ConnectWiseConfig, error: Error) -> None:
    if config.inventory is not None and config.inventory.warehouses is not None:
        _unique_items(config.inventory.warehouses, ("inventory", "warehouses"), "warehouse", error)


def _ticket_settings(config: ConnectWiseConfig, error: Error) -> None:
    ticket = config.ticket_settings
    if ticket is None:
        return
    for name in ("status", "type", "subtype", "item"):
        if getattr(ticket, name) is not None and ticket.board is None:
            error(
                ("ticket_settings", name),
                f"ticket_settings.{name} is looked up on the board, and board is not set",
                "set ticket_settings.board (statuses, types, subtypes and items are per board)",
            )
    for name in ("subtype", "item"):
        if getattr(ticket, name) is not None and ticket.type is None:
            error(
                ("ticket_settings", name),
                f"ticket_settings.{name} belongs to a type, and type is not set",
                "set ticket_settings.type",
            )
