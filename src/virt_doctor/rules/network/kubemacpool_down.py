"""KubemacpoolDown: CNAO deployed KubeMacPool, but its manager is not running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, a, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, component_alert, none_ready
from virt_doctor.rules.diagnose.components import KUBEMACPOOL


@rule("KubemacpoolDown", needs=("Pod", "NetworkAddonsConfig"), causes=COMPONENT_CAUSES)
def kubemacpool_down(snap: Snapshot) -> Iterator[Detection]:
    """spec.kubeMacPool is set on the NetworkAddonsConfig and no kubemacpool-mac-controller-manager pod runs."""
    if not any(a.spec(nac).get("kubeMacPool") is not None for nac in snap.kind("NetworkAddonsConfig")):
        return
    yield from component_alert(snap, KUBEMACPOOL, none_ready, expected=True)
