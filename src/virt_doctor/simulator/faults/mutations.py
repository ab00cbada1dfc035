"""Changes several fault families make: virt-handler and node states, a workload's pods, a VM's status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster, component_log
from virt_doctor.simulator.objects import condition, event, ts
from virt_doctor.simulator.vms import VMSet

Obj = dict[str, Any]


def handler_daemonset(cluster: Cluster) -> Obj:
    return cluster.find("DaemonSet", "virt-handler")




def cordon(node: Obj, since: datetime) -> None:
    """`kubectl cordon`: spec.unschedulable, and the taint the node controller adds for it."""
    node["spec"]["unschedulable"] = True
    node["spec"]["taints"] = node["spec"].get("taints", []) + [
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": ts(since)}]


def set_node_not_ready(node: Obj, since: datetime) -> None:
    for cond in node["status"]["conditions"]:
        cond.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.",
                    lastTransitionTime=ts(since), lastHeartbeatTime=ts(since - timedelta(seconds=40)))
    node["metadata"]["labels"]["kubevirt.io/schedulable"] = "false"
    node["spec"]["taints"] = node["spec"].get("taints", []) + [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": ts(since)},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": ts(since)}]


def node_goes_down(cluster: Cluster, node: Obj, since: datetime) -> None:
    """The node stops reporting. As the node lifecycle controller does the moment it marks the node Unknown: every
    pod on it turns not ready (its containers still count as ready: nobody could ask), each with a `NodeNotReady`
    event, and the node gets one (seen on the real kube-controller-manager, tests/control/)."""
    set_node_not_ready(node, since)
    name = node["metadata"]["name"]
    cluster.extra.append(event(cluster.ids, node, "NodeNotReady", f"Node {name} status is now: NodeNotReady", since,
                               component="node-controller"))
    for pod in [o for o in cluster.objects() if o["kind"] == "Pod" and o["spec"].get("nodeName") == name]:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        for cond in pod["status"].get("conditions") or ():
            if cond["type"] == "Ready" and cond["status"] == "True":
                cond.update(status="False", lastTransitionTime=ts(since))
        cluster.extra.append(event(cluster.ids, pod, "NodeNotReady", "Node is not ready", since, "Warning",
                                   component="node-controller"))


def handler_crash(cluster: Cluster, node: str, since: datetime, api: bool = False) -> Obj:
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


def find_workload(cluster: Cluster, name: str) -> Obj:
    for kind in ("Deployment", "DaemonSet"):
        try:
            return cluster.find(kind, name)
        except KeyError:
            continue
    raise ValueError(f"no workload {name!r} in the simulated cluster (is it installed in this flavour?)")


def workload_pods(cluster: Cluster, name: str) -> list[Obj]:
    if name == "virt-handler":
        return list(cluster.handler_pods.values())
    find_workload(cluster, name)
    return cluster.component_pods[name]


def main_container(pod: Obj) -> str:
    return str(pod["spec"]["containers"][0]["name"])



def crash(cluster: Cluster, pod: Obj, since: datetime, lines: list[tuple[str, str]], reason: str = "Error",
           exit_code: int = 1) -> None:
    podstate.crash_loop(pod, main_container(pod), since, cluster.at, exit_code=exit_code, reason=reason)
    cluster.log(pod, main_container(pod), "previous", component_log(main_container(pod), cluster.at, lines))
    cluster.extra.append(event(cluster.ids, pod, "BackOff", f"Back-off restarting failed container {main_container(pod)}",
                               cluster.at - timedelta(seconds=40), "Warning", count=30, first=since))


ON_NODE = "VirtualMachineStuckOnNode"


UNHEALTHY = "VirtualMachineStuckInUnhealthyState"


def vm_status(vmset: VMSet, status: str, since: datetime, reason: str = "GuestNotRunning",
               message: str = "Guest VM is not reported as running") -> None:
    vm = vmset.vm
    vm["status"].update(printableStatus=status, ready=False)
    vm["status"]["conditions"] = [{**condition("Ready", "False", since, reason, message), "lastProbeTime": None}]


def vmi_phase(vmset: VMSet, phase: str, since: datetime, on_node: bool = True) -> Obj:
    vmi = vmset.vmi
    assert vmi is not None
    st = vmi["status"]
    st["phase"] = phase
    order = ["Pending", "Scheduling", "Scheduled", "Running"]
    st["phaseTransitionTimestamps"] = [{"phase": p, "phaseTransitionTimestamp": ts(since)}
                                       for p in order[: order.index(phase) + 1]] if phase in order else []
    vmi["metadata"]["creationTimestamp"] = ts(since)
    st["conditions"] = [{**condition("Ready", "False", since, "GuestNotRunning", "Guest VM is not reported as running"),
                         "lastProbeTime": None}]
    st.pop("guestOSInfo", None)
    st.pop("interfaces", None)
    if not on_node:
        st.pop("nodeName", None)
        st["activePods"] = {}
        vmi["metadata"]["labels"].pop("kubevirt.io/nodeName", None)
    return vmi


def restart_vm(vmset: VMSet, since: datetime) -> None:
    """The VM was (re)started at `since`: fresh VMI and launcher timestamps."""
    assert vmset.pod is not None
    vmset.pod["metadata"]["creationTimestamp"] = ts(since)


def vm_restarted_stuck(vmset: VMSet, status: str, phase: str, since: datetime, on_node: bool = True) -> Obj:
    """The VM was started again at `since` and sits in `status` with its VMI in `phase`; returns the VMI."""
    vm_status(vmset, status, since)
    vmi = vmi_phase(vmset, phase, since, on_node)
    restart_vm(vmset, since)
    return vmi


def note_vm(cluster: Cluster, name: str, alert: str, cause: str, vmset: VMSet, detail: str) -> None:
    cluster.note(name, alert, cause, vmset.vm, detail)


def only_object(cluster: Cluster, kind: str) -> Obj:
    found = cluster.find_kind(kind)
    if not found:
        raise ValueError(f"the simulated cluster has no {kind} (use the OpenShift flavour)")
    return found[0]


def use_container_disk(vmset: VMSet, image: str) -> None:
    spec = vmset.vm["spec"]
    spec.pop("dataVolumeTemplates", None)
    volumes = spec["template"]["spec"]["volumes"]
    volumes[0] = {"name": "rootdisk", "containerDisk": {"image": image}}
    if vmset.vmi is not None:
        vmset.vmi["spec"] = spec["template"]["spec"]
    vmset.dv = vmset.pvc = None
