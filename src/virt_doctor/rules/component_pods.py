"""The alerts about a component's pods (down, none ready, too few, fewer ready): a row each, one shared diagnosis.

Nineteen runbook alerts differ only in the component they watch and the condition on its pods; the
diagnosis (why the pods are missing, not running or not ready) is the same for all of them
(rules/diagnose/components.py). KubemacpoolDown has a condition of its own and keeps its module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.component_alerts import (
    COMPONENT_CAUSES,
    LOW_COUNT_CAUSES,
    Condition,
    component_alert,
    fewer_ready_than_running,
    low_running,
    needs_of,
    none_ready,
    none_running,
    reads_of,
)
from virt_doctor.rules.diagnose.components import (
    CDI_OPERATOR,
    CNAO,
    HPP_OPERATOR,
    SSP_OPERATOR,
    TEMPLATE_VALIDATOR,
    VIRT_API,
    VIRT_CONTROLLER,
    VIRT_HANDLER,
    VIRT_OPERATOR,
    Component,
)


class ComponentAlert(NamedTuple):
    """One alert: the component it watches and the condition on its pods that fires it."""

    alert: str
    component: Component
    condition: Condition
    low_count: bool = False  # a 'Low…Count' alert: too few schedulable nodes is a cause of its own


COMPONENT_ALERTS = (
    ComponentAlert("VirtAPIDown", VIRT_API, none_running),
    ComponentAlert("VirtControllerDown", VIRT_CONTROLLER, none_running),
    ComponentAlert("VirtOperatorDown", VIRT_OPERATOR, none_running),
    ComponentAlert("NoReadyVirtController", VIRT_CONTROLLER, none_ready),
    ComponentAlert("NoReadyVirtOperator", VIRT_OPERATOR, none_ready),
    ComponentAlert("LowVirtAPICount", VIRT_API, low_running, low_count=True),
    ComponentAlert("LowVirtControllersCount", VIRT_CONTROLLER, low_running, low_count=True),
    ComponentAlert("LowVirtOperatorCount", VIRT_OPERATOR, low_running, low_count=True),
    ComponentAlert("LowReadyVirtControllersCount", VIRT_CONTROLLER, fewer_ready_than_running),
    ComponentAlert("LowReadyVirtOperatorsCount", VIRT_OPERATOR, fewer_ready_than_running),
    ComponentAlert("NoReadyVirtAPI", VIRT_API, none_ready),
    ComponentAlert("LowReadyVirtAPICount", VIRT_API, fewer_ready_than_running),
    ComponentAlert("NoReadyVirtHandler", VIRT_HANDLER, none_ready),
    ComponentAlert("LowReadyVirtHandlerCount", VIRT_HANDLER, fewer_ready_than_running),
    # The operators' '…Down' alerts read the `up` metric upstream: from objects, no pod is ready.
    ComponentAlert("CnaoDown", CNAO, none_ready),
    ComponentAlert("CDIOperatorDown", CDI_OPERATOR, none_ready),
    ComponentAlert("HPPOperatorDown", HPP_OPERATOR, none_ready),
    ComponentAlert("SSPDown", SSP_OPERATOR, none_ready),
    ComponentAlert("SSPTemplateValidatorDown", TEMPLATE_VALIDATOR, none_ready),
)


def _register(row: ComponentAlert) -> None:
    def check(snap: Snapshot) -> Iterator[Detection]:
        yield from component_alert(snap, row.component, row.condition, low_count=row.low_count, alert=row.alert)

    check.__name__ = check.__qualname__ = f"component_alert[{row.alert}]"
    check.__doc__ = f"{row.alert}: {row.condition.__name__.replace('_', ' ')} ({row.component.name})."
    causes: tuple[str, ...] = LOW_COUNT_CAUSES if row.low_count else COMPONENT_CAUSES
    if row.component.kind == "DaemonSet":  # a DaemonSet has no replica count to be scaled to zero
        causes = tuple(c for c in causes if c != "scaled-to-zero")
    rule(row.alert, needs=needs_of(row.component), reads=reads_of(row.component), causes=causes)(check)


for _row in COMPONENT_ALERTS:
    _register(_row)
