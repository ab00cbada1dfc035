"""One-line accessors over Kubernetes objects as plain dicts: no model classes on the hot path."""

import re
from datetime import datetime
from typing import Any

from virt_doctor.timeutil import parse_time

Obj = dict[str, Any]

FINAL_VMI_PHASES = frozenset({"Succeeded", "Failed"})
# VM printableStatus values KubeVirt's metrics group as errors (vmstats_collector.go).
ERROR_STATUSES = frozenset(
    {"CrashLoopBackOff", "Unknown", "ErrorUnschedulable", "ErrImagePull", "ImagePullBackOff",
     "ErrorPvcNotFound", "DataVolumeError"}
)
IMAGE_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})


def name(obj: Obj) -> str:
    """metadata.name ('' when absent)."""
    return str((obj.get("metadata") or {}).get("name") or "")


def namespace(obj: Obj) -> str:
    """metadata.namespace ('' for cluster-scoped objects)."""
    return str((obj.get("metadata") or {}).get("namespace") or "")


def uid(obj: Obj) -> str:
    """metadata.uid ('' when absent)."""
    return str((obj.get("metadata") or {}).get("uid") or "")


def labels(obj: Obj) -> dict[str, str]:
    """metadata.labels, never None."""
    return (obj.get("metadata") or {}).get("labels") or {}


def annotations(obj: Obj) -> dict[str, str]:
    """metadata.annotations, never None."""
    return (obj.get("metadata") or {}).get("annotations") or {}


def spec(obj: Obj) -> Obj:
    """spec, never None."""
    return obj.get("spec") or {}


def status(obj: Obj) -> Obj:
    """status, never None."""
    return obj.get("status") or {}


def ref(obj: Obj) -> str:
    """The 'Kind/namespace/name' (or 'Kind/name') form evidence uses."""
    ns = namespace(obj)
    return f"{obj.get('kind')}/{ns}/{name(obj)}" if ns else f"{obj.get('kind')}/{name(obj)}"


def created(obj: Obj) -> datetime | None:
    """metadata.creationTimestamp."""
    return parse_time((obj.get("metadata") or {}).get("creationTimestamp"))


def deleting_since(obj: Obj) -> datetime | None:
    """metadata.deletionTimestamp: when deletion was requested, if it was."""
    return parse_time((obj.get("metadata") or {}).get("deletionTimestamp"))


def finalizers(obj: Obj) -> list[str]:
    """metadata.finalizers, never None."""
    return list((obj.get("metadata") or {}).get("finalizers") or [])


def controller_owner(obj: Obj) -> Obj | None:
    """The ownerReference marked controller (or the first one)."""
    owners = (obj.get("metadata") or {}).get("ownerReferences") or []
    for owner in owners:
        if owner.get("controller"):
            return dict(owner)
    return owners[0] if owners else None


def condition(obj: Obj, kind: str) -> Obj | None:
    """The status condition of the given type, if present."""
    for cond in status(obj).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def condition_is(obj: Obj, kind: str, value: str) -> bool:
    """Whether the condition of that type has that status ('True'/'False'/'Unknown')."""
    cond = condition(obj, kind)
    return cond is not None and str(cond.get("status")) == value


def transitioned(cond: Obj | None) -> datetime | None:
    """A condition's lastTransitionTime."""
    return parse_time(cond.get("lastTransitionTime")) if cond else None


# --- pods -----------------------------------------------------------------------------------

def pod_phase(pod: Obj) -> str:
    """status.phase of a pod ('Unknown' if absent)."""
    return str(status(pod).get("phase") or "Unknown")


def pod_node(pod: Obj) -> str:
    """The node a pod is bound to ('' while unscheduled)."""
    return str(spec(pod).get("nodeName") or "")


def daemon_pod_node(pod: Obj) -> str:
    """The node a DaemonSet pod is meant for (its matchFields affinity on metadata.name), bound or not."""
    terms = ((((spec(pod).get("affinity") or {}).get("nodeAffinity") or {})
              .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])
    for term in terms:
        for field_ in term.get("matchFields") or []:
            if field_.get("key") == "metadata.name" and field_.get("values"):
                return str(field_["values"][0])
    return ""


def pod_is_ready(pod: Obj) -> bool:
    """Running and Ready=True: the only state that counts as serving."""
    return pod_phase(pod) == "Running" and condition_is(pod, "Ready", "True") and not deleting_since(pod)


def container_statuses(pod: Obj, init: bool = False) -> list[Obj]:
    """status.containerStatuses (or initContainerStatuses), never None."""
    return list(status(pod).get("initContainerStatuses" if init else "containerStatuses") or [])


def container_status(pod: Obj, container: str) -> Obj | None:
    """The status of one named container."""
    for cs in container_statuses(pod) + container_statuses(pod, init=True):
        if cs.get("name") == container:
            return cs
    return None


def waiting_reason(cs: Obj) -> str:
    """state.waiting.reason of a container status ('' when not waiting)."""
    return str(((cs.get("state") or {}).get("waiting") or {}).get("reason") or "")


def last_termination(cs: Obj) -> Obj:
    """lastState.terminated (or state.terminated) of a container status, never None."""
    return ((cs.get("lastState") or {}).get("terminated") or (cs.get("state") or {}).get("terminated") or {})


def pod_images(pod: Obj) -> list[str]:
    """Every container image a pod runs."""
    pod_spec = spec(pod)
    return [c.get("image", "") for c in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or [])]


# --- nodes ----------------------------------------------------------------------------------

def node_ready_status(node: Obj) -> str:
    """The node's Ready condition status: 'True', 'False' or 'Unknown'."""
    cond = condition(node, "Ready")
    return str(cond.get("status")) if cond else "Unknown"


def node_pressures(node: Obj) -> list[Obj]:
    """The Memory/Disk/PID pressure conditions that are True."""
    return [
        cond for cond in status(node).get("conditions") or []
        if cond.get("type") in ("MemoryPressure", "DiskPressure", "PIDPressure") and cond.get("status") == "True"
    ]


def node_is_cordoned(node: Obj) -> bool:
    """spec.unschedulable (kubectl cordon)."""
    return bool(spec(node).get("unschedulable"))


def allocatable(node: Obj, resource: str) -> float | None:
    """A node's allocatable amount of a resource, None if the node does not offer it."""
    value = (status(node).get("allocatable") or {}).get(resource)
    return quantity(value) if value is not None else None


_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def quantity(value: object) -> float:
    """A Kubernetes resource quantity ('1k', '500m', '2Gi', 4) as a number; 0 if unreadable."""
    if isinstance(value, int | float):
        return float(value)
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def taint_tolerated(taint: Obj, tolerations: list[Obj]) -> bool:
    """Whether any toleration matches the taint (the scheduler's ToleratesTaint)."""
    for tol in tolerations:
        effect = tol.get("effect")
        if effect and effect != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol.get("key") == taint.get("key"):
                return True
        elif tol.get("key") == taint.get("key") and str(tol.get("value") or "") == str(taint.get("value") or ""):
            return True
    return False


def selector_matches(selector: dict[str, str] | None, node_labels: dict[str, str]) -> bool:
    """Whether a nodeSelector (plain map) matches a node's labels."""
    return all(node_labels.get(key) == str(value) for key, value in (selector or {}).items())


def required_affinity_matches(affinity: Obj | None, node_labels: dict[str, str]) -> bool:
    """Whether required node affinity (nodeSelectorTerms, ORed) admits a node, by its labels."""
    terms = (((affinity or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get(
        "nodeSelectorTerms"
    )
    if not terms:
        return True
    return any(_term_matches(term, node_labels) for term in terms)


def _term_matches(term: Obj, node_labels: dict[str, str]) -> bool:
    for expr in term.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
        present = key in node_labels
        value = node_labels.get(key)
        if op == "In" and not (present and value in values):
            return False
        if op == "NotIn" and present and value in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


# --- KubeVirt -------------------------------------------------------------------------------

def vm_status(vm: Obj) -> str:
    """The VM's printableStatus ('' when the controller has not set it)."""
    return str(status(vm).get("printableStatus") or "")


def vmi_node(vmi: Obj) -> str:
    """The node a VMI runs on ('' until scheduled)."""
    return str(status(vmi).get("nodeName") or "")


def vmi_phase(vmi: Obj) -> str:
    """status.phase of a VMI ('' when unset)."""
    return str(status(vmi).get("phase") or "")


def vmi_phase_since(vmi: Obj) -> datetime | None:
    """When the VMI entered its current phase (phaseTransitionTimestamps)."""
    phase = vmi_phase(vmi)
    for entry in reversed(status(vmi).get("phaseTransitionTimestamps") or []):
        if entry.get("phase") == phase:
            return parse_time(entry.get("phaseTransitionTimestamp"))
    return None


def vm_run_strategy(vm: Obj) -> str:
    """spec.runStrategy, or the equivalent of the deprecated spec.running."""
    vm_spec = spec(vm)
    if vm_spec.get("runStrategy"):
        return str(vm_spec["runStrategy"])
    running = vm_spec.get("running")
    return "Always" if running is True else "Halted" if running is False else ""


def vm_template_spec(vm: Obj) -> Obj:
    """spec.template.spec of a VM, never None."""
    return (spec(vm).get("template") or {}).get("spec") or {}
