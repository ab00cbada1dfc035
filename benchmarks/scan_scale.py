"""Scale benchmark: scan simulated clusters of growing size, against the floor of parsing their JSON.

    .venv/bin/python benchmarks/scan_scale.py                 # 1k, 10k, 50k VMs (50k takes several minutes)
    .venv/bin/python benchmarks/scan_scale.py --sizes 1000,5000

For each size the simulator writes the same cluster twice (must-gather layout,
YAML and JSON; cached under benchmarks/out/). Each scan runs in a fresh
subprocess so its peak RSS is its own; floor and scans run --repeat times,
interleaved, and the medians are reported (peak RSS: the largest). The floor is the time `orjson.loads`
takes on the JSON dump's files, already in memory, keeping the objects, with
the GC off, in a fresh interpreter, measured in this run; the ratio is the
whole scan (read + parse + compact + index + rules) over that floor.
Targets at 50k VMs: JSON ratio <= 3, peak RSS <= 2 GB, 50k/10k time <= 6.
The YAML parsers are compared on the YAML dump: speed, and equality with libyaml.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent
SCAN = """
import json, sys, time
t0 = time.perf_counter()
from virt_doctor.sources.load import load_dump
from virt_doctor.rules.engine import evaluate
from virt_doctor.problems import group_problems
import virt_doctor.rules.all
t1 = time.perf_counter()
snap = load_dump(sys.argv[1])
t2 = time.perf_counter()
report = evaluate(snap)
t3 = time.perf_counter()
problems = group_problems(snap, report.findings)
t4 = time.perf_counter()
biggest = max(problems, key=lambda p: len(p.findings), default=None)
# this process's own peak (VmHWM): ru_maxrss would carry the parent's peak across fork and exec
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"load": t2 - t1, "rules": t3 - t2, "grouping": t4 - t3, "objects": len(snap.objects),
                  "findings": len(report.findings), "problems": len(problems),
                  "largest": [biggest.title, len(biggest.findings)] if biggest else ["", 0],
                  "files": snap.source.files_read, "rss_mb": peak / 1024}))
"""


FAULTS = ("handler-crashloop", "vm-image-pull-on-node", "vm-datavolume-import-failure")


def ensure_dump(size: int, fmt: str, out: Path) -> Path:
    """The simulated dump for this size and format, written once and reused."""
    return simulated(out / f"vms-{size}-{fmt}", size, fmt, FAULTS)


def simulated(path: Path, size: int, fmt: str, faults: tuple[str, ...]) -> Path:
    """A cluster of `size` VMs (50 a node) with these faults written at `path` once, then reused."""
    if (path / "timestamp").exists():
        return path
    nodes = max(3, size // 50)
    print(f"  simulating {size} VMs on {nodes} nodes as {fmt} ({', '.join(faults)}) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "virt_doctor.cli.app", "simulate", "--nodes", str(nodes), "--vms", str(size),
                    "--seed", "7", "--format", fmt, "--out", str(path),
                    *(arg for fault in faults for arg in ("--fault", fault))],
                   check=True, stderr=subprocess.DEVNULL)
    print(f"  ... written in {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    return path


def files_of(path: Path, suffix: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(path.rglob(f"*{suffix}")) if p.is_file()]


FLOOR = """
import gc, json, sys, time
from pathlib import Path
import orjson
blobs = [p.read_bytes() for p in sorted(Path(sys.argv[1]).rglob("*.json")) if p.is_file()]
gc.disable()
started = time.perf_counter()
kept = [orjson.loads(blob) for blob in blobs]
print(json.dumps({"floor": time.perf_counter() - started, "files": len(blobs)}))
"""


def floor_seconds(json_dump: Path) -> float:
    """orjson.loads over every object file of the JSON dump, bytes already in memory, objects kept, GC off,
    in a fresh interpreter like the scan: the least any loader can do."""
    out = subprocess.run([sys.executable, "-c", FLOOR, str(json_dump)], check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout)["floor"])


def scan_in_subprocess(path: Path) -> dict[str, float]:
    """Warm the page cache, then time a full scan in a fresh interpreter."""
    for p in path.rglob("*"):
        if p.is_file():
            p.read_bytes()
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SCAN, str(path)], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    result["wall"] = time.perf_counter() - started
    result["scan"] = result["load"] + result["rules"]
    return result


def compare_yaml_parsers(yaml_dump: Path, limit: int = 4000) -> list[tuple[str, float, int, int]]:
    """(parser, seconds, files equal to libyaml, files) on up to `limit` files of the YAML dump."""
    import yaml_rs

    from virt_doctor.sources.yamlparse import parse_libyaml, parse_yaml

    texts = [b.decode() for b in files_of(yaml_dump, ".yaml")[:limit]]
    started = time.perf_counter()
    reference = [parse_libyaml(t) for t in texts]
    rows = [("libyaml CSafeLoader (timestamps as strings)", time.perf_counter() - started, len(texts), len(texts))]
    started = time.perf_counter()
    ours = [parse_yaml(t) for t in texts]
    rows.append(("yaml-rs (virt-doctor's parser)", time.perf_counter() - started,
                 sum(a == b for a, b in zip(ours, reference, strict=True)), len(texts)))
    del yaml_rs
    try:
        import ryml

        def ryml_load(text: str) -> object:
            tree = ryml.parse_in_arena(text.encode())
            return orjson.loads(ryml.emit_json_malloc(tree, tree.root_id()))

        started = time.perf_counter()
        docs = []
        for text in texts:
            try:
                docs.append([ryml_load(text)])
            except Exception:  # rapidyaml refuses some inputs
                docs.append(None)
        rows.append(("rapidyaml (parse, emit JSON, orjson)", time.perf_counter() - started,
                     sum(a == b for a, b in zip(docs, reference, strict=True)), len(texts)))
    except ImportError:
        pass
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated VM counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs of floor and scans per size (medians reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="where simulated dumps are cached")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in sizes:
        print(f"{size} VMs", file=sys.stderr, flush=True)
        json_dump, yaml_dump = ensure_dump(size, "json", args.out), ensure_dump(size, "yaml", args.out)
        floors: list[float] = []
        scans: dict[str, list[dict[str, float]]] = {"json": [], "yaml": []}
        for _ in range(args.repeat):  # interleaved, so a noisy moment hits all of them alike
            floors.append(floor_seconds(json_dump))
            for fmt, dump in (("json", json_dump), ("yaml", yaml_dump)):
                scans[fmt].append(scan_in_subprocess(dump))
        floor = statistics.median(floors)
        for fmt, results in scans.items():
            middle = sorted(results, key=lambda r: r["scan"])[len(results) // 2]
            rows.append({"vms": size, "format": fmt, "floor": floor, **middle,
                         "rss_mb": max(r["rss_mb"] for r in results)})
    print()
    print("| VMs | format | objects | files | load s | rules s | scan s | floor s | scan/floor | peak RSS MB |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['vms']:,} | {r['format']} | {r['objects']:,} | {r['files']:,} | {r['load']:.2f} | {r['rules']:.2f} | "
              f"{r['scan']:.2f} | {r['floor']:.2f} | {r['scan'] / r['floor']:.2f} | {r['rss_mb']:.0f} |")
    by = {(r["vms"], r["format"]): r for r in rows}
    for fmt in ("json", "yaml"):
        ordered = sorted(s for s in sizes if (s, fmt) in by)
        for small, big in zip(ordered, ordered[1:], strict=False):
            t_small, t_big = by[(small, fmt)]["scan"], by[(big, fmt)]["scan"]
            print(f"\n{fmt}: scan time {big:,}/{small:,} VMs = {t_big / t_small:.2f} (size ratio {big / small:.0f})")
    yaml_dump = args.out / f"vms-{sizes[min(1, len(sizes) - 1)]}-yaml"
    print("\nYAML parsers on", yaml_dump.name)
    print("| parser | seconds | equal to libyaml | files |")
    print("|---|---:|---:|---:|")
    for name, seconds, equal, total in compare_yaml_parsers(yaml_dump):
        print(f"| {name} | {seconds:.2f} | {equal} | {total} |")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
