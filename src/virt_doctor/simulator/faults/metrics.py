"""Faults seen only through Prometheus: REST errors, usage over requests, SSP counters, deprecated APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.registry import fault, noted
from virt_doctor.simulator.metrics import MetricHistory, MiB, after, constant

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


@fault("guest-cpu-contention", "GuestVCPUQueueHighWarning", "host-cpu-contention",
       "a VM's vCPUs wait 45% of the time for its node's oversubscribed CPUs; 14 threads queue in the guest")
def guest_cpu_contention(cluster: Cluster, since: datetime) -> None:
    _guest_cpu(cluster, since, "guest-cpu-contention", queue=14, delay=0.45)
