"""KubeVirtVMGuestMemoryPressure: a running guest under 5% usable memory, paging or swapping."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.guest_memory import PRESSURE, guest_short_of_memory, memory_queries


@rule("KubeVirtVMGuestMemoryPressure", causes=("guest-swapping", "page-cache-thrashing", "unknown"),
      queries=memory_queries(PRESSURE, "5m"))
def kubevirt_vm_guest_memory_pressure(snap: Snapshot) -> Iterator[Detection]:
    """The guest thrashes: whether through swap or by re-reading evicted pages."""
    yield from guest_short_of_memory(snap, "KubeVirtVMGuestMemoryPressure", pressure=True)
