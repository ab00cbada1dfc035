"""KubeVirtVMGuestMemoryAvailableLow: a running guest under 3% usable memory for 30 minutes, without swap."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.guest_memory import LOW, guest_short_of_memory, memory_queries


@rule("KubeVirtVMGuestMemoryAvailableLow", causes=("no-swap-in-guest", "unknown"), queries=memory_queries(LOW, "30m"))
def kubevirt_vm_guest_memory_available_low(snap: Snapshot) -> Iterator[Detection]:
    """The guest is full and has no swap: the next allocation may meet its OOM killer."""
    yield from guest_short_of_memory(snap, "KubeVirtVMGuestMemoryAvailableLow", pressure=False)
