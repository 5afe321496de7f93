"""W4, the scale series: plans of growing tenants (webhooks, categories and mappings, billing
codes) and ``compute_plan`` alone up to a big tenant, with the fitted exponents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench import compute, measure
from bench.sim import Simulators
from bench.workloads import (
    BIG_TENANT,
    BIG_TENANT_CPU_S,
    BIG_TENANT_PEAK_MB,
    COMPUTE_TARGET_S,
    EXPONENT_TARGET,
    MAX_IN_FLIGHT,
    Options,
    check,
    plan_result,
)
from reconciler.errors import ConfigError


def _series_point(
    sims: Simulators,
    sections: Sequence[str],
    latency_ms: float,
    label: str,
    size: int,
) -> dict[str, Any]:
    sims.latency(0)
    sims.reset_stats()
    text, _ = measure.export(sims.env, sections)
    env = measure.secrets_for(text, sims.env)
    try:
        result = plan_result(
            sims,
            env,
            text,
            workload="W4",
            title=f"{label} {size}",
            latency_ms=latency_ms,
            extras=False,
        )
    except ConfigError as error:
        # Recorded, not raised: e.g. the loader refuses a YAML over 1 MB.
        result = {
            "workload": "W4",
            "title": f"{label} {size}",
            "error": "; ".join(d.message for d in error.diagnostics),
            "yaml_bytes": len(text.encode()),
        }
    result["series"] = label
    result["size"] = size
    return result


def w4(options: Options) -> dict[str, Any]:
    quick = options.quick
    sizes = {
        "webhooks": [10, 100] if quick else [10, 100, 500],
        "categories+mappings": [100, 1_000] if quick else [100, 1_000, 5_000, 15_000, 20_000],
        "billing codes": [100, 1_000] if quick else [100, 1_000, 5_000],
    }
    compute_sizes = (
        [100, 1_000, 2_000, 5_000] if quick else [100, 1_000, 5_000, 10_000, 20_000, BIG_TENANT]
    )
    points: list[dict[str, Any]] = []
    setups = (
        ("webhooks", "large", "webhooks", ["webhooks"]),
        ("categories+mappings", "large", "categories", ["billing_codes"]),
        ("billing codes", "empty", "billing_codes", ["billing_codes"]),
    )
    for label, seed, command, sections in setups:
        with Simulators(seed) as sims:
            for size in sizes[label]:
                options.progress(f"W4 {label} {size}")
                sims.latency(0)
                made = sims.call(command, size)
                point = _series_point(sims, sections, options.latency_ms, label, size)
                point["tenant"] = made
                points.append(point)
    compute_points = []
    for n in compute_sizes:
        options.progress(f"W4 compute_plan {n}")
        compute_points.append(compute.measure(n, repeat=5 if n <= 5_000 else 3))
    fitted = [p for p in compute_points if p.objects >= 1_000]
    cpu_exponent = compute.exponent([p.objects for p in fitted], [p.cpu_s for p in fitted])
    mem_exponent = compute.exponent([p.objects for p in fitted], [p.peak_mb for p in fitted])
    largest = compute_points[-1]
    at_20k = [p for p in compute_points if p.objects <= 20_000][-1]
    checks = [
        check("W4 compute_plan exponent", cpu_exponent, EXPONENT_TARGET),
        check(f"W4 compute_plan s at {at_20k.objects:,}", at_20k.cpu_s, COMPUTE_TARGET_S),
    ]
    for measured in compute_points:
        if measured.objects == BIG_TENANT:
            checks.append(
                check(f"W4 compute_plan CPU s at {BIG_TENANT:,}", measured.cpu_s, BIG_TENANT_CPU_S)
            )
            checks.append(
                check(
                    f"W4 compute_plan peak MB at {BIG_TENANT:,}",
                    measured.peak_mb,
                    BIG_TENANT_PEAK_MB,
                )
            )
    for point in points:
        if "error" in point:
            continue
        checks.append(
            check(
                f"W4 {point['title']} Autotask max in flight",
                point["max_in_flight"]["max"],
                MAX_IN_FLIGHT,
            )
        )
    return {
        "workload": "W4",
        "title": "scale series",
        "latency_ms": options.latency_ms,
        "points": points,
        "compute_plan": {
            "objects": [p.objects for p in compute_points],
            "cpu_s": [round(p.cpu_s, 4) for p in compute_points],
            "peak_mb": [round(p.peak_mb, 2) for p in compute_points],
            "changes": [p.changes for p in compute_points],
            "cpu_exponent": round(cpu_exponent, 3),
            "memory_exponent": round(mem_exponent, 3),
            "mb_per_1k_objects": round(largest.peak_mb / largest.objects * 1000, 3),
            "fit": "least squares on log-log over N >= 1,000",
        },
        "checks": checks,
    }
