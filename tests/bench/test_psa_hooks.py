"""Every registered PSA's bench hooks (``Psa.bench``) name what exists, and the bench takes each
PSA's limits from them (bench/psa_specs.py), not from a table of its own."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from bench import __main__ as bench_main
from bench import psa_applies, psa_plans, psa_specs, workloads
from reconciler.psa import registry

NAMES = registry.names()
LISTING_BOUNDED = [n for n in NAMES if registry.get(n).bench.spec]


def test_every_psa_has_a_bench() -> None:
    assert {"autotask", "connectwise", "halopsa"} <= set(NAMES)
    for name in NAMES:
        bench = registry.get(name).bench
        assert bench.read_floor and bench.write_floor, name


@pytest.mark.parametrize("name", NAMES)
def test_every_hook_resolves_to_a_function(name: str) -> None:
    bench = registry.get(name).bench
    for hook in ("read_floor", "write_floor", "spec"):
        if getattr(bench, hook):
            assert callable(psa_specs.hook(name, hook)), (name, hook)


@pytest.mark.parametrize("name", LISTING_BOUNDED)
def test_a_listing_bounded_psa_places_every_kind_it_writes(name: str) -> None:
    """Its spec is its own; every kind it owns has the listing a stale check re-reads, every
    Salesbuildr section of its pages the document a PUT writes."""
    spec = psa_specs.spec_of(name)
    assert spec.psa == name
    assert spec.paging in ("chain", "offset")
    assert spec.in_flight >= 1 and spec.rate[0] >= 1 and spec.rate[1] > 0
    assert psa_specs.hook(name, "read_floor") is psa_plans.bound
    assert psa_specs.hook(name, "write_floor") is psa_applies.write_floor
    for kind in registry.get(name).kinds():
        if kind.owner == name:
            assert kind.name in spec.collections, kind.name
        else:
            assert kind.section in spec.documents, kind.section


def test_connectwise_and_halopsa_are_bounded_from_their_listings() -> None:
    assert {"connectwise", "halopsa"} <= set(LISTING_BOUNDED)
    assert "autotask" not in LISTING_BOUNDED  # its bound is the YAML-driven one (bench.bounds)


def test_a_hook_that_names_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="module:function"):
        psa_specs.resolve("bench.psa_specs")
    with pytest.raises(AttributeError):
        psa_specs.resolve("bench.psa_specs:no_such_spec")


def test_w7_to_w10_are_registered_and_run_by_default() -> None:
    for name in ("W7", "W8", "W9", "W10"):
        assert name in workloads.WORKLOADS
    args = bench_main._parse([])
    assert args.chosen == list(workloads.WORKLOADS)
    assert bench_main._parse(["--only", "w9,W10"]).chosen == ["W9", "W10"]


def _model_of(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("name", LISTING_BOUNDED)
def test_a_scoped_collection_names_a_field_of_the_psa_document(name: str) -> None:
    """``scoped`` (the parents whose children a run needs) is a path of the PSA's YAML model."""
    document = registry.get(name).document
    assert document is not None
    for yaml_path in psa_specs.spec_of(name).scoped.values():
        model: type[BaseModel] | None = document()
        *parents, last = yaml_path.split(".")
        for part in parents:
            assert model is not None and part in model.model_fields, (name, yaml_path)
            model = _model_of(model.model_fields[part].annotation)
        assert model is not None and last in model.model_fields, (name, yaml_path)
