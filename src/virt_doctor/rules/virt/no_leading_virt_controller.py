"""NoLeadingVirtController: virt-controller pods are ready, but none holds the leader lease."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.components import VIRT_CONTROLLER
from virt_doctor.rules.diagnose.leader import CAUSES, NEEDS, READS, no_leader


@rule("NoLeadingVirtController", needs=NEEDS, reads=READS, causes=CAUSES)
def no_leading_virt_controller(snap: Snapshot) -> Iterator[Detection]:
    """Ready virt-controller pods exist, yet the virt-controller Lease names a pod that is gone, or nobody renews
    it: no controller acts on VMs although the pods look healthy."""
    yield from no_leader(snap, VIRT_CONTROLLER, "virt-controller")
