"""`reconcile validate` through the real CLI: a corpus of bad documents, each located and explained.

Every case writes one document to a fresh working directory, runs `reconcile validate
mappings.yaml` with click's CliRunner, and checks the exit code, the `FILE:LINE:COL: error:` line,
its message and its hint. No case may produce a traceback.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.schema import mappings_schema_text

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"
FILE = "mappings.yaml"

# Variables the corpus refers to. Each run starts with them unset except RT_SECRET, so neither the
# developer's shell nor CI can change an outcome.
CORPUS_ENV: dict[str, str | None] = {
    "RT_SECRET": "s3cret-from-env",
    "RT_UNSET": None,
    "RT_URL": None,
    "SALESBUILDR_WEBHOOK_SECRET": None,
    "SALESBUILDR_API_URL": None,
    "AUTOTASK_API_URL": None,
}

HEADER = re.compile(
    r"^(?P<where>\S.*?): (?P<severity>error|warning)(?:\[(?P<id>[a-z_]+)\])?: (?P<message>.*)$"
)


def y(text: str) -> bytes:
    """A YAML document written as an indented Python string."""
    return textwrap.dedent(text).lstrip("\n").encode()


def run(args: Sequence[str], *, env: Mapping[str, str | None] | None = None) -> Result:
    """Invoke the CLI; whatever happens, no traceback and no exception but SystemExit."""
    full_env = dict(CORPUS_ENV)
    full_env.update(env or {})
    result = CliRunner().invoke(cli, list(args), env=full_env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


@dataclass(frozen=True)
class Block:
    """One diagnostic as printed: its header line and what follows until the next header."""

    where: str
    severity: str
    message: str
    text: str


def blocks(stderr: str) -> list[Block]:
    found: list[Block] = []
    lines = stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if HEADER.match(line)]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        match = HEADER.match(lines[start])
        assert match is not None
        found.append(
            Block(
                where=match["where"],
                severity=match["severity"],
                message=match["message"],
                text="\n".join(lines[start:end]),
            )
        )
    return found


def location(line: int | None, column: int | None, file: str = FILE) -> str:
    return file if line is None else f"{file}:{line}:{column}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory (so no stray .env is read)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """A document `validate` must refuse, and the one diagnostic (of `errors`) it must show.

    `line`/`column` None: the diagnostic is about the whole file (`FILE: error: ...`). `hint` None:
    the diagnostic must have no hint.
    """

    id: str
    document: bytes | Callable[[], bytes]
    line: int | None
    column: int | None
    message: str
    hint: str | None = None
    env: Mapping[str, str | None] = field(default_factory=dict)
    errors: int = 1

    def content(self) -> bytes:
        return self.document if isinstance(self.document, bytes) else self.document()


def five_megabytes() -> bytes:
    return b"version: 1\n" + (b"#" * 99 + b"\n") * 52_429


def one_byte_over_the_limit() -> bytes:
    head = b"version: 1\n"
    return head + b"#" * (1_048_577 - len(head) - 1) + b"\n"


def alias_bomb() -> bytes:
    lines = ["version: 1", "a: &a [" + ", ".join(["lol"] * 10) + "]"]
    for name, previous in zip("bcdef", "abcde", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


def deep_lists() -> bytes:
    return b"billing_codes: " + b"[" * 200 + b"]" * 200 + b"\nversion: 1\n"


def deep_mappings() -> bytes:
    return b"version: 1\nx: " + b"{a: " * 200 + b"1" + b"}" * 200 + b"\n"


WEBHOOK_HEAD = """
    version: 1
    webhook_receiver: {secret: "${env:RT_SECRET}"}
    webhooks:
      sb-companies:
        entity: company
"""


def hook(extra: str) -> bytes:
    """A document whose webhook `sb-companies` (line 4) gets `extra` from line 6 on."""
    body = textwrap.indent(textwrap.dedent(extra).lstrip("\n"), "    ")
    return y(WEBHOOK_HEAD) + body.encode()


LONG_KEY = "a" * 51

LOADER_CASES = [
    Bad("empty-file", b"", None, None, "the document is empty", "start with `version: 1`"),
    Bad(
        "only-comments",
        b"# mappings\n# nothing yet\n",
        None,
        None,
        "the document is empty",
        "start with `version: 1`",
    ),
    Bad(
        "not-a-mapping-list",
        b"- version\n- 1\n",
        1,
        1,
        "the document must be a mapping of sections (key: value), found a list",
        "start with `version: 1`",
    ),
    Bad(
        "not-a-mapping-text",
        b"just some text\n",
        1,
        1,
        "the document must be a mapping of sections (key: value), found the text 'just some text'",
        "start with `version: 1`",
    ),
    Bad(
        "duplicate-top-level-key",
        b"version: 1\nversion: 1\n",
        2,
        1,
        "duplicate key 'version' (first defined at line 1)",
        "YAML would silently keep only the last one",
    ),
    Bad(
        "duplicate-nested-key",
        y("""
            version: 1
            billing_codes:
              categories:
                Hardware: Hardware Sales
                Hardware: Software Licensing
        """),
        5,
        5,
        "duplicate key 'Hardware' (first defined at line 4)",
        "remove or merge one of them",
    ),
    Bad(
        "tab-indentation",
        b"version: 1\npolicy:\n\tmax_deletes: 3\n",
        3,
        1,
        "tab character in indentation",
        "YAML indents with spaces only",
    ),
    Bad(
        "tab-after-spaces",
        b"version: 1\npolicy:\n  \tmax_deletes: 3\n",
        3,
        3,
        "tab character in indentation",
        "replace the tab with spaces",
    ),
    Bad(
        "multiple-documents",
        b"version: 1\n---\nversion: 1\n",
        2,
        1,
        "more than one YAML document in the file",
        "remove the `---` separator",
    ),
    Bad(
        "invalid-utf8",
        b"version: 1\nbilling_codes:\n  default: caf\xe9 sales\n",
        3,
        15,
        "not valid UTF-8 (byte 0xe9)",
        "save the file as UTF-8",
    ),
    Bad(
        "nul-byte",
        b"version: 1\nbilling_codes:\n  default: Hardware\x00Sales\n",
        3,
        1,
        "this is not a text file (it contains NUL bytes)",
        "a mappings file is UTF-8 YAML",
    ),
    Bad(
        "binary-garbage",
        b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)),
        1,
        1,
        "not valid UTF-8 (byte 0x89)",
        "save the file as UTF-8",
    ),
    Bad(
        "binary-with-nul-bytes",
        bytes(range(256)) * 4,
        1,
        1,
        "this is not a text file (it contains NUL bytes)",
        "a mappings file is UTF-8 YAML",
    ),
    Bad(
        "five-megabytes",
        five_megabytes,
        None,
        None,
        "the document is 5,242,911 bytes (5.0 MB); the limit is 1 MB (1,048,576 bytes)",
        "a mappings file is a few kilobytes",
    ),
    Bad(
        "one-byte-over-1mb",
        one_byte_over_the_limit,
        None,
        None,
        "the document is 1,048,577 bytes",
        "a mappings file is a few kilobytes",
    ),
    # The 8th `*d` on line 6 is where the expansion passes 100,000 values.
    Bad(
        "alias-bomb",
        alias_bomb,
        6,
        36,
        "the document expands to more than 100,000 values",
        "this looks like an alias bomb",
    ),
    # The root mapping is level 1, so the 50th `[` (column 16 + 49) is level 51.
    Bad(
        "nesting-200-lists",
        deep_lists,
        1,
        65,
        "nesting deeper than 50 levels",
        "no section of mappings.yaml nests more than a few levels",
    ),
    Bad(
        "nesting-200-mappings",
        deep_mappings,
        2,
        200,
        "nesting deeper than 50 levels",
        "nests more than a few levels",
    ),
    Bad(
        "syntax-bad-indentation",
        y("""
            version: 1
            policy:
              max_deletes: 3
               max_change_fraction: 0.5
        """),
        4,
        23,
        "YAML syntax error: mapping values are not allowed here",
        "check the indentation of this line",
    ),
    Bad(
        "syntax-unclosed-flow-mapping",
        b"version: 1\nbilling_codes: {default: x\n",
        3,
        1,
        "YAML syntax error: expected ',' or '}', but got '<stream end>'",
    ),
    Bad(
        "undefined-alias",
        b"version: 1\nbilling_codes: *defaults\n",
        2,
        16,
        "YAML syntax error: found undefined alias 'defaults'",
        "an alias (*name) must refer to an anchor (&name) defined earlier",
    ),
    Bad(
        "merge-key",
        y("""
            version: 1
            billing_codes: &codes
              default: Hardware Sales
            purchase_order:
              <<: *codes
        """),
        5,
        3,
        "merge keys (<<) are not supported",
        "write the keys out",
    ),
    Bad(
        "key-is-a-list",
        b"version: 1\n? [a, b]\n: c\n",
        2,
        3,
        "a key must be a plain name, not a list or mapping",
    ),
    Bad(
        "unset-env-variable",
        y("""
            version: 1
            webhook_receiver:
              secret: ${env:RT_UNSET}
        """),
        3,
        11,
        "environment variable RT_UNSET is not set",
        "give a default: ${env:RT_UNSET:-value}",
    ),
    Bad(
        "unset-env-variable-inside-url",
        y("""
            version: 1
            salesbuildr:
              url: https://${env:RT_UNSET}/public-api
        """),
        3,
        8,
        "environment variable RT_UNSET is not set",
        "export RT_UNSET=... (or put it in .env)",
    ),
    Bad(
        "malformed-env-reference",
        y("""
            version: 1
            webhook_receiver:
              secret: ${env:RT-SECRET}
        """),
        3,
        11,
        "malformed environment reference in '${env:RT-SECRET}'",
        "write ${env:NAME} or ${env:NAME:-default}",
    ),
]

SCHEMA_CASES = [
    Bad(
        "missing-version",
        b"billing_codes: {}\n",
        1,
        1,
        "missing required key 'version'",
        "start the document with `version: 1`",
    ),
    Bad(
        "wrong-version",
        b"version: 2\n",
        1,
        10,
        "unsupported version 2; this reconcile understands version 1",
        "write `version: 1`",
    ),
    Bad(
        "version-as-text",
        b"version: one\n",
        1,
        10,
        "unsupported version 'one'",
        "write `version: 1`",
    ),
    Bad(
        "unknown-top-level-key",
        b"version: 1\nbiling_codes: {}\n",
        2,
        1,
        "unknown key 'biling_codes' at the top level",
        "did you mean 'billing_codes'?",
    ),
    Bad(
        "unknown-top-level-key-lists-allowed",
        b"version: 1\nfoo: 1\n",
        2,
        1,
        "unknown key 'foo' at the top level",
        "allowed keys: version, autotask, salesbuildr",
    ),
    Bad(
        "misspelled-nested-key",
        b"version: 1\npolicy:\n  max_deltes: 3\n",
        3,
        3,
        "unknown key 'max_deltes' in policy",
        "did you mean 'max_deletes'?",
    ),
    Bad(
        "misspelled-webhook-key",
        hook("feilds: [CompanyName]\n"),
        6,
        5,
        "unknown key 'feilds' in webhooks[\"sb-companies\"]",
        "did you mean 'fields', 'udf_fields'?",
    ),
    Bad(
        "int-given-text",
        b"version: 1\npolicy:\n  max_deletes: many\n",
        3,
        16,
        "policy.max_deletes: expected a whole number, found the text 'many'",
    ),
    Bad(
        "int-given-yaml-boolean",
        b"version: 1\npolicy:\n  max_deletes: yes\n",
        3,
        16,
        "policy.max_deletes: expected a whole number, found the boolean true",
    ),
    Bad(
        "int-given-fraction",
        b"version: 1\npurchase_order:\n  due_date_offset_days: 2.5\n",
        3,
        25,
        "purchase_order.due_date_offset_days: expected a whole number, found the number 2.5",
    ),
    Bad(
        "bool-given-text",
        b"version: 1\nproduct_import:\n  synchronize_to_autotask: sometimes\n",
        3,
        28,
        "product_import.synchronize_to_autotask: expected true or false, found the text "
        "'sometimes'",
    ),
    Bad(
        "section-given-list",
        b"version: 1\nbilling_codes: [Hardware, Software]\n",
        2,
        16,
        "billing_codes: expected a mapping, found a list",
    ),
    Bad(
        "name-given-list",
        b"version: 1\nbilling_codes:\n  default: [Hardware Sales]\n",
        3,
        12,
        "billing_codes.default: expected a name (text) or {id: N}, found a list",
    ),
    Bad(
        "list-given-text",
        hook("events: create\nfields: [CompanyName]\n"),
        6,
        13,
        "webhooks[\"sb-companies\"].events: expected a list, found the text 'create'",
    ),
    Bad(
        "id-with-fraction",
        b"version: 1\nbilling_codes:\n  default: {id: 2.5}\n",
        3,
        12,
        "billing_codes.default: expected a whole number, found the number 2.5",
    ),
    Bad(
        "enum-mpn-enrichment",
        b"version: 1\nproduct_import:\n  mpn_enrichment: icecta\n",
        3,
        19,
        "product_import.mpn_enrichment: the text 'icecta' is not allowed; expected one of: "
        "'none', 'icecat', 'onetrail' or 'distributorhub'",
        "did you mean 'icecat'?",
    ),
    Bad(
        "enum-webhook-entity",
        y("""
            version: 1
            webhook_receiver: {secret: "${env:RT_SECRET}"}
            webhooks:
              sb-companies:
                entity: compnay
                fields: [CompanyName]
        """),
        5,
        13,
        "webhooks[\"sb-companies\"].entity: the text 'compnay' is not allowed",
        "did you mean 'company'?",
    ),
    Bad(
        "enum-webhook-event",
        hook("events: [create, updat]\nfields: [CompanyName]\n"),
        6,
        22,
        "webhooks[\"sb-companies\"].events[1]: the text 'updat' is not allowed; expected one of: "
        "'create', 'update' or 'delete'",
        "did you mean 'update'?",
    ),
    Bad(
        "enum-manage-section",
        b"version: 1\npolicy:\n  manage:\n    webhoks: full\n",
        4,
        5,
        "policy.manage: 'webhoks' is not allowed as a key; expected one of: 'billing_codes'",
        "did you mean 'webhooks'?",
    ),
    Bad(
        "enum-manage-mode",
        b"version: 1\npolicy:\n  manage:\n    webhooks: ful\n",
        4,
        15,
        "policy.manage.webhooks: the text 'ful' is not allowed; expected one of: 'additive', "
        "'full' or 'observe'",
        "did you mean 'full'?",
    ),
    Bad(
        "enum-after-apply",
        b"version: 1\nafter_apply: [sync_fieldz]\n",
        2,
        15,
        "after_apply[0]: the text 'sync_fieldz' is not allowed",
        "did you mean 'sync_fields'",
    ),
    Bad(
        "missing-webhook-entity",
        y("""
            version: 1
            webhook_receiver: {secret: "${env:RT_SECRET}"}
            webhooks:
              sb-companies:
                fields: [CompanyName]
        """),
        4,
        3,
        "missing required key 'entity' in webhooks[\"sb-companies\"]",
        "one of: company, contact, configuration_item, ticket, ticket_note",
    ),
    Bad(
        "missing-receiver-secret",
        b"version: 1\nwebhook_receiver: {}\n",
        2,
        1,
        "missing required key 'secret' in webhook_receiver",
        "write it as ${env:NAME}",
    ),
    Bad(
        "empty-events",
        hook("events: []\nfields: [CompanyName]\n"),
        6,
        13,
        'webhooks["sb-companies"].events: must list at least 1 item(s)',
    ),
    Bad(
        "blank-name",
        b"version: 1\nbilling_codes:\n  default: '  '\n",
        3,
        12,
        "billing_codes.default: a name must not be empty",
    ),
    Bad(
        "blank-webhook-key",
        y("""
            version: 1
            webhook_receiver: {secret: "${env:RT_SECRET}"}
            webhooks:
              "  ":
                entity: company
                fields: [CompanyName]
        """),
        4,
        3,
        'webhooks["  "]: a name must not be empty',
    ),
    Bad(
        "id-ref-with-unknown-key",
        b"version: 1\nbilling_codes:\n  default: {idd: 29683}\n",
        3,
        13,
        "unknown key 'idd' in billing_codes.default",
        "did you mean 'id'?",
        errors=2,
    ),
    Bad(
        "secret-not-text",
        b"version: 1\nwebhook_receiver:\n  secret: 123456\n",
        3,
        11,
        "webhook_receiver.secret: a secret must be a string, e.g. ${env:MY_SECRET}",
    ),
    Bad(
        "secret-empty",
        b"version: 1\nwebhook_receiver:\n  secret: ''\n",
        3,
        11,
        "webhook_receiver.secret: the secret is empty",
    ),
]

LENGTH_AND_URL_CASES = [
    Bad(
        "webhook-key-over-50",
        y(f"""
            version: 1
            webhook_receiver: {{secret: "${{env:RT_SECRET}}"}}
            webhooks:
              {LONG_KEY}:
                entity: company
                fields: [CompanyName]
        """),
        4,
        3,
        f"webhook name '{LONG_KEY}' is 51 characters; Autotask allows 50",
        "shorten the key, or keep it and set a shorter `name:`",
    ),
    Bad(
        "webhook-name-over-50",
        hook(f"name: {'n' * 51}\nfields: [CompanyName]\n"),
        6,
        11,
        'webhooks["sb-companies"].name: at most 50 characters allowed, found 51',
    ),
    Bad(
        "url-over-500",
        f"version: 1\nsalesbuildr:\n  url: https://acme.example/{'a' * 482}\n".encode(),
        3,
        8,
        "salesbuildr.url: a URL is at most 500 characters",
    ),
    Bad(
        "email-over-150",
        hook(f"fields: [CompanyName]\nnotification_email: {'a' * 139}@acme.example\n"),
        7,
        25,
        'webhooks["sb-companies"].notification_email: an e-mail address is at most 150 characters',
    ),
    Bad(
        "secret-over-64",
        f"version: 1\nwebhook_receiver:\n  secret: {'s' * 65}\n".encode(),
        3,
        11,
        "webhook_receiver.secret: a secret is at most 64 characters (Autotask's limit)",
    ),
    Bad(
        "secret-over-64-from-env",
        b"version: 1\nwebhook_receiver:\n  secret: ${env:RT_SECRET}\n",
        3,
        11,
        "a secret is at most 64 characters",
        env={"RT_SECRET": "x" * 65},
    ),
    Bad(
        "invalid-email",
        hook("fields: [CompanyName]\nnotification_email: ops.acme.example\n"),
        7,
        25,
        "webhooks[\"sb-companies\"].notification_email: 'ops.acme.example' is not an e-mail "
        "address",
    ),
    Bad(
        "http-on-public-host",
        b"version: 1\nsalesbuildr:\n  url: http://acme.salesbuildr.com/public-api\n",
        3,
        8,
        "salesbuildr.url: 'http://acme.salesbuildr.com/public-api' uses http:// on a "
        "non-loopback host; use https://",
    ),
    Bad(
        "http-on-non-loopback-ipv6",
        b"version: 1\nautotask:\n  url: http://[::2]/atservicesrest\n",
        3,
        8,
        "autotask.url: 'http://[::2]/atservicesrest' uses http:// on a non-loopback host",
    ),
    Bad(
        "http-on-localhost-lookalike",
        b"version: 1\nautotask:\n  url: http://localhost.evil.example/atservicesrest\n",
        3,
        8,
        "uses http:// on a non-loopback host",
    ),
    Bad(
        "http-deactivation-url",
        hook(
            """
            url: https://monitor.acme.example/autotask
            deactivation_url: http://monitor.acme.example/gone
            secret: ${env:RT_SECRET}
            fields: [CompanyName]
            """
        ),
        7,
        23,
        "webhooks[\"sb-companies\"].deactivation_url: 'http://monitor.acme.example/gone' uses "
        "http://",
    ),
    Bad(
        "url-not-http",
        b"version: 1\nsalesbuildr:\n  url: ftp://acme.example/\n",
        3,
        8,
        "salesbuildr.url: 'ftp://acme.example/' is not an http(s) URL",
    ),
    Bad(
        "url-unparseable",
        b"version: 1\nsalesbuildr:\n  url: 'http://[::1/public-api'\n",
        3,
        8,
        "salesbuildr.url: 'http://[::1/public-api' is not a valid URL",
    ),
]

RULE_CASES = [
    Bad(
        "secret-without-url",
        hook("fields: [CompanyName]\nsecret: ${env:RT_SECRET}\n"),
        7,
        5,
        "webhook 'sb-companies' has a secret but no url",
        "remove this secret or add the url it belongs to",
    ),
    Bad(
        "webhook-without-fields",
        hook("events: [create]\n"),
        4,
        3,
        "webhook 'sb-companies' has neither fields nor udf_fields, so Autotask never fires it",
        "list at least one field",
    ),
    Bad(
        "udf-fields-on-ticket-note",
        y("""
            version: 1
            webhook_receiver: {secret: "${env:RT_SECRET}"}
            webhooks:
              sb-notes:
                entity: ticket_note
                fields: [Title]
                udf_fields: [Contract Tier]
        """),
        7,
        5,
        "ticket_note webhooks have no UDF fields in Autotask",
        "remove udf_fields from this webhook",
    ),
    Bad(
        "two-webhooks-same-entity-and-name",
        y("""
            version: 1
            webhook_receiver: {secret: "${env:RT_SECRET}"}
            webhooks:
              sb-companies:
                entity: company
                fields: [CompanyName]
              sb-companies-2:
                name: sb-companies
                entity: company
                fields: [Phone]
        """),
        7,
        3,
        "two company webhooks are named 'sb-companies' (also 'sb-companies')",
        "a webhook is identified by entity and name; give one a different `name:`",
    ),
    Bad(
        "field-listed-twice",
        hook("fields: [Phone, CompanyName, phone]\n"),
        6,
        34,
        "field 'phone' is listed twice",
    ),
    Bad(
        "company-udf-data-point-mapped-twice",
        y("""
            version: 1
            company_udfs:
              Customer:
                Contract Tier: Contract tier
                Service Level: contract  TIER
        """),
        5,
        20,
        "data point 'contract  TIER' is mapped twice for this company type (also from 'Contract "
        "Tier'); each data point takes one UDF",
    ),
    Bad(
        "company-udf-data-point-path-mapped-twice",
        y("""
            version: 1
            company_udfs:
              Customer:
                Onboarding Date: Onboarding/Start date
                Start Date: onboarding / start date
        """),
        5,
        17,
        "data point 'onboarding / start date' is mapped twice for this company type",
    ),
    Bad(
        "opportunity-data-point-mapped-twice",
        y("""
            version: 1
            opportunity:
              udfs:
                Sales/Expected margin: Quote Margin
                sales / expected MARGIN: Margin Percent
        """),
        5,
        5,
        "data point 'sales / expected MARGIN' is listed twice (as 'Sales/Expected margin' too)",
        "keep one of them",
    ),
    Bad(
        "opportunity-udf-targeted-twice",
        y("""
            version: 1
            opportunity:
              udfs:
                Sales/Expected margin: Quote Margin
                Sales/Margin: quote margin
        """),
        5,
        19,
        "opportunity UDF 'quote margin' is targeted twice (also by 'Sales/Expected margin'); "
        "Salesbuildr maps each UDF once",
    ),
    Bad(
        "opportunity-udf-id-targeted-twice",
        y("""
            version: 1
            opportunity:
              udfs:
                Sales/Expected margin: {id: 29683001}
                Sales/Margin: {id: 29683001}
        """),
        5,
        19,
        "opportunity UDF '{id: 29683001}' is targeted twice (also by 'Sales/Expected margin')",
    ),
    Bad(
        "category-twice-case-insensitive",
        y("""
            version: 1
            billing_codes:
              categories:
                Hardware/Laptops: Hardware Sales
                HARDWARE/laptops: Software Licensing
        """),
        5,
        5,
        "category 'HARDWARE/laptops' is listed twice (as 'Hardware/Laptops' too); names are "
        "matched case-insensitively",
        "keep one of them",
    ),
    Bad(
        "company-type-twice-case-insensitive",
        y("""
            version: 1
            company_types:
              to_salesbuildr:
                Customer: Customer
                customer: Lead
        """),
        5,
        5,
        "company type 'customer' is listed twice (as 'Customer' too)",
        "keep one of them",
    ),
    Bad(
        "two-default-locations",
        y("""
            version: 1
            inventory:
              locations:
                Main Warehouse: {default: true}
                Service Van 1: {default: true}
        """),
        5,
        30,
        "'Service Van 1' is marked default, and so is 'Main Warehouse'; Autotask has one "
        "default inventory location",
    ),
    Bad(
        "inactive-default-location",
        y("""
            version: 1
            inventory:
              locations:
                Main Warehouse: {default: true, active: false}
        """),
        4,
        45,
        "'Main Warehouse' is the default location but inactive",
        "the default location must be active",
    ),
    Bad(
        "path-with-empty-level",
        y("""
            version: 1
            billing_codes:
              categories:
                Hardware//Laptops: Hardware Sales
        """),
        4,
        5,
        "'Hardware//Laptops' has an empty level (check for // or a leading/trailing /)",
        "levels are separated by /; write a literal slash as \\/",
    ),
    Bad(
        "path-with-trailing-slash",
        y("""
            version: 1
            product_import:
              roles:
                Engineer: Labor/
        """),
        4,
        15,
        "'Labor/' has an empty level",
        "write a literal slash as \\/",
    ),
    Bad(
        "path-with-stray-backslash",
        y("""
            version: 1
            opportunity:
              udfs:
                Sales\\Margin: Quote Margin
        """),
        4,
        5,
        "a backslash must be followed by / (a literal slash) or \\",
        "write a literal slash as \\/",
    ),
    Bad(
        "due-date-offset-negative",
        b"version: 1\npurchase_order:\n  due_date_offset_days: -1\n",
        3,
        25,
        "purchase_order.due_date_offset_days: must be at least 0, found -1",
    ),
    Bad(
        "due-date-offset-over-365",
        b"version: 1\npurchase_order:\n  due_date_offset_days: 366\n",
        3,
        25,
        "purchase_order.due_date_offset_days: must be at most 365, found 366",
    ),
    Bad(
        "max-change-fraction-over-1",
        b"version: 1\npolicy:\n  max_change_fraction: 1.5\n",
        3,
        24,
        "policy.max_change_fraction: must be at most 1",
    ),
    Bad(
        "max-change-fraction-negative",
        b"version: 1\npolicy:\n  max_change_fraction: -0.1\n",
        3,
        24,
        "policy.max_change_fraction: must be at least 0",
    ),
    Bad(
        "max-change-fraction-boolean",
        b"version: 1\npolicy:\n  max_change_fraction: true\n",
        3,
        24,
        "policy.max_change_fraction: expected a number, found the boolean true",
    ),
    Bad(
        "max-deletes-negative",
        b"version: 1\npolicy:\n  max_deletes: -1\n",
        3,
        16,
        "policy.max_deletes: must be at least 0, found -1",
    ),
]

CORPUS = LOADER_CASES + SCHEMA_CASES + LENGTH_AND_URL_CASES + RULE_CASES


def test_corpus_is_large_and_ids_are_unique() -> None:
    ids = [case.id for case in CORPUS]
    assert len(ids) == len(set(ids))
    assert len({case.content() for case in CORPUS}) == len(CORPUS), "two cases share a document"
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CORPUS])
def test_bad_document_is_refused_with_location_message_and_hint(case: Bad, workdir: Path) -> None:
    (workdir / FILE).write_bytes(case.content())

    result = run(["validate", FILE], env=case.env)

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    printed = blocks(result.stderr)
    assert all(block.severity == "error" for block in printed)
    assert len(printed) == case.errors, result.stderr
    where = location(case.line, case.column)
    matching = [block for block in printed if block.where == where]
    assert matching, f"no diagnostic at {where}:\n{result.stderr}"
    block = matching[0]
    assert case.message in block.message, result.stderr
    hints = [line for line in block.text.splitlines() if line.startswith("  hint: ")]
    if case.hint is None:
        assert hints == [], block.text
    else:
        assert len(hints) == 1, block.text
        assert case.hint in hints[0]
    noun = "error" if case.errors == 1 else "errors"
    assert f"\n{case.errors} {noun} in {FILE}" in "\n" + result.stderr


def test_caret_points_at_the_column(workdir: Path) -> None:
    (workdir / FILE).write_bytes(b"version: 1\npolicy:\n  max_deletes: many\n")

    result = run(["validate", FILE])

    lines = result.stderr.splitlines()
    assert lines[1] == "    3 |   max_deletes: many"
    assert lines[2].index("^") == lines[1].index("many")


def test_caret_under_a_tab(workdir: Path) -> None:
    (workdir / FILE).write_bytes(b"version: 1\npolicy:\n \tmax_deletes: 3\n")

    result = run(["validate", FILE])

    lines = result.stderr.splitlines()
    assert lines[0] == f"{FILE}:3:2: error: tab character in indentation"
    assert lines[1] == "    3 |   max_deletes: 3"
    assert lines[2] == "      |  ^"


def test_caret_on_the_first_line_of_a_file_with_a_byte_order_mark(workdir: Path) -> None:
    (workdir / FILE).write_bytes(b"\xef\xbb\xbfversion: 3\n")

    result = run(["validate", FILE])

    lines = result.stderr.splitlines()
    assert (
        lines[0]
        == f"{FILE}:1:10: error: unsupported version 3; this reconcile understands version 1"
    )
    assert lines[1:3] == ["    1 | version: 3", "      |          ^"]


def test_no_source_line_for_very_long_lines(workdir: Path) -> None:
    (workdir / FILE).write_text(f"version: 1\nsalesbuildr:\n  url: http://{'a' * 200}.example/\n")

    result = run(["validate", FILE])

    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{FILE}:3:8: error: salesbuildr.url: ")
    assert lines[1] == f"1 error in {FILE}"


# --------------------------------------------------------------------------------------------
# Documents that must be accepted
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/public-api",
        "http://127.8.9.10/public-api",
        "http://localhost:8080/public-api",
        "http://LOCALHOST/public-api",
        "http://[::1]:8080/public-api",
        "https://acme.salesbuildr.com/public-api",
    ],
)
def test_https_or_loopback_urls_are_accepted(url: str, workdir: Path) -> None:
    (workdir / FILE).write_text(f"version: 1\nsalesbuildr:\n  url: '{url}'\n")

    result = run(["validate", FILE])

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{FILE}: valid, 0 section(s) managed\n"
    assert result.stderr == ""


def test_limits_are_inclusive(workdir: Path) -> None:
    name = "n" * 50
    (workdir / FILE).write_text(
        textwrap.dedent(f"""\
            version: 1
            salesbuildr:
              url: https://acme.example/{"u" * 479}
            policy:
              max_change_fraction: 1
              max_deletes: 0
            purchase_order:
              due_date_offset_days: 365
            webhook_receiver:
              secret: ${{env:RT_SECRET}}
            webhooks:
              {name}:
                entity: ticket_note
                fields: [Title]
                notification_email: {"a" * 137}@acme.example
              other:
                entity: ticket
                url: https://monitor.acme.example/autotask
                secret: {"s" * 64}
                udf_fields: [Contract Tier]
        """)
    )

    result = run(["validate", FILE])

    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"{FILE}: valid, 3 section(s) managed (purchase_order, webhook_receiver, webhooks), "
        "2 webhook(s), 1 warning(s)\n"
    )
    assert "a secret is written literally in the file" in result.stderr


def test_zero_is_a_valid_due_date_offset_and_fraction(workdir: Path) -> None:
    (workdir / FILE).write_bytes(
        b"version: 1\npolicy: {max_change_fraction: 0}\npurchase_order:\n"
        b"  due_date_offset_days: 0\n"
    )

    assert run(["validate", FILE]).exit_code == 0


def test_same_name_on_two_entities_is_fine(workdir: Path) -> None:
    (workdir / FILE).write_bytes(
        y("""
            version: 1
            webhook_receiver: {secret: "${env:RT_SECRET}"}
            webhooks:
              sb-companies:
                entity: company
                fields: [CompanyName]
              sb-companies-tickets:
                name: sb-companies
                entity: ticket
                fields: [Status]
        """)
    )

    result = run(["validate", FILE])

    assert result.exit_code == 0, result.stderr
    assert "2 webhook(s)" in result.stdout


def test_literal_secret_is_a_warning_not_an_error(workdir: Path) -> None:
    (workdir / FILE).write_bytes(b"version: 1\nwebhook_receiver:\n  secret: hunter2-literal\n")

    result = run(["validate", FILE])

    assert result.exit_code == 0
    assert result.stdout == (
        f"{FILE}: valid, 1 section(s) managed (webhook_receiver), 1 warning(s)\n"
    )
    [warning] = blocks(result.stderr)
    assert (warning.where, warning.severity) == (f"{FILE}:3:11", "warning")
    assert warning.text.startswith(f"{FILE}:3:11: warning[literal_secret]: ")
    assert warning.message == "a secret is written literally in the file"
    assert "hunter2-literal" not in result.stdout


# --------------------------------------------------------------------------------------------
# Environment: ${env:NAME:-default}, .env, real variables win
# --------------------------------------------------------------------------------------------

URL_FROM_ENV = b"version: 1\nsalesbuildr:\n  url: ${env:RT_URL}\n"


def test_env_default_is_used_when_unset(workdir: Path) -> None:
    (workdir / FILE).write_bytes(
        b"version: 1\nsalesbuildr:\n  url: ${env:RT_UNSET:-https://acme.example/public-api}\n"
    )

    result = run(["validate", FILE])

    assert result.exit_code == 0, result.stderr


def test_env_value_beats_its_default(workdir: Path) -> None:
    (workdir / FILE).write_bytes(
        b"version: 1\nsalesbuildr:\n  url: ${env:RT_URL:-https://acme.example/public-api}\n"
    )

    result = run(["validate", FILE], env={"RT_URL": "http://evil.example/"})

    assert result.exit_code == 1
    assert "'http://evil.example/' uses http:// on a non-loopback host" in result.stderr


def test_dotenv_in_working_directory_is_read(workdir: Path) -> None:
    (workdir / FILE).write_bytes(URL_FROM_ENV)
    (workdir / ".env").write_text(
        "# local settings\nexport RT_URL='https://from-dotenv.example/api'\n"
    )

    result = run(["validate", FILE])

    assert result.exit_code == 0, result.stderr


def test_dotenv_value_is_checked_like_any_other(workdir: Path) -> None:
    (workdir / FILE).write_bytes(URL_FROM_ENV)
    (workdir / ".env").write_text("RT_URL=http://from-dotenv.example/api\n")

    result = run(["validate", FILE])

    assert result.exit_code == 1
    [block] = blocks(result.stderr)
    assert block.where == f"{FILE}:3:8"
    assert "'http://from-dotenv.example/api' uses http://" in block.message


def test_real_environment_wins_over_dotenv(workdir: Path) -> None:
    (workdir / FILE).write_bytes(URL_FROM_ENV)
    (workdir / ".env").write_text("RT_URL=http://from-dotenv.example/api\n")

    result = run(["validate", FILE], env={"RT_URL": "https://from-env.example/api"})

    assert result.exit_code == 0, result.stderr


# --------------------------------------------------------------------------------------------
# Several problems at once
# --------------------------------------------------------------------------------------------


def assert_reported(result: Result, expected: list[tuple[str, str]]) -> None:
    assert result.exit_code == 1
    printed = [(block.where, block.message) for block in blocks(result.stderr)]
    assert len(printed) == len(expected), result.stderr
    for (where, message), (got_where, got_message) in zip(expected, printed, strict=True):
        assert got_where == f"{FILE}:{where}"
        assert message in got_message
    assert f"{len(expected)} errors in {FILE}" in result.stderr


def test_every_schema_error_is_reported_at_once(workdir: Path) -> None:
    (workdir / FILE).write_bytes(
        y("""
            version: 1
            policy:
              max_deletes: -1
              max_change_fraction: 2
              max_deltes: 3
            product_import:
              mpn_enrichment: foo
            purchase_order:
              due_date_offset_days: 400
        """)
    )

    assert_reported(
        run(["validate", FILE]),
        [
            ("3:16", "policy.max_deletes: must be at least 0"),
            ("4:24", "policy.max_change_fraction: must be at most 1"),
            ("5:3", "unknown key 'max_deltes' in policy"),
            ("7:19", "product_import.mpn_enrichment: the text 'foo' is not allowed"),
            ("9:25", "purchase_order.due_date_offset_days: must be at most 365"),
        ],
    )


def test_every_rule_error_is_reported_at_once_in_file_order(workdir: Path) -> None:
    (workdir / FILE).write_bytes(
        y("""
            version: 1
            inventory:
              locations:
                Main Warehouse: {default: true}
                Service Van 1: {default: true}
            opportunity:
              udfs:
                Sales/Expected margin: Quote Margin
                Sales/Margin: Quote Margin
            webhooks:
              monitoring:
                entity: ticket_note
                url: https://monitor.acme.example/autotask
                udf_fields: [Contract Tier]
        """)
    )

    assert_reported(
        run(["validate", FILE]),
        [
            ("5:30", "'Service Van 1' is marked default"),
            ("9:19", "opportunity UDF 'Quote Margin' is targeted twice"),
            ("14:5", "ticket_note webhooks have no UDF fields"),
        ],
    )


def test_every_loading_error_is_reported_at_once(workdir: Path) -> None:
    (workdir / FILE).write_bytes(
        y("""
            version: 1
            webhook_receiver:
              secret: ${env:RT_UNSET}
            version: 1
            purchase_order:
              <<: {queue: Post Sale}
              queue: ${env:RT_URL}
        """)
    )

    assert_reported(
        run(["validate", FILE]),
        [
            ("3:11", "environment variable RT_UNSET is not set"),
            ("4:1", "duplicate key 'version' (first defined at line 1)"),
            ("6:3", "merge keys (<<) are not supported"),
            ("7:10", "purchase_order.queue: ${env:...} may stand only in secret fields"),
        ],
    )


# --------------------------------------------------------------------------------------------
# The example, files that are not documents, and the command line itself
# --------------------------------------------------------------------------------------------


@pytest.fixture
def example(workdir: Path) -> str:
    """examples/mappings.yaml copied into the (empty) working directory."""
    (workdir / "examples").mkdir()
    shutil.copy(EXAMPLE, workdir / "examples" / "mappings.yaml")
    return "examples/mappings.yaml"


def test_example_is_valid_with_one_line_summary(example: str) -> None:
    result = run(["validate", example], env={"SALESBUILDR_WEBHOOK_SECRET": "example-secret"})

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "examples/mappings.yaml: valid, 9 section(s) managed (billing_codes, company_types, "
        "company_udfs, product_import, inventory, opportunity, purchase_order, webhook_receiver, "
        "webhooks), 2 webhook(s)\n"
    )


def test_example_without_its_secret_names_the_variable_and_line(example: str) -> None:
    text = EXAMPLE.read_text()
    reference = "${env:SALESBUILDR_WEBHOOK_SECRET}"
    [(line, column)] = [
        (number, row.index(reference) + 1)
        for number, row in enumerate(text.splitlines(), start=1)
        if reference in row
    ]

    result = run(["validate", example])

    assert result.exit_code == 1
    assert result.stdout == ""
    [block] = blocks(result.stderr)
    assert block.where == f"examples/mappings.yaml:{line}:{column}"
    assert block.message == "environment variable SALESBUILDR_WEBHOOK_SECRET is not set"
    assert "hint: export SALESBUILDR_WEBHOOK_SECRET=..." in block.text


def test_default_file_is_mappings_yaml(workdir: Path) -> None:
    (workdir / FILE).write_bytes(b"version: 1\n")

    result = run(["validate"])

    assert result.exit_code == 0
    assert result.stdout == f"{FILE}: valid, 0 section(s) managed\n"


def test_missing_file(workdir: Path) -> None:
    result = run(["validate", "nope.yaml"])

    assert result.exit_code == 1
    [block] = blocks(result.stderr)
    assert (block.where, block.message) == ("nope.yaml", "no such file: nope.yaml")
    assert "hint: pass the path of your mappings file" in result.stderr


def test_directory_as_file(workdir: Path) -> None:
    (workdir / "conf").mkdir()

    result = run(["validate", "conf"])

    assert result.exit_code == 1
    assert "'conf' is a directory" in result.stderr
    assert result.stdout == ""


def test_debug_shows_a_traceback_for_a_config_error(workdir: Path) -> None:
    (workdir / FILE).write_bytes(b"version: 2\n")

    plain = CliRunner().invoke(cli, ["validate", FILE])
    debug = CliRunner().invoke(cli, ["--debug", "validate", FILE])

    assert plain.exit_code == debug.exit_code == 1
    assert "Traceback" not in plain.output
    assert "Traceback (most recent call last)" in debug.stderr
    assert "reconciler.errors.ConfigError" in debug.stderr
    assert f"{FILE}:1:10: error: unsupported version 2" in debug.stderr


def test_help() -> None:
    top = run(["--help"])
    sub = run(["validate", "--help"])

    assert top.exit_code == 0
    assert "validate" in top.stdout
    assert "schema" in top.stdout
    assert sub.exit_code == 0
    assert "Usage: " in sub.stdout
    assert "Check FILE offline" in sub.stdout


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["validate", "--bogus"], ["no-such-command"], ["validate", "a", "b"]],
    ids=["group-option", "command-option", "command", "extra-argument"],
)
def test_bad_usage_exits_1_not_2(args: list[str]) -> None:
    result = run(args)

    assert result.exit_code == 1
    assert "Error:" in result.stderr
    assert result.stdout == ""


def test_schema_command_prints_the_committed_schema(workdir: Path) -> None:
    printed = run(["schema"])
    written = run(["schema", "--out", "out/schema.json"])

    assert printed.exit_code == written.exit_code == 0
    assert printed.stdout == mappings_schema_text()
    assert (workdir / "out" / "schema.json").read_text() == mappings_schema_text()
    assert "wrote out/schema.json" in written.stderr
