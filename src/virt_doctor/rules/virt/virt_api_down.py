"""VirtAPIDown: no virt-api pod is Running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_running
from virt_doctor.rules.diagnose.components import VIRT_API


@rule("VirtAPIDown", needs=NEEDS, causes=COMPONENT_CAUSES)
def virt_api_down(snap: Snapshot) -> Iterator[Detection]:
    """No virt-api pod is Running."""
    yield from component_alert(snap, VIRT_API, none_running)
