"""CPU and memory use against requests, for the KubeVirt components and for VM launchers."""

from __future__ import annotations

import math
from collections.abc import Iterator

from virt_doctor.report.model import Subject
from virt_doctor.rules.detection import Detection
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence
from virt_doctor.snapshot.snapshot import Snapshot

COMPONENTS = "virt-api|virt-controller|virt-handler|virt-operator"
CONTAINERS = f'container=~"{COMPONENTS}"'


def _usage(series: str, rate: bool) -> str:
    """Per container; where only the pod-level series exists (container="", as older exporters wrote), per pod,
    labelled with the component container its pod runs."""
    def of(selector: str) -> str:
        return f"rate({series}{{{selector}}}[5m])" if rate else f"{series}{{{selector}}}"

    pod_level = of(f'container="", pod=~"({COMPONENTS})-.*"')
    per_pod = f'label_replace(sum by (namespace, pod) ({pod_level}), "container", "$1", "pod", "({COMPONENTS})-.*")'
    return f"(sum by (namespace, pod, container) ({of(CONTAINERS)}) or {per_pod})"


USAGE = {
    "cpu": _usage("container_cpu_usage_seconds_total", rate=True),
    "memory": _usage("container_memory_working_set_bytes", rate=False),
}


def usage_queries(resource: str) -> dict[str, str]:
    """Usage minus request per container (> 0 is the condition), and the request and usage themselves."""
    request = (f'sum by (namespace, pod, container) (kube_pod_container_resource_requests{{{CONTAINERS},'
               f'resource="{resource}"}})')
    over = f"({USAGE[resource]} - on (namespace, pod, container) {request})"
    return {"condition": f"{over} > 0", "request": request, "usage": USAGE[resource],
            "sustained": f"min_over_time({over}[30m:1m]) > 0"}


def exceeds_request(snap: Snapshot, alert: str, resource: str) -> Iterator[Detection]:
    """One finding per container over its request, naming usage, request and the HCO patch that raises it."""
    requests = {(s.labels.get("pod"), s.labels.get("container")): s.last for s in answer(snap, alert, "request")}
    usages = {(s.labels.get("pod"), s.labels.get("container")): s.last for s in answer(snap, alert, "usage")}
    sustained = {(s.labels.get("pod"), s.labels.get("container")) for s in answer(snap, alert, "sustained")}
    for series, since in holding(snap, alert):
        pod, container = series.labels.get("pod", ""), series.labels.get("container", "")
        request, usage = requests.get((pod, container)), usages.get((pod, container))
        held = (snap.at - since).total_seconds()
        cause = "request-too-low" if (pod, container) in sustained else "usage-spike"
        shown = f"{_amount(resource, usage)} used, {_amount(resource, request)} requested" if usage and request \
            else f"{_amount(resource, series.last)} over the request"
        suggested = _suggest(resource, usage if usage is not None else (request or 0) + series.last)
        how_long = "over the request for all of the last 30 min" if cause == "request-too-low" \
            else f"over the request for {int(held // 60)} min"
        yield Detection(
            Subject("Pod", series.labels.get("namespace", ""), pod), cause,
            f"{container} in {pod} uses more {resource} than it requests ({shown})", since=since,
            evidence=(metric_evidence(f"{resource} used minus requested", series, how_long,
                                      value=_amount(resource, series.last)),),
            params={"kubevirt-namespace": series.labels.get("namespace", ""), "pod": pod, "container": container,
                    "request": suggested, "resource": resource},
            labels={"container": container})


def _amount(resource: str, value: float) -> str:
    """CPU in cores, memory in whole MiB: the units `kubectl top` speaks."""
    return f"{value:.2f} cores" if resource == "cpu" else f"{value / 2**20:.0f} MiB"


def _suggest(resource: str, usage: float) -> str:
    """A request with 25% headroom over what is used now, in Kubernetes quantity notation."""
    if resource == "cpu":
        return f"{math.ceil(usage * 1.25 * 1000 / 10) * 10}m"
    return f"{math.ceil(usage * 1.25 / 2**20 / 16) * 16}Mi"
