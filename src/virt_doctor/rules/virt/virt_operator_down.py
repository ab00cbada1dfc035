"""VirtOperatorDown: no virt-operator pod is Running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_running
from virt_doctor.rules.diagnose.components import VIRT_OPERATOR


@rule("VirtOperatorDown", needs=NEEDS, causes=COMPONENT_CAUSES)
def virt_operator_down(snap: Snapshot) -> Iterator[Detection]:
    """No virt-operator pod is Running."""
    yield from component_alert(snap, VIRT_OPERATOR, none_running)
