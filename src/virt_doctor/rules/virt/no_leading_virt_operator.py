"""NoLeadingVirtOperator: virt-operator pods are ready, but none holds the leader lease."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.components import VIRT_OPERATOR
from virt_doctor.rules.diagnose.leader import CAUSES, NEEDS, READS, no_leader


@rule("NoLeadingVirtOperator", needs=NEEDS, reads=READS, causes=CAUSES)
def no_leading_virt_operator(snap: Snapshot) -> Iterator[Detection]:
    """Ready virt-operator pods exist, yet the virt-operator Lease names a pod that is gone, or nobody renews it."""
    yield from no_leader(snap, VIRT_OPERATOR, "virt-operator")
