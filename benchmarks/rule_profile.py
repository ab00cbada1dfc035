"""Where the rules' time goes: each alert's rule timed over the same snapshot at growing sizes.

    .venv/bin/python benchmarks/rule_profile.py                    # 20k and 50k VMs (the scale page's dumps)
    .venv/bin/python benchmarks/rule_profile.py --sizes 10000,20000 --top 15

Each size's JSON dump (benchmarks/out/, written by scan_scale.py's simulator if missing) is loaded once; a
first pass over every rule builds the snapshot's lazy indexes, then every alert is judged --repeat times and
its median kept. Printed: the whole pass, the alerts that cost most at the largest size, and each one's growth
against the smallest size next to the growth in objects (a rule that grows faster than the objects does more
per object as the cluster grows).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan_scale import ROOT, ensure_dump  # noqa: E402  (the same simulated dumps)
from tables import markdown_table  # noqa: E402

from virt_doctor.catalog import load_catalog  # noqa: E402
from virt_doctor.rules.engine import _default_registry, judge  # noqa: E402
from virt_doctor.sources.load import load_dump  # noqa: E402


def profile(size: int, repeat: int, out: Path) -> tuple[int, float, float, dict[str, float]]:
    """(objects, first pass s, whole pass s, alert -> median seconds) for this size."""
    snap = load_dump(ensure_dump(size, "json", out))
    catalog, registry = load_catalog(), _default_registry()
    gc.disable()
    started = time.perf_counter()
    for entry in catalog:
        judge(snap, entry, registry.get(entry.name), catalog)
    first = time.perf_counter() - started
    times: dict[str, list[float]] = {entry.name: [] for entry in catalog}
    passes = []
    for _ in range(repeat):
        begun = time.perf_counter()
        for entry in catalog:
            started = time.perf_counter()
            judge(snap, entry, registry.get(entry.name), catalog)
            times[entry.name].append(time.perf_counter() - started)
        passes.append(time.perf_counter() - begun)
    gc.enable()
    return len(snap.objects), first, statistics.median(passes), {a: statistics.median(t) for a, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,50000", help="comma-separated VM counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="where simulated dumps are cached")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = {}
    for size in sizes:
        print(f"{size} VMs", file=sys.stderr, flush=True)
        results[size] = profile(size, args.repeat, args.out)
    small, big = sizes[0], sizes[-1]
    print(markdown_table(["VMs", "objects", "first pass s (indexes built)", "pass s"],
                         ([f"{size:,}", f"{results[size][0]:,}", f"{results[size][1]:.2f}", f"{results[size][2]:.2f}"]
                          for size in sizes)))
    growth = results[big][0] / results[small][0]
    print(f"\nThe {args.top} costliest alerts at {big:,} VMs (objects grew {growth:.2f}x from {small:,}):\n")
    costs, before = results[big][3], results[small][3]
    costliest = sorted(costs, key=lambda alert: costs[alert], reverse=True)[: args.top]
    print(markdown_table(
        ["alert", f"{small:,} VMs ms", f"{big:,} VMs ms", "growth", "share of the pass"],
        ([alert, f"{before[alert] * 1000:.1f}", f"{costs[alert] * 1000:.1f}",
          f"{costs[alert] / before[alert] if before[alert] else 0:.2f}", f"{costs[alert] / results[big][2]:.0%}"]
         for alert in costliest), text={0}))


if __name__ == "__main__":
    main()
