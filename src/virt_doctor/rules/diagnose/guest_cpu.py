"""A guest's CPU run queue beyond its vCPUs (the 'GuestVCPUQueueHigh…' alerts): is the guest asking for more CPU
than it has, or are its vCPUs waiting for the host's CPUs?"""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.report.model import Evidence, Subject
from virt_doctor.rules.definitions import threshold_of
from virt_doctor.rules.detection import Detection
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot

# kubevirt's recording rules, inlined: vmi:kubevirt_vmi_vcpu:count and vmi:kubevirt_vmi_guest_queue_length:sum
VCPUS = "count by (namespace, name) (count by (namespace, name, id) (kubevirt_vmi_vcpu_seconds_total))"
QUEUE = (f"sum by (namespace, name) (clamp_min(sum by (namespace, name) (kubevirt_vmi_guest_load_1m) "
         f"- on (namespace, name) {VCPUS}, 0))")
# the share of time each vCPU waits for a host CPU instead of running
DELAY = f"sum by (namespace, name) (rate(kubevirt_vmi_vcpu_delay_seconds_total[5m])) / on (namespace, name) {VCPUS}"
CONTENDED = 0.2  # vCPUs waiting a fifth of the time or more: the host is short of CPU
CAUSES = ("host-cpu-contention", "guest-demand-exceeds-vcpus", "unknown")


def queue_queries(threshold: int) -> dict[str, str]:
    """The alert's condition (run queue over `threshold`), and what the diagnosis asks besides."""
    return {"condition": f"{QUEUE} > {threshold}", "vcpus": VCPUS, "delay": DELAY}


def vcpu_queue_high(snap: Snapshot, alert: str, threshold: int) -> Iterator[Detection]:
    """One finding per VMI whose guest run queue exceeds the threshold: host contention when its vCPUs wait for
    the host, otherwise more runnable threads than vCPUs."""
    vcpus = {(s.labels.get("namespace", ""), s.labels.get("name", "")): s for s in answer(snap, alert, "vcpus")}
    delay = {(s.labels.get("namespace", ""), s.labels.get("name", "")): s for s in answer(snap, alert, "delay")}
    threshold = int(threshold_of(snap, alert, ">", threshold))  # the cluster's own rule may set another
    for series, since in holding(snap, alert):
        key = (series.labels.get("namespace", ""), series.labels.get("name", ""))
        ns, name = key
        vmi = snap.get("VirtualMachineInstance", ns, name)
        node = a.vmi_node(vmi) if vmi is not None else ""
        count = int(vcpus[key].last) if key in vcpus else None
        evidence = [metric_evidence("guest run queue beyond its vCPUs", series, f"over {threshold}",
                                    value=round(series.last, 1))]
        if count is not None:
            evidence.append(metric_evidence("vCPUs", vcpus[key], value=count))
        params = {"namespace": ns, "vm": name, **({"node": node} if node else {})}
        waiting = delay.get(key)
        queue = f"VMI {ns}/{name}'s guest has {series.last:.0f} runnable threads beyond its " \
                f"{count if count is not None else '?'} vCPUs"
        if waiting is not None and waiting.last >= CONTENDED:
            evidence.append(metric_evidence("share of time each vCPU waits for a host CPU", waiting,
                                            f"{CONTENDED:.0%} or more: the host's CPUs are oversubscribed",
                                            value=f"{waiting.last:.0%}"))
            if node:
                evidence.append(Evidence(object=f"Node/{node}", note="where the VMI runs"))
            yield Detection(Subject("VirtualMachineInstance", ns, name), "host-cpu-contention",
                            f"{queue}, and its vCPUs wait {waiting.last:.0%} of the time for the host"
                            + (f" ({node})" if node else ""), since=since, evidence=tuple(evidence), params=params)
        elif waiting is not None:
            evidence.append(metric_evidence("share of time each vCPU waits for a host CPU", waiting,
                                            "low: the host gives the vCPUs what they ask", value=f"{waiting.last:.0%}"))
            yield Detection(Subject("VirtualMachineInstance", ns, name), "guest-demand-exceeds-vcpus",
                            f"{queue}: the guest asks for more CPU than it has", since=since,
                            evidence=tuple(evidence), params=params)
        else:
            yield Detection(Subject("VirtualMachineInstance", ns, name), "unknown", queue, since=since,
                            evidence=tuple(evidence), params=params, checked=("vCPU delay (no series)",))
