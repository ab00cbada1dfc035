"""What an action must not do without a flag that names the risk: judged on the objects as freshly read.

Each guard is a pure function of the snapshot and the action; it answers a Refusal (the risk, the flag that
overrides it, why) or None. A guard that cannot tell (its objects were not listed) refuses: it never assumes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from virt_doctor.report.actions import Action
from virt_doctor.snapshot import Snapshot
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Missing

KVM = "devices.kubevirt.io/kvm"


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused, and the flag that would allow it (empty: nothing does)."""

    risk: str
    flag: str
    why: str

    def say(self) -> str:
        return f"refused ({self.risk}): {self.why}" + (f"; {self.flag} allows it" if self.flag else "")


def launcher_downtime(snap: Snapshot, action: Action) -> Refusal | None:
    """Deleting the virt-launcher pod of a running VM that cannot live-migrate stops the VM."""
    if action.verb != "delete" or action.kind != "Pod":
        return None
    pod = snap.get("Pod", action.namespace, action.name)
    if pod is None or a.labels(pod).get("kubevirt.io") != "virt-launcher":
        return None
    vmi_name = a.annotations(pod).get("kubevirt.io/domain") or a.labels(pod).get("vm.kubevirt.io/name") or ""
    vmi = snap.lookup("VirtualMachineInstance", action.namespace, vmi_name)
    if isinstance(vmi, Missing):
        return None if vmi.seen else Refusal("downtime", "--allow-downtime", f"cannot tell whether {action.ref()} "
                                             f"runs a VM that can live-migrate: {vmi.reason}")
    if a.vmi_phase(vmi) == "Running" and not a.condition_is(vmi, "LiveMigratable", "True"):
        return Refusal("downtime", "--allow-downtime", f"{action.ref()} runs VM {action.namespace}/{vmi_name}, "
                       "which cannot live-migrate: deleting the pod stops the VM")
    return None


def split_brain(snap: Snapshot, action: Action) -> Refusal | None:
    """Force-deleting a VMI whose node is Ready can leave its guest running there while a new one starts
    elsewhere on the same shared disks."""
    if action.kind != "VirtualMachineInstance" or action.grace_period != 0:
        return None
    vmi = snap.get("VirtualMachineInstance", action.namespace, action.name)
    node_name = a.vmi_node(vmi) if vmi is not None else ""
    if not node_name:
        return None if vmi is not None else Refusal("split-brain", "--allow-split-brain",
                                                     f"{action.ref()} was not seen: its node cannot be checked")
    node = snap.lookup("Node", "", node_name)
    if isinstance(node, Missing):
        return None if node.seen else Refusal("split-brain", "--allow-split-brain", f"cannot tell whether node "
                                              f"{node_name} of {action.ref()} is down: {node.reason}")
    if a.node_ready_status(node) == "True":
        return Refusal("split-brain", "--allow-split-brain", f"node {node_name} of {action.ref()} is Ready: the "
                       "guest may still run there; force-deleting may run it twice on the same disks")
    return None


def last_kvm_node(snap: Snapshot, action: Action) -> Refusal | None:
    """Cordoning the last schedulable node with KVM leaves no node to start or migrate VMs to."""
    if action.type != "cordon":
        return None
    if not snap.listed("Node"):
        return Refusal("last-kvm-node", "--allow-last-node", "the nodes were not all listed: cannot tell whether "
                       f"{action.name} is the last schedulable KVM node")
    others = [n for n in snap.kind("Node") if a.name(n) != action.name and not a.node_is_cordoned(n)
              and (a.allocatable(n, KVM) or 0) > 0]
    if not others:
        return Refusal("last-kvm-node", "--allow-last-node", f"{action.name} is the last schedulable node with "
                       "KVM: cordoning it leaves nowhere to start or migrate VMs")
    return None


GUARDS: tuple[tuple[str, Callable[[Snapshot, Action], Refusal | None]], ...] = (
    ("downtime", launcher_downtime), ("split-brain", split_brain), ("last-kvm-node", last_kvm_node))


def refusals(snap: Snapshot, action: Action, allowed: frozenset[str], namespace: str = "") -> list[Refusal]:
    """Every guard that refuses the action, less the risks `allowed`; and the namespace scope, if one was set."""
    out = [r for risk, guard in GUARDS if risk not in allowed and (r := guard(snap, action)) is not None]
    if namespace and action.namespace != namespace:
        where = f"namespace {action.namespace}" if action.namespace else "cluster-scoped"
        out.append(Refusal("out-of-scope", "", f"{action.ref()} is {where}, outside --namespace {namespace}"))
    return out
