"""LowReadyVirtControllersCount: fewer virt-controller pods are ready than are running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import (
    COMPONENT_CAUSES,
    NEEDS,
    component_alert,
    fewer_ready_than_running,
)
from virt_doctor.rules.diagnose.components import VIRT_CONTROLLER


@rule("LowReadyVirtControllersCount", needs=NEEDS, causes=COMPONENT_CAUSES)
def low_ready_virt_controllers_count(snap: Snapshot) -> Iterator[Detection]:
    """Fewer virt-controller pods are ready than are running."""
    yield from component_alert(snap, VIRT_CONTROLLER, fewer_ready_than_running)
