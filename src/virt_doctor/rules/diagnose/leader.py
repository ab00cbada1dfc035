"""The 'NoLeading…' alerts: a component's pods are ready, but none holds its leader Lease (virt-operator,
virt-controller): one diagnosis, the component and its Lease's name as parameters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Missing, Snapshot, Subject, a
from virt_doctor.rules.diagnose.components import Component, component_state
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.timeutil import parse_time
from virt_doctor.wording import counted

NEEDS = ("Pod@kubevirt-namespace", "Lease@kubevirt-namespace")
READS = ("Deployment", "Pod", "KubeVirt")
CAUSES = ("lease-held-by-missing-pod", "lease-expired", "unknown")


def no_leader(snap: Snapshot, component: Component, lease_name: str) -> Iterator[Detection]:
    """Ready pods of the component exist, yet its leader Lease names a pod that is gone, or nobody renews it."""
    state = component_state(snap, component)
    if not state.ready:
        return  # the component's …Down / NoReady… alerts cover this
    ns = state.namespace
    name = component.name
    subject = Subject("Lease", ns, lease_name)
    params = {"kubevirt-namespace": ns, "pod": a.name(state.ready[0])}
    lease = snap.lookup("Lease", ns, lease_name)
    pods = f"{counted(len(state.ready), f'ready {name} pod')}: {', '.join(a.name(p) for p in state.ready)}"
    if isinstance(lease, Missing):
        if not lease.seen:
            raise CannotEvaluate(lease.reason)
        yield Detection(subject, "unknown", f"no {name} leader Lease exists in {ns} ({pods})",
                        evidence=(Evidence(object=subject.ref(), note="not among the listed Leases"),), params=params,
                        checked=("the Lease", f"the {name} pods"))
        return
    holder = str(a.spec(lease).get("holderIdentity") or "")
    renewed = parse_time(a.spec(lease).get("renewTime"))
    duration = int(a.spec(lease).get("leaseDurationSeconds") or 15)
    running = {a.name(p) for p in state.running}
    if holder and holder not in running:
        yield Detection(subject, "lease-held-by-missing-pod",
                        f"the leader Lease is held by {holder}, which is not a running {name} pod ({pods})",
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
