"""CDINotReady: the CDI custom resource is degraded (not available, not progressing)."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES
from virt_doctor.rules.diagnose.components import CDI_APISERVER, CDI_DEPLOYMENT, CDI_OPERATOR, CDI_UPLOADPROXY
from virt_doctor.rules.diagnose.operands import OPERAND_READS, operand_not_ready


@rule("CDINotReady", needs=("CDI",), reads=OPERAND_READS, causes=(*COMPONENT_CAUSES, "cr-degraded"))
def cdi_not_ready(snap: Snapshot) -> Iterator[Detection]:
    """The CDI CR is neither Available nor Progressing; name the CDI component that fails."""
    yield from operand_not_ready(snap, "CDI", "CDI", (CDI_DEPLOYMENT, CDI_APISERVER, CDI_UPLOADPROXY, CDI_OPERATOR))
