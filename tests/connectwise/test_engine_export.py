"""Export -> plan = zero changes, against the simulators: after the example is applied, the live
settings read back through the engine's connections (every section, the callbacks whole) and
exported by the ConnectWise exporter form a file whose plan, through the CLI, is empty.

``reconcile export`` itself still reads the default PSA (its ``--section`` choices are
Autotask's): these tests drive the same read and the PSA's exporter directly."""

from __future__ import annotations

import yaml
from engine_support import Tenant

from reconciler import session
from reconciler.config import load_config
from reconciler.psa.connectwise.config import SECTIONS
from reconciler.psa.connectwise.export import export_sections


def test_an_export_of_the_applied_example_plans_to_zero(tenant: Tenant) -> None:
    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0
    loaded = load_config(tenant.workdir / "mappings.yaml", environ=tenant.env)
    with session.connect(loaded, tenant.env, sections=list(SECTIONS)) as connections:
        live = session.read_everything(connections, list(SECTIONS))
    exported = export_sections(live.state, live.catalog, SECTIONS)
    assert set(exported.sections) == set(SECTIONS)
    assert set(exported.sections["callbacks"]) == {
        "Salesbuildr companies",
        "Salesbuildr contacts",
        "Salesbuildr opportunities",
    }
    document = {"version": 1, "psa": "connectwise", **exported.sections}
    (tenant.workdir / "exported.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    replan = tenant.cli("plan", "exported.yaml", "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output
    assert "No changes." in replan.output


def test_an_export_of_a_fresh_tenant_plans_to_zero(tenant: Tenant) -> None:
    loaded = load_config(tenant.workdir / "mappings.yaml", environ=tenant.env)
    with session.connect(loaded, tenant.env, sections=list(SECTIONS)) as connections:
        live = session.read_everything(connections, list(SECTIONS))
    exported = export_sections(live.state, live.catalog, SECTIONS)
    document = {"version": 1, "psa": "connectwise", **exported.sections}
    (tenant.workdir / "exported.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    replan = tenant.cli("plan", "exported.yaml", "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output
