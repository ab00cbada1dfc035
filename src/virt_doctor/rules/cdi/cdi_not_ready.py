"""CDINotReady: the CDI custom resource is degraded (not available, not progressing)."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES
from virt_doctor.rules.diagnose.components import (
    CDI_APISERVER,
    CDI_DEPLOYMENT,
    CDI_OPERATOR,
    CDI_UPLOADPROXY,
    component_state,
    diagnose_component,
)
from virt_doctor.rules.diagnose.evidence import cond_evidence
from virt_doctor.rules.diagnose.operands import cr_not_ready


@rule("CDINotReady", needs=("CDI",), causes=(*COMPONENT_CAUSES, "cr-degraded"))
def cdi_not_ready(snap: Snapshot) -> Iterator[Detection]:
    """The CDI CR is neither Available nor Progressing (or is Degraded); name the component that fails."""
    for cr in snap.kind("CDI"):
        verdict = cr_not_ready(cr)
        if verdict is None:
            continue
        conditions, since = verdict
        subject = Subject("CDI", "", a.name(cr))
        evidence = tuple(cond_evidence(cr, c) for c in conditions)
        ns = component_state(snap, CDI_OPERATOR).namespace
        for component in (CDI_DEPLOYMENT, CDI_APISERVER, CDI_UPLOADPROXY, CDI_OPERATOR):
            state = component_state(snap, component)
            if state.workload is not None and len(state.ready) >= max(state.desired, 1):
                continue
            if state.workload is None and not state.pods and not ns:
                continue
            diagnosis = diagnose_component(snap, state)
            yield Detection(subject, diagnosis.cause, f"CDI is not ready: {component.name}: {diagnosis.why}",
                            since=since, evidence=evidence + diagnosis.evidence,
                            params={**diagnosis.params, "cdi-namespace": state.namespace}, checked=diagnosis.checked)
            break
        else:
            yield Detection(subject, "cr-degraded", "CDI reports itself degraded, and its components look ready",
                            since=since, evidence=evidence, params={"cdi-namespace": ns})
