"""Value types of the YAML language: names, id references, secrets, URLs, e-mail addresses."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SecretStr,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from reconciler.config.loader import TemplateStr
from reconciler.hosts import is_loopback_host

MAX_URL = 500
MAX_EMAIL = 150
MAX_SECRET = 64
MAX_WEBHOOK_NAME = 50


class IdRef(BaseModel):
    """An explicit Autotask or Salesbuildr id, for when a name is ambiguous."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int | str = Field(
        description="The object's id as the API knows it (Autotask ids are integers).",
        examples=[29683001],
    )


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError("a name must not be empty")
    return value


Name = Annotated[str, AfterValidator(_name)]
"""A name as a person sees it in the admin UI; matched case-insensitively at plan time."""

NameOrId = Name | IdRef


class SecretValue:
    """A write-only secret from the YAML.

    ``value`` is a :class:`pydantic.SecretStr` so it never shows in a repr or log; ``reference`` is
    the ``${env:NAME}`` text it came from (None when written literally), which is all a saved plan
    keeps.
    """

    __slots__ = ("reference", "value")

    def __init__(self, value: str, reference: str | None = None):
        self.value = SecretStr(value)
        self.reference = reference

    def get_secret_value(self) -> str:
        return self.value.get_secret_value()

    def __repr__(self) -> str:
        return f"SecretValue('**********', reference={self.reference!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretValue):
            return NotImplemented
        return (self.get_secret_value(), self.reference) == (
            other.get_secret_value(),
            other.reference,
        )

    def __hash__(self) -> int:
        return hash((self.get_secret_value(), self.reference))

    @classmethod
    def _validate(cls, raw: Any) -> SecretValue:
        if isinstance(raw, SecretValue):
            return raw
        if not isinstance(raw, str):
            raise ValueError("a secret must be a string, e.g. ${env:MY_SECRET}")
        if not raw:
            raise ValueError("the secret is empty")
        if len(raw) > MAX_SECRET:
            raise ValueError(f"a secret is at most {MAX_SECRET} characters (Autotask's limit)")
        reference = raw.template if isinstance(raw, TemplateStr) else None
        return cls(str(raw), reference)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(cls._validate)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_SECRET,
        }


def _url(value: str) -> str:
    if len(value) > MAX_URL:
        raise ValueError(f"a URL is at most {MAX_URL} characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unclosed [IPv6 literal
        raise ValueError(f"{value!r} is not a valid URL ({exc})") from None
    if "@" in parts.netloc:  # never echoed: the user-info may be a password
        raise ValueError(
            "the URL carries user-info (user:password@), which is refused and not shown; "
            "remove it (credentials come from their own variables)"
        )
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValueError(
            f"{value!r} uses http:// on a non-loopback host; use https:// "
            "(plain http is only allowed on loopback: 127.0.0.0/8, localhost and [::1])"
        )
    return value


Url = Annotated[str, AfterValidator(_url), Field(max_length=MAX_URL)]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if len(value) > MAX_EMAIL:
        raise ValueError(f"an e-mail address is at most {MAX_EMAIL} characters")
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Email = Annotated[str, AfterValidator(_email), Field(max_length=MAX_EMAIL)]
