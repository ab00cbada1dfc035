"""HPPOperatorDown: the hostpath-provisioner-operator is not running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_ready
from virt_doctor.rules.diagnose.components import HPP_OPERATOR


@rule("HPPOperatorDown", needs=NEEDS, causes=COMPONENT_CAUSES)
def hpp_operator_down(snap: Snapshot) -> Iterator[Detection]:
    """The hostpath-provisioner-operator is not running."""
    yield from component_alert(snap, HPP_OPERATOR, none_ready)
