"""The positional YAML loader, ${env:...} interpolation, secrets in memory, and .env files."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from reconciler.config import load_config, parse_config
from reconciler.config.env import read_dotenv, run_environment
from reconciler.config.loader import (
    MAX_DEPTH,
    Position,
    SourceDocument,
    TemplateStr,
    load_bytes,
)
from reconciler.config.types import SecretValue
from reconciler.envvars import MAX_DOCUMENT_BYTES
from reconciler.errors import ConfigError, Diagnostic

DOCUMENT = textwrap.dedent("""\
    version: 1
    billing_codes:
      default: Hardware Sales
      categories:
        Hardware/Laptops: {id: 29683}
    webhooks:
      sb-companies:
        entity: company
        fields: [CompanyName, Phone]
""").encode()


def load(raw: bytes, **environ: str) -> SourceDocument:
    return load_bytes(raw, file="m.yaml", environ=environ)


def refused(raw: bytes, **environ: str) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as raised:
        load(raw, **environ)
    return raised.value.diagnostics


# --------------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------------


def test_data_is_plain_python() -> None:
    source = load(DOCUMENT)

    assert source.file == "m.yaml"
    assert source.text == DOCUMENT.decode()
    assert source.data == {
        "version": 1,
        "billing_codes": {
            "default": "Hardware Sales",
            "categories": {"Hardware/Laptops": {"id": 29683}},
        },
        "webhooks": {"sb-companies": {"entity": "company", "fields": ["CompanyName", "Phone"]}},
    }


@pytest.mark.parametrize(
    ("path", "key_at", "value_at"),
    [
        (("version",), (1, 1), (1, 10)),
        (("billing_codes",), (2, 1), (3, 3)),
        (("billing_codes", "default"), (3, 3), (3, 12)),
        (("billing_codes", "categories", "Hardware/Laptops"), (5, 5), (5, 23)),
        (("billing_codes", "categories", "Hardware/Laptops", "id"), (5, 24), (5, 28)),
        (("webhooks", "sb-companies", "fields"), (9, 5), (9, 13)),
    ],
)
def test_positions_of_keys_and_values(
    path: tuple[str, ...], key_at: tuple[int, int], value_at: tuple[int, int]
) -> None:
    source = load(DOCUMENT)

    assert source.key_positions[path] == Position(*key_at)
    assert source.value_positions[path] == Position(*value_at)
    assert source.locate(path, key=True) == Position(*key_at)
    assert source.locate(path) == Position(*value_at)


def test_positions_of_list_items() -> None:
    source = load(DOCUMENT)

    assert source.value_positions[("webhooks", "sb-companies", "fields", 0)] == Position(9, 14)
    assert source.value_positions[("webhooks", "sb-companies", "fields", 1)] == Position(9, 27)
    assert source.value_positions[()] == Position(1, 1)


def test_locate_falls_back_to_the_nearest_located_key() -> None:
    source = load(DOCUMENT)

    # A key the document does not have (e.g. a missing required one) points at its parent's key.
    assert source.locate(("webhooks", "sb-companies", "events")) == Position(7, 3)
    assert source.locate(("webhooks", "sb-companies", "events"), key=True) == Position(7, 3)
    assert source.locate(("nowhere", "at", "all")) == Position(1, 1)


def test_diagnostic_is_located() -> None:
    source = load(DOCUMENT)

    diagnostic = source.diagnostic(("billing_codes", "default"), "bad", hint="fix it")

    assert diagnostic == Diagnostic("bad", file="m.yaml", line=3, column=12, hint="fix it")
    assert diagnostic.render() == "m.yaml:3:12: bad (fix it)"


def test_keys_stay_text_as_written() -> None:
    source = load(b"version: 1\nbilling_codes:\n  categories:\n    2024: A\n    yes: B\n")

    assert list(source.data["billing_codes"]["categories"]) == ["2024", "yes"]


def test_byte_order_mark_is_accepted() -> None:
    assert load(b"\xef\xbb\xbfversion: 1\n").data == {"version": 1}


def test_anchors_and_aliases_are_fine_in_moderation() -> None:
    source = load(b"version: 1\na: &fields [CompanyName, Phone]\nb: *fields\n")

    assert source.data["b"] == ["CompanyName", "Phone"]


# --------------------------------------------------------------------------------------------
# What the loader refuses (the CLI corpus covers the messages; here: boundaries and collection)
# --------------------------------------------------------------------------------------------


def test_exactly_one_megabyte_is_accepted_one_byte_more_is_not() -> None:
    head = b"version: 1\n"
    at_limit = head + b"#" * (MAX_DOCUMENT_BYTES - len(head) - 1) + b"\n"
    assert len(at_limit) == MAX_DOCUMENT_BYTES

    assert load(at_limit).data == {"version": 1}
    [problem] = refused(at_limit + b"\n")
    assert problem.message.startswith("the document is 1,048,577 bytes")
    assert (problem.file, problem.line) == ("m.yaml", 0)


def nested(levels: int) -> bytes:
    """A document whose deepest collection is at `levels` (the root mapping is level 1)."""
    inner = levels - 1
    return b"version: 1\nx: " + b"[" * inner + b"]" * inner + b"\n"


def test_nesting_limit_is_inclusive() -> None:
    assert load(nested(MAX_DEPTH)).data["x"] is not None
    [problem] = refused(nested(MAX_DEPTH + 1))
    assert problem.message == f"nesting deeper than {MAX_DEPTH} levels"


def test_alias_bomb_is_caught_at_the_alias_that_crosses_the_limit() -> None:
    rows = ["version: 1", "a: &a [" + ", ".join(["x"] * 100) + "]"]
    rows += ["b: &b [" + ", ".join(["*a"] * 100) + "]"]
    rows += ["c: [" + ", ".join(["*b"] * 100) + "]"]

    [problem] = refused(("\n".join(rows) + "\n").encode())

    # Keys count too. Before c's list: 10,207 values (a is 101, b is 1 + 100 * 101 = 10,101);
    # c's key and list make 10,209, and each *b adds 10,101: the 9th passes 100,000.
    assert problem.line == 4
    assert problem.column == len("c: [") + 1 + 8 * len("*b, ")
    assert problem.message == "the document expands to more than 100,000 values"


def test_loader_problems_are_collected_not_stopped_at_the_first() -> None:
    problems = refused(
        b"version: 1\nversion: 2\nx:\n  a: ${env:RT_A}\n  b: ${env:RT_B}\n  a: 3\n",
    )

    assert [(p.line, p.column) for p in problems] == [(2, 1), (4, 6), (5, 6), (6, 3)]
    assert [p.message for p in problems] == [
        "duplicate key 'version' (first defined at line 1)",
        "environment variable RT_A is not set",
        "environment variable RT_B is not set",
        "duplicate key 'a' (first defined at line 4)",
    ]


def test_every_tab_is_reported() -> None:
    problems = refused(b"version: 1\npolicy:\n\tmax_deletes: 1\n\tmax_change_fraction: 1\n")

    assert [(p.line, p.column) for p in problems] == [(3, 1), (4, 1)]


# --------------------------------------------------------------------------------------------
# ${env:NAME} interpolation
# --------------------------------------------------------------------------------------------


def test_interpolated_value_keeps_its_template() -> None:
    source = load(b"version: 1\nsecret: ${env:RT_SECRET}\n", RT_SECRET="hunter2")

    value = source.data["secret"]
    assert isinstance(value, TemplateStr)
    assert value == "hunter2"
    assert value.template == "${env:RT_SECRET}"


def test_interpolation_inside_text_and_defaults() -> None:
    source = load(
        b"version: 1\n"
        b"url: https://${env:RT_HOST}/api/${env:RT_VERSION:-v1}\n"
        b"empty_default: ${env:RT_NONE:-}\n",
        RT_HOST="acme.example",
    )

    assert source.data["url"] == "https://acme.example/api/v1"
    assert source.data["url"].template == "https://${env:RT_HOST}/api/${env:RT_VERSION:-v1}"
    assert source.data["empty_default"] == ""
    assert source.data["empty_default"].template == "${env:RT_NONE:-}"


def test_environment_beats_default() -> None:
    source = load(b"version: 1\nx: ${env:RT_X:-fallback}\n", RT_X="real")

    assert source.data["x"] == "real"


def test_text_without_a_reference_is_a_plain_str() -> None:
    source = load(b"version: 1\nprice: $5 off\nother: '${not-env}'\n")

    assert type(source.data["price"]) is str
    assert type(source.data["other"]) is str


def test_keys_are_not_interpolated() -> None:
    source = load(b"version: 1\n${env:RT_X}: 1\n", RT_X="y")

    assert "${env:RT_X}" in source.data


def test_unset_variable_is_named_with_its_location() -> None:
    [problem] = refused(b"version: 1\nwebhook_receiver:\n  secret: ${env:RT_GONE}\n")

    assert problem.render() == (
        "m.yaml:3:11: environment variable RT_GONE is not set (export RT_GONE=... (or put it in "
        ".env), or give a default: ${env:RT_GONE:-value})"
    )


# --------------------------------------------------------------------------------------------
# Secrets never show
# --------------------------------------------------------------------------------------------

SECRET_DOCUMENT = textwrap.dedent("""\
    version: 1
    webhook_receiver:
      secret: ${env:RT_SECRET}
    webhooks:
      monitoring:
        entity: ticket
        url: https://monitor.acme.example/autotask
        secret: literal-0123456789-secret
        fields: [Status]
""").encode()


def test_secret_values_never_show_in_repr_or_str_of_the_model() -> None:
    loaded = parse_config(
        SECRET_DOCUMENT, file="m.yaml", environ={"RT_SECRET": "hunter2-correct-horse"}
    )
    config = loaded.config

    for text in (repr(config), str(config), repr(config.webhooks), repr(config.model_dump())):
        assert "hunter2-correct-horse" not in text
        assert "literal-0123456789-secret" not in text
    assert config.webhook_receiver is not None
    receiver_secret = config.webhook_receiver.secret
    assert receiver_secret.get_secret_value() == "hunter2-correct-horse"
    assert receiver_secret.reference == "${env:RT_SECRET}"
    assert "**********" in repr(receiver_secret)
    assert config.webhooks is not None
    hook_secret = config.webhooks["monitoring"].secret
    assert hook_secret is not None
    assert hook_secret.reference is None
    assert hook_secret.get_secret_value() == "literal-0123456789-secret"


def test_secret_value_equality_and_hash_use_value_and_reference() -> None:
    a = SecretValue("x", "${env:A}")
    assert a == SecretValue("x", "${env:A}")
    assert hash(a) == hash(SecretValue("x", "${env:A}"))
    assert a != SecretValue("x", "${env:B}")
    assert a != SecretValue("y", "${env:A}")
    assert a.__eq__("x") is NotImplemented


# --------------------------------------------------------------------------------------------
# load_config: files
# --------------------------------------------------------------------------------------------


def test_load_config_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(b"version: 1\n")

    loaded = load_config(path, environ={})

    assert loaded.file == str(path)
    assert loaded.config.version == 1
    assert loaded.sha256 == hashlib.sha256(b"version: 1\n").hexdigest()
    assert loaded.warnings == []


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.yaml", "no such file: "), ("", " is a directory, not a file")],
    ids=["missing", "directory"],
)
def test_load_config_refuses_what_is_not_a_file(tmp_path: Path, name: str, message: str) -> None:
    target = tmp_path / name if name else tmp_path

    with pytest.raises(ConfigError) as raised:
        load_config(target, environ={})

    [problem] = raised.value.diagnostics
    assert message in problem.message
    assert problem.file == str(target)


# --------------------------------------------------------------------------------------------
# .env
# --------------------------------------------------------------------------------------------


def test_read_dotenv(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        textwrap.dedent("""\
            # a comment
            PLAIN=value
            export EXPORTED=two words
              INDENTED = spaced
            SINGLE='quoted # not a comment'
            DOUBLE="double"
            MISMATCHED='half"
            EMPTY=
            WITH_EQUALS=a=b
            not a variable line
            1BAD=x
            PLAIN2=${NOT_EXPANDED}
        """)
    )

    assert read_dotenv(path) == {
        "PLAIN": "value",
        "EXPORTED": "two words",
        "INDENTED": "spaced",
        "SINGLE": "quoted # not a comment",
        "DOUBLE": "double",
        "MISMATCHED": "'half\"",
        "EMPTY": "",
        "WITH_EQUALS": "a=b",
        "PLAIN2": "${NOT_EXPANDED}",
    }


def test_read_dotenv_later_lines_win(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\nA=2\n")

    assert read_dotenv(path) == {"A": "2"}


@pytest.mark.parametrize("kind", ["missing", "directory", "not-utf8"])
def test_read_dotenv_ignores_what_it_cannot_read(tmp_path: Path, kind: str) -> None:
    path = tmp_path / ".env"
    if kind == "directory":
        path.mkdir()
    elif kind == "not-utf8":
        path.write_bytes(b"A=caf\xe9\n")

    assert read_dotenv(path) == {}


def test_run_environment_real_variables_win(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=from-dotenv\nB=from-dotenv\n")

    merged = run_environment(tmp_path, {"B": "from-env", "C": "from-env"})

    assert merged == {"A": "from-dotenv", "B": "from-env", "C": "from-env"}


def test_run_environment_defaults_to_cwd_and_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("RT_DOTENV_ONLY=1\nRT_BOTH=dotenv\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RT_BOTH", "real")

    merged = run_environment()

    assert merged["RT_DOTENV_ONLY"] == "1"
    assert merged["RT_BOTH"] == "real"


def test_default_replaces_an_empty_variable_like_the_shell() -> None:
    from reconciler.config import parse_config  # noqa: PLC0415

    raw = (
        b"version: 1\nsalesbuildr:\n  url: ${env:SB_URL:-https://acme.salesbuildr.com/public-api}\n"
    )
    loaded = parse_config(raw, file="m.yaml", environ={"SB_URL": ""})
    assert loaded.config.salesbuildr is not None
    assert loaded.config.salesbuildr.url == "https://acme.salesbuildr.com/public-api"
    set_one = parse_config(raw, file="m.yaml", environ={"SB_URL": "https://x.example/public-api"})
    assert set_one.config.salesbuildr is not None
    assert set_one.config.salesbuildr.url == "https://x.example/public-api"
