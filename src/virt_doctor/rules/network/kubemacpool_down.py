"""KubemacpoolDown: CNAO deployed KubeMacPool, but its manager is not running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, a, rule
from virt_doctor.rules.diagnose.component_alerts import (
    COMPONENT_CAUSES,
    component_alert,
    needs_of,
    none_ready,
    reads_of,
)
from virt_doctor.rules.diagnose.components import KUBEMACPOOL


@rule("KubemacpoolDown", needs=("NetworkAddonsConfig", *needs_of(KUBEMACPOOL)), reads=reads_of(KUBEMACPOOL),
      causes=COMPONENT_CAUSES)
def kubemacpool_down(snap: Snapshot) -> Iterator[Detection]:
    """spec.kubeMacPool is set on the NetworkAddonsConfig and no kubemacpool-mac-controller-manager pod runs."""
    if not any(a.spec(nac).get("kubeMacPool") is not None for nac in snap.kind("NetworkAddonsConfig")):
        return
    yield from component_alert(snap, KUBEMACPOOL, none_ready, expected=True)
