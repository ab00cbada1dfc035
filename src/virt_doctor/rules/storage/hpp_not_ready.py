"""HPPNotReady: the HostPathProvisioner custom resource is not ready."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES
from virt_doctor.rules.diagnose.components import HPP_CSI, HPP_OPERATOR
from virt_doctor.rules.diagnose.operands import OPERAND_READS, operand_not_ready


@rule("HPPNotReady", needs=("HostPathProvisioner",), reads=OPERAND_READS, causes=(*COMPONENT_CAUSES, "cr-degraded"))
def hpp_not_ready(snap: Snapshot) -> Iterator[Detection]:
    """The HPP CR is neither Available nor Progressing; name the HPP component that fails."""
    yield from operand_not_ready(snap, "HostPathProvisioner", "the hostpath provisioner", (HPP_CSI, HPP_OPERATOR))
