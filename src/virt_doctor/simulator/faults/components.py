"""Control-plane component faults (NAME:workload): crash loops, OOM, DNS, probes, scheduling, scale."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.mutations import (
    cordon,
    crash,
    find_workload,
    main_container,
    set_node_not_ready,
    workload_pods,
)
from virt_doctor.simulator.faults.registry import FAULTS, fault
from virt_doctor.simulator.objects import event, ts

Obj = dict[str, Any]


DEFAULT = "virt-controller"


def _note(cluster: Cluster, fault_name: str, name: str, detail: str) -> None:
    """What the fault did to the workload, and — on its default workload, where the registry says which alert and
    cause it sets off — that expectation (another workload's alert is another alert: left unsaid)."""
    spec = FAULTS[fault_name]
    alert, cause = (spec.alert, spec.cause) if name == spec.default else ("", "")
    cluster.note(fault_name, alert, cause, find_workload(cluster, name), detail)


def _all_crash(cluster: Cluster, since: datetime, name: str, fault_name: str, detail: str,
               lines: list[tuple[str, str]], reason: str = "Error", exit_code: int = 1) -> None:
    """Every pod of the workload crash-loops, its previous log ending with `lines`; the workload is unavailable."""
    for pod in workload_pods(cluster, name):
        crash(cluster, pod, since, [("info", f"{name} starting"), *lines], reason=reason, exit_code=exit_code)
    _note(cluster, fault_name, name, detail)


@fault("component-crashloop", "NoReadyVirtController", "pod-crash-looping",
       "every pod of a workload crash-loops (a bad configuration)", param="DEPLOYMENT", default=DEFAULT)
def component_crashloop(cluster: Cluster, since: datetime, name: str) -> None:
    _all_crash(cluster, since, name, "component-crashloop", f"{name} pods in CrashLoopBackOff",
               [("fatal", "failed to load configuration: invalid value for field 'tlsConfig'")])


@fault("component-oom", "NoReadyVirtController", "oom-killed",
       "every pod of a workload is OOM-killed and crash-loops", param="DEPLOYMENT", default=DEFAULT)
def component_oom(cluster: Cluster, since: datetime, name: str) -> None:
    _all_crash(cluster, since, name, "component-oom", f"{name} pods OOMKilled", [("info", "caches synced")],
               reason="OOMKilled", exit_code=137)


@fault("component-api-unreachable", "NoReadyVirtController", "api-server-unreachable",
       "a workload's pods crash because the API server refuses connections", param="DEPLOYMENT", default=DEFAULT)
def component_api_unreachable(cluster: Cluster, since: datetime, name: str) -> None:
    _all_crash(cluster, since, name, "component-api-unreachable", f"{name} cannot reach the API server", [
        ("error", 'Get \\"https://172.30.0.1:443/api?timeout=32s\\": dial tcp 172.30.0.1:443: connect: connection refused'),
        ("fatal", "unable to build the client: dial tcp 172.30.0.1:443: connect: connection refused")])


@fault("component-dns", "NoReadyVirtController", "dns-failure",
       "a workload's pods crash because cluster DNS does not resolve", param="DEPLOYMENT", default=DEFAULT)
def component_dns(cluster: Cluster, since: datetime, name: str) -> None:
    _all_crash(cluster, since, name, "component-dns", f"{name} cannot resolve the API server's name", [
        ("fatal", 'Get \\"https://kubernetes.default.svc:443/api\\": dial tcp: lookup kubernetes.default.svc on '
                  '172.30.0.10:53: no such host')])


@fault("component-readiness", "NoReadyVirtController", "readiness-probe-failing",
       "a workload's pods run but fail their readiness probe", param="DEPLOYMENT", default=DEFAULT)
def component_readiness(cluster: Cluster, since: datetime, name: str) -> None:
    for pod in workload_pods(cluster, name):
        _readiness(cluster, pod, since)
    _note(cluster, "component-readiness", name, f"{name} readiness probe fails")


def _readiness(cluster: Cluster, pod: Obj, since: datetime) -> None:
    podstate.not_ready(pod, main_container(pod), since)
    cluster.extra.append(event(cluster.ids, pod, "Unhealthy", "Readiness probe failed: HTTP probe failed with "
                               "statuscode: 503", cluster.at - timedelta(seconds=20), "Warning", count=180,
                               first=since))


@fault("component-image-pull", "VirtAPIDown", "image-pull-failure",
       "a workload was rolled out to an image that cannot be pulled; its pods stay Pending",
       param="DEPLOYMENT", default="virt-api")
def component_image_pull(cluster: Cluster, since: datetime, name: str) -> None:
    workload = find_workload(cluster, name)
    image = f"quay.io/kubevirt/{name}:v9.9.9-missing"
    workload["spec"]["template"]["spec"]["containers"][0]["image"] = image
    for pod in workload_pods(cluster, name):
        pod["metadata"]["creationTimestamp"] = ts(since)
        podstate.image_pull(pod, main_container(pod), since, image, f'Back-off pulling image "{image}"', phase="Pending")
        cluster.extra.append(event(cluster.ids, pod, "Failed", f'Failed to pull image "{image}": manifest unknown',
                                   cluster.at - timedelta(minutes=1), "Warning", count=20, first=since))
    _note(cluster, "component-image-pull", name, f"{name} image {image} cannot be pulled")


def _pending(cluster: Cluster, pod: Obj, since: datetime, message: str) -> None:
    pod["metadata"]["creationTimestamp"] = ts(since)
    podstate.unschedulable(pod, since, message)
    cluster.extra.append(event(cluster.ids, pod, "FailedScheduling", message, cluster.at - timedelta(minutes=1),
                               "Warning", count=12, first=since, component="default-scheduler"))


def _insufficient(cluster: Cluster) -> str:
    total = len(cluster.workers) + len(cluster.masters)
    return (f"0/{total} nodes are available: {len(cluster.workers)} Insufficient cpu, {len(cluster.masters)} node(s) "
            "had untolerated taint {node-role.kubernetes.io/master: }. preemption: 0/"
            f"{total} nodes are available: {len(cluster.workers)} No preemption victims found for incoming pod, "
            f"{len(cluster.masters)} Preemption is not helpful for scheduling.")  # kube-scheduler 1.32's words


@fault("component-unschedulable", "VirtOperatorDown", "pod-unschedulable",
       "a workload's pods were rescheduled and no node has room for them", param="DEPLOYMENT",
       default="virt-operator")
def component_unschedulable(cluster: Cluster, since: datetime, name: str) -> None:
    for pod in workload_pods(cluster, name):
        _pending(cluster, pod, since, _insufficient(cluster))
    _note(cluster, "component-unschedulable", name, f"{name} pods Pending: Insufficient cpu")


@fault("component-node-not-ready", "NoReadyVirtController", "node-not-ready",
       "the nodes running a workload's pods go NotReady", param="DEPLOYMENT", default=DEFAULT)
def component_node_not_ready(cluster: Cluster, since: datetime, name: str) -> None:
    for pod in workload_pods(cluster, name):
        node = cluster.node(pod["spec"]["nodeName"])
        if node["status"]["conditions"][-1]["status"] == "True":
            set_node_not_ready(node, since)
        for cond in pod["status"]["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update(status="False", lastTransitionTime=ts(since + timedelta(seconds=40)))
    _note(cluster, "component-node-not-ready", name, f"the nodes of {name}'s pods are NotReady")


@fault("component-scaled-to-zero", "VirtControllerDown", "scaled-to-zero",
       "someone scaled a Deployment to zero replicas", param="DEPLOYMENT", default=DEFAULT)
def component_scaled_to_zero(cluster: Cluster, since: datetime, name: str) -> None:
    workload = find_workload(cluster, name)
    workload["spec"]["replicas"] = 0
    workload["status"].update(replicas=0, readyReplicas=0, availableReplicas=0, updatedReplicas=0)
    cluster.component_pods[name] = []
    _note(cluster, "component-scaled-to-zero", name, f"{name} scaled to 0")


@fault("component-missing", "VirtAPIDown", "deployment-missing",
       "a Deployment (with its ReplicaSet and pods) was deleted", param="DEPLOYMENT", default="virt-api")
def component_missing(cluster: Cluster, since: datetime, name: str) -> None:
    workload = find_workload(cluster, name)
    _note(cluster, "component-missing", name, f"{name} deleted")
    cluster.infra = [o for o in cluster.infra if o is not workload and not (
        o["kind"] == "ReplicaSet" and o["metadata"]["name"].startswith(f"{name}-"))]
    cluster.component_pods[name] = []


@fault("component-one-down", "LowVirtAPICount", "pod-unschedulable",
       "one of a Deployment's two pods cannot be rescheduled after its node was drained", param="DEPLOYMENT",
       default="virt-api")
def component_one_down(cluster: Cluster, since: datetime, name: str) -> None:
    pod = workload_pods(cluster, name)[-1]
    _pending(cluster, pod, since, _insufficient(cluster))
    _note(cluster, "component-one-down", name, f"one {name} pod Pending")


@fault("component-one-unready", "LowReadyVirtControllersCount", "readiness-probe-failing",
       "one of a Deployment's pods runs but fails its readiness probe", param="DEPLOYMENT", default=DEFAULT)
def component_one_unready(cluster: Cluster, since: datetime, name: str) -> None:
    _readiness(cluster, workload_pods(cluster, name)[-1], since)
    _note(cluster, "component-one-unready", name, f"one {name} pod not ready")


@fault("component-no-spread", "LowVirtOperatorCount", "too-few-schedulable-nodes",
       "all but one worker are cordoned, and anti-affinity keeps a Deployment's second pod Pending",
       param="DEPLOYMENT", default="virt-operator")
def component_no_spread(cluster: Cluster, since: datetime, name: str) -> None:
    pods = workload_pods(cluster, name)
    keep = pods[0]["spec"]["nodeName"]
    for worker in cluster.workers:
        if worker["metadata"]["name"] != keep:
            cordon(worker, since)
    total = len(cluster.workers) + len(cluster.masters)
    message = (f"0/{total} nodes are available: 1 node(s) didn't match pod anti-affinity rules, "
               f"{len(cluster.workers) - 1} node(s) were unschedulable, {len(cluster.masters)} node(s) had untolerated "
               "taint {node-role.kubernetes.io/master: }.")
    for pod in pods[1:]:
        _pending(cluster, pod, since, message)
    _note(cluster, "component-no-spread", name, f"{name} replicas cannot spread: one schedulable worker")
