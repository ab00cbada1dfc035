"""CnaoDown: the cluster-network-addons-operator is not running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_ready
from virt_doctor.rules.diagnose.components import CNAO


@rule("CnaoDown", needs=NEEDS, causes=COMPONENT_CAUSES)
def cnao_down(snap: Snapshot) -> Iterator[Detection]:
    """The cluster-network-addons-operator is not running."""
    yield from component_alert(snap, CNAO, none_ready)
