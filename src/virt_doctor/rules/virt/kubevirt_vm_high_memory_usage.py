"""KubevirtVmHighMemoryUsage: a VM's launcher has less than 50 MiB left below its memory request."""

from __future__ import annotations

import math
from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import holding, metric_evidence

LAUNCHER = 'pod=~"virt-launcher-.*", container="compute"'
HEADROOM = 52428800
REQUEST = f'kube_pod_container_resource_requests{{{LAUNCHER}, resource="memory"}}'
CONDITION = (f"(sum by (namespace, pod) ({REQUEST}) - sum by (namespace, pod) "
             f"(container_memory_working_set_bytes{{{LAUNCHER}}}) < {HEADROOM}) or "
             f"(sum by (namespace, pod) ({REQUEST}) - sum by (namespace, pod) (container_memory_rss{{{LAUNCHER}}}) "
             f"< {HEADROOM})")


@rule("KubevirtVmHighMemoryUsage", causes=("memory-limit-too-low", "unknown"), queries={"condition": CONDITION})
def kubevirt_vm_high_memory_usage(snap: Snapshot) -> Iterator[Detection]:
    """The compute container's headroom (request minus working set or RSS) is under 50 MiB."""
    for series, since in holding(snap, "KubevirtVmHighMemoryUsage"):
        ns, pod_name = series.labels.get("namespace", ""), series.labels.get("pod", "")
        pod = snap.get("Pod", ns, pod_name)
        vm = (a.annotations(pod).get("kubevirt.io/domain") if pod else None) or \
            pod_name.removeprefix("virt-launcher-").rsplit("-", 1)[0]
        vm_obj = snap.get("VirtualMachine", ns, vm)
        domain = a.vm_template_spec(vm_obj).get("domain") or {} if vm_obj else {}
        current = ((domain.get("resources") or {}).get("requests") or {}).get("memory") or \
            (domain.get("memory") or {}).get("guest")
        params = {"namespace": ns, "vm": vm, "pod": pod_name}
        if current:
            params["memory"] = f"{math.ceil((a.quantity(current) + 512 * 2**20) / 2**20)}Mi"
        yield Detection(Subject("VirtualMachine", ns, vm), "memory-limit-too-low",
                        f"VM {ns}/{vm}'s compute container has {series.last / 2**20:.0f} MiB left before its memory "
                        "limit; the guest is killed if it runs out", since=since,
                        evidence=(metric_evidence("memory headroom of the compute container", series,
                                                  f"under {HEADROOM // 2**20} MiB",
                                                  value=f"{series.last / 2**20:.0f} MiB"),),
                        params=params)
