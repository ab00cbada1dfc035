"""CDIOperatorDown: the cdi-operator is not running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_ready
from virt_doctor.rules.diagnose.components import CDI_OPERATOR


@rule("CDIOperatorDown", needs=NEEDS, causes=COMPONENT_CAUSES)
def cdi_operator_down(snap: Snapshot) -> Iterator[Detection]:
    """The cdi-operator is not running."""
    yield from component_alert(snap, CDI_OPERATOR, none_ready)
