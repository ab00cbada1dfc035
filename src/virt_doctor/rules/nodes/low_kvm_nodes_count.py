"""LowKVMNodesCount: fewer than two nodes offer KVM, while more than one could take VMs."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.diagnose.nodes import KVM, is_control_plane


@rule("LowKVMNodesCount", needs=("Node@all",), reads=("KubeVirt",), causes=("kvm-missing-on-nodes", "unknown"))
def low_kvm_nodes_count(snap: Snapshot) -> Iterator[Detection]:
    """More than one worker node, but fewer than two offer devices.kubevirt.io/kvm."""
    cr = discover.kubevirt_cr(snap)
    if cr is None:
        return
    workers = [n for n in snap.kind("Node") if not is_control_plane(n)]
    with_kvm = [n for n in snap.kind("Node") if (a.allocatable(n, KVM) or 0) > 0]
    if len(workers) <= 1 or len(with_kvm) >= 2:
        return
    without = sorted((n for n in workers if n not in with_kvm), key=a.name)
    evidence = [Evidence(object=a.ref(n), path=f"status.allocatable[{KVM}]",
                         value=(a.status(n).get("allocatable") or {}).get(KVM), note="no KVM") for n in without[:10]]
    yield Detection(Subject("KubeVirt", a.namespace(cr), a.name(cr)), "kvm-missing-on-nodes",
                    (f"only {a.name(with_kvm[0])} of {len(workers)} worker nodes offers KVM" if with_kvm
                     else f"none of {len(workers)} worker nodes offers KVM") + "; live migration needs two",
                    evidence=tuple(evidence), params={"node": a.name(without[0])} if without else {})
