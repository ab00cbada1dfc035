"""Faults that show only in metrics: REST errors, resource use, SSP counters, deprecated API calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults import fault
from virt_doctor.simulator.metrics import MetricHistory, MiB, Shape, after, constant

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


def _per_ssp_pod(cluster: Cluster, deployment: str, family: str, kind: str, before: Shape, during: Shape,
                 since: datetime) -> None:
    """A series per pod of an SSP Deployment that changes from `before` to `during` when the fault starts."""
    pods = cluster.component_pods.get(deployment)
    if not pods:
        raise ValueError(f"no {deployment} in the simulated cluster (use the OpenShift flavour)")

    def apply(history: MetricHistory) -> None:
        for pod in pods:
            history.family(family, kind).add({"namespace": cluster.install_ns, "pod": pod["metadata"]["name"]},
                                             after(since, before, during))
    cluster.metric_faults.append(apply)


@fault("ssp-reconcile-failing", "SSPFailingToReconcile", "reconcile-error",
       "the SSP operator runs but every reconcile fails")
def ssp_reconcile_failing(cluster: Cluster, since: datetime) -> None:
    _per_ssp_pod(cluster, "ssp-operator", "kubevirt_ssp_operator_reconcile_succeeded", "gauge",
                 constant(1), constant(0), since)
    cluster.note("ssp-reconcile-failing", "SSPFailingToReconcile", "reconcile-error", "Deployment",
                 "reconcile_succeeded is 0", cluster.install_ns, "ssp-operator")


@fault("ssp-rejected-vms", "SSPHighRateRejectedVms", "invalid-vm-specs",
       "a script keeps submitting VMs the template validator rejects")
def ssp_rejected_vms(cluster: Cluster, since: datetime) -> None:
    _per_ssp_pod(cluster, "virt-template-validator", "kubevirt_ssp_template_validator_rejected", "counter",
                 constant(0.0), constant(0.01), since)
    cluster.note("ssp-rejected-vms", "SSPHighRateRejectedVms", "invalid-vm-specs", "Deployment",
                 "36 rejections an hour per validator pod", cluster.install_ns, "virt-template-validator")


@fault("ssp-templates-reverted", "SSPCommonTemplatesModificationReverted", "template-edited",
       "someone edits a common template and the SSP operator reverts it")
def ssp_templates_reverted(cluster: Cluster, since: datetime) -> None:
    _per_ssp_pod(cluster, "ssp-operator", "kubevirt_ssp_common_templates_restored", "counter",
                 constant(0.0), constant(0.002), since)
    cluster.note("ssp-templates-reverted", "SSPCommonTemplatesModificationReverted", "template-edited", "Deployment",
                 "common template restored", cluster.install_ns, "ssp-operator")


@fault("prometheus-only-alert", "LowKVMNodesCount", "unknown",
       "Prometheus fires an alert that the cluster's objects do not show (e.g. its rule differs from upstream)",
       param="ALERT", default="LowKVMNodesCount")
def prometheus_only_alert(cluster: Cluster, since: datetime, alert: str) -> None:
    cluster.note("prometheus-only-alert", alert, "unknown", "Alert", f"Prometheus fires {alert}", "", alert)
