"""NetworkAddonsConfigNotReady: the NetworkAddonsConfig is not Available; one of its components is not ready."""

from __future__ import annotations

import re
from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES
from virt_doctor.rules.diagnose.components import (
    CNAO,
    Component,
    component_state,
    diagnose_component,
    unseen_for,
)
from virt_doctor.rules.diagnose.evidence import cond_evidence
from virt_doctor.rules.diagnose.operands import OPERAND_READS

# CNAO's status manager: 'Deployment "ns/name" is not available ...', 'DaemonSet "ns/name" is not available ...'
WORKLOAD = re.compile(r'(?P<kind>Deployment|DaemonSet) "(?:(?P<ns>[^/"]+)/)?(?P<name>[^"]+)"')
CAUSES = tuple(c for c in COMPONENT_CAUSES if c not in ("deployment-missing", "scaled-to-zero"))


@rule("NetworkAddonsConfigNotReady", needs=("NetworkAddonsConfig",), reads=OPERAND_READS, causes=(*CAUSES, "component-not-ready"))
def network_addons_config_not_ready(snap: Snapshot) -> Iterator[Detection]:
    """The CR's Available condition is not True; its messages name the workload that is not ready."""
    for nac in snap.kind("NetworkAddonsConfig"):
        available = a.condition(nac, "Available")
        if available is not None and available.get("status") == "True":
            continue
        shown = [c for c in (a.condition(nac, k) for k in ("Available", "Progressing", "Degraded")) if c is not None]
        evidence = tuple(cond_evidence(nac, c) for c in shown)
        subject = Subject("NetworkAddonsConfig", "", a.name(nac))
        since = a.transitioned(available)
        cnao_ns = component_state(snap, CNAO).namespace
        match = next((m for c in shown if (m := WORKLOAD.search(str(c.get("message") or "")))), None)
        if match is None:
            yield Detection(subject, "unknown", "the NetworkAddonsConfig is not Available and names no component",
                            since=since, evidence=evidence, params={"cnao-namespace": cnao_ns},
                            checked=("the CR's conditions",))
            continue
        name = match["name"]
        found = snap.index("deployments_by_name" if match["kind"] == "Deployment" else "daemonsets_by_name", name)
        labels = tuple(sorted(((a.spec(found[0]).get("selector") or {}).get("matchLabels") or {}).items())) \
            if found else ()
        component = Component(name, labels, name, kind=match["kind"], placeholder="cnao-namespace")
        state = component_state(snap, component)
        unseen = unseen_for(snap, state)
        if unseen is not None:
            yield Detection(subject, "unknown", f"{match['kind']} {name} is not ready; its pods are not in the source",
                            since=since, evidence=evidence, params={"cnao-namespace": match["ns"] or cnao_ns},
                            confidence="low", checked=("the CR's conditions",), unchecked=(unseen,))
            continue
        diagnosis = diagnose_component(snap, state)
        cause = "component-not-ready" if diagnosis.cause in ("deployment-missing", "scaled-to-zero") else diagnosis.cause
        yield Detection(subject, cause, f"{match['kind']} {name} is not ready: {diagnosis.why}", since=since,
                        evidence=evidence + diagnosis.evidence, checked=diagnosis.checked,
                        params={**diagnosis.params, "cnao-namespace": match["ns"] or cnao_ns, "component": name,
                                "component-selector": component.selector or f"app={name}"})
