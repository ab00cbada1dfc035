"""HPPSharingPoolPathWithOS: a hostpath provisioner pool lives on the node's OS filesystem."""

from __future__ import annotations

import re
from collections.abc import Iterator

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.components import HPP_CSI, component_state

# hostpath-provisioner's evaluateSharedPathMetric: "pool (NAME, PATH), shares path with OS which can lead to ..."
SHARED = re.compile(r"pool \((?P<pool>[^,]+), (?P<path>[^)]+)\), shares path with OS")


@rule("HPPSharingPoolPathWithOS", needs=("Pod",), causes=("pool-on-root-filesystem", "unknown"))
def hpp_sharing_pool_path_with_os(snap: Snapshot) -> Iterator[Detection]:
    """The hostpath-provisioner CSI pods log that a pool path shares a filesystem with the OS."""
    state = component_state(snap, HPP_CSI)
    if not state.pods:
        return  # the hostpath provisioner is not deployed
    logged = [(pod, snap.log(a.namespace(pod), a.name(pod), HPP_CSI.container)) for pod in state.pods]
    if not any(log is not None for _, log in logged):
        raise CannotEvaluate("needs the hostpath-provisioner-csi pods' logs (not in the source) or Prometheus")
    for pod, log in logged:
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
