"""NoReadyVirtOperator: no virt-operator pod is Ready."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_ready
from virt_doctor.rules.diagnose.components import VIRT_OPERATOR


@rule("NoReadyVirtOperator", needs=NEEDS, causes=COMPONENT_CAUSES)
def no_ready_virt_operator(snap: Snapshot) -> Iterator[Detection]:
    """No virt-operator pod is Ready."""
    yield from component_alert(snap, VIRT_OPERATOR, none_ready)
