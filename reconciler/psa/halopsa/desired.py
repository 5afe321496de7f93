"""A ``psa: halopsa`` document -> desired :class:`~reconciler.state.Resource` objects.

:func:`parse_halo` reads and checks the document (positions, the models, the offline rules: every
problem at once, as ``reconcile validate`` reports them); :func:`desired_resources` turns its
sections into the resources of the HaloPSA kinds, names and ``{id: N}`` references as written,
with the line and column of each attribute. Pure but for the parse of the bytes it is given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import ValidationError

from reconciler.config.loader import PathKey, SourceDocument, load_bytes
from reconciler.config.types import IdRef
from reconciler.config.validation import translate
from reconciler.errors import ConfigError, Diagnostic
from reconciler.kinds.base import MappingKind, SingletonKind
from reconciler.psa.halopsa import kinds as k
from reconciler.psa.halopsa.config import REFERENCE_FIELDS, HaloConfig, HaloSections
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK
from reconciler.psa.halopsa.rules import check
from reconciler.state import ManageMode, PolicySettings, Resource


@dataclass(frozen=True)
class LoadedHalo:
    """A valid HaloPSA document and where it came from."""

    config: HaloConfig
    source: SourceDocument
    sha256: str


def parse_halo(raw: bytes, *, file: str, environ: Mapping[str, str]) -> LoadedHalo:
    """Parse and check a document; raise :class:`ConfigError` listing every problem."""
    problems: list[Diagnostic] = []
    source = load_bytes(
        raw, file=file, environ=environ, reference_fields=REFERENCE_FIELDS, problems=problems
    )
    config: HaloConfig | None = None
    try:
        config = HaloConfig.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(translate(exc, source, HaloConfig))
    if config is not None:
        problems.extend(check(config, source))
    if problems:
        raise ConfigError(sorted(problems, key=lambda d: (d.line or 0, d.column or 0)))
    assert config is not None
    return LoadedHalo(config=config, source=source, sha256=hashlib.sha256(raw).hexdigest())


def ref(value: Any) -> Any:
    """A reference as the kinds read it: a name, or ``{"id": N}``."""
    if isinstance(value, IdRef):
        return {"id": value.id}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [ref(item) for item in value]
    return value


class _Builder:
    def __init__(self, source: SourceDocument):
        self.source = source
        self.resources: list[Resource] = []

    def where(self, path: PathKey, *, key: bool = False) -> str:
        return self.source.diagnostic(path, "", key=key).location

    def mapping(self, kind: MappingKind, path: PathKey, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            full = (*path, key)
            self.resources.append(
                Resource(
                    address=kind.address_of([key]),
                    kind=kind.name,
                    section=kind.section,
                    key=kind.natural_key([key]),
                    attributes={kind.value_attr: ref(value)},
                    owner=kind.owner,
                    ids={"key_refs": [key]},
                    location=self.where(full, key=True),
                    locations={kind.value_attr: self.where(full), "": self.where(full, key=True)},
                )
            )

    def singleton(self, kind: SingletonKind, path: PathKey, values: Mapping[str, Any]) -> None:
        attributes = {name: ref(value) for name, value in values.items() if value is not None}
        self.resources.append(
            Resource(
                address=kind.address_text,
                kind=kind.name,
                section=kind.section,
                key=kind.address_text,
                attributes=attributes,
                owner=kind.owner,
                location=self.where(path, key=True),
                locations={name: self.where((*path, name)) for name in attributes},
            )
        )

    def account_codes(self, codes: Mapping[str, Any]) -> None:
        kind = k.ACCOUNT_CODES
        for group, pair in codes.items():
            path: PathKey = ("account_codes", group)
            attributes = {
                name: getattr(pair, name)
                for name in ("income", "expense")
                if getattr(pair, name) is not None
            }
            self.resources.append(
                Resource(
                    address=kind.address_of(group),
                    kind=kind.name,
                    section=kind.section,
                    key=group,
                    attributes=attributes,
                    owner=kind.owner,
                    ids={"key_refs": [group]},
                    location=self.where(path, key=True),
                    locations={
                        "": self.where(path, key=True),
                        **{name: self.where((*path, name)) for name in attributes},
                    },
                )
            )

    def webhooks(self, hooks: Mapping[str, Any]) -> None:
        kind = HALO_WEBHOOK
        for name, hook in hooks.items():
            path: PathKey = ("webhooks", name)
            attributes = {
                "name": name,
                "url": hook.url,
                "active": hook.active,
                "events": list(hook.events),
            }
            self.resources.append(
                Resource(
                    address=kind.address_of(name),
                    kind=kind.name,
                    section=kind.section,
                    key=name,
                    attributes=attributes,
                    owner=kind.owner,
                    location=self.where(path, key=True),
                    locations={
                        attr: self.where((*path, attr))
                        for attr in attributes
                        if (*path, attr) in self.source.value_positions
                    },
                )
            )


def desired_resources(sections: HaloSections, source: SourceDocument) -> list[Resource]:
    """Every desired resource of the sections present in the document."""
    b = _Builder(source)
    if (p := sections.products) is not None:
        b.singleton(
            k.PRODUCT_SETTINGS,
            ("products",),
            {
                "default_group": p.default_group,
                "shipping_product": p.shipping_product,
                "synchronize_to_halo": p.synchronize_to_halo,
            },
        )
        b.mapping(k.PRODUCT_CATEGORIES, ("products", "categories"), p.categories)
        b.mapping(k.PRODUCT_TYPES, ("products", "types"), p.types)
        b.mapping(k.PRODUCT_GROUPS, ("products", "groups"), p.groups)
    if (o := sections.opportunities) is not None:
        b.singleton(
            k.OPPORTUNITY_SETTINGS,
            ("opportunities",),
            {
                "type": o.type,
                "import_categories": o.import_categories,
                "enabled_types": o.enabled_types,
                "teams": o.teams,
            },
        )
        if o.statuses is not None:
            path: PathKey = ("opportunities", "statuses")
            b.mapping(k.STATUS_TO_SALESBUILDR, (*path, "to_salesbuildr"), o.statuses.to_salesbuildr)
            b.mapping(k.STATUS_TO_HALOPSA, (*path, "to_halopsa"), o.statuses.to_halopsa)
    if (c := sections.companies) is not None:
        b.singleton(k.COMPANY_SETTINGS, ("companies",), {"prospect_type": c.prospect_type})
        b.mapping(
            k.ADDRESS_LINES,
            ("companies", "address_lines"),
            {str(f): v for f, v in c.address_lines.items()},
        )
    if (q := sections.quotes) is not None:
        b.mapping(
            k.QUOTE_STATUSES, ("quotes", "statuses"), {str(st): v for st, v in q.statuses.items()}
        )
    if sections.account_codes is not None:
        b.account_codes(sections.account_codes)
    if sections.webhooks is not None:
        b.webhooks(sections.webhooks)
    return b.resources


def policy_settings(config: HaloConfig) -> PolicySettings:
    policy = config.policy
    return PolicySettings(
        manage={section: ManageMode(mode.value) for section, mode in policy.manage.items()},
        max_change_fraction=policy.max_change_fraction,
        max_deletes=policy.max_deletes,
        ignore_fields={
            section: frozenset(names) for section, names in policy.ignore_fields.items()
        },
    )
