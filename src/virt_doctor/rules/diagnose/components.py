"""Is a component's Deployment (or DaemonSet) up, and if not, why: one diagnosis for every '…Down' alert."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from virt_doctor.report.model import Evidence
from virt_doctor.rules.diagnose.evidence import cond_evidence, event_evidence, log_lines
from virt_doctor.rules.diagnose.evidence import field as field_evidence
from virt_doctor.rules.diagnose.pods import pod_problem
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.discover import install_namespaces
from virt_doctor.snapshot.snapshot import Snapshot
from virt_doctor.wording import counted

Obj = dict[str, Any]

DNS_WORDS = ("no such host", "server misbehaving", "lookup ")


@dataclass(frozen=True)
class Component:
    """A workload of the virtualization stack, and the custom resources whose presence means it is installed."""

    name: str
    labels: tuple[tuple[str, str], ...]
    container: str
    installed_by: tuple[str, ...] = ()
    kind: str = "Deployment"
    placeholder: str = "kubevirt-namespace"

    @property
    def selector(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.labels)


def _c(name: str, label: tuple[str, str], installed_by: tuple[str, ...], container: str = "",
       kind: str = "Deployment", placeholder: str = "kubevirt-namespace") -> Component:
    return Component(name, (label,), container or name, installed_by, kind, placeholder)


VIRT_API = _c("virt-api", ("kubevirt.io", "virt-api"), ("KubeVirt",))
VIRT_CONTROLLER = _c("virt-controller", ("kubevirt.io", "virt-controller"), ("KubeVirt",))
VIRT_OPERATOR = _c("virt-operator", ("kubevirt.io", "virt-operator"), ("KubeVirt",))
VIRT_HANDLER = _c("virt-handler", ("kubevirt.io", "virt-handler"), ("KubeVirt",), kind="DaemonSet")
CDI_OPERATOR = _c("cdi-operator", ("name", "cdi-operator"), ("CDI",), placeholder="cdi-namespace")
CDI_DEPLOYMENT = _c("cdi-deployment", ("cdi.kubevirt.io", "cdi-deployment"), ("CDI",), container="cdi-controller",
                    placeholder="cdi-namespace")
CDI_APISERVER = _c("cdi-apiserver", ("cdi.kubevirt.io", "cdi-apiserver"), ("CDI",), placeholder="cdi-namespace")
CDI_UPLOADPROXY = _c("cdi-uploadproxy", ("cdi.kubevirt.io", "cdi-uploadproxy"), ("CDI",), placeholder="cdi-namespace")
HPP_OPERATOR = _c("hostpath-provisioner-operator", ("name", "hostpath-provisioner-operator"),
                  ("HostPathProvisioner",), placeholder="hpp-namespace")
HPP_CSI = _c("hostpath-provisioner-csi", ("k8s-app", "hostpath-provisioner"), ("HostPathProvisioner",),
             container="hostpath-provisioner", kind="DaemonSet", placeholder="hpp-namespace")
CNAO = _c("cluster-network-addons-operator", ("name", "cluster-network-addons-operator"), ("NetworkAddonsConfig",),
          placeholder="cnao-namespace")
KUBEMACPOOL = _c("kubemacpool-mac-controller-manager", ("control-plane", "mac-controller-manager"), (),
                 container="manager", placeholder="cnao-namespace")
SSP_OPERATOR = _c("ssp-operator", ("name", "ssp-operator"), ("SSP",), container="manager", placeholder="ssp-namespace")
TEMPLATE_VALIDATOR = _c("virt-template-validator", ("name", "virt-template-validator"), ("SSP",), container="webhook",
                        placeholder="ssp-namespace")
HCO_OPERATOR = _c("hco-operator", ("name", "hyperconverged-cluster-operator"), ("HyperConverged",),
                  placeholder="hco-namespace")

COMPONENTS = (VIRT_API, VIRT_CONTROLLER, VIRT_OPERATOR, VIRT_HANDLER, CDI_OPERATOR, CDI_DEPLOYMENT, CDI_APISERVER,
              CDI_UPLOADPROXY, HPP_OPERATOR, HPP_CSI, CNAO, KUBEMACPOOL, SSP_OPERATOR, TEMPLATE_VALIDATOR, HCO_OPERATOR)


@dataclass
class ComponentState:
    """What the objects say about one component: its workload, its pods, and their readiness."""

    component: Component
    namespace: str
    workload: Obj | None
    pods: list[Obj] = field(default_factory=list)
    installed: bool = False

    @property
    def desired(self) -> int:
        if self.workload is None:
            return 0
        if self.component.kind == "DaemonSet":
            return int(a.status(self.workload).get("desiredNumberScheduled") or 0)
        replicas = a.spec(self.workload).get("replicas")
        return 1 if replicas is None else int(replicas)

    @property
    def running(self) -> list[Obj]:
        return [p for p in self.pods if a.pod_phase(p) == "Running" and not a.deleting_since(p)]

    @property
    def ready(self) -> list[Obj]:
        return [p for p in self.pods if a.pod_is_ready(p)]

    def ref(self) -> str:
        return f"{self.component.kind}/{self.namespace}/{self.component.name}" if self.namespace \
            else f"{self.component.kind}/{self.component.name}"


def component_state(snap: Snapshot, component: Component) -> ComponentState:
    """The component's workload and pods, found by name and labels wherever it is installed."""
    return snap.derived(("component_state", component), lambda: _component_state(snap, component))


def _component_state(snap: Snapshot, component: Component) -> ComponentState:
    workloads = snap.index("deployments_by_name" if component.kind == "Deployment" else "daemonsets_by_name",
                           component.name)
    workload = workloads[0] if workloads else None
    namespace = a.namespace(workload) if workload is not None else ""
    if workload is not None:
        # the workload's own selector is the truth; the component's labels only find pods of a missing workload
        labels = dict((a.spec(workload).get("selector") or {}).get("matchLabels") or {}) or dict(component.labels)
        candidates = snap.index("pods_by_namespace", namespace)
    else:
        labels = dict(component.labels)
        candidates = [p for _, pods in snap.index_items("pods_by_namespace") for p in pods]
    pods = [p for p in candidates if labels and all(a.labels(p).get(k) == v for k, v in labels.items())]
    if not namespace and pods:
        namespace = a.namespace(pods[0])
    installed = workload is not None or bool(pods) or any(snap.kind(k) for k in component.installed_by)
    if not namespace:  # a missing workload still has a home: its installer's, or its siblings' namespace
        namespace = _namespace_of_installer(snap, component) or install_namespaces(snap).get(component.placeholder, "")
    return ComponentState(component, namespace, workload, sorted(pods, key=a.name), installed)


def unseen_for(snap: Snapshot, state: ComponentState) -> str | None:
    """Why the component's pods (or its missing workload) cannot be told from the source, else None."""
    if not state.namespace:
        return f"{state.component.name}: its namespace is not known from the source"
    if not snap.listed("Pod", state.namespace):
        return snap.seen.why_unseen("Pod", state.namespace)
    if state.workload is None and not snap.listed(state.component.kind, state.namespace):
        return snap.seen.why_unseen(state.component.kind, state.namespace)
    return None


def _namespace_of_installer(snap: Snapshot, component: Component) -> str:
    for kind in component.installed_by:
        for obj in snap.kind(kind):
            if a.namespace(obj):
                return a.namespace(obj)
    return ""


@dataclass(frozen=True)
class Diagnosis:
    """The shared diagnosis' verdict: a cause id from the component causes, and its evidence."""

    cause: str
    why: str
    evidence: tuple[Evidence, ...]
    params: dict[str, str]
    since: datetime | None = None
    checked: tuple[str, ...] = ()


PROBLEM_CAUSES = {
    "crash-loop": "pod-crash-looping", "image-pull": "image-pull-failure", "oom-killed": "oom-killed",
    "unschedulable": "pod-unschedulable", "node-not-ready": "node-not-ready",
    "readiness-probe": "readiness-probe-failing", "api-unreachable": "api-server-unreachable",
}


def diagnose_component(snap: Snapshot, state: ComponentState, low_count: bool = False,
                       asked: Mapping[str, str] | None = None) -> Diagnosis:
    """Why the component's pods are missing, not running or not ready, in the order a person would check.

    `asked`: the labels of the alert instance a person asks about; a self-diagnosing alert names the pod, its node
    and the container's waiting reason — the diagnosis starts at that pod and explains the reason.
    """
    if asked and asked.get("pod"):
        started = _from_the_alerts_pod(snap, state, asked)
        if started is not None:
            return started
    name, ns = state.component.name, state.namespace
    params = {"namespace": ns, "deployment": name, "selector": state.component.selector}
    counts = f"{counted(len(state.pods), 'pod')}, {len(state.running)} running, {len(state.ready)} ready"
    if state.workload is None and not state.pods:
        return Diagnosis("deployment-missing", f"there is no {name} {state.component.kind} in {ns or 'the cluster'}",
                         (Evidence(object=state.ref(), note=f"not among the {state.component.kind}s listed in {ns}"),),
                         params)
    workload_evidence = _workload_evidence(state)
    if state.workload is not None and state.desired == 0 and state.component.kind == "Deployment":
        return Diagnosis("scaled-to-zero", f"{name} is scaled to 0 replicas",
                         (field_evidence(state.workload, "spec.replicas", 0),), params)
    problems = [(p, pod_problem(snap, p)) for p in state.pods]
    failing = [(p, pr) for p, pr in problems if pr is not None]
    if low_count and len(state.running) < state.desired:
        few = _too_few_nodes(snap, state, failing)
        if few is not None:
            return Diagnosis("too-few-schedulable-nodes", few[0], tuple(workload_evidence + few[1]), params)
    if failing:
        kinds = Counter(_cause_of(snap, p, pr) for p, pr in failing)
        cause = kinds.most_common(1)[0][0]
        pod, problem = next((p, pr) for p, pr in failing if _cause_of(snap, p, pr) == cause)
        assert problem is not None
        params["pod"] = a.name(pod)
        if a.pod_node(pod) or a.daemon_pod_node(pod):
            params["node"] = a.pod_node(pod) or a.daemon_pod_node(pod)
        evidence, detail = list(problem.evidence), problem.detail
        if cause == "dns-failure":  # the same log lines, read as what they are: lookups failing
            container = problem.container or state.component.container
            evidence = [e for e in evidence if not (e.path or "").startswith("log ")] + _dns_lines(snap, pod, container)
            detail = f"container {container} crash-loops and cannot resolve names (DNS lookups fail)"
        return Diagnosis(cause, f"{a.name(pod)}: {detail} ({counts})", tuple(workload_evidence + evidence),
                         params, problem.since)
    if len(state.pods) < state.desired:
        return Diagnosis("unknown", f"{counted(state.desired, 'replica')} wanted but only {len(state.pods)} exist ({counts})",
                         tuple(workload_evidence), params,
                         checked=("pods and their states", f"{state.component.kind} conditions and events"))
    return Diagnosis("unknown", f"the objects do not show why ({counts})", tuple(workload_evidence), params,
                     checked=("pods and their states", "container states and logs", "nodes"))


def _from_the_alerts_pod(snap: Snapshot, state: ComponentState, asked: Mapping[str, str]) -> Diagnosis | None:
    """The diagnosis of the pod the alert names, past the reason it gives; None when that pod is not failing now
    (then the component as a whole is diagnosed, with a word on what became of the pod)."""
    pod_name, node, reason = asked.get("pod", ""), asked.get("node", ""), asked.get("reason", "")
    said = Evidence(object="the alert's labels", path=None,
                    value=", ".join(f"{k}={v}" for k, v in (("pod", pod_name), ("node", node), ("reason", reason)) if v),
                    note="where the alert points; the diagnosis starts there")
    pod = next((p for p in state.pods if a.name(p) == pod_name), None)
    if pod is None:
        return None
    problem = pod_problem(snap, pod)
    if problem is None:
        return None
    cause = _cause_of(snap, pod, problem)
    params = {"namespace": state.namespace, "deployment": state.component.name, "selector": state.component.selector,
              "pod": pod_name}
    where = a.pod_node(pod) or a.daemon_pod_node(pod) or node
    if where:
        params["node"] = where
    now = a.waiting_reason(next(iter(a.container_statuses(pod)), {})) if a.container_statuses(pod) else ""
    moved = f"; the alert said {reason}, the pod now shows {now or a.pod_phase(pod)}" if reason and now != reason else ""
    counts = f"{counted(len(state.pods), 'pod')}, {len(state.running)} running, {len(state.ready)} ready"
    return Diagnosis(cause, f"{pod_name}: {problem.detail}{moved} ({counts})",
                     (said, *_workload_evidence(state), *problem.evidence), params, problem.since)


def _cause_of(snap: Snapshot, pod: Obj, problem: Any) -> str:
    if problem.kind in ("crash-loop", "api-unreachable"):
        _, lines = log_lines(snap, pod, problem.container or "", DNS_WORDS)
        if lines:
            return "dns-failure"
    return PROBLEM_CAUSES.get(problem.kind, "unknown")


def _dns_lines(snap: Snapshot, pod: Obj, container: str) -> list[Evidence]:
    path, lines = log_lines(snap, pod, container, DNS_WORDS)
    return [Evidence(object=a.ref(pod), path=f"log {container}", value=line, note=f"name resolution fails, {path}")
            for line in lines]


def _workload_evidence(state: ComponentState) -> list[Evidence]:
    if state.workload is None:
        return []
    st = a.status(state.workload)
    if state.component.kind == "DaemonSet":
        value = f"desired {st.get('desiredNumberScheduled', 0)}, ready {st.get('numberReady', 0)}"
    else:
        value = (f"replicas {state.desired}, ready {st.get('readyReplicas', 0)}, "
                 f"available {st.get('availableReplicas', 0)}")
    evidence = [field_evidence(state.workload, "status", value)]
    for cond in st.get("conditions") or []:
        if (cond.get("type") == "Available" and cond.get("status") != "True") or \
                (cond.get("type") == "ReplicaFailure" and cond.get("status") == "True"):
            evidence.append(cond_evidence(state.workload, cond))
    return evidence


def _too_few_nodes(snap: Snapshot, state: ComponentState,
                   failing: list[tuple[Obj, Any]]) -> tuple[str, list[Evidence]] | None:
    """Replicas that cannot spread: pending for anti-affinity, or fewer schedulable nodes than replicas."""
    schedulable = [n for n in snap.kind("Node") if a.node_ready_status(n) == "True" and not a.node_is_cordoned(n)
                   and not any(t.get("effect") == "NoSchedule" for t in a.spec(n).get("taints") or [])]
    pending = [(p, pr) for p, pr in failing if pr.kind == "unschedulable"]
    spread = [(p, pr) for p, pr in pending if "anti-affinity" in pr.detail or "didn't match pod" in pr.detail.lower()]
    if spread or (snap.listed("Node") and len(schedulable) < state.desired):
        evidence = [Evidence(object="Node", note=f"{counted(len(schedulable), 'schedulable node')} for {counted(state.desired, 'replica')}")]
        for _pod, problem in (spread or pending)[:1]:
            evidence += list(problem.evidence)
        for pod, _ in pending[:1]:
            for event in snap.events_for(pod)[-1:]:
                evidence.append(event_evidence(event))
        return f"{counted(len(schedulable), 'schedulable node')} for {counted(state.desired, 'replica')}", evidence
    return None
