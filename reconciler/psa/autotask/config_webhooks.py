"""The Autotask webhook sections of the YAML: ``webhook_receiver`` (Salesbuildr's endpoint for
Autotask callouts) and ``webhooks`` (the Autotask webhooks, keyed by name). Part of the Autotask
document (:mod:`reconciler.psa.autotask.config`), split out to keep modules short."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from reconciler.config.common import SECRET_REFERENCE, StrictModel
from reconciler.config.types import MAX_WEBHOOK_NAME, Email, Name, NameOrId, SecretValue, Url


class WebhookEntity(StrEnum):
    COMPANY = "company"
    CONTACT = "contact"
    CONFIGURATION_ITEM = "configuration_item"
    TICKET = "ticket"
    TICKET_NOTE = "ticket_note"


class WebhookEvent(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class WebhookReceiver(StrictModel):
    """Salesbuildr's endpoint for Autotask callouts."""

    secret: SecretValue = Field(
        description="Write-only shared secret Salesbuildr verifies callouts with. Write it as "
        "${env:NAME}; it is never read back, printed or saved." + SECRET_REFERENCE,
        examples=["${env:SALESBUILDR_WEBHOOK_SECRET}"],
    )


class Webhook(StrictModel):
    """An Autotask webhook; the YAML key is its name unless `name:` says otherwise. Only what
    the file states is managed: entity, name, url, active, events and fields always (with the
    defaults below); any other attribute left out keeps its live value, and a new webhook gets the
    default each description names."""

    entity: WebhookEntity = Field(
        description="The Autotask entity whose changes fire the webhook.", examples=["company"]
    )
    name: Name | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_WEBHOOK_NAME,
        description="The webhook's name in Autotask, when it differs from the key (needed only "
        "when two entities' webhooks share a name).",
        examples=["sb-companies"],
    )
    url: Url | None = Field(
        default=None,
        description="Where Autotask posts callouts. Omitted: Salesbuildr's receiver (signed "
        "with webhook_receiver.secret).",
        examples=["https://monitor.acme.example/autotask"],
    )
    deactivation_url: Url | None = Field(
        default=None,
        description="Called when the webhook is deactivated or deleted. Omitted: kept as it is "
        "live; a new webhook gets url.",
        examples=["https://monitor.acme.example/autotask/deactivated"],
    )
    secret: SecretValue | None = Field(
        default=None,
        description="Shared secret for the X-Hook-Signature (write-only). Only with url. "
        "Omitted: a webhook with url keeps its live secret (a new one cannot be created without "
        "a secret: plan refuses it); one without url uses webhook_receiver.secret, or keeps its "
        "live secret when webhook_receiver is absent. --rotate-secrets re-sends only secrets the "
        "file states." + SECRET_REFERENCE,
        examples=["${env:MONITORING_WEBHOOK_SECRET}"],
    )
    active: bool = Field(
        default=True, description="Active in Autotask. Omitted: true.", examples=[True]
    )
    events: list[WebhookEvent] = Field(
        default_factory=lambda: [WebhookEvent.CREATE, WebhookEvent.UPDATE, WebhookEvent.DELETE],
        min_length=1,
        description="Which events fire the webhook. Omitted: all three.",
        examples=[["create", "update", "delete"]],
    )
    fields: list[Name] = Field(
        default_factory=list,
        description="Webhook field labels (the fieldID picklist of {Entity}WebhookFields) whose "
        "change fires the webhook. Omitted: none.",
        examples=[["CompanyName", "CompanyType", "Phone"]],
    )
    always_send: list[Name] = Field(
        default_factory=list,
        description="Field labels always included in the payload. Omitted: kept as live; a "
        "new webhook gets none.",
        examples=[["CompanyNumber"]],
    )
    udf_fields: list[Name] = Field(
        default_factory=list,
        description="UDF names whose change fires the webhook (none exist for ticket_note). "
        "Omitted: kept as live; a new webhook gets none.",
        examples=[["Contract Tier"]],
    )
    excluded_resources: list[NameOrId] = Field(
        default_factory=list,
        description="Autotask resources whose changes do not fire the webhook. Omitted: kept "
        "as live; a new webhook gets none.",
        examples=[["Salesbuildr API"]],
    )
    notification_email: Email | None = Field(
        default=None,
        description="Where Autotask sends notices about the webhook. Omitted: kept as live; "
        "a new webhook gets none; null clears it.",
        examples=["ops@acme.example"],
    )
    threshold_notification: bool = Field(
        default=False,
        description="E-mail a notice when the request threshold is exceeded. Omitted: kept "
        "as live; a new webhook gets false.",
        examples=[True],
    )
