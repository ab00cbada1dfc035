"""SSPDown: no ssp-operator pod is running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_ready
from virt_doctor.rules.diagnose.components import SSP_OPERATOR


@rule("SSPDown", needs=NEEDS, causes=COMPONENT_CAUSES)
def ssp_down(snap: Snapshot) -> Iterator[Detection]:
    """No ssp-operator pod is running."""
    yield from component_alert(snap, SSP_OPERATOR, none_ready)
