"""``python -m bench``: run the workloads, print one JSON object per workload and the table.

python -m bench                     # everything (make bench)
python -m bench --check             # exit 1 when a target is missed (make bench-check)
python -m bench --quick             # a fast subset
python -m bench --only W1,W2 --latency-ms 120 --json results.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import IO

from bench import report, workloads


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--quick", action="store_true", help="smaller series, no measured naive")
    parser.add_argument(
        "--only",
        default=",".join(workloads.WORKLOADS),
        help="comma-separated workloads (default: all)",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=120.0, help="simulated latency per request (120)"
    )
    parser.add_argument(
        "--apply-latency-ms",
        type=float,
        default=30.0,
        help="latency for W3, a cold apply of ~1,700 writes (30, to stay within minutes)",
    )
    parser.add_argument(
        "--parallelism",
        type=int,
        default=8,
        help="apply's parallelism N for W3, W9 and W10, and the N of their latency floors (8)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the JSON lines here, not stdout")
    args = parser.parse_args(argv)
    chosen = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in workloads.WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(unknown)}")
    args.chosen = chosen
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    started = time.perf_counter()
    options = workloads.Options(
        latency_ms=args.latency_ms,
        apply_latency_ms=args.apply_latency_ms,
        parallelism=args.parallelism,
        quick=args.quick,
        progress=lambda message: print(
            f"  {time.perf_counter() - started:6.1f} s  {message}", file=sys.stderr, flush=True
        ),
    )
    out: IO[str] = open(args.json, "w", encoding="utf-8") if args.json else sys.stdout  # noqa: SIM115
    results = []
    try:
        for name in args.chosen:
            options.progress(f"{name} ...")
            result = workloads.run(name, options)
            results.append(result)
            out.write(json.dumps(result, sort_keys=True) + "\n")
            out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    print(file=sys.stdout)
    print(report.render(results, time.perf_counter() - started), flush=True)
    return 1 if args.check and report.missed(results) else 0


if __name__ == "__main__":
    sys.exit(main())
