"""PersistentVolumeFillingUp: a claim's volume under 10% free and on course to fill within four days."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence

ALERT = "PersistentVolumeFillingUp"
KUBELET = 'job="kubelet",metrics_path="/metrics"'
CONDITION = (f"(kubelet_volume_stats_available_bytes{{{KUBELET}}} / kubelet_volume_stats_capacity_bytes{{{KUBELET}}}) "
             f"< 0.10 and kubelet_volume_stats_used_bytes{{{KUBELET}}} > 0 and "
             f"predict_linear(kubelet_volume_stats_available_bytes{{{KUBELET}}}[6h], 4 * 24 * 3600) < 0 "
             "unless on (cluster, namespace, persistentvolumeclaim) "
             'kube_persistentvolumeclaim_access_mode{access_mode="ReadOnlyMany"} == 1')
CAPACITY = f"kubelet_volume_stats_capacity_bytes{{{KUBELET}}}"


def pods_mounting(snap: Snapshot, namespace: str, claim: str) -> list[dict[str, Any]]:
    """The namespace's pods that mount the claim."""
    return [p for p in snap.index("pods_by_namespace", namespace)
            if any((v.get("persistentVolumeClaim") or {}).get("claimName") == claim
                   for v in a.spec(p).get("volumes") or [])]


@rule(ALERT, reads=("PersistentVolumeClaim@subject", "Pod@subject"),
      causes=("vm-disk-filling", "workload-filling", "unknown"),
      queries={"condition": CONDITION, "capacity": CAPACITY})
def persistent_volume_filling_up(snap: Snapshot) -> Iterator[Detection]:
    """Who fills the volume: a VM's disk, or a workload's data."""
    capacity = {(s.labels.get("namespace", ""), s.labels.get("persistentvolumeclaim", "")): s
                for s in answer(snap, ALERT, "capacity")}
    for series, since in holding(snap, ALERT):
        ns, claim = series.labels.get("namespace", ""), series.labels.get("persistentvolumeclaim", "")
        evidence = [metric_evidence("free share of the volume", series, "under 10% and falling", value=f"{series.last:.1%}")]
        if (ns, claim) in capacity:
            evidence.append(metric_evidence("volume capacity", capacity[(ns, claim)],
                                            value=f"{capacity[(ns, claim)].last / 2**30:.1f} GiB"))
        pvc = snap.get("PersistentVolumeClaim", ns, claim)
        params = {"namespace": ns, "pvc": claim}
        if pvc is not None and a.spec(pvc).get("storageClassName"):
            params["storage-class"] = str(a.spec(pvc)["storageClassName"])
        text = f"PVC {ns}/{claim} has {series.last:.1%} free and will fill within four days at this rate"
        pods = pods_mounting(snap, ns, claim)
        launcher = next((p for p in pods if a.labels(p).get("kubevirt.io") == "virt-launcher"), None)
        subject = Subject("PersistentVolumeClaim", ns, claim)
        if launcher is not None:
            vm = a.labels(launcher).get("vm.kubevirt.io/name") or a.annotations(launcher).get("kubevirt.io/domain", "")
            params.update({"vm": vm, "pod": a.name(launcher)})
            evidence.append(Evidence(object=a.ref(launcher), path="spec.volumes", value=claim,
                                     note=f"VM {vm}'s disk"))
            yield Detection(subject, "vm-disk-filling", f"{text}; it is VM {ns}/{vm}'s disk", since=since,
                            evidence=tuple(evidence), params=params)
        elif pods:
            params["pod"] = a.name(pods[0])
            evidence.append(Evidence(object=a.ref(pods[0]), path="spec.volumes", value=claim, note="mounts the claim"))
            yield Detection(subject, "workload-filling", f"{text}; pod {a.name(pods[0])} writes to it", since=since,
                            evidence=tuple(evidence), params=params)
        else:
            looked = snap.listed("Pod", ns)
            yield Detection(subject, "unknown", text, since=since, evidence=tuple(evidence), params=params,
                            checked=(f"pods in {ns} mounting it (none)",) if looked else (),
                            unchecked=() if looked else (f"pods in {ns} (not listed)",))
