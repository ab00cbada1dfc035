"""One control plane for the session: the real kube-apiserver, kube-controller-manager and kube-scheduler, the node
agent for kubelets, KubeVirt's part played by the tests, and a small simulated cluster installed on it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.control.agent import NodeAgent
from tests.control.kubevirt import KubeVirtPart
from tests.control.plane import install, start_plane, unready, wait_for
from tests.live.apiserver import KUBE, ApiServer, stop
from tests.live.kubelet import KubeletLogs
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate

NODES, VMS, SEED = 3, 6, 3  # three workers (and three control-plane nodes), six VMs: every scenario's stage


@dataclass
class Plane:
    server: ApiServer
    agent: NodeAgent
    cluster: Cluster

    def healthy(self) -> None:
        """Wait until every workload is as its controller wants it and the agent has run every pod."""
        wait_for("every Deployment and DaemonSet ready", lambda: not unready(self.server), 90)
        wait_for("the agent ran every pod", self.agent.settled, 30)


@pytest.fixture(scope="session")
def plane() -> Iterator[Plane]:
    if not (KUBE / "kube-controller-manager.xz").exists():
        pytest.skip(f"no control plane here ({KUBE} is absent): these tests need ../shared/kube")
    if shutil.which("etcd") is None:
        pytest.fail("etcd is not installed; scripts/setup.sh installs Debian's etcd-server")
    shm = Path("/dev/shm")
    workdir = Path(tempfile.mkdtemp(prefix="virt-doctor-plane-", dir=shm if shm.is_dir() else None))
    server = start_plane(workdir / "server")
    logs = KubeletLogs(workdir)
    agent = NodeAgent(server, logs)
    kubevirt = KubeVirtPart(server)
    agent.start()
    kubevirt.start()
    try:
        cluster = simulate(nodes=NODES, vms=VMS, seed=SEED, at=datetime.now(UTC).replace(microsecond=0))
        install(server, agent, cluster)
        ready = Plane(server, agent, cluster)
        ready.healthy()
        yield ready
    finally:
        kubevirt.stop()
        agent.stop()
        logs.stop()
        stop(server)
        shutil.rmtree(workdir, ignore_errors=True)
