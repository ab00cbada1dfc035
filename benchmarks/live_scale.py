"""Live benchmark: the same simulated cluster scanned live through a real kube-apiserver, scanned as a dump, and
diagnosed the way a person does today — the runbooks' kubectl commands run one by one — side by side, one run.

    .venv/bin/python benchmarks/live_scale.py                  # 2k and 10k VMs (10k loads ~50k objects: minutes)
    .venv/bin/python benchmarks/live_scale.py --sizes 1000

For each size: simulate, write the dump (everything a live scan reads), start ../shared/kube's API server (etcd
in /dev/shm), load the cluster through the API, then measure in fresh subprocesses (peak RSS their own):
the live scan (wall time, requests, bytes from its client), the dump scan (wall time), the floors — the dump's
files parsed with orjson in one process (scan_scale.py's floor), and the API server's: the live scan's own GETs
replayed as raw HTTP, bodies read and dropped — and the kubectl sequence (every runbook's `kubectl get/describe`
diagnosis step for the alerts checked — filled in where the findings name objects — one after the other, through
a counting proxy). Five rounds of a live scan, its server floor twice, a live scan again and the dump scan, one
right after the other (the server's cost swings from one run to the next: side_by_side); the medians and the
median of the rounds' own ratios are reported, with the CPU the API server and etcd spent serving each live scan
and each floor. Targets: requests O(kinds), live <= 1.25 x
(dump + server floor), >= 20x faster than kubectl, peak RSS <= 1.2x dump.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scan_scale import floor_seconds  # noqa: E402  (the one-process parse floor, as the scale page's)
from tables import markdown_table  # noqa: E402
from tests.live.apiserver import DEBIAN_KUBECTL, ApiServer, install_crds, load, start, stop  # noqa: E402
from tests.live.faultproxy import FaultProxy  # noqa: E402
from tests.live.kubelet import KubeletLogs  # noqa: E402

from virt_doctor.simulator.simulate import simulate  # noqa: E402
from virt_doctor.simulator.writer import write_dump  # noqa: E402

REPEAT = 3  # each `diagnose` run this many times, the median reported
ROUNDS = 5  # live scan, server floor twice, live scan, dump scan, one after the other, this many times
DIAGNOSE = """
import json, sys, time
from datetime import datetime
t0 = time.perf_counter()
from virt_doctor.report.match import matches
from virt_doctor.scan import LiveOptions, ScanRequest, focus_for, run_scan
from virt_doctor.rules.reads import kinds_read_by
from virt_doctor.sources.live.client import KubeClient
from virt_doctor.sources.live.connection import connect
at, alert, labels = datetime.fromisoformat(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
client = KubeClient(connect(sys.argv[1]))
focus = focus_for(alert, labels) if sys.argv[5] == "focused" else None
options = LiveOptions(client=client, kinds=kinds_read_by([alert]), focus=focus)
report = run_scan(ScanRequest(live=options, at=at, only=[alert])).report
print(json.dumps({"seconds": time.perf_counter() - t0, "requests": client.traffic.requests,
                  "bytes": client.traffic.bytes, "objects": 0,
                  "findings": sorted([f.alert, f.subject.ref(), f.cause.id] for f in report.findings
                                     if matches(f, labels))}))
"""
# one alert instance of each bound, as a page names it: (alert, the finding's labels an alert carries)
DIAGNOSED = ("VirtualMachineStuckInUnhealthyState", "OrphanedVirtualMachineInstances")
SCAN = """
import json, sys, time
from datetime import datetime
t0 = time.perf_counter()
from virt_doctor.scan import LiveOptions, ScanRequest, run_scan
from virt_doctor.sources.live.client import KubeClient
from virt_doctor.sources.live.connection import connect
at = datetime.fromisoformat(sys.argv[3])
client = KubeClient(connect(sys.argv[2])) if sys.argv[1] == "live" else None
if client:
    client.traffic.record = True  # its GETs, replayed as raw HTTP: the server's share of the scan
request = ScanRequest(live=LiveOptions(client=client), at=at) if client else ScanRequest(source=sys.argv[2], at=at)
result = run_scan(request)
report = result.report
commands = set()
if client:  # every runbook's diagnosis commands for the alerts checked, as a person checks them by hand
    from virt_doctor.catalog import load_catalog
    from virt_doctor.catalog.catalog import fill
    from virt_doctor.snapshot.discover import install_namespaces
    params = install_namespaces(result.snapshot)
    commands = {s.command for f in report.findings for s in f.diagnosis}
    commands |= {fill(step.command, params) for c in report.coverage if c.status == "evaluated"
                 for step in load_catalog().get(c.alert).diagnosis}
# this process's own peak (VmHWM): ru_maxrss would carry the benchmark's own, larger, peak across fork and exec
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": peak / 1024,
                  "requests": client.traffic.requests if client else 0, "bytes": client.traffic.bytes if client else 0,
                  "reads": client.traffic.reads if client else [],
                  "findings": sorted([f.alert, f.subject.ref(), f.cause.id] for f in report.findings),
                  "commands": sorted(commands)}))
"""


def run_scan(mode: str, where: str, at: datetime) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, "-c", SCAN, mode, where, at.isoformat()], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_diagnose(kubeconfig: str, at: datetime, alert: str, labels: dict[str, str], how: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, "-c", DIAGNOSE, kubeconfig, at.isoformat(), alert, json.dumps(labels),
                          how], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def diagnoses(kubeconfig: str, at: datetime, findings: list[list[str]], full_scan: dict) -> list[dict]:  # type: ignore[type-arg]
    """`diagnose` of one instance of each bounded alert: the kinds its rule reads, whole vs bounded by the labels."""
    rows = []
    for alert in DIAGNOSED:
        found = next((f for f in findings if f[0] == alert), None)
        if found is None:
            continue
        _, ref, _ = found
        kind, _, rest = ref.partition("/")
        namespace, _, name = rest.rpartition("/")
        labels = {"namespace": namespace, "name": name} if namespace else {}
        if alert == "OrphanedVirtualMachineInstances":
            labels = {"node": name}
        whole = median_of(REPEAT, functools.partial(run_diagnose, kubeconfig, at, alert, labels, "whole"))
        bounded = median_of(REPEAT, functools.partial(run_diagnose, kubeconfig, at, alert, labels, "focused"))
        expected = [f for f in full_scan["findings"] if f[0] == alert and f[1] == ref]
        rows.append({"alert": alert, "labels": labels, "whole": whole, "focused": bounded,
                     "same": bounded["findings"] == whole["findings"] == expected})
    return rows


def median_of(times: int, scan: Callable[[], dict]) -> dict:  # type: ignore[type-arg]
    """The run with the median wall time of `times` (this machine's other work makes single runs noisy)."""
    return middle([scan() for _ in range(times)])


def middle(runs: list[dict]) -> dict:  # type: ignore[type-arg]
    """The run of median wall time."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def side_by_side(server: ApiServer, dump: Path, at: datetime) -> list[dict]:  # type: ignore[type-arg]
    """ROUNDS times: a live scan, its GETs replayed twice as the server floor, a live scan again (each with the CPU
    the API server and etcd spent serving it), then the dump scan; each round's ratio is of its own runs, the
    two live scans' mean against the dump's plus the two floors' mean. The server's cost swings: serving the same
    requests took its processes 4.7–5.5 s of CPU in one run and 8.4–10.6 s in the next, live or replayed alike
    (its Go heap, gigabytes after the load, is collected every other run or so). Live, floor, floor, live gives
    each side one run of each kind where a plain live, floor order paired every live scan with the collection
    and every floor without it, or the other way round."""
    pids = server_pids(server)

    def served(run: Callable[[], Any]) -> tuple[Any, float]:
        before = cpu_seconds(pids)
        result = run()
        return result, cpu_seconds(pids) - before

    live_scan = functools.partial(run_scan, "live", server.kubeconfig, at)
    rounds = []
    for _ in range(ROUNDS):
        first, first_cpu = served(live_scan)
        replay = functools.partial(server_floor, server, first["reads"])
        floors = [served(replay) for _ in range(2)]
        second, second_cpu = served(live_scan)
        from_dump = run_scan("dump", str(dump), at)
        live_mean = (first["seconds"] + second["seconds"]) / 2
        floor_mean = sum(f for f, _ in floors) / 2
        rounds.append({"lives": [first, second], "floors": [f for f, _ in floors], "dump": from_dump,
                       "live_cpu": [first_cpu, second_cpu], "floor_cpu": [c for _, c in floors],
                       "ratio": live_mean / (from_dump["seconds"] + floor_mean)})
    return rounds


def server_floor(server: ApiServer, reads: list[tuple[str, dict[str, str]]]) -> float:
    """The live scan's own GETs replayed as raw HTTP, four at a time as the scan sends them, each body read and
    dropped: what the API server takes to serve them (the part of a live scan no client can remove)."""
    with httpx.Client(base_url=server.url, verify=server.ca, timeout=60,
                      headers={"Authorization": f"Bearer {server.token}"},
                      limits=httpx.Limits(max_connections=4)) as http:
        def one(read: tuple[str, dict[str, str]]) -> int:
            with http.stream("GET", read[0], params=read[1]) as response:
                return sum(len(chunk) for chunk in response.iter_raw())

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(one, reads))
        return time.perf_counter() - started


def kubectl_sequence(commands: list[str], kubeconfig: Path) -> tuple[float, int]:
    """Run each read-only kubectl command of the diagnoses, one after the other, as a person would."""
    runnable = [c for c in commands if c.startswith("kubectl ") and (" get " in c or " describe " in c)
                and "|" not in c and "<" not in c]
    started = time.perf_counter()
    for command in runnable:
        subprocess.run(["bash", "-c", command.replace("kubectl ", f"{DEBIAN_KUBECTL} --kubeconfig {kubeconfig} ", 1)],
                       capture_output=True, check=False)
    return time.perf_counter() - started, len(runnable)


def cpu_seconds(pids: list[str]) -> float:
    """User and system CPU seconds these processes have used (those gone count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(server: ApiServer) -> list[str]:
    """The API server's and its etcd's processes."""
    return [p for p in os.listdir("/proc") if p.isdigit() and str(server.dir) in
            Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]


def quiet(server: ApiServer, below: float = 0.05, longest: float = 90.0) -> float:
    """Wait until the API server and its etcd, done with what loading 50k objects left them to do (compaction,
    garbage collection), use less than `below` of a core over two seconds; the seconds waited. A cluster a person
    scans is not in the minute after such a load."""
    pids = server_pids(server)
    started = time.monotonic()
    while time.monotonic() - started < longest:
        before = cpu_seconds(pids)
        time.sleep(2)
        if cpu_seconds(pids) - before < 2 * below:
            break
    return time.monotonic() - started


def one_size(size: int, workdir: Path) -> dict:  # type: ignore[type-arg]
    at = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    nodes = max(3, size // 50)
    print(f"== {size} VMs on {nodes} nodes", file=sys.stderr, flush=True)
    cluster = simulate(nodes=nodes, vms=size, seed=7, at=at,
                       faults=["handler-crashloop", "vm-image-pull-on-node", "vm-datavolume-import-failure"])
    objects = list(cluster.objects())
    dump = write_dump(cluster, workdir / f"dump-{size}", "json", also_collect=frozenset({"Lease", "HyperConverged"}))
    server = start(workdir / f"kube-{size}")
    kubelet = KubeletLogs(workdir)
    kubelet.logs = cluster.logs
    try:
        install_crds(server)
        started = time.perf_counter()
        load(server, objects, kubelet_port=kubelet.port, workers=16)
        print(f"   loaded {len(objects)} objects in {time.perf_counter() - started:.0f}s; the server was quiet "
              f"{quiet(server):.0f}s later", file=sys.stderr, flush=True)
        measured = side_by_side(server, dump, at)
        live = middle([run for m in measured for run in m["lives"]])
        from_dump = middle([m["dump"] for m in measured])
        floor = statistics.median(f for m in measured for f in m["floors"])
        ratios = sorted(m["ratio"] for m in measured)
        server_cpu = {side: sorted(c for m in measured for c in m[f"{side}_cpu"]) for side in ("live", "floor")}
        diagnosed = diagnoses(server.kubeconfig, at, live["findings"], live)
        parse_floor = sorted(floor_seconds(dump, "json", "memory") for _ in range(REPEAT))[REPEAT // 2]
        proxy = FaultProxy(server.url, server.ca)  # no faults: it counts what kubectl asks
        config = yaml.safe_load(Path(server.kubeconfig).read_text())
        config["clusters"][0]["cluster"] = {"server": proxy.url}
        (workdir / "via-proxy").write_text(yaml.safe_dump(config))
        try:
            kubectl_seconds, commands = kubectl_sequence(live["commands"], workdir / "via-proxy")
            kubectl_requests = len(proxy.seen)
        finally:
            proxy.stop()
    finally:
        kubelet.stop()
        stop(server)
    same = live["findings"] == from_dump["findings"]
    return {"size": size, "objects": len(objects), "live": live, "dump": from_dump, "same": same, "diagnosed": diagnosed,
            "floor": floor, "parse_floor": parse_floor, "ratios": ratios, "server_cpu": server_cpu,
            "kubectl_seconds": kubectl_seconds, "kubectl_commands": commands, "kubectl_requests": kubectl_requests}


def spread(values: list[float]) -> str:
    """Median and range of sorted values, as the table shows them."""
    return f"{statistics.median(values):.1f} ({values[0]:.1f}–{values[-1]:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,10000", help="comma-separated VM counts")
    args = parser.parse_args()
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    rows = []
    with tempfile.TemporaryDirectory(prefix="virt-doctor-live-bench-", dir=shm) as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(one_size(size, Path(tmp)))
    print(markdown_table(
        ["VMs", "objects", "live s", "live requests", "live MB read", "parse floor s", "dump s", "live/dump",
         "server floor s", "live/(dump+floor): median (range)", "server CPU s: live scans", "server CPU s: floors",
         "kubectl s (commands, requests)", "kubectl/live", "live RSS MB",
         "dump RSS MB", "RSS live/dump", "same findings"],
        ([f"{r['size']:,}", f"{r['objects']:,}", f"{r['live']['seconds']:.2f}", r["live"]["requests"],
          f"{r['live']['bytes'] / 2**20:.1f}", f"{r['parse_floor']:.2f}", f"{r['dump']['seconds']:.2f}",
          f"{r['live']['seconds'] / r['dump']['seconds']:.2f}", f"{r['floor']:.2f}",
          f"{r['ratios'][len(r['ratios']) // 2]:.2f} ({r['ratios'][0]:.2f}–{r['ratios'][-1]:.2f})",
          *(spread(r["server_cpu"][side]) for side in ("live", "floor")),
          f"{r['kubectl_seconds']:.1f} ({r['kubectl_commands']}, {r['kubectl_requests']})",
          f"{r['kubectl_seconds'] / r['live']['seconds']:.1f}", f"{r['live']['rss_mb']:.0f}",
          f"{r['dump']['rss_mb']:.0f}", f"{r['live']['rss_mb'] / r['dump']['rss_mb']:.2f}",
          "yes" if r["same"] else "NO"] for r in rows), text={17}))
    print("\n`diagnose` of one instance: the kinds its rule reads listed whole, vs bounded by the alert's labels\n")
    print(markdown_table(
        ["VMs", "alert (labels)", "whole s", "whole requests", "whole MB", "bounded s", "bounded requests",
         "bounded MB", "full scan s", "same finding"],
        ([f"{r['size']:,}", f"{d['alert']} ({', '.join(f'{k}={v}' for k, v in d['labels'].items())})",
          f"{d['whole']['seconds']:.2f}", d["whole"]["requests"], f"{d['whole']['bytes'] / 2**20:.1f}",
          f"{d['focused']['seconds']:.2f}", d["focused"]["requests"], f"{d['focused']['bytes'] / 2**20:.2f}",
          f"{r['live']['seconds']:.2f}", "yes" if d["same"] else "NO"] for r in rows for d in r["diagnosed"]),
        text={1, 9}))
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
