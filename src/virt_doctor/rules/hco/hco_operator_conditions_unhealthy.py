"""HCOOperatorConditionsUnhealthy: the HyperConverged CR reports its system health as error or warning."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import cond_evidence

Obj = dict[str, Any]
# the operands HCO deploys, whose own conditions say which one is not healthy
OPERANDS = ("KubeVirt", "CDI", "NetworkAddonsConfig", "SSP", "HostPathProvisioner")
# HCO's rule (hyperconverged_controller.go): error = not Available or Degraded; warning = reconcile not complete or
# Progressing; upstream alerts at critical for error, warning for warning
SEVERITY = {"error": "critical", "warning": "warning"}


def system_health(hco: Obj) -> str:
    """status.systemHealthStatus, or (older HCO without it) what HCO would compute from its conditions."""
    stated = stated_health(hco)
    if stated:
        return stated
    if not a.condition_is(hco, "Available", "True") or a.condition_is(hco, "Degraded", "True"):
        return "error"
    if not a.condition_is(hco, "ReconcileComplete", "True") or a.condition_is(hco, "Progressing", "True"):
        return "warning"
    return "healthy"


def stated_health(hco: Obj) -> str:
    """The health HCO itself wrote in status.systemHealthStatus ('' when the CR does not say)."""
    return str(a.status(hco).get("systemHealthStatus") or "")


def health_evidence(hco: Obj, health: str) -> Evidence:
    """The health as evidence: the field when HCO wrote it; otherwise a value virt-doctor computed, said so."""
    if stated_health(hco):
        return Evidence(object=a.ref(hco), path="status.systemHealthStatus", value=health)
    return Evidence(object=a.ref(hco), path="status.conditions", value=health,
                    note="computed by virt-doctor as HCO would from these conditions; the CR has no "
                         "status.systemHealthStatus")


def _unhealthy_operands(snap: Snapshot, progressing: bool) -> list[tuple[Obj, Obj]]:
    """(operand, its telling condition): not Available or Degraded; or, for a warning, still Progressing."""
    found = []
    for kind in OPERANDS:
        for obj in snap.kind(kind):
            for cond_type, bad in (("Degraded", "True"), ("Available", "False"),
                                   *((("Progressing", "True"),) if progressing else ())):
                cond = a.condition(obj, cond_type)
                if cond is not None and str(cond.get("status")) == bad:
                    found.append((obj, cond))
                    break
    return found


@rule("HCOOperatorConditionsUnhealthy", needs=("HyperConverged",), reads=OPERANDS,
      causes=("operand-not-available", "hco-degraded", "reconcile-in-progress", "unknown"))
def hco_operator_conditions_unhealthy(snap: Snapshot) -> Iterator[Detection]:
    """HCO's own health verdict, and which operand (or HCO itself) makes it so."""
    for hco in snap.kind("HyperConverged"):
        health = system_health(hco)
        if health not in SEVERITY:
            continue
        subject = Subject("HyperConverged", a.namespace(hco), a.name(hco))
        params = {"hco-namespace": a.namespace(hco)}
        own = [c for t in ("Available", "Degraded", "ReconcileComplete", "Progressing")
               if (c := a.condition(hco, t)) is not None
               and str(c.get("status")) != {"Available": "True", "ReconcileComplete": "True"}.get(t, "False")]
        evidence = [health_evidence(hco, health),
                    *(cond_evidence(hco, c) for c in own)]
        since = max((t for c in own if (t := a.transitioned(c)) is not None), default=None)
        operands = _unhealthy_operands(snap, progressing=health == "warning")
        severity = SEVERITY[health]
        if operands:
            names = ", ".join(f"{o.get('kind')} {a.name(o)}" for o, _ in operands)
            first, cond = operands[0]
            cause = "operand-not-available" if health == "error" else "reconcile-in-progress"
            yield Detection(subject, cause, f"HCO reports {health}: {names} "
                            f"{'is not available or degraded' if health == 'error' else 'is still progressing'}",
                            since=since, severity=severity, params={**params, "operand": str(first.get("kind")).lower(),
                                                                    "operand-name": a.name(first)},
                            evidence=(*evidence, *(cond_evidence(o, c) for o, c in operands)))
        elif health == "warning" and own:
            yield Detection(subject, "reconcile-in-progress", "HCO reports warning: its reconcile is not complete "
                            "(an upgrade or a change is rolling out)", since=since, severity=severity,
                            params=params, evidence=tuple(evidence))
        elif unseen := [k for k in OPERANDS if not snap.listed(k, a.namespace(hco))]:
            # "every operand is healthy" cannot be told of kinds not listed where they live
            yield Detection(subject, "unknown", f"HCO reports {health}; no operand seen reports a problem, but "
                            f"{', '.join(unseen)} {'was' if len(unseen) == 1 else 'were'} not listed", since=since,
                            severity=severity, params=params, evidence=tuple(evidence),
                            unchecked=tuple(f"{k} conditions" for k in unseen))
        elif health == "error":
            yield Detection(subject, "hco-degraded", "HCO reports error: its own conditions say it is not available "
                            "or degraded, though every operand reports healthy", since=since, severity=severity,
                            params=params, evidence=tuple(evidence))
        else:
            yield Detection(subject, "unknown", f"HCO reports {health}", since=since, severity=severity,
                            params=params, evidence=tuple(evidence), checked=("HCO conditions", "operand conditions"))
