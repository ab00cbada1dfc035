"""GuestFilesystemAlmostOutOfSpace: a guest file system 85% full for 10 minutes (warning) or 95% full (critical)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import answer, holding_levels, metric_evidence

ALERT = "GuestFilesystemAlmostOutOfSpace"
# read-only images and pseudo file systems are never "full" in a way that matters (kubevirt's own list)
EXCLUDED = ("CDFS|iso9660|udf|squashfs|cramfs|tmpfs|devtmpfs|proc|sysfs|selinuxfs|securityfs|pstore|debugfs|tracefs|"
            "configfs|binfmt_misc|bpf|devpts|mqueue|nsfs|rpc_pipefs|ramfs|rootfs|overlay|cgroup.*|fuse\\\\..*|fusectl")
SELECT = f"namespace!='',file_system_type!~'{EXCLUDED}',mount_point!='System Reserved'"
USED = (f"(kubevirt_vmi_filesystem_used_bytes{{{SELECT}}} / kubevirt_vmi_filesystem_capacity_bytes{{{SELECT}}})"
        "*100")
CAPACITY = f"kubevirt_vmi_filesystem_capacity_bytes{{{SELECT}}}"
GROWN = 1.25  # a claim this much larger than the file system: the disk grew, the file system did not


def with_vm_label(expr: str) -> str:
    """The VMI's name also as `vm`, as upstream's rules label it."""
    return f'label_replace({expr}, "vm", "$1", "name", "(.+)")'


def disk_volume(vmi: dict[str, Any], disk: str) -> dict[str, Any] | None:
    """The VMI volume whose guest device holds the file system ('vda1' lives on target 'vda')."""
    device = re.sub(r"(p?\d+)$", "", disk.rsplit("/", 1)[-1])
    for status in a.status(vmi).get("volumeStatus") or []:
        if status.get("target") and status.get("target") == device:
            return dict(status)
    return None


def claim_name(vmi: dict[str, Any], volume: str) -> str:
    """The claim behind a VMI volume (persistentVolumeClaim or dataVolume), '' for other sources."""
    for item in a.spec(vmi).get("volumes") or []:
        if item.get("name") == volume:
            return str((item.get("persistentVolumeClaim") or {}).get("claimName")
                       or (item.get("dataVolume") or {}).get("name") or "")
    return ""


@rule(ALERT, reads=("VirtualMachineInstance",), causes=("guest-data-growth", "disk-larger-than-filesystem", "unknown"),
      queries={"condition": with_vm_label(f"{USED} >= 85 < 95"),
               "condition:critical": with_vm_label(f"{USED} >= 95"), "capacity": CAPACITY})
def guest_filesystem_almost_out_of_space(snap: Snapshot) -> Iterator[Detection]:
    """A full guest file system: has the guest filled its disk, or was the disk grown and the file system not?"""
    capacity = {(s.labels.get("namespace", ""), s.labels.get("name", ""), s.labels.get("disk_name", ""),
                 s.labels.get("mount_point", "")): s for s in answer(snap, ALERT, "capacity")}
    for series, since, severity in holding_levels(snap, ALERT):
        ns, name = series.labels.get("namespace", ""), series.labels.get("name", "")
        disk, mount = series.labels.get("disk_name", ""), series.labels.get("mount_point", "")
        fs = capacity.get((ns, name, disk, mount))
        evidence = [metric_evidence("file system use (%)", series, "95% or more" if severity else "85% or more",
                                    value=f"{series.last:.0f}%")]
        if fs is not None:
            evidence.append(metric_evidence("file system capacity", fs, value=f"{fs.last / 2**30:.1f} GiB"))
        vmi = snap.get("VirtualMachineInstance", ns, name)
        volume = disk_volume(vmi, disk) if vmi is not None else None
        params = {"namespace": ns, "vm": name, "volume": (volume or {}).get("name", "")}
        text = f"VMI {ns}/{name}'s file system {mount or disk} is {series.last:.0f}% full"
        claim = claim_name(vmi, str(volume.get("name"))) if vmi is not None and volume else ""
        size = ((volume or {}).get("persistentVolumeClaimInfo") or {}).get("capacity", {}).get("storage")
        if claim:
            params["pvc"] = claim
            evidence.append(Evidence(object=f"VirtualMachineInstance/{ns}/{name}",
                                     path=f"status.volumeStatus[{volume.get('name') if volume else ''}]",
                                     value=f"{volume.get('target') if volume else ''}: claim {claim}, {size or '?'}",
                                     note="the disk holding the file system"))
        if volume is None:
            yield Detection(Subject("VirtualMachineInstance", ns, name), "unknown", text, since=since,
                            evidence=tuple(evidence), params=params, severity=severity,
                            checked=(f"VMI volumes for guest disk {disk}" if vmi is not None
                                     else "the VMI (not seen)",))
        elif size and fs is not None and a.quantity(size) > GROWN * fs.last:
            yield Detection(Subject("VirtualMachineInstance", ns, name), "disk-larger-than-filesystem",
                            f"{text}, but its disk's claim {claim} offers {size}: the guest has not grown the file "
                            f"system ({fs.last / 2**30:.1f} GiB) into it", since=since, evidence=tuple(evidence),
                            params=params, severity=severity)
        else:
            yield Detection(Subject("VirtualMachineInstance", ns, name), "guest-data-growth",
                            f"{text}; its disk is as large as its volume" + (f" ({claim}, {size})" if size else ""),
                            since=since, evidence=tuple(evidence), params=params, severity=severity)
