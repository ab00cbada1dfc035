"""VirtualMachineStuckOnNode: a VM whose VMI is on a node is stuck starting, stopping, terminating or in error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, discover, rule
from virt_doctor.rules.diagnose.evidence import cond_evidence, field, log_evidence, unread_log
from virt_doctor.rules.diagnose.handlers import ready_handler
from virt_doctor.rules.diagnose.nodes import kvm_missing, node_not_ready, node_pressure
from virt_doctor.rules.diagnose.pods import pod_problem
from virt_doctor.rules.diagnose.vms import (
    STUCK_ON_NODE_STATUSES,
    active_launcher,
    container_disk_images,
    launcher_pods,
    node_of,
    status_evidence,
    unhealthy_since,
    vmi_of,
)

Obj = dict[str, Any]
STUCK_DELETE_SECONDS = 300
KVM_WORDS = ("/dev/kvm", "kvm not available", "kvm is not available", "hardware emulation device")


@rule("VirtualMachineStuckOnNode", focus=("namespace",), needs=("VirtualMachine", "VirtualMachineInstance"),
      reads=("Node", "Pod", "DaemonSet", "KubeVirt", "Event", "PersistentVolumeClaim", "VolumeAttachment"),
      causes=("node-not-ready", "virt-handler-missing", "stuck-termination", "image-pull-failure",
              "volume-mount-failure", "kvm-unavailable", "node-resource-pressure", "virt-launcher-not-ready",
              "unknown"))
def virtual_machine_stuck_on_node(snap: Snapshot) -> Iterator[Detection]:
    """A VM with a VMI on a node sits in Starting, Stopping, Terminating or an error status."""
    for vm in snap.kind("VirtualMachine"):
        if a.vm_status(vm) not in STUCK_ON_NODE_STATUSES:
            continue
        vmi = vmi_of(snap, vm)
        if vmi is None:
            continue
        pod = active_launcher(launcher_pods(snap, vmi))
        node = node_of(vmi, pod)
        if node:
            yield diagnose(snap, vm, vmi, pod, node)


def diagnose(snap: Snapshot, vm: Obj, vmi: Obj, pod: Obj | None, node_name: str) -> Detection:
    """Walk the runbook: node, virt-handler, termination, image, volumes, KVM, pressure, launcher pod."""
    state = a.vm_status(vm)
    node = snap.get("Node", "", node_name)
    base = status_evidence(vm, vmi)
    base.append(field(vmi, "status.nodeName", node_name) if a.vmi_node(vmi)
                else field(pod or vmi, "spec.nodeName", node_name, "the launcher pod is bound here"))
    params = {"namespace": a.namespace(vm), "vm": a.name(vm), "node": node_name}
    if pod is not None:
        params["pod"] = a.name(pod)
    problem = pod_problem(snap, pod) if pod is not None else None
    head = f"VM {a.namespace(vm)}/{a.name(vm)} is {state} on node {node_name}"

    unchecked: list[str] = []

    def found(cause: str, why: str, evidence: list[Evidence], checked: tuple[str, ...] = ()) -> Detection:
        return Detection(Subject("VirtualMachine", a.namespace(vm), a.name(vm)), cause, f"{head}: {why}",
                         since=unhealthy_since(vm, vmi), evidence=tuple(base + evidence), params=params,
                         labels={"node": node_name}, checked=checked, unchecked=tuple(unchecked),
                         confidence="high" if cause != "unknown" else "low")

    if node is None:
        if snap.absent("Node", "", node_name):
            return found("node-not-ready", f"node {node_name} no longer exists",
                         [Evidence(object=f"Node/{node_name}", note="not among the listed nodes")])
        # the runbook's first question cannot be answered; a later cause could be its symptom
        unchecked.append(f"node {node_name}: {snap.seen.why_unseen('Node')}")
        return found("unknown", f"node {node_name} is not in the source, so whether it is Ready is unknown", [],
                     ("the VM's and VMI's status",))
    if node is not None and node_not_ready(node):
        return found("node-not-ready", "the node is not Ready", node_not_ready(node))
    handler_ns = discover.kubevirt_namespace(snap)
    handlers_seen = bool(handler_ns) and snap.listed("Pod", handler_ns)
    handlers_known = bool(discover.component_pods(snap, "virt-handler")) or discover.virt_handler_daemonset(snap)
    if not handlers_seen:
        unchecked.append(f"virt-handler on {node_name}: "
                         + (snap.seen.why_unseen("Pod", handler_ns) if handler_ns else "KubeVirt's namespace is unknown"))
    if handlers_seen and handlers_known and ready_handler(snap, node_name) is None:
        pods = snap.index("handler_pods_by_node", node_name)
        note = f"virt-handler pod {a.name(pods[0])} is not ready" if pods else "no virt-handler pod on the node"
        return found("virt-handler-missing", note,
                     [Evidence(object=f"Node/{node_name}", path="virt-handler", value=None, note=note)])
    stuck = _stuck_deletion(snap, vm, vmi, pod)
    if state in ("Terminating", "Stopping") and stuck:
        return found("stuck-termination", "deletion was requested long ago and finalizers still hold it", stuck)
    image = _image_problem(vm, vmi, problem)
    if image:
        if problem is not None and problem.kind == "image-pull" and pod is not None:
            status = a.container_status(pod, problem.container) or {}
            params["image"] = str(status.get("image") or "")
        elif container_disk_images(vm):
            params["image"] = container_disk_images(vm)[0]
        return found("image-pull-failure", "the VM's image cannot be pulled on this node", image)
    if problem is not None and problem.kind == "mount-failure":
        return found("volume-mount-failure", problem.detail, list(problem.evidence))
    attach = _attach_errors(snap, node_name)
    if attach and state in ("Starting",):
        return found("volume-mount-failure", "a volume cannot be attached to the node", attach)
    kvm = _kvm_problem(snap, vmi, pod, node)
    if kvm:
        return found("kvm-unavailable", "KVM is not available to pods on this node", kvm)
    pressure = node_pressure(node)
    if pressure:
        kinds = ", ".join(str(c.get("type")) for c in a.node_pressures(node))
        return found("node-resource-pressure", f"the node reports {kinds}", pressure)
    if problem is not None and problem.kind != "node-not-ready" and pod is not None \
            and not snap.listed("Event", a.namespace(pod)):  # mount and attach failures show in events
        unchecked.append(f"the launcher pod's events: {snap.seen.why_unseen('Event', a.namespace(pod))}")
        return found("unknown", f"virt-launcher pod {a.name(pod)}: {problem.detail}", list(problem.evidence),
                     ("node Ready and pressure conditions", "virt-handler on the node", "image pull state"))
    if problem is not None and problem.kind != "node-not-ready":
        return found("virt-launcher-not-ready", f"virt-launcher pod {a.name(pod)}: {problem.detail}",  # type: ignore[arg-type]
                     list(problem.evidence))
    checked = ["node Ready and pressure conditions", "virt-handler on the node", "deletion and finalizers",
               "image pull state", "volume mounts and attachments", "KVM allocatable"]
    if pod is None:
        checked.append("no virt-launcher pod in the source (must-gather without --vms_details): "
                       "pod-level checks were not possible")
    return found("unknown", "the objects do not show why", [], tuple(checked))


def _stuck_deletion(snap: Snapshot, vm: Obj, vmi: Obj, pod: Obj | None) -> list[Evidence]:
    evidence = []
    for obj in (vm, vmi, pod):
        if obj is None:
            continue
        since = a.deleting_since(obj)
        age = snap.age(since)
        grace = int((obj.get("metadata") or {}).get("deletionGracePeriodSeconds") or 0)
        if age is not None and age > grace + STUCK_DELETE_SECONDS:
            evidence.append(field(obj, "metadata.deletionTimestamp", obj["metadata"]["deletionTimestamp"],
                                  f"deletion requested {int(age // 60)} min ago"))
            if a.finalizers(obj):
                evidence.append(field(obj, "metadata.finalizers", a.finalizers(obj), "still waiting on these"))
    return evidence


def _image_problem(vm: Obj, vmi: Obj, problem: Any) -> list[Evidence]:
    if problem is not None and problem.kind == "image-pull":
        return list(problem.evidence)
    synced = a.condition(vmi, "Synchronized")
    if synced is not None and synced.get("reason") in a.IMAGE_PULL_REASONS:
        return [cond_evidence(vmi, synced, "copied from the launcher pod's failing container")]
    return []


def _attach_errors(snap: Snapshot, node_name: str) -> list[Evidence]:
    evidence = []
    for va in snap.kind("VolumeAttachment"):
        if a.spec(va).get("nodeName") != node_name or a.status(va).get("attached"):
            continue
        error = (a.status(va).get("attachError") or {}).get("message")
        if error:
            evidence.append(field(va, "status.attachError.message", error))
    return evidence


def _kvm_problem(snap: Snapshot, vmi: Obj, pod: Obj | None, node: Obj | None) -> list[Evidence]:
    evidence = kvm_missing(node) if node is not None else []
    synced = a.condition(vmi, "Synchronized")
    if synced is not None and any(w in str(synced.get("message", "")).lower() for w in KVM_WORDS):
        evidence.append(cond_evidence(vmi, synced))
    if pod is not None and evidence:
        evidence += log_evidence(snap, pod, "compute", KVM_WORDS) or unread_log(snap, pod, "compute")
    return evidence
