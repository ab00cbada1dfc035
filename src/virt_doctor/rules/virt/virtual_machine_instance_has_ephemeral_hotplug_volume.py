"""VirtualMachineInstanceHasEphemeralHotplugVolume: a VMI carries a hot-plugged volume its VM does not keep."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, NotSeen, Snapshot, Subject, a, rule

ANNOTATION = "kubevirt.io/ephemeral-hotplug-volumes"  # where KubeVirt lists a VMI's ephemeral hotplug volumes


def hotplugged(vmi: dict[str, Any]) -> list[str]:
    """The VMI's hot-plugged volumes: hotpluggable in its spec, or reported as hotplug volumes in its status."""
    names = [str(v.get("name")) for v in a.spec(vmi).get("volumes") or []
             if (v.get("persistentVolumeClaim") or {}).get("hotpluggable")
             or (v.get("dataVolume") or {}).get("hotpluggable")]
    names += [str(s.get("name")) for s in a.status(vmi).get("volumeStatus") or [] if s.get("hotplugVolume")]
    return list(dict.fromkeys(names))


@rule("VirtualMachineInstanceHasEphemeralHotplugVolume", reads=("VirtualMachineInstance", "VirtualMachine@subject"),
      causes=("hotplugged-without-persist", "standalone-vmi", "unknown"),
      queries={"condition": "kubevirt_vmi_contains_ephemeral_hotplug_volume == 1"}, metrics_optional=True,
      focus=("namespace",))
def vmi_has_ephemeral_hotplug_volume(snap: Snapshot) -> Iterator[Detection | NotSeen]:
    """Each VMI with hot-plugged volumes its VM's template does not list (gone at the next restart): one finding a
    VMI, as upstream raises one alert a VMI."""
    for vmi in snap.kind("VirtualMachineInstance"):
        listed = [v.strip() for v in a.annotations(vmi).get(ANNOTATION, "").split(",") if v.strip()]
        volumes = list(dict.fromkeys(listed + hotplugged(vmi)))
        if not volumes:
            continue
        ns, name = a.namespace(vmi), a.name(vmi)
        subject = Subject("VirtualMachineInstance", ns, name)
        owner = a.controller_owner(vmi)
        if owner is None or owner.get("kind") != "VirtualMachine":
            if not listed:
                continue  # a standalone VMI's hotplugged volumes: only KubeVirt's own list says they are ephemeral
            yield Detection(subject, "standalone-vmi", f"VMI {ns}/{name} has no VM and carries hot-plugged "
                            f"volume(s) {', '.join(listed)}, which end with it",
                            evidence=(Evidence(object=a.ref(vmi), path=f"metadata.annotations[{ANNOTATION}]",
                                               value=",".join(listed)),),
                            params={"namespace": ns, "vm": name, "volume": listed[0]})
            continue
        vm = snap.lookup("VirtualMachine", ns, str(owner.get("name")))
        if not isinstance(vm, dict):
            yield NotSeen(subject, snap.seen.why_unseen("VirtualMachine", ns))
            continue
        kept = {str(v.get("name")) for v in a.vm_template_spec(vm).get("volumes") or []}
        ephemeral = [volume for volume in volumes if volume not in kept]
        if not ephemeral:
            continue
        named = ", ".join(ephemeral)
        plural = len(ephemeral) != 1
        yield Detection(subject, "hotplugged-without-persist",
                        f"VMI {ns}/{name}'s hot-plugged volume{'s' if plural else ''} {named} "
                        f"{'are' if plural else 'is'} not in VM {a.name(vm)}'s template: gone at the VM's next restart",
                        evidence=(*(Evidence(object=a.ref(vmi), path="spec.volumes", value=volume, note="hot-plugged")
                                    for volume in ephemeral),
                                  Evidence(object=a.ref(vm), path="spec.template.spec.volumes",
                                           value=sorted(kept) or None, note=f"no {named}")),
                        params={"namespace": ns, "vm": a.name(vm), "volume": ephemeral[0]})
