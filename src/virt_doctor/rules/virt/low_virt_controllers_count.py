"""LowVirtControllersCount: running virt-controller pods are below 75% of the replicas wanted."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import LOW_COUNT_CAUSES, NEEDS, component_alert, low_running
from virt_doctor.rules.diagnose.components import VIRT_CONTROLLER


@rule("LowVirtControllersCount", needs=NEEDS, causes=LOW_COUNT_CAUSES)
def low_virt_controllers_count(snap: Snapshot) -> Iterator[Detection]:
    """Running virt-controller pods are below 75% of the replicas wanted."""
    yield from component_alert(snap, VIRT_CONTROLLER, low_running, low_count=True)
