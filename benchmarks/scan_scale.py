"""Scale benchmark: scan simulated clusters of growing size on one core and on all, against the floor of reading them.

    .venv/bin/python benchmarks/scan_scale.py                 # 1k, 10k, 20k, 50k VMs (50k takes minutes)
    .venv/bin/python benchmarks/scan_scale.py --sizes 1000,5000

For each size the simulator writes the same cluster twice (must-gather layout,
YAML and JSON; cached under benchmarks/out/). Each scan runs in a fresh
subprocess so its peak RSS is its own, twice: in one process (`processes=1`)
and as `virt-doctor scan` runs it (a worker a core parses the tail of the
files); floors and scans run --repeat times, interleaved, and the medians are
reported (peak RSS: the largest). Floors, each in a fresh interpreter with
the GC off, objects kept:
- read+parse: every object file read from the (warm) page cache and parsed in
  one process, with orjson (JSON) or yaml-rs (YAML): what one process cannot beat;
- parse: orjson over the JSON files already in memory.
Scan time is load + rules + grouping, inside the process (imports excluded, as
from the floors). Targets: at 20k VMs, the JSON scan within 1.5 x its
read+parse floor and YAML within 1.5 x its own; at 50k, JSON within 3 x the
parse floor, peak RSS <= 2 GB, 50k/10k time <= 6. The JSON dump of
--archives VMs is also read as a .zip and a .tar.gz (written once beside it),
one process against all. The YAML parsers are compared on the YAML dump:
speed, and equality with libyaml.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import orjson

from virt_doctor.sources.shards import MAX_WORKERS, cores

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tables import markdown_table  # noqa: E402  (beside this script)

ROOT = Path(__file__).resolve().parent
SCAN = """
import json, resource, sys, time
t0 = time.perf_counter()
from virt_doctor.sources.load import load_dump
from virt_doctor.rules.engine import evaluate
from virt_doctor.problems import group_problems
import virt_doctor.rules.all
if sys.argv[3:] == ["tarfile"]:  # tar read as without libarchive on the machine
    import virt_doctor.sources.dump
    virt_doctor.sources.dump._libarchive = lambda: None
t1 = time.perf_counter()
snap = load_dump(sys.argv[1], processes=None if sys.argv[2] == "auto" else int(sys.argv[2]))
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
                  "files": snap.source.files_read, "rss_mb": peak / 1024,
                  "workers_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
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
import gc, json, os, sys, time
import orjson
fmt = sys.argv[2]
if fmt == "yaml":
    import yaml_rs
    parse = lambda blob: yaml_rs.loads(blob.decode(), parse_datetime=False)
else:
    parse = orjson.loads
paths = []
def walk(directory):
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False):
            walk(entry.path)
        elif entry.name.endswith((".json", ".yaml")):
            paths.append(entry.path)
gc.disable()
if sys.argv[3] == "memory":
    walk(sys.argv[1])
    blobs = []
    for path in paths:
        with open(path, "rb") as handle:
            blobs.append(handle.read())
    started = time.perf_counter()
    kept = [parse(blob) for blob in blobs]
else:
    started = time.perf_counter()
    walk(sys.argv[1])
    kept = []
    for path in paths:
        with open(path, "rb") as handle:
            kept.append(parse(handle.read()))
print(json.dumps({"floor": time.perf_counter() - started, "files": len(kept)}))
"""


def floor_seconds(dump: Path, fmt: str, what: str) -> float:
    """A floor in a fresh interpreter, GC off, objects kept: `read` walks, reads and parses every object file
    in one process; `memory` parses them from bytes already read."""
    out = subprocess.run([sys.executable, "-c", FLOOR, str(dump), fmt, what], check=True, capture_output=True,
                         text=True)
    return float(json.loads(out.stdout)["floor"])


def ensure_archive(directory: Path, kind: str) -> Path:
    """The dump as a .zip or a .tar.gz of its directory (as `zip -r` and `tar czf` write them), written once."""
    target = directory.with_name(f"{directory.name}.{kind}")
    if target.exists():
        return target
    partial = directory.with_name(f"{directory.name}.partial")
    if kind == "zip":
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(directory.rglob("*")):
                archive.write(path, path.relative_to(directory.parent))
    else:
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(directory, arcname=directory.name)
    partial.rename(target)
    return target


def archive_rows(directory: Path, size: int, repeat: int) -> list[list[str]]:
    """The JSON dump read from its directory, a .zip and a .tar.gz (through libarchive, and through tarfile as
    without it): one process against all, load medians."""
    tar = ensure_archive(directory, "tar.gz")
    forms = {"directory": (directory, ()), "zip": (ensure_archive(directory, "zip"), ()), "tar.gz": (tar, ()),
             "tar.gz, through tarfile (no libarchive)": (tar, ("tarfile",))}
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    for _ in range(repeat):
        for form, (path, how) in forms.items():
            warm(path)
            for processes in ("1", "auto"):
                runs.setdefault((form, processes), []).append(scan_in_subprocess(path, processes, *how))
    rows = []
    for form in forms:
        one, every = median_run(runs[(form, "1")]), median_run(runs[(form, "auto")])
        rows.append([f"{size:,}", form, f"{one['load']:.2f}", f"{every['load']:.2f}",
                     f"{one['load'] / every['load']:.2f}"])
    return rows


def warm(path: Path) -> None:
    """Read every file once, so each run finds the dump in the page cache."""
    for p in path.rglob("*") if path.is_dir() else [path]:
        if p.is_file():
            p.read_bytes()


def scan_in_subprocess(path: Path, processes: str, *how: str) -> dict[str, float]:
    """A full scan in a fresh interpreter: `processes` 1, or auto (as the CLI does); `how`: "tarfile" to read a tar
    as without libarchive."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SCAN, str(path), processes, *how], check=True, capture_output=True,
                         text=True)
    result = json.loads(out.stdout)
    result["wall"] = time.perf_counter() - started
    result["scan"] = result["load"] + result["rules"] + result["grouping"]
    return result


def median_run(results: list[dict[str, float]]) -> dict[str, float]:
    """The run of median scan time, with the largest peak RSS of all runs."""
    middle = dict(sorted(results, key=lambda r: r["scan"])[len(results) // 2])
    middle["rss_mb"] = max(r["rss_mb"] for r in results)
    middle["workers_rss_mb"] = max(r["workers_rss_mb"] for r in results)
    return middle


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
    parser.add_argument("--sizes", default="1000,10000,20000,50000", help="comma-separated VM counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs of floor and scans per size (medians reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="where simulated dumps are cached")
    parser.add_argument("--archives", type=int, default=10000,
                        help="the size whose JSON dump is also read as .zip and .tar.gz (one of --sizes)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in sizes:
        print(f"{size} VMs", file=sys.stderr, flush=True)
        dumps = {"json": ensure_dump(size, "json", args.out), "yaml": ensure_dump(size, "yaml", args.out)}
        for dump in dumps.values():
            warm(dump)
        parse_floors: list[float] = []
        floors: dict[str, list[float]] = {"json": [], "yaml": []}
        scans: dict[tuple[str, str], list[dict[str, float]]] = {}
        for _ in range(args.repeat):  # interleaved, so a noisy moment hits all of them alike
            parse_floors.append(floor_seconds(dumps["json"], "json", "memory"))
            for fmt, dump in dumps.items():
                floors[fmt].append(floor_seconds(dump, fmt, "read"))
                for processes in ("1", "auto"):
                    scans.setdefault((fmt, processes), []).append(scan_in_subprocess(dump, processes))
        for fmt in dumps:
            one, every = median_run(scans[(fmt, "1")]), median_run(scans[(fmt, "auto")])
            rows.append({"vms": size, "format": fmt, "parse_floor": statistics.median(parse_floors),
                         "floor": statistics.median(floors[fmt]), "one": one, "every": every})
    print()
    print(f"One process vs `virt-doctor scan` as it runs ({min(cores(), MAX_WORKERS)} processes on this machine); "
          "seconds inside the process:")
    print()
    print(markdown_table(
        ["VMs", "format", "objects", "files", "read+parse floor s", "one: load s", "one: scan s", "one/floor",
         "all: load s", "all: scan s", "all/floor", "speed-up", "rules s", "RSS MB one", "RSS MB all",
         "workers' RSS MB"],
        ([f"{r['vms']:,}", r["format"], f"{r['one']['objects']:,}", f"{r['one']['files']:,}", f"{r['floor']:.2f}",
          f"{r['one']['load']:.2f}", f"{r['one']['scan']:.2f}", f"{r['one']['scan'] / r['floor']:.2f}",
          f"{r['every']['load']:.2f}", f"{r['every']['scan']:.2f}", f"{r['every']['scan'] / r['floor']:.2f}",
          f"{r['one']['scan'] / r['every']['scan']:.2f}", f"{r['every']['rules']:.2f}", f"{r['one']['rss_mb']:,.0f}",
          f"{r['every']['rss_mb']:,.0f}", f"{r['every']['workers_rss_mb']:,.0f}"] for r in rows), text={1}))
    print()
    print("Against orjson's parse of the JSON files already in memory (the floor of the earlier targets):")
    print()
    print(markdown_table(["VMs", "format", "parse floor s", "all: scan s", "scan/parse floor"],
                         ([f"{r['vms']:,}", r["format"], f"{r['parse_floor']:.2f}", f"{r['every']['scan']:.2f}",
                           f"{r['every']['scan'] / r['parse_floor']:.2f}"] for r in rows), text={1}))
    by = {(r["vms"], r["format"]): r for r in rows}
    for fmt in ("json", "yaml"):
        ordered = sorted(s for s in sizes if (s, fmt) in by)
        for small, big in zip(ordered, ordered[1:], strict=False):
            t_small, t_big = by[(small, fmt)]["every"]["scan"], by[(big, fmt)]["every"]["scan"]
            print(f"\n{fmt}: scan time {big:,}/{small:,} VMs = {t_big / t_small:.2f} (size ratio {big / small:.1f})")
    if args.archives in sizes:
        print(f"\nThe JSON dump of {args.archives:,} VMs as a directory and as archives: load s, one process vs all")
        print()
        print(markdown_table(["VMs", "read from", "one: load s", "all: load s", "speed-up"],
                             archive_rows(ensure_dump(args.archives, "json", args.out), args.archives, args.repeat),
                             text={1}))
    yaml_dump = args.out / f"vms-{sizes[min(1, len(sizes) - 1)]}-yaml"
    print("\nYAML parsers on", yaml_dump.name)
    print(markdown_table(["parser", "seconds", "equal to libyaml", "files"],
                         ([name, f"{seconds:.2f}", equal, total]
                          for name, seconds, equal, total in compare_yaml_parsers(yaml_dump)), text={0}))
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
