"""VirtHandlerDaemonSetRolloutFailing: the virt-handler DaemonSet has fewer ready pods than it wants."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.diagnose.component_alerts import COMPONENT_CAUSES
from virt_doctor.rules.diagnose.components import VIRT_HANDLER, component_state, diagnose_component
from virt_doctor.rules.diagnose.handlers import daemonset_health

CAUSES = tuple(c for c in COMPONENT_CAUSES if c not in ("deployment-missing", "scaled-to-zero"))


@rule("VirtHandlerDaemonSetRolloutFailing", needs=("DaemonSet",),
      reads=("Pod@kubevirt-namespace", "Deployment", "Pod", "KubeVirt", "Node", "Event"),
      causes=(*CAUSES, "insufficient-node-resources"))
def virt_handler_daemon_set_rollout_failing(snap: Snapshot) -> Iterator[Detection]:
    """numberReady differs from desiredNumberScheduled on the virt-handler DaemonSet."""
    ds = discover.virt_handler_daemonset(snap)
    if ds is None:
        return
    st = a.status(ds)
    desired, ready = int(st.get("desiredNumberScheduled") or 0), int(st.get("numberReady") or 0)
    if desired == ready:
        return
    state = component_state(snap, VIRT_HANDLER)
    ns = a.namespace(ds)
    if not snap.listed("Pod", ns):  # the DaemonSet's own status says it; its pods cannot say why
        yield Detection(Subject("DaemonSet", ns, a.name(ds)), "unknown",
                        f"{ready} of {desired} virt-handler pods are ready; the pods are not in the source",
                        evidence=(daemonset_health(ds)[1],), params={"kubevirt-namespace": ns}, confidence="low",
                        checked=("the DaemonSet's status",), unchecked=(snap.seen.why_unseen("Pod", ns),))
        return
    if not any(not a.pod_is_ready(p) for p in state.pods) and state.pods and len(state.pods) >= desired:
        return  # the DaemonSet status lags behind pods that are all ready
    diagnosis = diagnose_component(snap, state)
    cause = diagnosis.cause
    if cause == "pod-unschedulable" and "insufficient" in diagnosis.why.lower():
        cause = "insufficient-node-resources"
    not_ready = [p for p in state.pods if not a.pod_is_ready(p)]
    transitions = [a.transitioned(a.condition(p, "Ready")) for p in not_ready]
    since = min((t for t in transitions if t), default=None) or diagnosis.since
    yield Detection(Subject("DaemonSet", ns, a.name(ds)), cause,
                    f"{ready} of {desired} virt-handler pods are ready: {diagnosis.why}", since=since,
                    evidence=(daemonset_health(ds)[1], *diagnosis.evidence[1:]),
                    params={**diagnosis.params, "kubevirt-namespace": ns}, checked=diagnosis.checked,
                    confidence="high" if cause != "unknown" else "low")
