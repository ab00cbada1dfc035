"""Node faults for the KVM and schedulability alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.mutations import cordon, only_object
from virt_doctor.simulator.faults.registry import fault

Obj = dict[str, Any]


def _kvm(node: Obj, amount: str) -> None:
    node["status"]["allocatable"]["devices.kubevirt.io/kvm"] = amount
    node["status"]["capacity"]["devices.kubevirt.io/kvm"] = amount


@fault("no-kvm-nodes", "KubeVirtNoAvailableNodesToRunVMs", "no-kvm",
       "no node offers /dev/kvm (virtualization disabled in firmware)")
def no_kvm_nodes(cluster: Cluster, since: datetime) -> None:
    for worker in cluster.workers:
        _kvm(worker, "0")
    cluster.note("no-kvm-nodes", "KubeVirtNoAvailableNodesToRunVMs", "no-kvm", only_object(cluster, "KubeVirt"),
                 "every worker advertises 0 KVM devices")


@fault("all-nodes-cordoned", "KubeVirtNoAvailableNodesToRunVMs", "no-schedulable-nodes",
       "every worker is cordoned for maintenance")
def all_nodes_cordoned(cluster: Cluster, since: datetime) -> None:
    for worker in cluster.workers:
        cordon(worker, since)
    cluster.note("all-nodes-cordoned", "KubeVirtNoAvailableNodesToRunVMs", "no-schedulable-nodes",
                 only_object(cluster, "KubeVirt"), "all workers cordoned")


@fault("low-kvm-nodes", "LowKVMNodesCount", "kvm-missing-on-nodes", "only one worker still offers /dev/kvm")
def low_kvm_nodes(cluster: Cluster, since: datetime) -> None:
    for worker in cluster.workers[1:]:
        _kvm(worker, "0")
    cluster.note("low-kvm-nodes", "LowKVMNodesCount", "kvm-missing-on-nodes", only_object(cluster, "KubeVirt"),
                 "one KVM node left")
