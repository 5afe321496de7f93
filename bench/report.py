"""The readable table of a benchmark run (the JSON lines hold everything)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _ratio(calls: Mapping[str, int], bound: Mapping[str, int], system: str) -> str:
    if not bound.get(system) and not calls.get(system):
        return "-"
    have, need = calls.get(system, 0), bound.get(system, 0)
    return f"{have}/{need} = {have / need:.2f}" if need else f"{have}/0"


def _kb(value: int | None) -> str:
    return "-" if value is None else f"{value / 1000:,.0f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
        for r in rows
    ]
    return [line, rule, *body]


def _naive(result: Mapping[str, Any]) -> str:
    naive = result.get("naive")
    if not naive:
        return "-"
    how = "measured" if naive["wall_measured"] else "est."
    return f"{naive['calls']:,} ({result['naive_ratio']:.0f}x), {naive['wall_s']:.1f} s {how}"


def _bytes(result: Mapping[str, Any]) -> str:
    received = result["bytes_received"]["autotask"]
    without = (result.get("bytes_without_include_fields") or {}).get("autotask")
    return f"{_kb(received)} / {_kb(without)}" if without else _kb(received)


def _floor(result: Mapping[str, Any]) -> str:
    """``2.05 (14)``: the floor and the rounds of its latency part; ``cpu`` when the CPU floor
    is the higher one."""
    by = " cpu" if result.get("floor_by") == "cpu" else ""
    return f"{result['floor_s']:.2f} ({result['floor_rounds']}){by}"


def _cpu(result: Mapping[str, Any]) -> str:
    client, sim = result.get("client_cpu_s"), result.get("simulator_cpu_s")
    if client is None or sim is None:
        return "-"
    per_write = result.get("client_cpu_ms_per_write")
    tail = f"; {per_write:.2f} ms/write" if per_write is not None else ""
    return f"{client:.2f}+{sim:.2f}{tail}"


def _row(result: Mapping[str, Any], label: str) -> list[str]:
    calls, bound = result["calls"], result["lower_bound"]
    wall_ratio = result.get("wall_ratio")
    peak = result.get("peak_mb")
    return [
        label,
        f"{result['latency_ms']:.0f}"
        + (
            f"+{result['autotask_penalty_s'] * 1000:.0f}"
            if result.get("autotask_penalty_s")
            else ""
        ),
        _ratio(calls, bound, "autotask"),
        _ratio(calls, bound, "salesbuildr"),
        f"{result['wall_s']:.2f} ({result['wall_by_phase_s'].get('parse', 0):.2f})",
        _floor(result),
        _cpu(result),
        f"{wall_ratio:.2f}" if wall_ratio else "-",
        f"{result['compute_plan_cpu_s'] * 1000:.0f} ms / {result['objects']:,}",
        f"{peak:.0f}" if peak is not None else "-",
        _bytes(result),
        f"{result['max_in_flight']['max']} / {result['max_in_flight']['salesbuildr']}",
        _naive(result),
    ]


HEADER = [
    "workload",
    "ms/req",
    "Autotask calls/LB",
    "Salesbuildr calls/LB",
    "wall s (parse)",
    "floor s (rounds)",
    "CPU s client+sim",
    "wall/floor",
    "compute_plan / objects",
    "peak MB",
    "AT kB (no IncludeFields)",
    "in flight AT/SB",
    "naive per-object refresh",
]


PSA_HEADER = [
    "workload",
    "ms/req",
    "PSA calls/LB",
    "Salesbuildr calls/LB",
    "wall s",
    "floor s (rounds, by)",
    "rate cap",
    "CPU s client+sim",
    "wall/floor",
]


def _psa_row(result: Mapping[str, Any]) -> list[str]:
    calls, bound, psa = result["calls"], result["lower_bound"], result["psa"]
    cap = result["rate_cap"]
    return [
        f"{result['workload']} {result['title']}",
        f"{result['latency_ms']:.0f}",
        _ratio(calls, bound, psa),
        _ratio(calls, bound, "salesbuildr"),
        f"{result['wall_s']:.2f}",
        f"{result['floor_s']:.2f} ({result['floor_rounds']}, {result['floor_by']})",
        f"{cap['requests']}/{cap['per_s']:.0f} s",
        f"{result['client_cpu_s']:.2f}+{result['simulator_cpu_s']:.2f}",
        f"{result['wall_ratio']:.2f}",
    ]


def _by_phase(result: Mapping[str, Any]) -> str:
    """``plan 152/152, lock 2/2, ...``: every system's calls of a phase against its bound (the
    lock's two calls and the deletes are their own phases in the bound, not in the record)."""
    made = result["calls_by_phase"]
    bound = dict(result["lower_bound_by_phase"])
    bound["lock"] = _sum(bound.pop("lock", {}), bound.pop("unlock", {}))
    bound["writes"] = _sum(bound.get("writes", {}), bound.pop("deletes", {}))
    order = ["plan", "lock", "stale check", "writes", "during writes", "verify"]
    phases = [*order, *(p for p in [*bound, *made] if p not in order)]
    shown = []
    for phase in dict.fromkeys(phases):
        have, need = sum(made.get(phase, {}).values()), sum(bound.get(phase, {}).values())
        if have or need:
            shown.append(f"{phase} {have}/{need}")
    return ", ".join(shown)


def _sum(*counts: Mapping[str, int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            total[key] = total.get(key, 0) + value
    return total


def render(results: Sequence[Mapping[str, Any]], total_s: float) -> str:
    lines: list[str] = []
    main = [r for r in results if r["workload"] not in ("W4", "W6") and "psa" not in r]
    if main:
        rows = [_row(r, f"{r['workload']} {r['title']}") for r in main]
        lines += _table(HEADER, rows)
    for result in results:
        if result["workload"] != "W4":
            continue
        if lines:
            lines.append("")
        lines.append("W4 scale series (plans; naive refresh estimated from its floor):")
        rows = [
            _row(p, f"{p['series']} {p['size']:,}")
            if "error" not in p
            else [f"{p['series']} {p['size']:,}", "not run*"] + ["-"] * (len(HEADER) - 2)
            for p in result["points"]
        ]
        lines += _table(["point", *HEADER[1:]], rows)
        for p in result["points"]:
            if "error" in p:
                lines.append(
                    f"* {p['series']} {p['size']:,}: the plan refused the YAML: {p['error']}"
                )
        cp = result["compute_plan"]
        lines.append("")
        lines.append(
            "W4 compute_plan alone (hand-built states, CPU best of 3-5, tracemalloc peak):"
        )
        rows = [
            [f"{n:,}", f"{cpu * 1000:.1f}", f"{mb:.1f}", str(ch)]
            for n, cpu, mb, ch in zip(
                cp["objects"], cp["cpu_s"], cp["peak_mb"], cp["changes"], strict=True
            )
        ]
        lines += _table(["objects", "CPU ms", "peak MB", "changes"], rows)
        lines.append(
            f"fitted exponent ({cp['fit']}): CPU {cp['cpu_exponent']:.2f}, "
            f"memory {cp['memory_exponent']:.2f}; {cp['mb_per_1k_objects']:.2f} MB per 1k objects"
        )
    psa_plans = [r for r in results if "psa" in r]
    if psa_plans:
        if lines:
            lines.append("")
        lines.append(
            "Other PSAs (no-op plans and cold applies on their large seeds; the rate cap in the"
            " floor):"
        )
        lines += _table(PSA_HEADER, [_psa_row(r) for r in psa_plans])
        for result in psa_plans:
            if "calls_by_phase" in result:
                lines.append(f"  {result['workload']} calls/LB by phase: {_by_phase(result)}")
            unneeded = result.get("not_named_by_the_yaml") or {}
            if unneeded.get("requests"):
                lines.append(
                    f"  {result['workload']} read {unneeded['requests']} request(s) in"
                    f" {unneeded['listings']} listing(s) below parents the YAML does not name"
                    " (the LB counts none of them)"
                )
    for result in results:
        if result["workload"] == "W6":
            if lines:
                lines.append("")
            lines.append(f"W6 sandbox startup (best of {result['best_of']}):")
            rows = [[name, f"{s:.2f}"] for name, s in result["startup_s"].items()]
            lines += _table(["what", "seconds"], rows)
    lines.append("")
    lines.append("Excess calls over the lower bound, by endpoint:")
    for result in results:
        for point in result.get("points", [result]):
            excess = point.get("excess_by_endpoint") or {}
            if excess:
                name = point["workload"] + (
                    f" {point['series']} {point['size']:,}" if "series" in point else ""
                )
                shown = ", ".join(f"{k} {v:+d}" for k, v in excess.items())
                lines.append(f"  {name}: {shown}")
    lines.append("")
    lines.append("Targets:")
    missed = 0
    for result in results:
        for item in result.get("checks", []):
            verdict = "PASS" if item["ok"] else "MISS"
            if item.get("informational"):
                verdict = "goal met" if item["ok"] else "goal missed"
            else:
                missed += not item["ok"]
            lines.append(f"  {verdict}  {item['name']}: {item['value']} (target {item['target']})")
    lines.append("")
    lines.append(
        f"{missed} target(s) missed; bench ran {total_s:.0f} s."
        if missed
        else f"All targets met; bench ran {total_s:.0f} s."
    )
    return "\n".join(lines)


def missed(results: Sequence[Mapping[str, Any]]) -> int:
    """Targets missed (goals reported beside them do not count)."""
    return sum(
        1
        for r in results
        for c in r.get("checks", [])
        if not c["ok"] and not c.get("informational")
    )
