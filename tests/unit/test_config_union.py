"""The config union (#20 item 4): `psa` picks the PSA's document, Autotask by default; a section
or policy key of another PSA is named as such, located; an unknown `psa` gets a did-you-mean."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from reconciler.config import models, parse_config, parse_document, union
from reconciler.config.common import COMMON_POLICY_KEYS, PsaDocument
from reconciler.config.models import Config
from reconciler.errors import ConfigError, Diagnostic, UsageError
from reconciler.psa import registry
from reconciler.psa.autotask import psa as autotask_psa
from reconciler.psa.base import Psa
from reconciler.psa.connectwise.config import ConnectWiseConfig
from reconciler.psa.halopsa.config import HaloConfig
from reconciler.state import ManageMode

REPO = Path(__file__).resolve().parents[2]


def errors_of(document: str, environ: dict[str, str] | None = None) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as raised:
        parse_document(textwrap.dedent(document).encode(), file="m.yaml", environ=environ or {})
    return raised.value.diagnostics


def test_the_three_psas_are_registered_with_their_documents() -> None:
    assert registry.names() == ("autotask", "connectwise", "halopsa")
    assert union.documents() == {
        "autotask": Config,
        "connectwise": ConnectWiseConfig,
        "halopsa": HaloConfig,
    }
    assert [registry.get(name).title for name in registry.names()] == [
        "Autotask",
        "ConnectWise Manage",
        "HaloPSA",
    ]


@pytest.mark.parametrize(
    ("document", "model"),
    [
        ("version: 1\n", Config),
        ("version: 1\npsa: autotask\n", Config),
        ("version: 1\npsa: connectwise\n", ConnectWiseConfig),
        ("version: 1\npsa: halopsa\n", HaloConfig),
    ],
)
def test_the_discriminator_picks_the_member_autotask_by_default(
    document: str, model: type[PsaDocument]
) -> None:
    assert type(union.adapter().validate_python({"version": 1} | _psa(document))) is model
    assert type(parse_document(document.encode(), file="m.yaml", environ={}).document) is model


def _psa(document: str) -> dict[str, str]:
    return {"psa": document.split("psa: ")[1].strip()} if "psa:" in document else {}


def test_an_explicit_psa_autotask_reads_as_the_implicit_one() -> None:
    body = "webhook_receiver: {secret: s}\nwebhooks: {a: {entity: company, fields: [X]}}\n"
    implicit = parse_config(("version: 1\n" + body).encode(), file="m.yaml", environ={})
    explicit = parse_config(
        ("version: 1\npsa: autotask\n" + body).encode(), file="m.yaml", environ={}
    )

    assert implicit.config == explicit.config
    assert implicit.config.psa == "autotask"


def test_a_section_of_another_psa_names_that_psa_where_it_stands() -> None:
    found = errors_of("""\
        version: 1
        billing_codes: {}
        callbacks:
          Salesbuildr companies: {type: company}
    """)

    assert [(d.line, d.column, d.message) for d in found] == [
        (3, 1, "callbacks is a ConnectWise Manage section; this file is psa: autotask")
    ]
    assert found[0].file == "m.yaml"
    assert found[0].hint is not None and "psa:" in found[0].hint


def test_a_section_two_other_psas_have_names_both() -> None:
    found = errors_of("version: 1\npsa: halopsa\ninventory: {}\ncategories: {}\n")

    assert [d.message for d in found] == [
        "inventory is an Autotask and ConnectWise Manage section; this file is psa: halopsa",
        "categories is a ConnectWise Manage section; this file is psa: halopsa",
    ]


def test_an_unknown_key_of_no_psa_is_still_an_unknown_key() -> None:
    found = errors_of("version: 1\npsa: connectwise\ncalbacks: {}\n")

    assert found[0].message == "unknown key 'calbacks' at the top level"
    assert found[0].hint == "did you mean 'callbacks'?"


def test_the_autotask_policy_key_is_autotasks() -> None:
    document = "version: 1\n{psa}policy:\n  min_remaining_autotask_requests: 500\n"
    autotask = parse_config(document.format(psa="").encode(), file="m.yaml", environ={})

    assert autotask.config.policy.min_remaining_autotask_requests == 500
    for other in ("connectwise", "halopsa"):
        found = errors_of(document.format(psa=f"psa: {other}\n"))
        assert [(d.line, d.column, d.message) for d in found] == [
            (
                4,
                3,
                "policy.min_remaining_autotask_requests is an Autotask policy key; "
                f"this file is psa: {other}",
            )
        ]


@pytest.mark.parametrize("name", registry.names())
def test_a_psas_policy_keys_are_those_its_policy_adds_to_the_common_ones(name: str) -> None:
    policy = union.documents()[name].model_fields["policy"].annotation
    assert isinstance(policy, type) and issubclass(policy, BaseModel)

    assert set(policy.model_fields) - COMMON_POLICY_KEYS == set(registry.get(name).policy_keys)


def test_an_unknown_psa_gets_a_did_you_mean_at_its_value() -> None:
    found = errors_of("version: 1\npsa: conectwise\nbilling_codes: {}\n")

    assert [(d.line, d.column) for d in found] == [(2, 6)]
    assert found[0].message == (
        "psa: unknown PSA 'conectwise'; expected one of: autotask, connectwise, halopsa"
    )
    assert found[0].hint == "did you mean 'connectwise'?"


def test_a_psa_that_is_not_a_name_is_refused() -> None:
    found = errors_of("version: 1\npsa: [autotask]\n")

    assert found[0].message == "psa: expected the name of a PSA, found a list"


def test_references_may_stand_only_where_the_files_psa_allows() -> None:
    autotask = "version: 1\nautotask: {url: '${env:AT_URL}'}\n"
    assert parse_config(autotask.encode(), file="m.yaml", environ={"AT_URL": "https://x.example"})

    found = errors_of(
        "version: 1\npsa: halopsa\nwebhooks:\n  A: {events: [ticket_updated], url: '${env:U}'}\n",
        {"U": "https://x.example"},
    )
    assert any("may stand only in secret fields and connection urls" in d.message for d in found)
    unknown = errors_of("version: 1\npsa: nope\nx: '${env:U}'\n", {"U": "u"})
    assert any(d.message.startswith("psa: unknown PSA 'nope'") for d in unknown)
    assert any("${env:...} may stand only" in d.message for d in unknown)


def test_manage_mode_is_one_enum_for_every_psa() -> None:
    assert models.ManageMode is ManageMode
    for model in union.documents().values():
        policy = model.model_fields["policy"].annotation
        assert isinstance(policy, type) and issubclass(policy, BaseModel)
        assert policy.model_fields["manage"].annotation.__args__[1] is ManageMode


def test_the_engine_takes_the_files_of_a_psa_with_a_run_side(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = dataclasses.replace(FAKE, system=lambda: None)  # type: ignore[arg-type,return-value]
    psas = {"autotask": autotask_psa(), "fakepsa": running}
    monkeypatch.setattr(registry, "installed", lambda: psas)
    loaded = parse_document(b"version: 1\npsa: fakepsa\n", file="m.yaml", environ={})
    assert loaded.for_engine().config is loaded.document


def test_the_engine_refuses_a_language_only_psa_cleanly(with_fake: None) -> None:
    document = "version: 1\npsa: fakepsa\n"
    loaded = parse_document(document.encode(), file="m.yaml", environ={})

    with pytest.raises(UsageError) as raised:
        loaded.for_engine()
    assert raised.value.exit_code == 1
    assert str(raised.value) == "FakePSA (psa: fakepsa) has no engine for this command yet"
    with pytest.raises(UsageError):
        parse_config(document.encode(), file="m.yaml", environ={})


# --- a PSA package that declares only its sections --------------------------------------------


class Widgets(BaseModel):
    """A page of the fake PSA."""

    colour: str = Field(description="Its colour.", examples=["red"])


FAKE = Psa(
    name="fakepsa",
    title="FakePSA",
    env_vars=(),
    sections=lambda: {"widgets": Widgets},
    kinds=tuple,
)


@pytest.fixture
def with_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    psas = {"autotask": autotask_psa(), "fakepsa": FAKE}
    monkeypatch.setattr(registry, "installed", lambda: psas)
    yield


def test_a_psa_without_a_document_gets_one_from_its_sections(with_fake: None) -> None:
    loaded = parse_document(
        b"version: 1\npsa: fakepsa\nwidgets: {colour: red}\n", file="m.yaml", environ={}
    )

    assert loaded.document.present_sections() == ["widgets"]
    assert loaded.document.manage_mode("widgets") is ManageMode.ADDITIVE
    found = errors_of("version: 1\npsa: fakepsa\nwebhooks: {}\n")
    assert found[0].message == "webhooks is an Autotask section; this file is psa: fakepsa"
    found = errors_of("version: 1\nwidgets: {}\n")
    assert found[0].message == "widgets is a FakePSA section; this file is psa: autotask"
