"""VirtualMachineStuckInUnhealthyState: a VM with no VMI on a node is stuck provisioning, starting, terminating or in error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Missing, NotSeen, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.components import VIRT_CONTROLLER, component_state, unseen_for
from virt_doctor.rules.diagnose.evidence import (
    cond_evidence,
    event_evidence,
    event_message,
    events_with_reason,
    field,
)
from virt_doctor.rules.diagnose.nodes import vm_node_blockers
from virt_doctor.rules.diagnose.scheduling import (
    constraint_misses,
    free_memory,
    memory_request,
    scheduler_message_cause,
    vm_host_candidates,
)
from virt_doctor.rules.diagnose.storage import default_class, dv_storage_class
from virt_doctor.rules.diagnose.vms import (
    STUCK_UNHEALTHY_STATUSES,
    active_launcher,
    container_disk_images,
    launcher_pods,
    node_of,
    status_evidence,
    unhealthy_since,
    vmi_of,
    volume_claims,
)
from virt_doctor.wording import counted

Obj = dict[str, Any]
DV_FAILED_REASONS = ("Error", "ImportFailed", "CloneFailed", "UploadFailed")


@rule("VirtualMachineStuckInUnhealthyState", focus=("namespace",), needs=("VirtualMachine",),
      reads=("VirtualMachineInstance@subject", "Pod", "DataVolume@subject", "PersistentVolumeClaim@subject",
             "Secret@subject", "ConfigMap@subject", "StorageClass", "Node", "Event", "Deployment"),
      causes=("invalid-spec", "stuck-finalizer", "virt-controller-unavailable", "datavolume-import-failure",
              "no-default-storage-class", "pvc-not-bound", "missing-secret-or-configmap", "image-pull-failure",
              "no-schedulable-nodes", "scheduling-constraints-unsatisfiable", "insufficient-resources", "unknown"))
def virtual_machine_stuck_in_unhealthy_state(snap: Snapshot) -> Iterator[Detection | NotSeen]:
    """A VM is Provisioning, Starting, Terminating or in error, and has no VMI on a node."""
    for vm in snap.kind("VirtualMachine"):
        if a.vm_status(vm) not in STUCK_UNHEALTHY_STATUSES:
            continue
        vmi = vmi_of(snap, vm)
        pod = active_launcher(launcher_pods(snap, vmi)) if vmi is not None else None
        if vmi is not None and node_of(vmi, pod):
            continue  # on a node: VirtualMachineStuckOnNode's case
        unknown = placement_unknown(snap, vm, vmi)
        if unknown:
            yield NotSeen(Subject("VirtualMachine", a.namespace(vm), a.name(vm)), unknown)
            continue
        yield diagnose(snap, vm, vmi)


def placement_unknown(snap: Snapshot, vm: Obj, vmi: Obj | None) -> str:
    """Why the source cannot tell whether the VM's VMI is on a node ('' when it can)."""
    ns = a.namespace(vm)
    if vmi is None and not snap.listed("VirtualMachineInstance", ns):
        return f"whether it has a VMI: {snap.seen.why_unseen('VirtualMachineInstance', ns)}"
    if vmi is not None and not a.vmi_node(vmi) and a.vmi_phase(vmi) not in a.FINAL_VMI_PHASES \
            and not snap.listed("Pod", ns):
        return f"whether its launcher pod is bound to a node: {snap.seen.why_unseen('Pod', ns)}"
    return ""


def diagnose(snap: Snapshot, vm: Obj, vmi: Obj | None) -> Detection:
    """Walk the runbook: spec, controller, storage, secrets, image, scheduling."""
    ns, name, state = a.namespace(vm), a.name(vm), a.vm_status(vm)
    base = status_evidence(vm, vmi)
    unchecked: list[str] = []
    if vmi is None:  # placement_unknown() made sure VMIs were listed here
        base.append(Evidence(object=f"VirtualMachineInstance/{ns}/{name}", note="no VMI exists"))
    params = {"namespace": ns, "vm": name}
    head = f"VM {ns}/{name} is {state} with {'no VMI' if vmi is None else 'a VMI on no node'}"

    def found(cause: str, why: str, evidence: list[Evidence], checked: tuple[str, ...] = (),
              extra: dict[str, str] | None = None) -> Detection:
        return Detection(Subject("VirtualMachine", ns, name), cause, f"{head}: {why}",
                         since=unhealthy_since(vm, vmi), evidence=tuple(base + evidence),
                         params={**params, **(extra or {})}, checked=checked, unchecked=tuple(unchecked),
                         confidence="high" if cause != "unknown" else "low")

    invalid = _invalid_spec(vm)
    if invalid:
        return found("invalid-spec", str(invalid[0].note), invalid)
    if state == "Terminating" and a.finalizers(vm):
        return found("stuck-finalizer", f"deletion waits on finalizers {', '.join(a.finalizers(vm))}",
                     [field(vm, "metadata.finalizers", a.finalizers(vm))])
    if vmi is None and state in ("Starting", "Provisioning", "Unknown"):
        controller = component_state(snap, VIRT_CONTROLLER)
        not_seen = unseen_for(snap, controller)
        if not_seen:
            unchecked.append(f"virt-controller: {not_seen}")
        elif (controller.workload is not None or controller.pods) and not controller.ready:
            return found("virt-controller-unavailable", "no virt-controller pod is ready to create the VMI",
                         [Evidence(object=controller.ref(), value=f"{counted(len(controller.pods), 'pod')}, 0 ready",
                                   note="nothing creates VMIs")])
    storage = _storage_problem(snap, vm, unchecked)
    if storage is not None:
        cause, why, evidence, claim = storage
        return found(cause, why, evidence, extra={"dv": claim, "pvc": claim})
    missing = _missing_references(snap, vm, unchecked)
    if missing:
        kind, missing_name = missing[0].object.split("/")[0], missing[0].object.rsplit("/", 1)[-1]
        return found("missing-secret-or-configmap", str(missing[0].note), missing,
                     extra={"missing-name": missing_name,
                            "secret-or-configmap": "configmap" if kind == "ConfigMap" else "secret generic"})
    if vmi is not None:
        synced = a.condition(vmi, "Synchronized")
        if state in ("ErrImagePull", "ImagePullBackOff") or (synced and synced.get("reason") in a.IMAGE_PULL_REASONS):
            images = container_disk_images(vm)
            hosts = vm_host_candidates(snap) or snap.kind("Node")
            extra = {"image": images[0]} if images else {}
            if hosts:
                extra["node"] = a.name(hosts[0])
            return found("image-pull-failure", f"containerDisk image {', '.join(images) or '(unknown)'} "
                         "cannot be pulled", [], extra=extra)
    scheduling = _scheduling_problem(snap, vm, vmi)
    if scheduling is not None:
        cause, why, evidence, extra = scheduling
        return found(cause, why, evidence, extra=extra)
    checked = ["VM spec (disks vs volumes, running vs runStrategy)", "virt-controller readiness",
               "DataVolumes and PVCs", "default storage class", "referenced Secrets and ConfigMaps",
               "image pull state", "node schedulability, selectors, taints and free memory"]
    return found("unknown", "the objects do not show why", [], tuple(checked))


def _invalid_spec(vm: Obj) -> list[Evidence]:
    """Spec errors KubeVirt cannot start: running and runStrategy both set, a disk with no volume."""
    vm_spec, template = a.spec(vm), a.vm_template_spec(vm)
    evidence = []
    if "running" in vm_spec and vm_spec.get("running") is not None and vm_spec.get("runStrategy"):
        evidence.append(field(vm, "spec.running", vm_spec["running"],
                              f"spec.running and spec.runStrategy ({vm_spec['runStrategy']}) are both set; only one may be"))
    volumes = {v.get("name") for v in template.get("volumes") or []}
    for disk in ((template.get("domain") or {}).get("devices") or {}).get("disks") or []:
        if disk.get("name") not in volumes:
            evidence.append(field(vm, "spec.template.spec.domain.devices.disks", disk.get("name"),
                                  f"disk {disk.get('name')!r} has no volume of the same name"))
    return evidence


def _storage_problem(snap: Snapshot, vm: Obj, unchecked: list[str]) -> tuple[str, str, list[Evidence], str] | None:
    """(cause, why, evidence, claim) for the first disk-backed volume that is not ready."""
    ns = a.namespace(vm)
    templates = {(t.get("metadata") or {}).get("name") for t in a.spec(vm).get("dataVolumeTemplates") or []}
    for _volume, source, claim in volume_claims(vm):
        dv = snap.get("DataVolume", ns, claim) if source == "dataVolume" else None
        pvc = snap.get("PersistentVolumeClaim", ns, claim)
        if dv is not None:
            phase = str(a.status(dv).get("phase") or "")
            running = a.condition(dv, "Running")
            if phase == "Failed" or (running and running.get("reason") in DV_FAILED_REASONS) or \
                    int(a.status(dv).get("restartCount") or 0) > 0 and phase != "Succeeded":
                evidence = [field(dv, "status.phase", phase or "(unset)")]
                if running is not None:
                    evidence.append(cond_evidence(dv, running))
                if a.status(dv).get("restartCount"):
                    evidence.append(field(dv, "status.restartCount", a.status(dv)["restartCount"]))
                evidence += [event_evidence(e) for e in snap.events_for(dv)[-2:] if e.get("type") == "Warning"]
                restarts = int(a.status(dv).get("restartCount") or 0)
                why = (f"DataVolume {claim} failed" if phase == "Failed" else
                       f"the import into DataVolume {claim} keeps failing ({restarts} restarts, phase {phase or 'unset'})")
                return "datavolume-import-failure", why, evidence, claim
        if pvc is None:
            if source == "dataVolume" and (dv is not None or claim in templates):
                if dv is not None and not dv_storage_class(dv) and snap.listed("StorageClass") \
                        and default_class(snap) is None:
                    return ("no-default-storage-class", f"DataVolume {claim} names no storage class and "
                            "the cluster has no default", [field(dv, "status.phase", a.status(dv).get("phase"))],
                            claim)
                continue  # CDI has not created the claim yet; not a fault by itself
            if snap.absent("PersistentVolumeClaim", ns, claim):
                return ("pvc-not-bound", f"PVC {claim} does not exist",
                        [Evidence(object=f"PersistentVolumeClaim/{ns}/{claim}", note="referenced but not found")],
                        claim)
            unchecked.append(f"PVC {claim}: {snap.seen.why_unseen('PersistentVolumeClaim', ns)}")
            continue
        if a.status(pvc).get("phase") == "Bound":
            continue
        evidence = [field(pvc, "status.phase", a.status(pvc).get("phase") or "Pending")]
        evidence += [event_evidence(e) for e in snap.events_for(pvc)[-2:]]
        if not a.spec(pvc).get("storageClassName") and snap.listed("StorageClass") and default_class(snap) is None:
            return ("no-default-storage-class", f"PVC {claim} names no storage class and the cluster has no default",
                    evidence, claim)
        return ("pvc-not-bound", f"PVC {claim} is {a.status(pvc).get('phase') or 'Pending'}", evidence, claim)
    return None


def _missing_references(snap: Snapshot, vm: Obj, unchecked: list[str]) -> list[Evidence]:
    """Secrets and ConfigMaps the VM mounts that do not exist (only where those kinds were listed)."""
    ns = a.namespace(vm)
    evidence = []
    for volume in a.vm_template_spec(vm).get("volumes") or []:
        refs: list[tuple[str, str]] = []
        if volume.get("secret"):
            refs.append(("Secret", volume["secret"].get("secretName", "")))
        if volume.get("configMap"):
            refs.append(("ConfigMap", volume["configMap"].get("name", "")))
        for key in ("cloudInitNoCloud", "cloudInitConfigDrive"):
            source = volume.get(key) or {}
            for ref_key in ("secretRef", "networkDataSecretRef"):
                if (source.get(ref_key) or {}).get("name"):
                    refs.append(("Secret", source[ref_key]["name"]))
        for kind, ref_name in refs:
            if not ref_name:
                continue
            found = snap.lookup(kind, ns, ref_name)
            if isinstance(found, Missing) and not found.seen:
                unchecked.append(f"{kind} {ref_name}: {found.reason}")
            elif isinstance(found, Missing):
                evidence.append(Evidence(object=f"{kind}/{ns}/{ref_name}", path=f"volume {volume.get('name')}",
                                         note=f"{kind} {ref_name} referenced by volume {volume.get('name')!r} "
                                              "does not exist"))
    return evidence


def _scheduling_problem(snap: Snapshot, vm: Obj, vmi: Obj | None
                        ) -> tuple[str, str, list[Evidence], dict[str, str]] | None:
    """Why the launcher pod has no node: the scheduler's message, checked against the nodes."""
    scheduled = a.condition(vmi, "PodScheduled") if vmi is not None else None
    message_cause = None
    evidence: list[Evidence] = []
    if scheduled is not None and scheduled.get("status") == "False":
        evidence.append(cond_evidence(vmi, scheduled, "the scheduler's verdict"))  # type: ignore[arg-type]
        message_cause = scheduler_message_cause(str(scheduled.get("message", "")))
    if vmi is not None:
        for pod in launcher_pods(snap, vmi):
            events = events_with_reason(snap, pod, ("FailedScheduling",))
            if events:
                evidence.append(event_evidence(events[-1]))
                message_cause = message_cause or scheduler_message_cause(event_message(events[-1]))
    if not snap.listed("Node"):  # the scheduler's words alone could name the wrong cause: say what is missing
        if message_cause:
            return "unknown", ("the scheduler cannot place its launcher pod; the nodes are not in the source to "
                               "say why"), evidence, {}
        return None
    candidates = vm_host_candidates(snap)
    if not candidates:
        nodes = snap.kind("Node")
        cordoned = [a.name(n) for n in nodes if a.node_is_cordoned(n)]
        return ("no-schedulable-nodes", f"none of {len(nodes)} nodes can host VMs (Ready, uncordoned, "
                "kubevirt.io/schedulable=true, KVM allocatable)", evidence + _node_summary(nodes),
                {"node": " ".join(cordoned)} if cordoned else {})
    admitted, misses = constraint_misses(vm, candidates)
    if not admitted:
        return ("scheduling-constraints-unsatisfiable", "its nodeSelector, affinity or tolerations admit no node",
                evidence + misses, {})
    need = memory_request(vm)
    if need and all(free_memory(snap, n) < need for n in admitted):
        best = max(admitted, key=lambda n: free_memory(snap, n))
        return ("insufficient-resources", f"no node has {f'{need / 2**30:.1f}'.removesuffix('.0')} GiB of memory free",
                evidence + [field(best, "status.allocatable.memory", (a.status(best).get("allocatable") or {}).get(
                    "memory"), f"most free: {free_memory(snap, best) / 2**30:.1f} GiB after pod requests")], {})
    if message_cause:
        return message_cause, "the scheduler cannot place its launcher pod", evidence, {}
    return None


def _node_summary(nodes: list[Obj]) -> list[Evidence]:
    return [Evidence(object=a.ref(node), note=", ".join(vm_node_blockers(node)) or "eligible") for node in nodes[:5]]
