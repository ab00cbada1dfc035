"""Metric history for a simulated cluster, in OpenMetrics text, for `promtool tsdb create-blocks-from openmetrics`.

Healthy components get healthy counters and gauges; metric faults (registered in
faults_metrics.py) change them from the fault's start. Samples every 60 s over
the 2 hours before the collection time (the REST-error alerts look an hour back).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt_doctor.simulator.cluster import Cluster

STEP = timedelta(seconds=60)
HISTORY = timedelta(hours=2)
MiB = 2**20

# value of a series at a moment: a gauge's value, or a counter's rate per second
Shape = Callable[[datetime], float]


@dataclass
class Family:
    """A metric family: its type and its series (labels -> shape over time)."""

    name: str
    kind: str  # counter | gauge
    series: dict[tuple[tuple[str, str], ...], Shape] = field(default_factory=dict)

    def add(self, labels: dict[str, str], shape: Shape) -> None:
        self.series[tuple(sorted(labels.items()))] = shape


@dataclass
class MetricHistory:
    """Every family the simulated Prometheus would have scraped."""

    families: dict[str, Family] = field(default_factory=dict)

    def family(self, name: str, kind: str) -> Family:
        return self.families.setdefault(name, Family(name, kind))

    def get(self, name: str, labels: dict[str, str]) -> Shape | None:
        fam = self.families.get(name)
        return fam.series.get(tuple(sorted(labels.items()))) if fam else None


def constant(value: float) -> Shape:
    return lambda moment: value


def after(start: datetime, before: Shape, since: Shape) -> Shape:
    """One shape until `start`, another from then on."""
    return lambda moment: since(moment) if moment >= start else before(moment)


def healthy_history(cluster: Cluster) -> MetricHistory:
    """What a healthy cluster's Prometheus holds for the series the metric alerts read."""
    history = MetricHistory()
    rest = history.family("kubevirt_rest_client_requests", "counter")
    cpu = history.family("container_cpu_usage_seconds", "counter")
    working_set = history.family("container_memory_working_set_bytes", "gauge")
    requests = history.family("kube_pod_container_resource_requests", "gauge")
    up = history.family("up", "gauge")
    ns = cluster.install_ns
    for component in ("virt-api", "virt-controller", "virt-operator", "virt-handler"):
        pods = list(cluster.handler_pods.values()) if component == "virt-handler" else \
            cluster.component_pods.get(component, [])
        for pod in pods:
            name = pod["metadata"]["name"]
            for verb, resource in (("GET", "virtualmachineinstances"), ("PATCH", "virtualmachineinstances")):
                rest.add({"namespace": ns, "pod": name, "code": "200", "method": verb, "verb": verb,
                          "resource": resource, "host": "172.30.0.1:443"}, constant(2.0))
            container = {"namespace": ns, "pod": name, "container": component}
            cpu.add(container, constant(0.004))
            working_set.add(container, constant(120 * MiB))
            requests.add({**container, "resource": "cpu", "unit": "core"}, constant(0.01))
            requests.add({**container, "resource": "memory", "unit": "byte"}, constant(325 * MiB))
    for component in ("ssp-operator", "virt-template-validator"):
        for pod in cluster.component_pods.get(component, []):
            up.add({"job": component, "namespace": ns, "pod": pod["metadata"]["name"]}, constant(1))
    ssp_pods = cluster.component_pods.get("ssp-operator", [])
    for pod in ssp_pods:
        labels = {"namespace": ns, "pod": pod["metadata"]["name"]}
        history.family("kubevirt_ssp_operator_reconcile_succeeded", "gauge").add(labels, constant(1))
        history.family("kubevirt_ssp_common_templates_restored", "counter").add(labels, constant(0))
    for pod in cluster.component_pods.get("virt-template-validator", []):
        history.family("kubevirt_ssp_template_validator_rejected", "counter").add(
            {"namespace": ns, "pod": pod["metadata"]["name"]}, constant(0))
    for launcher in [v.pod for v in cluster.vms if v.pod is not None][:20]:
        pod = launcher
        labels = {"namespace": pod["metadata"]["namespace"], "pod": pod["metadata"]["name"], "container": "compute"}
        request = float(pod["spec"]["containers"][0]["resources"]["requests"]["memory"].removesuffix("Mi")) * MiB
        requests.add({**labels, "resource": "memory", "unit": "byte"}, constant(request))
        working_set.add(labels, constant(request * 0.55))
        history.family("container_memory_rss", "gauge").add(labels, constant(request * 0.5))
    node_history(cluster, history)
    guest_history(cluster, history)
    return history


CPUS = 4  # node-exporter CPUs simulated per node (four stand for them all)
GHZ = 1e9
IFF_RUNNING_LINK = 69699  # UP | BROADCAST | RUNNING | MULTICAST | LOWER_UP


def node_instance(node: str) -> str:
    """The node-exporter target of a node."""
    return f"{node}:9100"


def node_history(cluster: Cluster, history: MetricHistory) -> None:
    """node-exporter on every node (CPU utilisation as the monitoring stack records it, frequencies, the uplink's
    flags), and the machine type virt-handler finds QEMU deprecating; healthy and quiet."""
    for node in [n["metadata"]["name"] for n in cluster.masters + cluster.workers]:
        instance = node_instance(node)
        history.family("instance:node_cpu_utilisation:rate1m", "gauge").add({"instance": instance}, constant(0.23))
        for cpu in range(CPUS):
            labels = {"instance": instance, "cpu": str(cpu)}
            history.family("node_cpu_frequency_hertz", "gauge").add(labels, constant(1.8 * GHZ))
            history.family("node_cpu_frequency_max_hertz", "gauge").add(labels, constant(3.5 * GHZ))
        link = {"instance": instance, "device": "ens3"}
        history.family("node_network_flags", "gauge").add(link, constant(IFF_RUNNING_LINK))
        history.family("node_network_up", "gauge").add(link, constant(1))
        history.family("node_network_carrier", "gauge").add(link, constant(1))
        history.family("kubevirt_node_deprecated_machine_types", "gauge").add(
            {"node": node, "machine_type": "pc-q35-rhel8.6.0"}, constant(1))


def growing(per_second: float, start: datetime) -> Shape:
    """A gauge that grows at `per_second` from `start` (a counter exposed without its _total)."""
    return lambda moment: per_second * max((moment - start).total_seconds(), 0.0)


def guest_history(cluster: Cluster, history: MetricHistory) -> None:
    """What virt-handler and the kubelet report for the first VMs: guest memory and file systems, the VM's info,
    its disk's volume stats; all comfortable."""
    for vmset in [v for v in cluster.vms if v.vmi is not None and v.pod is not None][:20]:
        assert vmset.pod is not None
        ns, vm = vmset.key
        pod = vmset.pod["metadata"]["name"]
        start = cluster.at - HISTORY
        history.family("kubevirt_vmi_info", "gauge").add(
            {"namespace": ns, "name": vm, "phase": "running", "vmi_pod": pod, "node": vmset.node}, constant(1))
        memory = {"namespace": ns, "name": pod}
        history.family("kubevirt_vmi_memory_available_bytes", "gauge").add(memory, constant(2048 * MiB))
        history.family("kubevirt_vmi_memory_usable_bytes", "gauge").add(memory, constant(1100 * MiB))
        history.family("kubevirt_vmi_memory_swap_in_traffic_bytes", "gauge").add(memory, growing(0.0, start))
        history.family("kubevirt_vmi_memory_swap_out_traffic_bytes", "gauge").add(memory, growing(0.0, start))
        history.family("kubevirt_vmi_memory_pgmajfault", "counter").add(memory, constant(0.01))
        disk = {"namespace": ns, "name": vm, "disk_name": "vda4", "mount_point": "/", "file_system_type": "xfs"}
        history.family("kubevirt_vmi_filesystem_capacity_bytes", "gauge").add(disk, constant(28 * 1024 * MiB))
        history.family("kubevirt_vmi_filesystem_used_bytes", "gauge").add(disk, constant(9 * 1024 * MiB))
        machine = vmset.vm["spec"]["template"]["spec"]["domain"].get("machine", {}).get("type", "")
        history.family("kubevirt_vm_info", "gauge").add(
            {"namespace": ns, "name": vm, "machine_type": machine, "status_group": "running", "status": "running"},
            constant(1))
        if vmset.pvc is not None:
            volume = {"job": "kubelet", "metrics_path": "/metrics", "namespace": ns,
                      "persistentvolumeclaim": vmset.pvc["metadata"]["name"]}
            history.family("kubelet_volume_stats_capacity_bytes", "gauge").add(volume, constant(30 * 1024 * MiB))
            history.family("kubelet_volume_stats_available_bytes", "gauge").add(volume, constant(18 * 1024 * MiB))
            history.family("kubelet_volume_stats_used_bytes", "gauge").add(volume, constant(12 * 1024 * MiB))


def render(history: MetricHistory, at: datetime) -> Iterator[str]:
    """OpenMetrics text: families grouped, each series' samples in time order, counters integrated."""
    start = at - HISTORY
    steps = int(HISTORY / STEP)
    for family in history.families.values():
        yield f"# TYPE {family.name} {family.kind}"
        suffix = "_total" if family.kind == "counter" else ""
        for labels, shape in family.series.items():
            text = ",".join(f'{k}="{v}"' for k, v in labels)
            total = 0.0
            for index in range(steps + 1):
                moment = start + index * STEP
                if family.kind == "counter":
                    total += shape(moment) * STEP.total_seconds() if index else 0.0
                    value = total
                else:
                    value = shape(moment)
                if value == value:  # NaN: no sample at this moment
                    yield f"{family.name}{suffix}{{{text}}} {value:.6g} {moment.timestamp():.0f}"
    yield "# EOF"


def alerts_history(cluster: Cluster, history: MetricHistory) -> None:
    """The ALERTS series Prometheus itself records: each injected fault's alert, pending then firing."""
    from virt_doctor.catalog import load_catalog
    from virt_doctor.timeutil import parse_duration

    catalog = load_catalog()
    family = history.family("ALERTS", "gauge")
    for item in cluster.injected:
        if not item.alert or item.fault not in cluster.started:
            continue
        entry = catalog.get(item.alert)
        start = cluster.started[item.fault]
        fires = start + parse_duration(entry.for_)
        base = {"alertname": item.alert, "severity": entry.severity}
        if item.namespace:
            base["namespace"] = item.namespace
        family.add({**base, "alertstate": "pending"}, _window(start, fires))
        family.add({**base, "alertstate": "firing"}, _window(fires, cluster.at + STEP))


def _window(start: datetime, end: datetime) -> Shape:
    return lambda moment: 1.0 if start <= moment < end else math.nan


def write_metrics(cluster: Cluster, path: Path) -> Path:
    """Write the cluster's metric history (healthy, the metric faults, the alerts) as OpenMetrics."""
    history = healthy_history(cluster)
    for apply in cluster.metric_faults:
        apply(history)
    alerts_history(cluster, history)
    with path.open("w", encoding="utf-8") as handle:
        for line in render(history, cluster.at):
            handle.write(line + "\n")
    return path
