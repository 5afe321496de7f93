"""The HaloPSA language, pure: the example parses, every section becomes its kinds' resources."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.psa.halopsa.config import WEBHOOK_EVENTS, HaloWebhookEvent
from reconciler.psa.halopsa.desired import desired_resources, parse_halo
from reconciler.psa.halopsa.events import EVENT_NUMBERS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "halopsa" / "mappings.yaml"


def test_the_example_parses_into_every_section() -> None:
    loaded = parse_halo(EXAMPLE.read_bytes(), file="mappings.yaml", environ={})
    resources = desired_resources(loaded.config, loaded.source)
    assert {r.section for r in resources} == set(loaded.config.present_sections())
    assert len(loaded.config.present_sections()) == 6


def test_event_names_are_the_event_table() -> None:
    assert set(HaloWebhookEvent.__args__) == set(EVENT_NUMBERS) == set(WEBHOOK_EVENTS)  # type: ignore[attr-defined]


def test_two_fields_on_one_address_line_is_an_error() -> None:
    raw = b"version: 1\npsa: halopsa\ncompanies: {address_lines: {street: line1, city: line1}}\n"
    with pytest.raises(ConfigError) as caught:
        parse_halo(raw, file="m.yaml", environ={})
    assert "both go to Halo's line1" in str(caught.value.diagnostics[0].message)
