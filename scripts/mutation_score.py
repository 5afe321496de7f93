"""Print the mutation score of the last `mutmut run` per package and file (for `make mutation`).

Killed counts kills by the tests and the timeouts; every other verdict (survived, no tests,
suspicious, not checked) counts against the score. Exits 1 below the floor (default 90 %).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {1, 3, 24, -24, 36, 152, 255}  # mutmut's exit codes for "killed" and "timeout"
SURVIVED = {0}


def main(floor: float = 90.0) -> int:
    metas = sorted(Path("mutants").glob("reconciler/**/*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/: run `make mutation`", file=sys.stderr)
        return 1
    by_package: dict[str, Counter[str]] = {}
    rows: list[tuple[str, Counter[str]]] = []
    for meta in metas:
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].values()
        counts: Counter[str] = Counter()
        for code in codes:
            verdict = "killed" if code in KILLED else "survived" if code in SURVIVED else "other"
            counts[verdict] += 1
        if not codes:
            continue
        source = str(meta.relative_to("mutants")).removesuffix(".meta")
        rows.append((source, counts))
        package = (
            source.rsplit("/", 1)[0] + "/" if "/plan/" in source or "/kinds/" in source else source
        )
        by_package.setdefault(package, Counter()).update(counts)
    total: Counter[str] = Counter()
    print(f"{'file':44} {'killed':>7} {'total':>6} {'score':>7}  (other: no tests, suspicious)")
    for name, counts in rows:
        print(_line(name, counts))
    print()
    for name, counts in sorted(by_package.items()):
        print(_line(name, counts))
        total.update(counts)
    print(_line("pure core", total))
    reached = total["killed"] + total["survived"]
    print(
        f"killed of the mutants tests/unit reaches: {100 * total['killed'] / max(1, reached):.1f} %"
    )
    score = 100 * total["killed"] / max(1, sum(total.values()))
    if score < floor:
        print(f"mutation score {score:.1f} % is below {floor:.0f} %", file=sys.stderr)
        return 1
    return 0


def _line(name: str, counts: Counter[str]) -> str:
    all_ = sum(counts.values())
    score = 100 * counts["killed"] / max(1, all_)
    return f"{name:44} {counts['killed']:>7} {all_:>6} {score:>6.1f}%  ({counts['other']})"


if __name__ == "__main__":
    sys.exit(main(*(float(a) for a in sys.argv[1:2])))
