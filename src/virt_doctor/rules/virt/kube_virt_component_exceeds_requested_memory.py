"""KubeVirtComponentExceedsRequestedMemory: a virt-* container's working set exceeds its memory request."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.usage import exceeds_request, usage_queries


@rule("KubeVirtComponentExceedsRequestedMemory", causes=("request-too-low", "usage-spike", "unknown"),
      queries=usage_queries("memory"))
def kube_virt_component_exceeds_requested_memory(snap: Snapshot) -> Iterator[Detection]:
    """Working-set memory above the container's memory request."""
    yield from exceeds_request(snap, "KubeVirtComponentExceedsRequestedMemory", "memory")
