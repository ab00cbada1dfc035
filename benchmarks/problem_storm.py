"""Problems benchmark: a storm at scale — how many findings, how few problems, what grouping them costs.

    .venv/bin/python benchmarks/problem_storm.py                  # 2k and 10k VMs (50 VMs a node)
    .venv/bin/python benchmarks/problem_storm.py --sizes 10000

For each size the simulator writes two clusters as JSON dumps (cached under benchmarks/out/): one whose busiest
worker dies with its VMs (storm-node-down: at 10k VMs, 50 VMs and the control-plane replicas on it), and one whose
virt-handler crash-loops on every node (storm-handler-crashloop: an orphan finding per node, so the findings grow
with the cluster). Each is scanned in a fresh process: load, rules, then the grouping into problems, each timed;
the scan runs --repeat times and the medians are reported. Targets: grouping at most 5% of the scan, and linear in
the findings (the grouping's time per finding at the largest size over the smallest: at most 1.5).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from scan_scale import SCAN, simulated  # noqa: E402  (one scan script: load, rules, then the grouping, each timed)
from tables import markdown_table  # noqa: E402

STORMS = ("storm-node-down", "storm-handler-crashloop")


def ensure_dump(size: int, storm: str, out: Path) -> Path:
    """The simulated storm for this size as JSON, written once and reused."""
    return simulated(out / f"storm-{storm}-{size}", size, "json", (storm,))


def measure(path: Path, repeat: int) -> dict[str, object]:
    """The medians of `repeat` fresh-process scans of one dump."""
    runs = [json.loads(subprocess.run([sys.executable, "-c", SCAN, str(path), "auto"], check=True, capture_output=True,
                                      text=True).stdout) for _ in range(repeat)]
    out: dict[str, object] = dict(runs[0])
    for key in ("load", "rules", "grouping"):
        out[key] = statistics.median(float(r[key]) for r in runs)
    scan = float(out["load"]) + float(out["rules"]) + float(out["grouping"])  # type: ignore[arg-type]
    out["share"] = float(out["grouping"]) / scan  # type: ignore[arg-type]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,10000", help="VM counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="scans per dump (the median is reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="where simulated dumps are cached")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    results = {(storm, size): measure(ensure_dump(size, storm, out), args.repeat) for storm in STORMS
               for size in sizes}
    print(markdown_table(
        ["storm", "VMs", "objects", "findings", "problems", "largest problem", "rules s", "grouping ms",
         "share of scan"],
        ([storm, f"{size:,}", f"{r['objects']:,}", r["findings"], r["problems"],
          f"{r['largest'][0]} ({r['largest'][1]} findings)", f"{r['rules']:.2f}",  # type: ignore[index]
          f"{float(r['grouping']) * 1000:.1f}", f"{float(r['share']) * 100:.2f}%"]  # type: ignore[arg-type]
         for (storm, size), r in results.items()), text={0, 5}))
    worst = max(float(r["share"]) for r in results.values())  # type: ignore[arg-type]
    print(f"\ngrouping's largest share of a scan: {worst * 100:.2f}% (target <= 5%)")
    if len(sizes) > 1:
        small, large = results[("storm-handler-crashloop", sizes[0])], results[("storm-handler-crashloop", sizes[-1])]
        per = [float(r["grouping"]) / int(r["findings"]) for r in (small, large)]  # type: ignore[call-overload]
        print(f"grouping time per finding, {sizes[-1]:,} over {sizes[0]:,} VMs "
              f"({large['findings']} vs {small['findings']} findings): {per[1] / per[0]:.2f} (target <= 1.5: linear)")


if __name__ == "__main__":
    main()
