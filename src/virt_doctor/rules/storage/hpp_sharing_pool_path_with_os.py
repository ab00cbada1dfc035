"""HPPSharingPoolPathWithOS: a hostpath provisioner pool lives on the node's OS filesystem."""

from __future__ import annotations

import re
from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.components import HPP_CSI, component_state
from virt_doctor.rules.diagnose.evidence import unread_log
from virt_doctor.rules.diagnose.metrics import holding, metric_evidence, objects_cannot_tell

# hostpath-provisioner's evaluateSharedPathMetric: "pool (NAME, PATH), shares path with OS which can lead to ..."
SHARED = re.compile(r"pool \((?P<pool>[^,]+), (?P<path>[^)]+)\), shares path with OS")


CONDITION = "max by (namespace, pod) (kubevirt_hpp_pool_path_shared_with_os) == 1"


@rule("HPPSharingPoolPathWithOS", reads=("Pod", "DaemonSet", "Deployment", "HostPathProvisioner"), causes=("pool-on-root-filesystem", "unknown"), queries={"condition": CONDITION},
      metrics_optional=True)
def hpp_sharing_pool_path_with_os(snap: Snapshot) -> Iterator[Detection]:
    """The HPP CSI pods report (metric) or log that a pool path shares a filesystem with the OS."""
    reported = holding(snap, "HPPSharingPoolPathWithOS")
    for series, since in reported:
        ns, pod_name = series.labels.get("namespace", ""), series.labels.get("pod", "")
        pod = snap.get("Pod", ns, pod_name)
        node = a.pod_node(pod) if pod else ""
        logs = _log_lines(snap, pod) if pod else []
        yield Detection(Subject("Pod", ns, pod_name), "pool-on-root-filesystem",
                        f"{pod_name}{f' on node {node}' if node else ''} reports an HPP pool path on the OS filesystem",
                        since=since, evidence=(metric_evidence("kubevirt_hpp_pool_path_shared_with_os", series),
                                               *logs),
                        params={"hpp-namespace": ns, "pod": pod_name, **({"node": node} if node else {})},
                        labels={"node": node} if node else {})
    if reported:
        return
    found = list(_from_logs(snap))
    if not found:  # a log without the line proves nothing: it is logged at higher verbosity, and only tails are kept
        objects_cannot_tell(snap, "the CSI pods' logs cannot show that no pool shares the OS filesystem (that line "
                                  "is logged only at a higher verbosity)")
    yield from found


def _from_logs(snap: Snapshot) -> Iterator[Detection]:
    """Each HPP CSI pod whose log says a pool path shares the OS filesystem."""
    state = component_state(snap, HPP_CSI)
    for pod in state.pods:
        log = snap.log(a.namespace(pod), a.name(pod), HPP_CSI.container)
        if log is None:
            continue
        hits = [(m, line) for line in log.current + log.previous if (m := SHARED.search(line))]
        if not hits:
            continue
        match, line = hits[-1]
        node = a.pod_node(pod)
        pools = sorted({f"{m['pool']} at {m['path']}" for m, _ in hits})
        yield Detection(Subject("Pod", a.namespace(pod), a.name(pod)), "pool-on-root-filesystem",
                        f"on node {node}, HPP pool {', '.join(pools)} shares the OS filesystem",
                        evidence=(Evidence(object=a.ref(pod), path=f"log {HPP_CSI.container}", value=line.strip()[:300],
                                           note=log.paths.get("current", log.path)),),
                        params={"hpp-namespace": a.namespace(pod), "pod": a.name(pod), "node": node},
                        labels={"node": node, "pool": match["pool"]})


def _log_lines(snap: Snapshot, pod: dict) -> list[Evidence]:
    log = snap.log(a.namespace(pod), a.name(pod), HPP_CSI.container)
    if log is None:
        return []
    if log.unread:
        return unread_log(snap, pod, HPP_CSI.container)
    return [Evidence(object=a.ref(pod), path=f"log {HPP_CSI.container}", value=line.strip()[:300],
                     note=log.paths.get("current", log.path)) for line in log.current if SHARED.search(line)][-1:]
