"""The eight REST-error alerts: which calls fail (code, verb, resource) and why, from metrics and logs."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.report.model import Evidence, Subject
from virt_doctor.rules.detection import Detection
from virt_doctor.rules.diagnose.components import Component, component_state
from virt_doctor.rules.diagnose.evidence import log_evidence, unread_log
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence
from virt_doctor.rules.diagnose.nodes import node_not_ready, node_pressure
from virt_doctor.rules.diagnose.pods import API_WORDS
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot

CAUSES = ("api-server-overloaded", "api-server-unreachable", "forbidden", "resource-missing", "unknown")
ERRORS = 'code=~"(4|5)[0-9][0-9]"'


def queries(component: str, window: str, threshold: float) -> dict[str, str]:
    """The alert condition (share of failing REST calls over `window`) and the breakdown of the failures."""
    pods = f'pod=~"{component}-.*"'
    return {
        "condition": (f"sum by (namespace) (rate(kubevirt_rest_client_requests_total{{{pods},{ERRORS}}}[{window}])) "
                      f"/ sum by (namespace) (rate(kubevirt_rest_client_requests_total{{{pods}}}[{window}])) "
                      f">= {threshold}"),
        "failures": (f"sum by (code, verb, resource) (rate(kubevirt_rest_client_requests_total"
                     f"{{{pods},{ERRORS}}}[{window}]))"),
        "by_pod": f"sum by (pod) (rate(kubevirt_rest_client_requests_total{{{pods},{ERRORS}}}[{window}]))",
    }


def rest_errors(snap: Snapshot, alert: str, component: Component, share: str) -> Iterator[Detection]:
    """One finding per namespace where the component's failing share of REST calls holds."""
    for series, since in holding(snap, alert):
        namespace = series.labels.get("namespace", "")
        failures = sorted(answer(snap, alert, "failures"), key=lambda s: s.last, reverse=True)
        pods = sorted(answer(snap, alert, "by_pod"), key=lambda s: s.last, reverse=True)
        pod_name = pods[0].labels.get("pod", "") if pods else ""
        evidence = [metric_evidence("failing share of REST calls", series, f"threshold {share}",
                                     value=f"{series.last:.0%}")]
        evidence += [metric_evidence("failing calls by code, verb, resource", f, value=f"{f.last:.2f}/s")
                     for f in failures[:3]]
        top = failures[0].labels if failures else {}
        code = top.get("code", "")
        pod = next((p for p in component_state(snap, component).pods if a.name(p) == pod_name), None)
        logs = log_evidence(snap, pod, component.container, API_WORDS, note="cannot reach the API server") \
            if pod is not None else []
        node = snap.get("Node", "", a.pod_node(pod)) if pod is not None else None
        if node is not None:
            evidence += node_not_ready(node) + node_pressure(node) or \
                [Evidence(object=a.ref(node), path="status.conditions[Ready]", value="True",
                          note=f"{pod_name}'s node is healthy")]
        if logs:
            cause = "api-server-unreachable"
        elif code in ("401", "403"):
            cause = "forbidden"
        elif code == "404":
            cause = "resource-missing"
        elif code == "429" or code.startswith("5"):
            cause = "api-server-overloaded"
        else:
            cause = "unknown"
        what = f"{code} on {top.get('verb', '?')} {top.get('resource', '?')}" if top else "failures"
        yield Detection(
            Subject("Deployment" if component.kind == "Deployment" else "DaemonSet", namespace, component.name),
            cause, f"{series.last:.0%} of {component.name}'s REST calls fail (mostly {what})", since=since,
            evidence=tuple(evidence + (logs or (unread_log(snap, pod, component.container) if pod is not None else []))),
            params={"kubevirt-namespace": namespace, "pod": pod_name or "<pod>"},
            checked=("failing codes, verbs and resources", f"{component.name} logs") if cause == "unknown" else ())
