"""DeprecatedMachineType: a VM's machine type is one its nodes' QEMU marks deprecated (still offered, for now)."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import holding, metric_evidence

ALERT = "DeprecatedMachineType"
CONDITION = ('label_replace(kubevirt_vm_info * on(machine_type) group_left() '
             'max(kubevirt_node_deprecated_machine_types) by (machine_type), "vm", "$1", "name", "(.+)")')
OFFERS = "machine-type.node.kubevirt.io/"  # virt-handler labels each node with the machine types it offers


@rule(ALERT, reads=("VirtualMachine", "Node"), causes=("deprecated-still-supported", "unknown"),
      queries={"condition": CONDITION})
def deprecated_machine_type(snap: Snapshot) -> Iterator[Detection]:
    """Which nodes still offer the deprecated machine type: change it before an upgrade takes it away."""
    for series, since in holding(snap, ALERT):
        ns, name = series.labels.get("namespace", ""), series.labels.get("name", "")
        machine = series.labels.get("machine_type", "")
        vm = snap.get("VirtualMachine", ns, name)
        evidence = [metric_evidence("VM with a deprecated machine type", series, value=machine)]
        if vm is not None:
            evidence.append(Evidence(object=a.ref(vm), path="spec.template.spec.domain.machine.type",
                                     value=((a.vm_template_spec(vm).get("domain") or {}).get("machine") or {}).get("type")))
        offering = sorted(a.name(n) for n in snap.kind("Node") if a.labels(n).get(OFFERS + machine) == "true")
        params = {"namespace": ns, "vm": name}
        text = f"VM {ns}/{name} uses machine type {machine}, which QEMU marks deprecated"
        subject = Subject("VirtualMachine", ns, name)
        if offering:
            evidence.append(Evidence(object=f"Node/{offering[0]}", path=f"metadata.labels[{OFFERS}{machine}]",
                                     value="true", note=f"{len(offering)} node(s) still offer it"))
            yield Detection(subject, "deprecated-still-supported", f"{text}; {len(offering)} node(s) still offer it",
                            since=since, evidence=tuple(evidence), params=params)
        else:  # the node reporting it deprecated offers it; its labels were not seen (or labelling is skipped)
            yield Detection(subject, "unknown", text, since=since, evidence=tuple(evidence), params=params,
                            checked=(f"nodes' {OFFERS}{machine} labels (none seen)",))
