"""Two replicas of `virt-doctor serve` on one PostgreSQL store, electing a leader through a Lease on the real API
server, running as the ServiceAccount with deploy/'s RBAC: the leader keeps virt-doctor's own incidents; killed
with SIGKILL, the other takes the Lease over within its duration and keeps them from there; a replica shut down
cleanly gives the Lease up at once. Notifications posted to both replicas throughout: none acknowledged is lost,
none doubled."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.live.apiserver import DEBIAN_KUBECTL, ROOT, ApiServer, Loaded
from tests.live.conftest import now_for_live
from tests.live.faultproxy import Fault, FaultProxy, through
from tests.prometheus.conftest import free_port, stop_process
from tests.serve import postgres
from tests.serve.alerts import PATH, am_alert, payload
from tests.waiting import eventually
from virt_doctor.serve.leader import LeaseElector
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.sources.live.client import KubeClient
from virt_doctor.sources.live.connection import connect
from virt_doctor.store.incidents import OWN

VIRT_DOCTOR = Path(sys.executable).parent / "virt-doctor"
NAMESPACE = "virt-doctor"
LEASE = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/virt-doctor"
HCO = "/apis/hco.kubevirt.io/v1beta1/namespaces/openshift-cnv/hyperconvergeds/kubevirt-hyperconverged"
DURATION, DEADLINE, RETRY = 4.0, 3.0, 1.0  # seconds: short, so the test is quick (the defaults are 15, 10, 2)
Load = Callable[[Cluster], Loaded]



@pytest.fixture
def service_account(kube: ApiServer, tmp_path: Path) -> Iterator[str]:
    """A kubeconfig for the virt-doctor ServiceAccount, bound to deploy/'s reader ClusterRole and leader-election
    Role, with a token from the TokenRequest API."""
    with kube.http() as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": NAMESPACE}})
        http.post(f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts", json={"metadata": {"name": "virt-doctor"}})
    for rbac in ("reader.yaml", "leader-election.yaml"):
        subprocess.run([str(DEBIAN_KUBECTL), "--kubeconfig", kube.kubeconfig, "-n", NAMESPACE, "apply", "-f",
                        str(ROOT / "deploy" / "base" / "rbac" / rbac)], capture_output=True, check=True, timeout=60)
    with kube.http() as http:
        answer = http.post(f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/virt-doctor/token",
                           json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                 "spec": {"expirationSeconds": 3600}})
        answer.raise_for_status()
    config = yaml.safe_load(Path(kube.kubeconfig).read_text())
    config["users"][0]["user"] = {"token": answer.json()["status"]["token"]}
    path = tmp_path / "service-account.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    yield str(path)
    with kube.http() as http:
        http.delete(LEASE)


class Replica:
    """One `virt-doctor serve --leader-elect` process."""

    def __init__(self, kubeconfig: str, db: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(VIRT_DOCTOR), "serve", "--kubeconfig", kubeconfig, "--db", db, "--port", str(self.port),
             "--log-level", "warning", "--interval", "60s", "--leader-elect",
             "--leader-elect-resource-namespace", NAMESPACE, "--leader-elect-lease-duration", f"{DURATION:g}s",
             "--leader-elect-renew-deadline", f"{DEADLINE:g}s", "--leader-elect-retry-period", f"{RETRY:g}s"],
            stdout=self.log, stderr=subprocess.STDOUT)
        assert eventually(self.ready, 60), log.read_text()[-2000:]

    def readyz(self) -> dict:  # type: ignore[type-arg]
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).json()  # type: ignore[no-any-return]
        except (httpx.TransportError, ValueError):
            return {}

    def ready(self) -> bool:
        return self.readyz().get("status") == "ok"

    def leader(self) -> bool:
        return self.readyz().get("leader") is True

    def metric(self, name: str) -> float:
        for line in httpx.get(f"{self.url}/metrics", timeout=5).text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"no {name} in /metrics")

    def own_incidents(self) -> list[dict]:  # type: ignore[type-arg]
        rows = httpx.get(f"{self.url}/api/v1/incidents", params={"limit": 5000}, timeout=10).json()
        return [i for i in rows if i["origin"] == "virt-doctor"]

    def findings(self) -> set[str]:
        return {f["id"] for f in httpx.get(f"{self.url}/api/v1/report", timeout=10).json()["findings"]}

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


def firing_keys(replica: Replica) -> set[str]:
    return {i["key"].removeprefix(OWN) for i in replica.own_incidents() if i["state"] == "firing"}


@pytest.mark.slow
def test_two_replicas_one_leader_takes_over_and_nothing_is_lost_or_doubled(
        kube: ApiServer, cluster_in: Load, service_account: str, pg_server: postgres.Postgres,
        tmp_path: Path) -> None:
    cluster = simulate(nodes=3, vms=8, faults=["vm-missing-secret"], seed=11, at=now_for_live())
    cluster_in(cluster)
    db = postgres.new_database(pg_server)
    first = Replica(service_account, db, tmp_path / "first.log")
    replicas = [first]
    try:
        assert eventually(first.leader, 3 * DURATION), first.readyz()
        second = Replica(service_account, db, tmp_path / "second.log")
        replicas.append(second)
        time.sleep(2 * RETRY)
        assert not second.leader() and second.metric("virt_doctor_leader") == 0
        assert first.metric("virt_doctor_leader") == 1
        # the leader keeps virt-doctor's own incidents: one per finding of its evaluation
        assert eventually(lambda: firing_keys(second) == first.findings() != set()), \
            (firing_keys(second), first.findings())
        with kube.http() as http:
            holder = http.get(LEASE).json()["spec"]
        assert holder["leaseDurationSeconds"] == DURATION and holder["holderIdentity"]

        # notifications posted to both replicas throughout, some of the same alert to both at once
        acknowledged: Counter[str] = Counter()
        stop = threading.Event()

        def post(replica: Replica, keys: Iterator[str]) -> None:
            with httpx.Client(timeout=5) as client:
                for n, key in enumerate(keys):
                    if stop.is_set():
                        return
                    alert = am_alert({"alertname": "VirtHandlerDown", "namespace": "openshift-cnv",
                                      "n": key}, key)
                    try:
                        answer = client.post(replica.url + PATH, json=payload([alert]))
                    except httpx.TransportError:
                        time.sleep(0.05)
                        continue
                    if answer.status_code == 200:
                        acknowledged[key] += 1
                    time.sleep(0.01 if n % 2 else 0)

        shared = (f"both-{n % 40:03d}" for n in itertools.count())  # both replicas post these 40 keys over and over
        posters = [threading.Thread(target=post, args=(first, (f"a-{n:05d}" for n in range(2000)))),
                   threading.Thread(target=post, args=(second, (f"b-{n:05d}" for n in range(2000)))),
                   threading.Thread(target=post, args=(first, shared)),
                   threading.Thread(target=post, args=(second, (f"both-{n % 40:03d}" for n in itertools.count())))]
        for poster in posters:
            poster.start()
        assert eventually(lambda: sum(acknowledged.values()) >= 200, 60)

        first.kill()
        killed = time.monotonic()
        assert eventually(second.leader, 3 * DURATION), second.readyz()
        took = time.monotonic() - killed
        assert took <= DURATION + 2 * RETRY, f"took the Lease over after {took:.1f}s"
        with kube.http() as http:
            lease = http.get(LEASE).json()["spec"]
        assert lease["holderIdentity"] != holder["holderIdentity"] and \
            lease["leaseTransitions"] == int(holder.get("leaseTransitions") or 0) + 1

        # the new leader runs the evaluation: a change in the cluster now becomes an incident
        with kube.http() as http:
            http.patch(HCO, headers={"Content-Type": "application/merge-patch+json"},
                       json={"metadata": {"annotations": {"kubevirt.kubevirt.io/jsonpatch":
                                                          '[{"op": "add", "path": "/spec/configuration/x", "value": 1}]'}}})
        assert eventually(lambda: any(i["alertname"] == "UnsupportedHCOModification" and i["state"] == "firing"
                                      for i in second.own_incidents()), 30)
        assert eventually(lambda: firing_keys(second) == second.findings())
        time.sleep(0.5)
        stop.set()
        for poster in posters:
            poster.join()

        incidents = httpx.get(f"{second.url}/api/v1/incidents", params={"limit": 5000}, timeout=10).json()
        assert len(incidents) < 5000
        keys = Counter(i["key"] for i in incidents)
        assert max(keys.values()) == 1  # nothing doubled
        notified = {i["key"]: i["notifications"] for i in incidents if i["origin"] != "virt-doctor"}
        lost = [key for key in acknowledged if key not in notified]
        assert not lost, lost[:10]
        assert all(notified[key] >= count for key, count in acknowledged.items()), \
            {k: (notified[k], c) for k, c in acknowledged.items() if notified[k] < c}
        assert len([k for k in acknowledged if k.startswith("both-")]) == 40

        # a replica shut down cleanly gives the Lease up: the other takes it at once, not after its duration
        third = Replica(service_account, db, tmp_path / "third.log")
        replicas.append(third)
        time.sleep(2 * RETRY)
        assert not third.leader() and second.leader()
        second.stop()
        stopped = time.monotonic()
        assert eventually(third.leader, 3 * DURATION)
        assert time.monotonic() - stopped < DURATION, "the Lease was not given up on shutdown"
        with kube.http() as http:
            http.patch(HCO, headers={"Content-Type": "application/merge-patch+json"},
                       json={"metadata": {"annotations": {"kubevirt.kubevirt.io/jsonpatch": None}}})
        assert eventually(lambda: not any(i["alertname"] == "UnsupportedHCOModification" and i["state"] == "firing"
                                          for i in third.own_incidents()), 30)
    finally:
        for replica in replicas:
            if replica.process.poll() is None:
                replica.stop()
    print(json.dumps({"takeover_seconds": round(took, 2), "acknowledged": sum(acknowledged.values())}))


def test_a_leader_that_cannot_renew_steps_down_before_its_lease_can_expire(kube: ApiServer, tmp_path: Path) -> None:
    """The API server stops answering the holder: it stops acting as the leader within the renew deadline, before
    another replica could take the Lease (its duration); when the server answers again it holds it again."""
    proxy = FaultProxy(kube.url, kube.ca)
    failing = threading.Event()
    proxy.decide = lambda method, path, nth: Fault(status=503) if failing.is_set() and "/leases" in path else None
    with kube.http() as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": NAMESPACE}})
    changes: list[tuple[float, bool]] = []
    elector = LeaseElector(KubeClient(connect(through(proxy, kube, tmp_path)), timeout=1.0), NAMESPACE,
                           name="step-down", duration=DURATION, deadline=DEADLINE, retry=0.2,
                           on_change=lambda leading: changes.append((time.monotonic(), leading)))
    elector.start()
    try:
        assert eventually(elector.is_leader, 5)
        failing.set()
        cut = time.monotonic()
        assert eventually(lambda: any(not leading for _, leading in changes), DURATION)
        assert not elector.is_leader()
        stepped_down = next(at for at, leading in changes if not leading) - cut
        assert stepped_down <= DEADLINE + 0.5 < DURATION, stepped_down
        assert "503" in elector.error
        failing.clear()
        assert eventually(elector.is_leader, 5)  # still its Lease (nobody took it): renewed, held again
        with kube.http() as http:
            assert http.get(f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/step-down").json()[
                "spec"]["holderIdentity"] == elector.identity
    finally:
        elector.stop()
        proxy.stop()
    with kube.http() as http:  # stopped: given up
        assert http.get(f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/step-down").json()[
            "spec"]["holderIdentity"] in ("", None)
        http.delete(f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/step-down")
