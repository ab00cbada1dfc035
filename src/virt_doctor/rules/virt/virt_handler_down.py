"""VirtHandlerDown: no virt-handler pod is running anywhere, although KubeVirt expects them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.rules.diagnose.handlers import daemonset_health
from virt_doctor.rules.diagnose.pods import pod_problem

# PodProblem kinds -> this alert's cause ids.
PROBLEM_CAUSES = {
    "crash-loop": "pod-crash-looping", "api-unreachable": "api-server-unreachable", "image-pull": "image-pull-failure",
    "oom-killed": "oom-killed", "unschedulable": "pod-unschedulable", "node-not-ready": "node-not-ready",
    "readiness-probe": "readiness-probe-failing",
}


@rule("VirtHandlerDown", needs=("Pod@kubevirt-namespace",),
      reads=("DaemonSet@kubevirt-namespace", "DaemonSet", "KubeVirt", "Pod", "Node", "Event"),
      causes=("daemonset-missing", "placement-matches-no-node", *PROBLEM_CAUSES.values(), "unknown"))
def virt_handler_down(snap: Snapshot) -> Iterator[Detection]:
    """No virt-handler pod in phase Running while KubeVirt is installed (upstream's rule counts phase Running).

    A crash-looping pod is still Running: VirtHandlerDaemonSetRolloutFailing shows it, not this alert.
    """
    cr = discover.kubevirt_cr(snap)
    ds = discover.virt_handler_daemonset(snap)
    pods = discover.component_pods(snap, "virt-handler")
    namespace = discover.kubevirt_namespace(snap)
    if cr is None and ds is None and not pods:
        return  # KubeVirt is not installed here
    if not namespace or not snap.listed("Pod", namespace):
        raise CannotEvaluate(snap.seen.why_unseen("Pod", namespace) if namespace else
                             "KubeVirt's install namespace is not known from the source")
    if any(a.pod_phase(p) == "Running" and not a.deleting_since(p) for p in pods):
        return
    subject = Subject("DaemonSet", namespace, a.name(ds) if ds else "virt-handler")
    params = {"daemonset": subject.name}
    if ds is None:
        if not snap.absent("DaemonSet", namespace, "virt-handler"):
            raise CannotEvaluate(f"no virt-handler pod runs, and {snap.seen.why_unseen('DaemonSet', namespace)}")
        yield Detection(subject, "daemonset-missing",
                        f"no virt-handler DaemonSet exists in {namespace}, so no node can run VMs",
                        evidence=(Evidence(object=subject.ref(), note="not among the listed DaemonSets"),),
                        params=params)
        return
    desired = int(a.status(ds).get("desiredNumberScheduled") or 0)
    health = daemonset_health(ds)[1]
    if not pods:
        if desired == 0:
            selector = ((a.spec(ds).get("template") or {}).get("spec") or {}).get("nodeSelector")
            yield Detection(subject, "placement-matches-no-node",
                            "the virt-handler DaemonSet schedules no pod: its placement matches no node",
                            evidence=(health, field(ds, "spec.template.spec.nodeSelector", selector)), params=params)
            return
        yield Detection(subject, "unknown", f"the virt-handler DaemonSet wants {desired} pods but none exist",
                        evidence=(health,), params=params,
                        checked=("virt-handler pods", "DaemonSet status", "DaemonSet events"))
        return
    problems = [(p, pod_problem(snap, p)) for p in sorted(pods, key=a.name)]
    kinds = Counter(PROBLEM_CAUSES.get(pr.kind, "unknown") for _, pr in problems if pr)
    cause = kinds.most_common(1)[0][0] if kinds else "unknown"
    example_pod, example = next(((p, pr) for p, pr in problems if pr and PROBLEM_CAUSES.get(pr.kind) == cause),
                                problems[0])
    asked = snap.asked.get("VirtHandlerDown") or {}
    named = next(((p, pr) for p, pr in problems if pr and a.name(p) == asked.get("pod")), None)
    said: list[Evidence] = []
    if named is not None:  # a self-diagnosing alert names its pod, node and reason: the diagnosis starts there
        example_pod, example = named
        assert example is not None
        cause = PROBLEM_CAUSES.get(example.kind, "unknown")
        said = [Evidence(object="the alert's labels", path=None,
                         value=", ".join(f"{k}={asked[k]}" for k in ("pod", "node", "reason") if asked.get(k)),
                         note="where the alert points; the diagnosis starts there")]
    params["pod"] = a.name(example_pod)
    params["node"] = a.pod_node(example_pod)
    since_values = [a.transitioned(a.condition(p, "Ready")) for p in pods]
    since = max((s for s in since_values if s), default=None)
    detail = example.detail if example else "not ready"
    evidence = [*said, health, *(example.evidence if example else ())]
    yield Detection(subject, cause,
                    f"none of {len(pods)} virt-handler pods is running; e.g. {a.name(example_pod)}: {detail}",
                    since=since, evidence=tuple(evidence), params=params,
                    checked=("virt-handler pod states", "their nodes", "container states and logs"))
