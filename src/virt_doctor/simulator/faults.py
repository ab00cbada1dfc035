"""Named faults: each changes a healthy simulated cluster the way a real failure would, and says what it expects.

Register with @fault(name, alert, cause, help). A fault returns nothing; it
records what it did with `cluster.note(...)`, which the tests compare with the
scan's findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster, component_log
from virt_doctor.simulator.objects import event, ts
from virt_doctor.simulator.vms import VMSet

Obj = dict[str, Any]
FaultFn = Callable[..., None]


@dataclass(frozen=True)
class FaultSpec:
    """A named fault. A parameterised one (`param`) is written NAME:ARG, e.g. component-crashloop:virt-api."""

    name: str
    alert: str
    cause: str
    help: str
    fn: FaultFn
    param: str = ""
    default: str = ""


FAULTS: dict[str, FaultSpec] = {}
ALIASES = {"orphaned-vmi": "handler-crashloop"}


def fault(name: str, alert: str, cause: str, help: str, param: str = "",
          default: str = "") -> Callable[[FaultFn], FaultFn]:
    def decorate(fn: FaultFn) -> FaultFn:
        if name in FAULTS:
            raise ValueError(f"fault {name} registered twice")
        FAULTS[name] = FaultSpec(name, alert, cause, help, fn, param, default)
        return fn
    return decorate


def resolve(name: str) -> FaultSpec:
    """A fault by name (NAME or NAME:ARG) or alias; KeyError if unknown."""
    base = name.split(":", 1)[0]
    spec = FAULTS.get(ALIASES.get(base, base))
    if spec is None or (":" in name and not spec.param):
        raise KeyError(name)
    return spec


def inject(cluster: Cluster, name: str, age: timedelta) -> None:
    """Apply a fault that started `age` before the collection time."""
    spec = resolve(name)
    since = cluster.at - age
    cluster.started[spec.name] = since
    if spec.param:
        spec.fn(cluster, since, name.split(":", 1)[1] if ":" in name else spec.default)
    else:
        spec.fn(cluster, since)


# --- choosing targets -----------------------------------------------------------------------

def _used(cluster: Cluster) -> set[tuple[str, str]]:
    return {(i.namespace, i.name) for i in cluster.injected}


def pick_vm(cluster: Cluster, node: str | None = None) -> VMSet:
    """A running, not yet faulted VM (on `node` if given), chosen by the seed."""
    used = _used(cluster)
    faulty_nodes = {i.name for i in cluster.injected if i.kind == "Node"} | {
        n for n, pod in cluster.handler_pods.items() if pod["status"]["phase"] != "Running"
        or any(c["type"] == "Ready" and c["status"] != "True" for c in pod["status"]["conditions"])}
    candidates = [v for v in cluster.vms if v.vmi is not None and v.key not in used
                  and (v.node == node if node is not None else v.node not in faulty_nodes)]
    if not candidates:
        raise ValueError("no running VM left to inject this fault into; simulate more VMs")
    return cluster.rng.choice(candidates)


def pick_worker(cluster: Cluster, with_vms: bool = True) -> Obj:
    """A worker (hosting VMs, not yet faulted, not running the control plane if possible)."""
    used = {i.name for i in cluster.injected if i.kind == "Node"} | {
        v.node for v in cluster.vms if v.key in _used(cluster)}
    control = {p["spec"]["nodeName"] for pods in cluster.component_pods.values() for p in pods}
    names = [w["metadata"]["name"] for w in cluster.workers if w["metadata"]["name"] not in used]
    preferred = [n for n in names if n not in control and (not with_vms or cluster.vms_on(n))]
    candidates = preferred or [n for n in names if not with_vms or cluster.vms_on(n)]
    if not candidates:
        raise ValueError("no worker left to inject this fault into; simulate more nodes")
    return cluster.node(cluster.rng.choice(candidates))


def _ds(cluster: Cluster) -> Obj:
    return cluster.find("DaemonSet", "virt-handler")


def _ds_unready(cluster: Cluster, count: int = 1) -> None:
    status = _ds(cluster)["status"]
    status["numberReady"] -= count
    status["numberAvailable"] -= count
    status["numberUnavailable"] = status.get("numberUnavailable", 0) + count


def _ds_unscheduled(cluster: Cluster, node: str) -> None:
    """The DaemonSet stops wanting a pod on the node: desired and ready drop together."""
    cluster.handler_pods.pop(node)
    status = _ds(cluster)["status"]
    for key in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady", "numberAvailable",
                "updatedNumberScheduled"):
        status[key] -= 1


def cordon(node: Obj, since: datetime) -> None:
    """`kubectl cordon`: spec.unschedulable, and the taint the node controller adds for it."""
    node["spec"]["unschedulable"] = True
    node["spec"]["taints"] = node["spec"].get("taints", []) + [
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": ts(since)}]


def _set_node_not_ready(node: Obj, since: datetime) -> None:
    for cond in node["status"]["conditions"]:
        cond.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.",
                    lastTransitionTime=ts(since), lastHeartbeatTime=ts(since - timedelta(seconds=40)))
    node["metadata"]["labels"]["kubevirt.io/schedulable"] = "false"
    node["spec"]["taints"] = node["spec"].get("taints", []) + [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": ts(since)},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": ts(since)}]


def node_goes_down(cluster: Cluster, node: Obj, since: datetime) -> None:
    """The node stops reporting; its virt-handler pod turns not ready 40 s later."""
    _set_node_not_ready(node, since)
    pod = cluster.handler_pods[node["metadata"]["name"]]
    for cond in pod["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond.update(status="False", lastTransitionTime=ts(since + timedelta(seconds=40)))
    _ds_unready(cluster)


def _handler_crash(cluster: Cluster, node: str, since: datetime, api: bool = False) -> Obj:
    pod = cluster.handler_pods[node]
    podstate.crash_loop(pod, "virt-handler", since, cluster.at)
    if api:
        lines = [("info", "Starting virt-handler"),
                 ("error", 'Get \\"https://172.30.0.1:443/api/v1/nodes/' + node +
                  '\\": dial tcp 172.30.0.1:443: connect: connection refused'),
                 ("fatal", "failed to get node: dial tcp 172.30.0.1:443: connect: connection refused")]
    else:
        lines = [("info", "Starting virt-handler"), ("info", "set verbosity to 2"),
                 ("error", "failed to initialize device plugin for /dev/vhost-net: no such file or directory"),
                 ("fatal", "virt-handler failed to start: device plugin initialization failed")]
    cluster.log(pod, "virt-handler", "previous", component_log("virt-handler", cluster.at, lines))
    cluster.extra.append(event(cluster.ids, pod, "BackOff", "Back-off restarting failed container virt-handler "
                               f"in pod {pod['metadata']['name']}_{pod['metadata']['namespace']}",
                               cluster.at - timedelta(seconds=30), "Warning", count=40, first=since))
    return pod


# --- OrphanedVirtualMachineInstances / VirtHandlerDown --------------------------------------

@fault("handler-crashloop", "OrphanedVirtualMachineInstances", "virt-handler-daemonset-unhealthy",
       "virt-handler crash-loops on one node that runs VMs (alias: orphaned-vmi)")
def handler_crashloop(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster)["metadata"]["name"]
    _handler_crash(cluster, node, since)
    _ds_unready(cluster)
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
    _ds_unready(cluster)
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
    _ds_unscheduled(cluster, name)
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
    _ds(cluster)["spec"]["template"]["spec"]["nodeSelector"]["node-role.kubernetes.io/virt"] = ""
    _ds_unscheduled(cluster, name)
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
    _ds_unready(cluster, len(cluster.handler_pods))
    cluster.note("handler-down", "VirtHandlerDown", "image-pull-failure", _ds(cluster),
                 "no virt-handler pod runs: every one is in ImagePullBackOff")


@fault("handler-down-api", "VirtHandlerDaemonSetRolloutFailing", "api-server-unreachable",
       "every virt-handler pod crash-loops because it cannot reach the API server (still phase Running)")
def handler_down_api(cluster: Cluster, since: datetime) -> None:
    for node in list(cluster.handler_pods):
        _handler_crash(cluster, node, since, api=True)
    _ds_unready(cluster, len(cluster.handler_pods))
    cluster.note("handler-down-api", "VirtHandlerDaemonSetRolloutFailing", "api-server-unreachable", _ds(cluster),
                 "virt-handler logs 'dial tcp 172.30.0.1:443: connect: connection refused'")


@fault("handler-daemonset-missing", "VirtHandlerDown", "daemonset-missing",
       "the virt-handler DaemonSet (and so every virt-handler pod) is gone")
def handler_daemonset_missing(cluster: Cluster, since: datetime) -> None:
    ds = _ds(cluster)
    cluster.infra.remove(ds)
    cluster.handler_pods.clear()
    cluster.note("handler-daemonset-missing", "VirtHandlerDown", "daemonset-missing", ds,
                 "DaemonSet virt-handler deleted")


from virt_doctor.simulator import (  # noqa: E402,F401  (importing registers)
    faults_components,
    faults_metrics,
    faults_platform,
    faults_vms,
)
