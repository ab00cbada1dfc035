"""VirtControllerDown: no virt-controller pod is Running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_running
from virt_doctor.rules.diagnose.components import VIRT_CONTROLLER


@rule("VirtControllerDown", needs=NEEDS, causes=COMPONENT_CAUSES)
def virt_controller_down(snap: Snapshot) -> Iterator[Detection]:
    """No virt-controller pod is Running."""
    yield from component_alert(snap, VIRT_CONTROLLER, none_running)
