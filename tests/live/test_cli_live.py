"""The live commands as a user runs them: scan, collect then scan --from, diagnose, the kubectl plugin, bad input."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.live.apiserver import DEBIAN_KUBECTL, ROOT, ApiServer, Loaded
from tests.live.conftest import now_for_live
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate

Load = Callable[[Cluster], Loaded]
VIRT_DOCTOR = ROOT / ".venv" / "bin" / "virt-doctor"
FAULTS = ["handler-crashloop", "vm-stuck-terminating", "component-dns:virt-operator", "vm-volume-mount",
          "cron-import-failing"]


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*args], capture_output=True, text=True, input=stdin, timeout=300,
                          env={**os.environ, **(env or {})})


def verdicts(report: dict) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(f["alert"], json.dumps(f["subject"], sort_keys=True), f["cause"]["id"]) for f in report["findings"]}


@pytest.fixture
def faulty(cluster_in: Load) -> Cluster:
    cluster = simulate(nodes=3, vms=12, faults=FAULTS, seed=13, at=now_for_live())
    cluster_in(cluster)
    return cluster


def test_collect_then_scan_from_it_gives_the_same_findings(kube: ApiServer, faulty: Cluster, tmp_path: Path) -> None:
    at = faulty.at.isoformat()
    live = run(str(VIRT_DOCTOR), "scan", "--kubeconfig", kube.kubeconfig, "--at", at, "-o", "json")
    assert live.returncode == 1, live.stderr
    archive = tmp_path / "support" / "cluster.tar.gz"
    collected = run(str(VIRT_DOCTOR), "collect", "--kubeconfig", kube.kubeconfig, "--out", str(archive))
    assert collected.returncode == 0, collected.stderr
    assert "wrote" in collected.stderr and archive.is_file()
    again = run(str(VIRT_DOCTOR), "scan", "--from", str(archive), "--at", at, "-o", "json")
    assert again.returncode == 1, again.stderr
    assert verdicts(json.loads(again.stdout)) == verdicts(json.loads(live.stdout))
    assert {c["alert"]: c["status"] for c in json.loads(again.stdout)["coverage"]} == \
        {c["alert"]: c["status"] for c in json.loads(live.stdout)["coverage"]}
    import tarfile
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert not [n for n in names if "/secrets" in n]
        assert any(n.endswith("/logs/previous.log") for n in names)  # the crash-looping pods' logs came along
        body = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]
    assert b"kind: Secret" not in body and b"dockerconfigjson" not in body


def test_diagnose_one_alert_gives_the_full_scans_finding(kube: ApiServer, faulty: Cluster) -> None:
    full = json.loads(run(str(VIRT_DOCTOR), "scan", "--kubeconfig", kube.kubeconfig, "--at", faulty.at.isoformat(),
                          "-o", "json").stdout)
    stuck = next(f for f in full["findings"] if f["alert"] == "VirtualMachineStuckOnNode"
                 and f["cause"]["id"] == "volume-mount-failure")
    one = run(str(VIRT_DOCTOR), "diagnose", "VirtualMachineStuckOnNode", "--kubeconfig", kube.kubeconfig,
              "--at", faulty.at.isoformat(), "-l", f"namespace={stuck['subject']['namespace']}",
              "-l", f"name={stuck['subject']['name']}", "-o", "json")
    assert one.returncode == 1, one.stderr
    assert json.loads(one.stdout)["findings"] == [stuck]
    page = {"labels": {"alertname": "OrphanedVirtualMachineInstances", "node": stuck["labels"].get("node", ""),
                       "severity": "warning"}, "status": "firing"}
    orphan = next(f for f in full["findings"] if f["alert"] == "OrphanedVirtualMachineInstances")
    page["labels"]["node"] = orphan["labels"]["node"]
    got = run(str(VIRT_DOCTOR), "diagnose", "--alert-json", "-", "--kubeconfig", kube.kubeconfig,
              "--at", faulty.at.isoformat(), "-o", "json", stdin=json.dumps({"version": "4", "alerts": [page]}))
    assert json.loads(got.stdout)["findings"] == [orphan]


def test_kubectl_runs_virt_doctor_as_a_plugin(kube: ApiServer, faulty: Cluster) -> None:
    """Debian's kubectl finds kubectl-virt_doctor on PATH: `kubectl virt-doctor scan` works."""
    env = {"PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}", "KUBECONFIG": kube.kubeconfig}
    listed = run(str(DEBIAN_KUBECTL), "plugin", "list", env=env)
    assert "kubectl-virt_doctor" in listed.stdout
    out = run(str(DEBIAN_KUBECTL), "virt-doctor", "scan", "--at", faulty.at.isoformat(), "-o", "json", env=env)
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["source"]["type"] == "live"


def test_the_commands_virt_doctor_prints_work_with_kubectl(kube: ApiServer, faulty: Cluster) -> None:
    """Every read-only command of every finding, run by Debian's kubectl against the same server."""
    report = json.loads(run(str(VIRT_DOCTOR), "scan", "--kubeconfig", kube.kubeconfig, "--at",
                            faulty.at.isoformat(), "-o", "json").stdout)
    commands = {step["command"] for f in report["findings"] for step in f["diagnosis"] + f["remediation"]
                if step["risk"] == "read-only" and step["command"].startswith("kubectl ")
                and "|" not in step["command"] and "<" not in step["command"]}
    assert len(commands) >= 5
    failed = []
    for command in sorted(commands):
        if " logs " in f" {command} " or " exec " in f" {command} ":
            continue  # a kubelet's work: the stand-in serves logs (checked through the scan itself), not exec
        done = subprocess.run(["bash", "-c", command.replace("kubectl ", f"{DEBIAN_KUBECTL} --kubeconfig "
                                                                 f"{kube.kubeconfig} ", 1)],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            failed.append(f"{command}: {done.stderr.strip()[-300:]}")
    assert not failed, failed


@pytest.mark.parametrize(("args", "message"), [
    (["--kubeconfig", "/nonexistent/kubeconfig"], "/nonexistent/kubeconfig: no kubeconfig"),
    (["--context", "nope"], "no context 'nope' (contexts: local)"),
])
def test_bad_kubeconfig_or_context_is_one_line_and_exit_2(kube: ApiServer, args: list[str], message: str) -> None:
    done = run(str(VIRT_DOCTOR), "scan", *args, env={"KUBECONFIG": kube.kubeconfig})
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_unreachable_server_is_one_line_and_exit_2(tmp_path: Path, kube: ApiServer) -> None:
    config = Path(kube.kubeconfig).read_text().replace(kube.url, "https://127.0.0.1:9")
    (tmp_path / "config").write_text(config)
    done = run(str(VIRT_DOCTOR), "scan", "--kubeconfig", str(tmp_path / "config"))
    assert done.returncode == 2 and "https://127.0.0.1:9: cannot connect" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    (tmp_path / "broken").write_text("apiVersion: v1\nkind: Config\nclusters: [ {")
    broken = run(str(VIRT_DOCTOR), "scan", "--kubeconfig", str(tmp_path / "broken"))
    assert broken.returncode == 2 and "cannot use this kubeconfig" in broken.stderr


def test_prometheus_auto_uses_the_thanos_querier_route(kube: ApiServer, faulty: Cluster) -> None:
    """On OpenShift, --prometheus auto reads openshift-monitoring's route; elsewhere it says there is none."""
    absent = run(str(VIRT_DOCTOR), "scan", "--kubeconfig", kube.kubeconfig, "--prometheus", "auto")
    assert absent.returncode == 2 and "no route thanos-querier in openshift-monitoring" in absent.stderr
    for command in ("mcp", "serve"):  # the same resolution, the same one line, before anything is served
        said = run(str(VIRT_DOCTOR), command, "--kubeconfig", kube.kubeconfig, "--prometheus", "auto", "--port", "1"
                   ) if command == "serve" else run(str(VIRT_DOCTOR), command, "--kubeconfig", kube.kubeconfig,
                                                    "--prometheus", "auto")
        assert said.returncode == 2 and len(said.stderr.strip().splitlines()) == 1, (command, said.stderr)
        assert "no route thanos-querier in openshift-monitoring" in said.stderr, (command, said.stderr)
    with kube.http() as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": "openshift-monitoring"}})
        made = http.post("/apis/route.openshift.io/v1/namespaces/openshift-monitoring/routes", json={
            "apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": "thanos-querier", "namespace": "openshift-monitoring"},
            "spec": {"host": "127.0.0.1:9", "path": "/", "to": {"kind": "Service", "name": "thanos-querier"}}})
        assert made.status_code == 201, made.text
        try:
            found = run(str(VIRT_DOCTOR), "scan", "--kubeconfig", kube.kubeconfig, "--prometheus", "auto",
                        "--at", faulty.at.isoformat(), "-o", "json", "--prometheus-timeout", "2")
        finally:
            http.delete("/apis/route.openshift.io/v1/namespaces/openshift-monitoring/routes/thanos-querier")
    assert found.returncode == 1, found.stderr  # objects still scanned; the querier is not there to answer
    assert "https://127.0.0.1:9" in found.stderr and "the metric alerts are skipped" in found.stderr
    assert kube.token not in found.stderr + found.stdout  # the kubeconfig's token went to the querier, not the screen
