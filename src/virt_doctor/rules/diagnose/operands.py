"""Operator custom resources (CDI, HostPathProvisioner, NetworkAddonsConfig, SSP): ready or not, by conditions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from virt_doctor.report.model import Subject
from virt_doctor.rules.detection import Detection
from virt_doctor.rules.diagnose.components import Component, component_state, diagnose_component, unseen_for
from virt_doctor.rules.diagnose.evidence import cond_evidence
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot

Obj = dict[str, Any]
OPERAND_READS = ("Pod", "Deployment", "DaemonSet", "Node", "Event")  # what diagnosing their components reads


def cr_not_ready(cr: Obj) -> tuple[list[Obj], datetime | None] | None:
    """An operator CR that is neither Available nor Progressing: its conditions, and since when."""
    available, progressing, degraded = (a.condition(cr, k) for k in ("Available", "Progressing", "Degraded"))
    if available is None and progressing is None:
        return None
    if (available is not None and available.get("status") == "True") or \
            (progressing is not None and progressing.get("status") == "True"):
        return None
    shown = [c for c in (available, progressing, degraded) if c is not None]
    times = [t for t in (a.transitioned(c) for c in (available, progressing) if c is not None) if t]
    return shown, max(times) if times else None


def operand_not_ready(snap: Snapshot, kind: str, label: str, components: tuple[Component, ...]) -> Iterator[Detection]:
    """For each CR of `kind` that is not ready, diagnose the first of its components that is not ready."""
    for cr in snap.kind(kind):
        verdict = cr_not_ready(cr)
        if verdict is None:
            continue
        conditions, since = verdict
        subject = Subject(kind, a.namespace(cr), a.name(cr))
        evidence = tuple(cond_evidence(cr, c) for c in conditions)
        placeholder = components[0].placeholder
        unseen: list[str] = []
        for component in components:
            state = component_state(snap, component)
            why = unseen_for(snap, state)
            if why is not None:  # its pods were not seen: cannot say whether it is the one that fails
                unseen.append(why)
                continue
            if state.workload is None and not state.pods:
                continue
            if state.pods and len(state.ready) >= max(state.desired, len(state.pods)):
                continue
            diagnosis = diagnose_component(snap, state)
            yield Detection(subject, diagnosis.cause, f"{label} is not ready: {component.name}: {diagnosis.why}",
                            since=since, evidence=evidence + diagnosis.evidence,
                            params={**diagnosis.params, placeholder: state.namespace}, checked=diagnosis.checked)
            break
        else:
            if unseen:
                yield Detection(subject, "unknown", f"{label} reports itself not ready; the components the source "
                                "shows look ready, the others could not be checked", since=since, evidence=evidence,
                                confidence="low", checked=tuple(f"not checked: {why}" for why in dict.fromkeys(unseen)))
                continue
            yield Detection(subject, "cr-degraded", f"{label} reports itself not ready, and its pods look ready",
                            since=since, evidence=evidence)
