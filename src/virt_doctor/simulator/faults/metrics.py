"""Faults seen only through Prometheus: REST errors, usage over requests, SSP counters, deprecated APIs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from virt_doctor.simulator import objects as o
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.registry import fault, noted
from virt_doctor.simulator.metrics import (
    CPUS,
    GHZ,
    IFF_RUNNING_LINK,
    MetricHistory,
    MiB,
    after,
    constant,
    growing,
    node_instance,
)
from virt_doctor.simulator.vms import VMSet

Obj = dict[str, Any]


COMPONENT_ALERT = {"virt-api": "VirtApi", "virt-controller": "VirtController", "virt-handler": "VirtHandler",
                   "virt-operator": "VirtOperator"}


def _pods(cluster: Cluster, component: str) -> list[dict[str, Any]]:
    pods = list(cluster.handler_pods.values()) if component == "virt-handler" else cluster.component_pods.get(component)
    if not pods:
        raise ValueError(f"no {component} pods in the simulated cluster")
    return pods


def _rest_fault(cluster: Cluster, since: datetime, component: str, code: str, name: str, cause: str) -> None:
    if component not in COMPONENT_ALERT:
        raise ValueError(f"{name} takes one of {', '.join(COMPONENT_ALERT)}")
    pods = _pods(cluster, component)

    def apply(history: MetricHistory) -> None:
        family = history.family("kubevirt_rest_client_requests", "counter")
        for pod in pods:
            labels = {"namespace": cluster.install_ns, "pod": pod["metadata"]["name"], "code": code, "method": "PUT",
                      "verb": "PUT", "resource": "virtualmachineinstances", "host": "172.30.0.1:443"}
            family.add(labels, after(since, constant(0.0), constant(40.0)))
    cluster.metric_faults.append(apply)
    cluster.note(name, f"{COMPONENT_ALERT[component]}RESTErrorsBurst", cause, "Deployment" if component != "virt-handler"
                 else "DaemonSet", f"{component} REST calls answer {code}", cluster.install_ns, component)


@fault("rest-errors", "VirtControllerRESTErrorsBurst", "api-server-overloaded",
       "a component's REST calls to the API server mostly answer 500 (overloaded API server)",
       param="COMPONENT", default="virt-controller")
def rest_errors(cluster: Cluster, since: datetime, component: str) -> None:
    _rest_fault(cluster, since, component, "500", "rest-errors", "api-server-overloaded")


@fault("rest-forbidden", "VirtHandlerRESTErrorsBurst", "forbidden",
       "a component's REST calls are refused with 403 (its RBAC changed)", param="COMPONENT", default="virt-handler")
def rest_forbidden(cluster: Cluster, since: datetime, component: str) -> None:
    _rest_fault(cluster, since, component, "403", "rest-forbidden", "forbidden")


def _usage_fault(cluster: Cluster, since: datetime, component: str, name: str, resource: str) -> None:
    pods = _pods(cluster, component)

    def apply(history: MetricHistory) -> None:
        family = history.family("container_cpu_usage_seconds" if resource == "cpu" else
                                "container_memory_working_set_bytes", "counter" if resource == "cpu" else "gauge")
        for pod in pods:
            labels = {"namespace": cluster.install_ns, "pod": pod["metadata"]["name"], "container": component}
            base = family.series.get(tuple(sorted(labels.items()))) or constant(0.0)
            family.add(labels, after(since, base, constant(0.5 if resource == "cpu" else 600 * MiB)))
    cluster.metric_faults.append(apply)
    alert = "KubeVirtComponentExceedsRequestedCPU" if resource == "cpu" else "KubeVirtComponentExceedsRequestedMemory"
    cluster.note(name, alert, "request-too-low", "Pod", f"{component} uses far more {resource} than requested",
                 cluster.install_ns, pods[0]["metadata"]["name"])


@fault("component-cpu", "KubeVirtComponentExceedsRequestedCPU", "request-too-low",
       "a component uses 50x its CPU request (sustained)", param="COMPONENT", default="virt-controller")
def component_cpu(cluster: Cluster, since: datetime, component: str) -> None:
    _usage_fault(cluster, since, component, "component-cpu", "cpu")


@fault("component-memory", "KubeVirtComponentExceedsRequestedMemory", "request-too-low",
       "a component's working set is twice its memory request (sustained)", param="COMPONENT", default="virt-api")
def component_memory(cluster: Cluster, since: datetime, component: str) -> None:
    _usage_fault(cluster, since, component, "component-memory", "memory")


@fault("vm-high-memory", "KubevirtVmHighMemoryUsage", "memory-limit-too-low",
       "a VM's compute container is within 20 MiB of its memory request")
def vm_high_memory(cluster: Cluster, since: datetime) -> None:
    vmset = next(v for v in cluster.vms if v.pod is not None)
    pod = vmset.pod
    assert pod is not None
    request = float(pod["spec"]["containers"][0]["resources"]["requests"]["memory"].removesuffix("Mi")) * MiB
    labels = {"namespace": pod["metadata"]["namespace"], "pod": pod["metadata"]["name"], "container": "compute"}

    def apply(history: MetricHistory) -> None:
        family = history.family("container_memory_working_set_bytes", "gauge")
        family.add(labels, after(since, constant(request * 0.55), constant(request - 20 * MiB)))
    cluster.metric_faults.append(apply)
    cluster.note("vm-high-memory", "KubevirtVmHighMemoryUsage", "memory-limit-too-low", vmset.vm,
                 "20 MiB left in the compute container")


@fault("deprecated-api", "KubeVirtDeprecatedAPIRequested", "old-client",
       "a client keeps creating VMs through kubevirt.io/v1alpha3")
def deprecated_api(cluster: Cluster, since: datetime) -> None:
    labels = {"group": "kubevirt.io", "version": "v1alpha3", "resource": "virtualmachines", "subresource": ""}

    def apply(history: MetricHistory) -> None:
        history.family("apiserver_requested_deprecated_apis", "gauge").add(
            {**labels, "removed_release": ""}, after(since, constant(0), constant(1)))
        history.family("apiserver_request", "counter").add(
            {**labels, "verb": "POST", "code": "201"}, after(since, constant(0.0), constant(0.2)))
    cluster.metric_faults.append(apply)
    cluster.note("deprecated-api", "KubeVirtDeprecatedAPIRequested", "old-client", "APIResource",
                 "POSTs to kubevirt.io/v1alpha3 virtualmachines", "", "virtualmachines.kubevirt.io/v1alpha3")


class SSPSeriesFault(NamedTuple):
    """A fault an SSP metric shows: per pod of a Deployment, a series that changes when the fault starts."""

    name: str
    alert: str
    cause: str
    help: str
    deployment: str
    family: str
    kind: str  # gauge | counter
    before: float  # value (gauge) or rate per second (counter) before the fault
    during: float
    note: str


SSP_SERIES_FAULTS = (
    SSPSeriesFault("ssp-reconcile-failing", "SSPFailingToReconcile", "reconcile-error",
                   "the SSP operator runs but every reconcile fails", "ssp-operator",
                   "kubevirt_ssp_operator_reconcile_succeeded", "gauge", 1, 0, "reconcile_succeeded is 0"),
    SSPSeriesFault("ssp-rejected-vms", "SSPHighRateRejectedVms", "invalid-vm-specs",
                   "a script keeps submitting VMs the template validator rejects", "virt-template-validator",
                   "kubevirt_ssp_template_validator_rejected", "counter", 0.0, 0.01,
                   "36 rejections an hour per validator pod"),
    SSPSeriesFault("ssp-templates-reverted", "SSPCommonTemplatesModificationReverted", "template-edited",
                   "someone edits a common template and the SSP operator reverts it", "ssp-operator",
                   "kubevirt_ssp_common_templates_restored", "counter", 0.0, 0.002, "common template restored"),
)


def _register_ssp_fault(row: SSPSeriesFault) -> None:
    @fault(row.name, row.alert, row.cause, row.help)
    def inject(cluster: Cluster, since: datetime) -> None:
        pods = cluster.component_pods.get(row.deployment)
        if not pods:
            raise ValueError(f"no {row.deployment} in the simulated cluster (use the OpenShift flavour)")

        def apply(history: MetricHistory) -> None:
            for pod in pods:
                history.family(row.family, row.kind).add(
                    {"namespace": cluster.install_ns, "pod": pod["metadata"]["name"]},
                    after(since, constant(row.before), constant(row.during)))
        cluster.metric_faults.append(apply)
        cluster.note(row.name, row.alert, row.cause, "Deployment", row.note, cluster.install_ns, row.deployment)


for _row in SSP_SERIES_FAULTS:
    _register_ssp_fault(_row)


@fault("prometheus-only-alert", "LowKVMNodesCount", "unknown",
       "Prometheus fires an alert that the cluster's objects do not show (e.g. its rule differs from upstream)",
       param="ALERT", default="LowKVMNodesCount")
def prometheus_only_alert(cluster: Cluster, since: datetime, alert: str) -> None:
    cluster.note("prometheus-only-alert", alert, "unknown", "Alert", f"Prometheus fires {alert}", "", alert)


def _guest_cpu(cluster: Cluster, since: datetime, name: str, queue: float, delay: float) -> None:
    """A VM's guest load goes to its vCPUs + `queue`; each vCPU waits `delay` of the time for a host CPU."""
    vmset = next(v for v in cluster.vms if v.vmi is not None and v.key not in {(i.namespace, i.name)
                                                                              for i in cluster.injected})
    ns, vm = vmset.key
    vcpus = 2

    def apply(history: MetricHistory) -> None:
        labels = {"namespace": ns, "name": vm, "node": vmset.node}
        history.family("kubevirt_vmi_guest_load_1m", "gauge").add(labels, after(since, constant(0.6),
                                                                                  constant(vcpus + queue)))
        for vcpu in range(vcpus):
            history.family("kubevirt_vmi_vcpu_seconds", "counter").add(
                {**labels, "id": str(vcpu), "state": "running"}, constant(0.4))
            history.family("kubevirt_vmi_vcpu_delay_seconds", "counter").add(
                {**labels, "id": str(vcpu)}, after(since, constant(0.01), constant(delay)))
    cluster.metric_faults.append(apply)
    noted(cluster, name, "VirtualMachineInstance", f"guest run queue {queue:g} beyond {vcpus} vCPUs", ns, vm)


@fault("guest-cpu-demand", "GuestVCPUQueueHighCritical", "guest-demand-exceeds-vcpus",
       "a VM's guest runs 26 more threads than its 2 vCPUs; the host gives it all the CPU it asks")
def guest_cpu_demand(cluster: Cluster, since: datetime) -> None:
    _guest_cpu(cluster, since, "guest-cpu-demand", queue=26, delay=0.02)


@fault("guest-cpu-starved", "GuestVCPUQueueHighCritical", "host-cpu-contention",
       "a VM's vCPUs wait half the time for its node's CPUs; 24 threads queue in the guest")
def guest_cpu_starved(cluster: Cluster, since: datetime) -> None:
    _guest_cpu(cluster, since, "guest-cpu-starved", queue=24, delay=0.5)


@fault("guest-cpu-contention", "GuestVCPUQueueHighWarning", "host-cpu-contention",
       "a VM's vCPUs wait 45% of the time for its node's oversubscribed CPUs; 14 threads queue in the guest")
def guest_cpu_contention(cluster: Cluster, since: datetime) -> None:
    _guest_cpu(cluster, since, "guest-cpu-contention", queue=14, delay=0.45)


def _watched_vm(cluster: Cluster, node: str | None = None) -> VMSet:
    """A running VM among those whose guest metrics the history holds (the first 20 with launchers)."""
    watched = [v for v in cluster.vms if v.vmi is not None and v.pod is not None][:20]
    used = {(i.namespace, i.name) for i in cluster.injected}
    choices = [v for v in watched if v.key not in used and (node is None or v.node == node)]
    if not choices:
        raise ValueError("no watched VM left for this fault; simulate more VMs")
    return choices[0]


def _guest_disk(cluster: Cluster, since: datetime, name: str, used: float, capacity_gib: float) -> None:
    vmset = _watched_vm(cluster)
    ns, vm = vmset.key
    disk = {"namespace": ns, "name": vm, "disk_name": "vda4", "mount_point": "/", "file_system_type": "xfs"}
    gib = 1024 * MiB

    def apply(history: MetricHistory) -> None:
        history.family("kubevirt_vmi_filesystem_capacity_bytes", "gauge").add(disk, constant(capacity_gib * gib))
        history.family("kubevirt_vmi_filesystem_used_bytes", "gauge").add(
            disk, after(since, constant(0.4 * capacity_gib * gib), constant(used * capacity_gib * gib)))
    cluster.metric_faults.append(apply)
    noted(cluster, name, "VirtualMachineInstance", f"/ is {used:.0%} full ({capacity_gib:g} GiB)", ns, vm)


@fault("guest-disk-filling", "GuestFilesystemAlmostOutOfSpace", "guest-data-growth",
       "a guest's root file system grows to 90% of its 28 GiB disk")
def guest_disk_filling(cluster: Cluster, since: datetime) -> None:
    _guest_disk(cluster, since, "guest-disk-filling", 0.90, 28)


@fault("guest-disk-full", "GuestFilesystemAlmostOutOfSpace", "guest-data-growth",
       "a guest's root file system is 97% full (the critical definition)")
def guest_disk_full(cluster: Cluster, since: datetime) -> None:
    _guest_disk(cluster, since, "guest-disk-full", 0.97, 28)


@fault("guest-disk-not-grown", "GuestFilesystemAlmostOutOfSpace", "disk-larger-than-filesystem",
       "a guest's 10 GiB file system is 92% full on a disk whose claim was grown to 30 GiB")
def guest_disk_not_grown(cluster: Cluster, since: datetime) -> None:
    _guest_disk(cluster, since, "guest-disk-not-grown", 0.92, 10)


def _guest_memory(cluster: Cluster, since: datetime, name: str, usable: float, swap: float, faults: float) -> None:
    vmset = _watched_vm(cluster)
    assert vmset.pod is not None
    ns, vm = vmset.key
    memory = {"namespace": ns, "name": vmset.pod["metadata"]["name"]}

    def apply(history: MetricHistory) -> None:
        history.family("kubevirt_vmi_memory_usable_bytes", "gauge").add(
            memory, after(since, constant(1100 * MiB), constant(usable * 2048 * MiB)))
        for direction in ("in", "out"):
            history.family(f"kubevirt_vmi_memory_swap_{direction}_traffic_bytes", "gauge").add(
                memory, growing(swap / 2, since))
        history.family("kubevirt_vmi_memory_pgmajfault", "counter").add(
            memory, after(since, constant(0.01), constant(faults)))
    cluster.metric_faults.append(apply)
    noted(cluster, name, "VirtualMachine", f"{usable:.0%} usable, swap {swap / MiB:g} MiB/s, {faults:g} faults/s",
          ns, vm)


@fault("guest-memory-swapping", "KubeVirtVMGuestMemoryPressure", "guest-swapping",
       "a guest with 3% of its memory usable swaps 3 MiB/s")
def guest_memory_swapping(cluster: Cluster, since: datetime) -> None:
    _guest_memory(cluster, since, "guest-memory-swapping", 0.03, 3 * MiB, 0.5)


@fault("guest-memory-thrashing", "KubeVirtVMGuestMemoryPressure", "page-cache-thrashing",
       "a guest without swap, 4% usable, re-reads 40 pages a second from disk")
def guest_memory_thrashing(cluster: Cluster, since: datetime) -> None:
    _guest_memory(cluster, since, "guest-memory-thrashing", 0.04, 0.0, 40)


@fault("guest-memory-full", "KubeVirtVMGuestMemoryAvailableLow", "no-swap-in-guest",
       "a guest without swap has 2% of its memory usable, quietly")
def guest_memory_full(cluster: Cluster, since: datetime) -> None:
    _guest_memory(cluster, since, "guest-memory-full", 0.02, 0.0, 0.01)


def _panics(cluster: Cluster, since: datetime, vmset: VMSet, count: int) -> None:
    ns, vm = vmset.key
    seconds = max((cluster.at - since).total_seconds(), 60.0)

    def apply(history: MetricHistory) -> None:
        history.family("kubevirt_vmi_guest_os_panic", "counter").add(
            {"namespace": ns, "name": vm, "type": "pvpanic"}, after(since, constant(0.0), constant(count / seconds)))
    cluster.metric_faults.append(apply)


@fault("guest-panic-loop", "VMNonRecoverableOSPanic", "crash-loop",
       "a guest panics 8 times, restarted each time by its runStrategy")
def guest_panic_loop(cluster: Cluster, since: datetime) -> None:
    vmset = _watched_vm(cluster)
    _panics(cluster, since, vmset, 8)
    noted(cluster, "guest-panic-loop", "VirtualMachine", "8 guest panics", *vmset.key)


@fault("guest-panic-once", "VMNonRecoverableOSPanic", "single-crash", "a guest panics twice")
def guest_panic_once(cluster: Cluster, since: datetime) -> None:
    vmset = _watched_vm(cluster)
    _panics(cluster, since, vmset, 2)
    noted(cluster, "guest-panic-once", "VirtualMachine", "2 guest panics", *vmset.key)


@fault("guest-panics-one-node", "ClusterVMPanicDetected", "shared-node",
       "the guests of two VMs on the same node panic")
def guest_panics_one_node(cluster: Cluster, since: datetime) -> None:
    watched = [v for v in cluster.vms if v.vmi is not None and v.pod is not None][:20]
    used = {(i.namespace, i.name) for i in cluster.injected}
    by_node: dict[str, list[VMSet]] = {}
    for vmset in watched:
        if vmset.key not in used:
            by_node.setdefault(vmset.node, []).append(vmset)
    node, vms = max(by_node.items(), key=lambda kv: len(kv[1]))
    for vmset in vms[:2]:
        _panics(cluster, since, vmset, 1)
    noted(cluster, "guest-panics-one-node", "Cluster", f"VMs {vms[0].key[1]} and {vms[1].key[1]} on {node} panic",
          "", "guest-panics")


def _free_worker(cluster: Cluster, with_vms: bool = True) -> Obj:
    """A worker no other node fault has taken (its VMs may carry VM faults: node metrics do not touch them)."""
    taken = {i.name for i in cluster.injected if i.kind == "Node"}
    for worker in cluster.workers:
        name = worker["metadata"]["name"]
        if name not in taken and (not with_vms or cluster.vms_on(name)):
            return worker
    raise ValueError("no worker left to inject this fault into; simulate more nodes")


def _busy_node(cluster: Cluster, since: datetime, node: str, idle: float, ghz: float = 1.8) -> None:
    instance = node_instance(node)

    def apply(history: MetricHistory) -> None:
        history.family("instance:node_cpu_utilisation:rate1m", "gauge").add(
            {"instance": instance}, after(since, constant(0.23), constant(1 - idle)))
        for cpu in range(CPUS):
            labels = {"instance": instance, "cpu": str(cpu)}
            history.family("node_cpu_frequency_hertz", "gauge").add(
                labels, after(since, constant(1.8 * GHZ), constant(ghz * GHZ)))
    cluster.metric_faults.append(apply)


def _container_cpu(cluster: Cluster, since: datetime, pods: list[Obj], cores: float) -> None:
    def apply(history: MetricHistory) -> None:
        for pod in pods:
            container = pod["spec"]["containers"][0]["name"]
            history.family("container_cpu_usage_seconds", "counter").add(
                {"namespace": pod["metadata"]["namespace"], "pod": pod["metadata"]["name"], "container": container},
                after(since, constant(0.05), constant(cores / len(pods))))
    cluster.metric_faults.append(apply)


@fault("node-cpu-vms", "HighCPUWorkload", "vms-use-the-node", "the VMs on a worker keep its CPUs 98% busy")
def node_cpu_vms(cluster: Cluster, since: datetime) -> None:
    node = _free_worker(cluster)
    name = node["metadata"]["name"]
    _busy_node(cluster, since, name, idle=0.02)
    _container_cpu(cluster, since, [v.pod for v in cluster.vms_on(name) if v.pod is not None], 58)
    noted(cluster, "node-cpu-vms", node, "98% busy, 58 cores used by its VMs")


@fault("node-cpu-pods", "HighCPUWorkload", "pods-use-the-node", "a pod that is no VM keeps a worker 97% busy")
def node_cpu_pods(cluster: Cluster, since: datetime) -> None:
    node = _free_worker(cluster)
    name = node["metadata"]["name"]
    _busy_node(cluster, since, name, idle=0.03)
    _container_cpu(cluster, since, [cluster.handler_pods[name]], 55)
    noted(cluster, "node-cpu-pods", node, "97% busy, 55 cores used by virt-handler")


class NodeLoadFault(NamedTuple):
    """A worker without VMs made busy or fast: only node-exporter's series change (a row, not a function each)."""

    name: str
    alert: str
    cause: str
    help: str
    idle: float  # the share of time its CPUs idle from the fault's start
    ghz: float  # their frequency from then on (the maximum is 3.5)
    detail: str


NODE_LOAD_FAULTS = (
    NodeLoadFault("node-cpu-host", "HighCPUWorkload", "host-processes",
                  "a worker is 96% busy with processes outside its containers", 0.04, 1.8, "96% busy, containers idle"),
    NodeLoadFault("cpu-frequency-load", "HighNodeCPUFrequency", "sustained-load",
                  "a busy worker's CPUs run at 3.4 of their 3.5 GHz", 0.15, 3.4, "3.4 GHz at 85% busy"),
    NodeLoadFault("cpu-frequency-profile", "HighNodeCPUFrequency", "power-profile",
                  "a mostly idle worker's CPUs are held at 3.4 of their 3.5 GHz (performance profile)", 0.75, 3.4,
                  "3.4 GHz at 25% busy"),
)


def _register_node_load(row: NodeLoadFault) -> None:
    @fault(row.name, row.alert, row.cause, row.help)
    def inject(cluster: Cluster, since: datetime) -> None:
        node = _free_worker(cluster, with_vms=False)
        _busy_node(cluster, since, node["metadata"]["name"], idle=row.idle, ghz=row.ghz)
        noted(cluster, row.name, node, row.detail)


for _load in NODE_LOAD_FAULTS:
    _register_node_load(_load)


@fault("nic-down", "NodeNetworkInterfaceDown", "link-down", "a worker's second port is configured up with no link")
def nic_down(cluster: Cluster, since: datetime) -> None:
    node = _free_worker(cluster, with_vms=False)
    link = {"instance": node_instance(node["metadata"]["name"]), "device": "ens4f1"}

    def apply(history: MetricHistory) -> None:
        history.family("node_network_flags", "gauge").add(link, after(since, constant(IFF_RUNNING_LINK),
                                                                      constant(4099)))  # UP|BROADCAST|MULTICAST
        history.family("node_network_up", "gauge").add(link, constant(1))
        history.family("node_network_carrier", "gauge").add(link, constant(1))
    cluster.metric_faults.append(apply)
    noted(cluster, "nic-down", node, "ens4f1 up without RUNNING/LOWER_UP")


def _volume_filling(cluster: Cluster, namespace: str, claim: str) -> None:
    volume = {"job": "kubelet", "metrics_path": "/metrics", "namespace": namespace, "persistentvolumeclaim": claim}
    gib = 1024 * MiB
    start = cluster.at - timedelta(hours=2)

    def apply(history: MetricHistory) -> None:
        history.family("kubelet_volume_stats_capacity_bytes", "gauge").add(volume, constant(30 * gib))
        history.family("kubelet_volume_stats_available_bytes", "gauge").add(
            volume, lambda moment: 30 * gib * (0.09 - 0.02 * (moment - start).total_seconds() / 3600))
        history.family("kubelet_volume_stats_used_bytes", "gauge").add(volume, constant(27 * gib))
    cluster.metric_faults.append(apply)


@fault("pv-filling-vm", "PersistentVolumeFillingUp", "vm-disk-filling",
       "a VM's disk volume is 91% used and losing 2% an hour")
def pv_filling_vm(cluster: Cluster, since: datetime) -> None:
    vmset = _watched_vm(cluster)
    assert vmset.pvc is not None
    ns, claim = vmset.pvc["metadata"]["namespace"], vmset.pvc["metadata"]["name"]
    _volume_filling(cluster, ns, claim)
    noted(cluster, "pv-filling-vm", "PersistentVolumeClaim", f"VM {vmset.key[1]}'s disk filling", ns, claim)


@fault("pv-filling-workload", "PersistentVolumeFillingUp", "workload-filling",
       "a database pod's volume is 91% used and losing 2% an hour")
def pv_filling_workload(cluster: Cluster, since: datetime) -> None:
    ns, claim, name = "apps", "data-postgres-0", "postgres-0"
    node = cluster.worker_names()[0]
    created = cluster.at - timedelta(days=3)
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": o.meta(cluster.ids, claim, ns, created),
           "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "ocs-storagecluster-ceph-rbd",
                    "resources": {"requests": {"storage": "30Gi"}}, "volumeMode": "Filesystem"},
           "status": {"phase": "Bound", "capacity": {"storage": "30Gi"}, "accessModes": ["ReadWriteOnce"]}}
    pod = o.running_pod(cluster.ids, name, ns, node, created, {"app": "postgres"},
                        [{"name": "postgres", "image": "registry.example.com/postgresql:16"}],
                        extra_spec={"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]})
    cluster.extra += [pvc, pod]
    _volume_filling(cluster, ns, claim)
    noted(cluster, "pv-filling-workload", pvc, "postgres-0's data volume filling")


@fault("deprecated-machine-type", "DeprecatedMachineType", "deprecated-still-supported",
       "a VM still uses machine type pc-q35-rhel8.6.0, which QEMU on the nodes marks deprecated")
def deprecated_machine_type(cluster: Cluster, since: datetime) -> None:
    vmset = _watched_vm(cluster)
    ns, vm = vmset.key
    machine = "pc-q35-rhel8.6.0"
    vmset.vm["spec"]["template"]["spec"]["domain"]["machine"] = {"type": machine}

    def apply(history: MetricHistory) -> None:
        history.family("kubevirt_vm_info", "gauge").add(
            {"namespace": ns, "name": vm, "machine_type": machine, "status_group": "running", "status": "running"},
            constant(1))
        family = history.family("kubevirt_vm_info", "gauge")
        for labels in [k for k in family.series if dict(k).get("name") == vm and dict(k).get("machine_type") != machine]:
            del family.series[labels]
    cluster.metric_faults.append(apply)
    noted(cluster, "deprecated-machine-type", "VirtualMachine", f"machine type {machine}", ns, vm)
