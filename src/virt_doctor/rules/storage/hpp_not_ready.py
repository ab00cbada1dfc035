"""HPPNotReady: the HostPathProvisioner custom resource is not ready."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES
from virt_doctor.rules.diagnose.components import HPP_CSI, HPP_OPERATOR, component_state, diagnose_component
from virt_doctor.rules.diagnose.evidence import cond_evidence
from virt_doctor.rules.diagnose.operands import cr_not_ready


@rule("HPPNotReady", needs=("HostPathProvisioner",), causes=(*COMPONENT_CAUSES, "cr-degraded"))
def hpp_not_ready(snap: Snapshot) -> Iterator[Detection]:
    """The HPP CR is neither Available nor Progressing; name the HPP component that fails."""
    for cr in snap.kind("HostPathProvisioner"):
        verdict = cr_not_ready(cr)
        if verdict is None:
            continue
        conditions, since = verdict
        subject = Subject("HostPathProvisioner", "", a.name(cr))
        evidence = tuple(cond_evidence(cr, c) for c in conditions)
        for component in (HPP_CSI, HPP_OPERATOR):
            state = component_state(snap, component)
            if state.workload is None and not state.pods:
                continue
            if state.pods and len(state.ready) >= max(state.desired, len(state.pods)):
                continue
            diagnosis = diagnose_component(snap, state)
            yield Detection(subject, diagnosis.cause, f"HPP is not ready: {component.name}: {diagnosis.why}",
                            since=since, evidence=evidence + diagnosis.evidence,
                            params={**diagnosis.params, "hpp-namespace": state.namespace}, checked=diagnosis.checked)
            break
        else:
            ns = component_state(snap, HPP_OPERATOR).namespace
            yield Detection(subject, "cr-degraded", "HPP reports itself not ready, and its pods look ready",
                            since=since, evidence=evidence, params={"hpp-namespace": ns})
