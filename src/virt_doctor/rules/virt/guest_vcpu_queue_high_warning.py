"""GuestVCPUQueueHighWarning: a guest's CPU run queue exceeds its vCPUs by more than 10."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.guest_cpu import CAUSES, queue_queries, vcpu_queue_high

THRESHOLD = 10


@rule("GuestVCPUQueueHighWarning", reads=("VirtualMachineInstance",), causes=CAUSES,
      queries=queue_queries(THRESHOLD), threshold=(">", THRESHOLD))
def guest_vcpu_queue_high_warning(snap: Snapshot) -> Iterator[Detection]:
    """More than 10 threads wait for the guest's vCPUs: why, from the vCPUs' wait for the host."""
    yield from vcpu_queue_high(snap, "GuestVCPUQueueHighWarning", THRESHOLD)
