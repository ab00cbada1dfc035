"""KubeVirtNoAvailableNodesToRunVMs: no node offers KVM, or no node is schedulable for VMs."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.diagnose.nodes import KVM, vm_node_blockers


@rule("KubeVirtNoAvailableNodesToRunVMs", needs=("Node@all",), reads=("KubeVirt",), causes=("no-kvm", "no-schedulable-nodes", "unknown"))
def kube_virt_no_available_nodes_to_run_vms(snap: Snapshot) -> Iterator[Detection]:
    """Name every node and why it cannot run VMs, when none can."""
    cr = discover.kubevirt_cr(snap)
    if cr is None:
        return
    emulation = bool(((a.spec(cr).get("configuration") or {}).get("developerConfiguration") or {})
                      .get("useEmulation"))
    nodes = sorted(snap.kind("Node"), key=a.name)
    blockers = {a.name(n): vm_node_blockers(n, emulation) for n in nodes}
    if any(not why for why in blockers.values()):
        return
    with_kvm = [n for n in nodes if (a.allocatable(n, KVM) or 0) > 0]
    cause = "no-kvm" if not with_kvm and not emulation else "no-schedulable-nodes"
    evidence = [Evidence(object=a.ref(n), note=", ".join(blockers[a.name(n)])) for n in nodes[:10]]
    if len(nodes) > 10:
        evidence.append(Evidence(object="Node", note=f"and {len(nodes) - 10} more"))
    cordoned = [a.name(n) for n in nodes if a.node_is_cordoned(n)]
    yield Detection(Subject("KubeVirt", a.namespace(cr), a.name(cr)), cause,
                    f"none of {len(nodes)} nodes can run VMs: " +
                    ("no node offers /dev/kvm" if cause == "no-kvm" else
                     "every node is cordoned, NotReady or not labelled kubevirt.io/schedulable=true"),
                    evidence=tuple(evidence), params={"node": " ".join(cordoned)} if cordoned else {})
