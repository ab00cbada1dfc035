"""Storms through the real kube-apiserver: a live scan groups the alerts into the same problems, with the same
roots and members, as the scan of the same cluster's dump."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.live.apiserver import ROOT, ApiServer, Loaded
from tests.live.conftest import now_for_live
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump

Load = Callable[[Cluster], Loaded]
VIRT_DOCTOR = ROOT / ".venv" / "bin" / "virt-doctor"
STORMS = ["storm-node-down", "storm-import-source-down", "storm-storage-class-gone", "vm-invalid-spec"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*args], capture_output=True, text=True, timeout=300, check=False)


def grouped(report: dict) -> dict[str, tuple[str, str, list[tuple[str, str]]]]:  # type: ignore[type-arg]
    """Problem id -> (root, cause, its members as (alert, subject))."""
    by_id = {f["id"]: f for f in report["findings"]}

    def ref(s: dict) -> str:  # type: ignore[type-arg]
        return "/".join(p for p in (s["kind"], s["namespace"], s["name"]) if p)

    return {p["id"]: (ref(p["root"]), p["cause"], sorted((by_id[i]["alert"], ref(by_id[i]["subject"]))
                                                         for i in p["findings"])) for p in report["problems"]}


def test_a_live_scan_groups_a_storm_as_its_dump_does(kube: ApiServer, cluster_in: Load, tmp_path: Path) -> None:
    cluster = simulate(nodes=4, vms=40, faults=STORMS, seed=3, at=now_for_live())
    cluster_in(cluster)
    at = cluster.at.isoformat()
    live = run(str(VIRT_DOCTOR), "scan", "--kubeconfig", kube.kubeconfig, "--at", at, "-o", "json")
    assert live.returncode == 1, live.stderr
    dump = write_dump(cluster, tmp_path / "dump")
    offline = run(str(VIRT_DOCTOR), "scan", "--from", str(dump), "--at", at, "-o", "json")
    assert offline.returncode == 1, offline.stderr
    live_problems, dump_problems = grouped(json.loads(live.stdout)), grouped(json.loads(offline.stdout))
    assert live_problems == dump_problems
    roots = {root for root, _, _ in live_problems.values()}
    down = next(i.name for i in cluster.injected if i.fault == "storm-node-down")
    assert {f"Node/{down}", "ImportSource/https://images.example.internal/fedora-41.qcow2",
            "StorageClass/fast-ssd"} <= roots
    assert len(live_problems) == 4
