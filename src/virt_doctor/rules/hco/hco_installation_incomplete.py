"""HCOInstallationIncomplete: the HyperConverged Cluster Operator runs, but no HyperConverged CR exists."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.components import HCO_OPERATOR, component_state
from virt_doctor.rules.diagnose.evidence import field
from virt_doctor.timeutil import parse_time


@rule("HCOInstallationIncomplete", needs=("Pod@hco-namespace", "HyperConverged@hco-namespace"),
      reads=("Deployment", "Pod", "HyperConverged", "KubeVirt", "CDI", "NetworkAddonsConfig", "SSP"),
      causes=("cr-never-created", "uninstall-incomplete", "unknown"))
def hco_installation_incomplete(snap: Snapshot) -> Iterator[Detection]:
    """A running hco-operator pod and no HyperConverged object in its namespace (where the source listed them)."""
    if snap.kind("HyperConverged"):
        return
    state = component_state(snap, HCO_OPERATOR)
    if not state.running:
        return
    pod = state.running[0]
    started = parse_time(a.status(pod).get("startTime")) or a.created(pod)
    ns = state.namespace
    if not snap.listed("HyperConverged", ns):
        raise CannotEvaluate(f"hco-operator runs, and {snap.seen.why_unseen('HyperConverged', ns)}")
    leftovers = [o for kind in ("KubeVirt", "CDI", "NetworkAddonsConfig", "SSP") for o in snap.kind(kind)]
    evidence = [field(pod, "status.phase", "Running", f"started {a.status(pod).get('startTime') or 'unknown'}"),
                Evidence(object=f"HyperConverged/{ns}/kubevirt-hyperconverged",
                         note=f"no HyperConverged CR among those listed in {ns}")]
    if leftovers:
        evidence += [Evidence(object=a.ref(o), note="an operand is still there") for o in leftovers[:3]]
        yield Detection(Subject("Deployment", ns, HCO_OPERATOR.name), "uninstall-incomplete",
                        f"hco-operator runs in {ns} without a HyperConverged CR while its operands remain: "
                        "the CR was removed but the operator was not", since=started, evidence=tuple(evidence),
                        params={"hco-namespace": ns})
        return
    yield Detection(Subject("Deployment", ns, HCO_OPERATOR.name), "cr-never-created",
                    f"hco-operator runs in {ns} but no HyperConverged CR was ever created", since=started,
                    evidence=tuple(evidence), params={"hco-namespace": ns})
