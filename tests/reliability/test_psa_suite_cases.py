"""The per-PSA suites take their PSAs from the plugins (``Psa.fixtures``), and each case's data
fits its PSA: a PSA with a simulator cannot drop out of the suites unnoticed, and a case cannot
name a section, variable or live name its PSA does not have. Offline and fast."""

from __future__ import annotations

import pytest
import yaml

from reconciler.psa import registry
from reconciler.psa.base import Psa
from tests.psa_suites import CASES, resolve
from tests.reliability.psa_case import PsaCase

PSAS = sorted(registry.installed().values(), key=lambda p: p.name)


def test_every_psa_with_a_simulator_is_in_the_suites_by_its_plugin() -> None:
    with_simulator = {p.name for p in PSAS if p.simulator is not None}
    assert with_simulator <= {case.name for case in CASES}, with_simulator
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("psa", [p for p in PSAS if p.fixtures.suite_case], ids=lambda p: p.name)
def test_the_plugins_fixtures_name_what_exists(psa: Psa) -> None:
    fixtures = psa.fixtures
    assert isinstance(resolve(fixtures.suite_case), PsaCase)
    assert callable(resolve(fixtures.sandbox_factory))
    hostile = tuple(resolve(fixtures.hostile_inputs))
    assert hostile and all(isinstance(name, str) and name for name in hostile)
    assert psa.simulator is not None


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_case_fits_its_psa(case: PsaCase) -> None:
    psa = registry.get(case.name)
    assert case.example.is_file(), case.example
    text = case.example.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    assert document.get("psa", "autotask") == case.name
    assert case.section in psa.sections() and document.get(case.section), case.section
    assert (document.get("policy", {}).get("manage") or {}).get(case.section) == "full"
    assert set(case.url_variables) <= set(psa.env_vars), case.url_variables
    if case.client_cap_variable:  # lifted for every test that is not about it
        assert case.client_cap_variable in case.fast, case.fast
    key, value = case.live_name
    assert f"{key}: {value}" in text, case.live_name
    assert len(case.secrets) >= 2 and len(set(case.secrets)) == len(case.secrets)
    credentials = case.credentials()
    assert credentials.salesbuildr_api_key in case.secrets
    assert credentials.salesbuildr_webhook_secret in case.secrets
    assert case.hostile and case.max_name > 0
