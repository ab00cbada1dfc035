"""virt-handler faults: crash loops, image pulls, taints, placement, a missing DaemonSet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.mutations import (
    handler_crash,
    handler_daemonset,
    node_goes_down,
    only_object,
)
from virt_doctor.simulator.faults.registry import fault
from virt_doctor.simulator.faults.targets import pick_worker
from virt_doctor.simulator.objects import event, ts

Obj = dict[str, Any]


@fault("handler-crashloop", "OrphanedVirtualMachineInstances", "virt-handler-daemonset-unhealthy",
       "virt-handler crash-loops on one node that runs VMs (alias: orphaned-vmi)")
def handler_crashloop(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)["metadata"]["name"]
    handler_crash(cluster, node, since)
    cluster.note("handler-crashloop", "OrphanedVirtualMachineInstances", "virt-handler-daemonset-unhealthy",
                 "Node", f"virt-handler on {node} is in CrashLoopBackOff", name=node)


@fault("handler-image-pull", "OrphanedVirtualMachineInstances", "virt-handler-daemonset-unhealthy",
       "virt-handler on one node cannot pull its image after a bad image override")
def handler_image_pull(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)["metadata"]["name"]
    pod = cluster.handler_pods[node]
    image = "quay.io/kubevirt/virt-handler:v1.5.3-rc.0"
    podstate.image_pull(pod, "virt-handler", since, image)
    cluster.extra.append(event(cluster.ids, pod, "Failed", f'Failed to pull image "{image}": reading manifest '
                               "v1.5.3-rc.0 in quay.io/kubevirt/virt-handler: manifest unknown",
                               cluster.at - timedelta(minutes=1), "Warning", count=12, first=since))
    cluster.note("handler-image-pull", "OrphanedVirtualMachineInstances", "virt-handler-daemonset-unhealthy",
                 "Node", f"virt-handler on {node} is in ImagePullBackOff", name=node)


@fault("node-not-ready", "OrphanedVirtualMachineInstances", "node-not-ready",
       "a worker running VMs stops reporting (kubelet down); its virt-handler is no longer ready")
def node_not_ready(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)
    name = node["metadata"]["name"]
    node_goes_down(cluster, node, since)
    cluster.note("node-not-ready", "OrphanedVirtualMachineInstances", "node-not-ready", node,
                 f"{name} is NotReady (kubelet stopped posting status)")


@fault("handler-taint", "OrphanedVirtualMachineInstances", "node-taint-not-tolerated",
       "a NoExecute taint virt-handler does not tolerate evicts it from a node that keeps running VMs")
def handler_taint(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)
    name = node["metadata"]["name"]
    node["spec"]["taints"] = node["spec"].get("taints", []) + [
        {"key": "maintenance", "value": "storage-firmware", "effect": "NoExecute", "timeAdded": ts(since)}]
    cluster.handler_pods.pop(name)
    cluster.note("handler-taint", "OrphanedVirtualMachineInstances", "node-taint-not-tolerated", node,
                 f"{name} got taint maintenance=storage-firmware:NoExecute")


@fault("handler-placement", "OrphanedVirtualMachineInstances", "workloads-placement-excludes-node",
       "the KubeVirt workloads nodePlacement is narrowed and no longer selects a node with running VMs")
def handler_placement(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)
    name = node["metadata"]["name"]
    for worker in cluster.workers:
        if worker is not node:
            worker["metadata"]["labels"]["node-role.kubernetes.io/virt"] = ""
    kubevirt = next(o for o in cluster.infra if o["kind"] == "KubeVirt")
    kubevirt["spec"]["workloads"] = {"nodePlacement": {"nodeSelector": {"node-role.kubernetes.io/virt": ""}}}
    kubevirt["metadata"]["generation"] += 1
    handler_daemonset(cluster)["spec"]["template"]["spec"]["nodeSelector"]["node-role.kubernetes.io/virt"] = ""
    cluster.handler_pods.pop(name)
    cluster.note("handler-placement", "OrphanedVirtualMachineInstances", "workloads-placement-excludes-node", node,
                 f"spec.workloads.nodePlacement requires node-role.kubernetes.io/virt, which {name} lacks")


@fault("handler-down", "VirtHandlerDown", "image-pull-failure",
       "every virt-handler pod waits on an image that cannot be pulled (phase Pending)")
def handler_down(cluster: Cluster, since: datetime) -> None:
    image = "quay.io/kubevirt/virt-handler:v1.5.3-rc.0"
    for pod in cluster.handler_pods.values():
        podstate.image_pull(pod, "virt-handler", since, image, phase="Pending")
        cluster.extra.append(event(cluster.ids, pod, "Failed", f'Failed to pull image "{image}": reading manifest '
                                   "v1.5.3-rc.0 in quay.io/kubevirt/virt-handler: manifest unknown",
                                   cluster.at - timedelta(seconds=40), "Warning", count=12, first=since))
    cluster.note("handler-down", "VirtHandlerDown", "image-pull-failure", handler_daemonset(cluster),
                 "no virt-handler pod runs: every one is in ImagePullBackOff")


@fault("handler-down-api", "VirtHandlerDaemonSetRolloutFailing", "api-server-unreachable",
       "every virt-handler pod crash-loops because it cannot reach the API server (still phase Running)")
def handler_down_api(cluster: Cluster, since: datetime) -> None:
    for node in list(cluster.handler_pods):
        handler_crash(cluster, node, since, api=True)
    cluster.note("handler-down-api", "VirtHandlerDaemonSetRolloutFailing", "api-server-unreachable", handler_daemonset(cluster),
                 "virt-handler logs 'dial tcp 172.30.0.1:443: connect: connection refused'")


@fault("handler-daemonset-missing", "VirtHandlerDown", "daemonset-missing",
       "the virt-handler DaemonSet (and so every virt-handler pod) is gone")
def handler_daemonset_missing(cluster: Cluster, since: datetime) -> None:
    ds = handler_daemonset(cluster)
    cluster.infra.remove(ds)
    cluster.handler_pods.clear()
    cluster.note("handler-daemonset-missing", "VirtHandlerDown", "daemonset-missing", ds,
                 "DaemonSet virt-handler deleted")


@fault("handler-insufficient", "VirtHandlerDaemonSetRolloutFailing", "insufficient-node-resources",
       "a virt-handler pod cannot be placed on its node: the node has no memory left")
def handler_insufficient(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster, with_vms=False)["metadata"]["name"]
    pod = cluster.handler_pods[node]
    message = (f"0/{len(cluster.workers) + len(cluster.masters)} nodes are available: 1 Insufficient memory, "
               f"{len(cluster.workers) + len(cluster.masters) - 1} node(s) didn't match Pod's node affinity/selector.")
    pod["metadata"]["creationTimestamp"] = ts(since)
    podstate.unschedulable(pod, since, message)
    cluster.extra.append(event(cluster.ids, pod, "FailedScheduling", message, cluster.at - timedelta(minutes=1),
                               "Warning", count=15, first=since, component="default-scheduler"))
    cluster.note("handler-insufficient", "VirtHandlerDaemonSetRolloutFailing", "insufficient-node-resources",
                 cluster.find("DaemonSet", "virt-handler"), f"virt-handler on {node} Pending: Insufficient memory")


@fault("handler-placement-none", "VirtHandlerDown", "placement-matches-no-node",
       "the workloads placement was changed to a label no node has; virt-handler is scheduled nowhere")
def handler_placement_none(cluster: Cluster, since: datetime) -> None:
    kubevirt = only_object(cluster, "KubeVirt")
    kubevirt["spec"]["workloads"] = {"nodePlacement": {"nodeSelector": {"node-role.kubernetes.io/virt-hosts": ""}}}
    ds = cluster.find("DaemonSet", "virt-handler")
    ds["spec"]["template"]["spec"]["nodeSelector"]["node-role.kubernetes.io/virt-hosts"] = ""
    for key in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady", "numberAvailable",
                "updatedNumberScheduled"):
        ds["status"][key] = 0
    cluster.handler_pods.clear()
    cluster.note("handler-placement-none", "VirtHandlerDown", "placement-matches-no-node", ds,
                 "nodeSelector node-role.kubernetes.io/virt-hosts matches no node")
