"""VirtLauncherPodsStuckFailed: 200 or more virt-launcher pods sit in phase Failed, never deleted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.definitions import threshold_of
from virt_doctor.timeutil import parse_time
from virt_doctor.wording import counted

THRESHOLD = (">=", 200)  # upstream: sum(kube_pod_status_phase{phase='Failed', pod=~'virt-launcher-.*'}) >= 200
SUBJECT = Subject("Pod", "", "virt-launcher pods")  # the Failed ones, cluster-wide
MOST = 0.5  # a share of the failed pods that makes one VM, node or kind of pod the cause


def failed_launchers(snap: Snapshot) -> list[dict[str, Any]]:
    """The virt-launcher pods that ended Failed and were left behind."""
    return [p for p in snap.index("pods_by_component", "virt-launcher") if a.pod_phase(p) == "Failed"]


def failed_at(pod: dict[str, Any]) -> datetime | None:
    """When a launcher pod failed: its containers' last finish, else its Ready condition's turn."""
    ends = [t for cs in a.status(pod).get("containerStatuses") or []
            if (t := parse_time(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")))]
    return max(ends) if ends else a.transitioned(a.condition(pod, "Ready"))


def reached(pods: list[dict[str, Any]], count: float) -> datetime | None:
    """When the count of failed pods reached `count` (the `count`-th failure), if the pods say."""
    times = sorted(t for p in pods if (t := failed_at(p)) is not None)
    return times[int(count) - 1] if count >= 1 and len(times) >= count else None


def _top(counts: Counter[str]) -> tuple[str, int]:
    return counts.most_common(1)[0] if counts else ("", 0)


def _reasons(pods: list[dict[str, Any]]) -> Counter[str]:
    """How the pods' containers ended (Error, OOMKilled, ...)."""
    return Counter(str(((cs.get("state") or {}).get("terminated") or {}).get("reason") or "unknown")
                   for p in pods for cs in a.status(p).get("containerStatuses") or [])


@rule("VirtLauncherPodsStuckFailed", needs=("Pod",), reads=("KubeVirt", "Node"),
      causes=("migration-loop", "vm-restart-loop", "node-problem", "unknown"), threshold=THRESHOLD)
def virt_launcher_pods_stuck_failed(snap: Snapshot) -> Iterator[Detection]:
    """Count the Failed virt-launcher pods cluster-wide; name what most of them share: migration targets, one
    VM restarting, or one node."""
    failed = failed_launchers(snap)
    least = threshold_of(snap, "VirtLauncherPodsStuckFailed", *THRESHOLD)  # the cluster's own rule may say another
    if len(failed) < least:
        if not snap.listed("Pod"):  # fewer were seen, but not every namespace was: more may exist
            raise CannotEvaluate(f"{counted(len(failed), 'Failed virt-launcher pod')} seen, but "
                                 f"{snap.seen.why_unseen('Pod')}: the cluster-wide count cannot be told")
        return
    kubevirt = discover.kubevirt_cr(snap)
    since = reached(failed, least)
    subject = SUBJECT  # the same whatever else the source holds: removing data must not make it another finding
    total = len(failed)
    namespaces = Counter(a.namespace(p) for p in failed)
    nodes = Counter(a.pod_node(p) for p in failed if a.pod_node(p))
    vms = Counter(f"{a.namespace(p)}/{a.labels(p).get('vm.kubevirt.io/name', '')}" for p in failed)
    migrations = [p for p in failed if a.labels(p).get("kubevirt.io/migrationJobUID")]
    reasons = ", ".join(f"{r} {n}" for r, n in _reasons(failed).most_common(3))
    evidence = [Evidence(object="Pod (virt-launcher)", path="status.phase", value="Failed",
                         note=f"{total} pods (threshold {least:g}); containers ended: {reasons}"),
                Evidence(object="Pod (virt-launcher)", path="metadata.namespace",
                         value=", ".join(f"{ns} {n}" for ns, n in namespaces.most_common(3)),
                         note=f"across {counted(len(namespaces), 'namespace')}")]
    node, on_node = _top(nodes)
    vm, of_vm = _top(vms)
    params = {"kubevirt-namespace": a.namespace(kubevirt) if kubevirt else ""}
    say = f"{total} virt-launcher pods are Failed and not deleted"
    if len(migrations) >= MOST * total:
        where, _ = _top(Counter(a.namespace(p) for p in migrations))
        yield Detection(subject, "migration-loop", f"{say}: {len(migrations)} of them are migration targets — "
                        "migrations fail and are retried", since=since, params={**params, "namespace": where}, evidence=(*evidence, Evidence(
                            object="Pod (virt-launcher)", path="metadata.labels[kubevirt.io/migrationJobUID]",
                            value=len(migrations), note="target pods of migrations")))
        return
    if of_vm >= MOST * total:
        namespace, _, name = vm.partition("/")
        yield Detection(subject, "vm-restart-loop", f"{say}: {of_vm} of them belong to VM {vm}, which keeps "
                        "failing and being restarted", since=since, params={**params, "namespace": namespace, "vm": name},
                        evidence=(*evidence, Evidence(object=f"VirtualMachine/{vm}", path="virt-launcher pods Failed",
                                                      value=of_vm, note="one VM's launchers, again and again")))
        return
    if on_node >= MOST * total:
        node_obj = snap.get("Node", "", node)
        ready = a.node_ready_status(node_obj) if node_obj else "not seen"
        yield Detection(subject, "node-problem", f"{say}: {on_node} of them ran on node {node}", since=since,
                        params={**params, "node": node},
                        evidence=(*evidence, Evidence(object=f"Node/{node}", path="virt-launcher pods Failed",
                                                      value=on_node, note=f"Ready: {ready}")))
        return
    yield Detection(subject, "unknown", f"{say}, spread over VMs and nodes", since=since, params=params,
                    evidence=tuple(evidence),
                    checked=("migration-target pods", "pods per VM", "pods per node"))
