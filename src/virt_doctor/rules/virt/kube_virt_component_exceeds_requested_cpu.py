"""KubeVirtComponentExceedsRequestedCPU: a virt-* container uses more CPU than it requests."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.usage import exceeds_request, usage_queries


@rule("KubeVirtComponentExceedsRequestedCPU", causes=("request-too-low", "usage-spike", "unknown"),
      queries=usage_queries("cpu"))
def kube_virt_component_exceeds_requested_cpu(snap: Snapshot) -> Iterator[Detection]:
    """CPU usage (5m rate) above the container's CPU request."""
    yield from exceeds_request(snap, "KubeVirtComponentExceedsRequestedCPU", "cpu")
