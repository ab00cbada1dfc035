"""SSPTemplateValidatorDown: no virt-template-validator pod is running."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES, NEEDS, component_alert, none_ready
from virt_doctor.rules.diagnose.components import TEMPLATE_VALIDATOR


@rule("SSPTemplateValidatorDown", needs=NEEDS, causes=COMPONENT_CAUSES)
def ssp_template_validator_down(snap: Snapshot) -> Iterator[Detection]:
    """No virt-template-validator pod is running."""
    yield from component_alert(snap, TEMPLATE_VALIDATOR, none_ready)
