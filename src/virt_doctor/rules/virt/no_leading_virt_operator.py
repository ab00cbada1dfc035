"""NoLeadingVirtOperator: virt-operator pods are ready, but none holds the leader lease."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Missing, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.components import VIRT_OPERATOR, component_state
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.timeutil import parse_time
from virt_doctor.wording import counted

LEASE = "virt-operator"


@rule("NoLeadingVirtOperator", needs=("Pod@kubevirt-namespace", "Lease@kubevirt-namespace"),
      reads=("Deployment", "Pod", "KubeVirt"),
      causes=("lease-held-by-missing-pod", "lease-expired", "unknown"))
def no_leading_virt_operator(snap: Snapshot) -> Iterator[Detection]:
    """Ready virt-operator pods exist, yet the leader Lease names a pod that is gone, or nobody renews it."""
    state = component_state(snap, VIRT_OPERATOR)
    if not state.ready:
        return  # VirtOperatorDown / NoReadyVirtOperator cover this
    ns = state.namespace
    subject = Subject("Lease", ns, LEASE)
    params = {"kubevirt-namespace": ns, "pod": a.name(state.ready[0])}
    lease = snap.lookup("Lease", ns, LEASE)
    pods = f"{counted(len(state.ready), 'ready virt-operator pod')}: {', '.join(a.name(p) for p in state.ready)}"
    if isinstance(lease, Missing):
        if not lease.seen:
            raise CannotEvaluate(lease.reason)
        yield Detection(subject, "unknown", f"no virt-operator leader Lease exists in {ns} ({pods})",
                        evidence=(Evidence(object=subject.ref(), note="not among the listed Leases"),), params=params,
                        checked=("the Lease", "the virt-operator pods"))
        return
    holder = str(a.spec(lease).get("holderIdentity") or "")
    renewed = parse_time(a.spec(lease).get("renewTime"))
    duration = int(a.spec(lease).get("leaseDurationSeconds") or 15)
    running = {a.name(p) for p in state.running}
    if holder and holder not in running:
        yield Detection(subject, "lease-held-by-missing-pod",
                        f"the leader Lease is held by {holder}, which is not a running virt-operator pod ({pods})",
                        since=renewed, params=params,
                        evidence=(field(lease, "spec.holderIdentity", holder, "no such running pod"),
                                  field(lease, "spec.renewTime", a.spec(lease).get("renewTime"))))
        return
    if renewed is None or snap.at - renewed > timedelta(seconds=duration):
        expired = renewed + timedelta(seconds=duration) if renewed else None
        yield Detection(subject, "lease-expired",
                        f"the leader Lease expired{f' at {expired:%Y-%m-%dT%H:%M:%SZ}' if expired else ''} and "
                        f"nobody renewed it ({pods})", since=expired, params=params,
                        evidence=(field(lease, "spec.renewTime", a.spec(lease).get("renewTime"),
                                        f"lease duration {duration}s"),
                                  field(lease, "spec.holderIdentity", holder or None)))
