"""The must-gather layout: which files are pod logs, where the collection time is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from virt_doctor.timeutil import parse_go_time

# namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}[.insecure].log
_POD_LOG = re.compile(
    r"(?:^|/)namespaces/(?P<ns>[^/]+)/pods/(?P<pod>[^/]+)/(?P<c>[^/]+)/(?P=c)/logs/"
    r"(?P<which>current|previous)(?:\.insecure)?\.log$"
)
# CDI collector: namespaces/<ns>/<pod>/<pod>.log
_CDI_LOG = re.compile(r"(?:^|/)namespaces/(?P<ns>[^/]+)/(?P<pod>[^/]+)/(?P=pod)\.log$")

LOG_TAIL_LINES = 400


@dataclass
class PodLog:
    """The tail of a container's current and previous log, as the dump holds them."""

    path: str
    current: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)


def log_key(path: str) -> tuple[str, str, str, str] | None:
    """(namespace, pod, container, current|previous) for a pod log path, else None."""
    match = _POD_LOG.search(path)
    if match:
        return match["ns"], match["pod"], match["c"], match["which"]
    match = _CDI_LOG.search(path)
    if match:
        return match["ns"], match["pod"], "", "current"
    return None


def tail_lines(data: bytes, limit: int = LOG_TAIL_LINES) -> list[str]:
    """The last `limit` lines of a log, decoded leniently (logs are not always UTF-8)."""
    text = data[-256 * 1024 :].decode("utf-8", errors="replace")
    lines = text.splitlines()
    return lines[-limit:]


def parse_timestamp_file(data: bytes) -> datetime | None:
    """The collection start written by must-gather in its top-level `timestamp` file."""
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return parse_go_time(line)
    return None


# The resource directories of `oc adm inspect` and the kubevirt must-gather, for
# telling an empty list file's kind (`namespaces/ns/core/pods.yaml` with no items).
RESOURCE_KINDS = {
    "pods": "Pod",
    "nodes": "Node",
    "events": "Event",
    "daemonsets": "DaemonSet",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "persistentvolumes": "PersistentVolume",
    "storageclasses": "StorageClass",
    "volumeattachments": "VolumeAttachment",
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "leases": "Lease",
    "virtualmachines": "VirtualMachine",
    "virtualmachineinstances": "VirtualMachineInstance",
    "virtualmachineinstancemigrations": "VirtualMachineInstanceMigration",
    "kubevirts": "KubeVirt",
    "datavolumes": "DataVolume",
    "dataimportcrons": "DataImportCron",
    "storageprofiles": "StorageProfile",
}


def kind_of_resource_path(path: str) -> str | None:
    """The kind a list file holds, judged from its name (`.../core/pods.yaml` -> Pod)."""
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
    if stem in RESOURCE_KINDS:
        return RESOURCE_KINDS[stem]
    # kubevirt must-gather: crs/<plural>.<group>/<name>.yaml or cluster-scoped-resources/<crd>/...
    parts = path.split("/")
    if len(parts) >= 2:
        plural = parts[-2].split(".", 1)[0]
        return RESOURCE_KINDS.get(plural)
    return None
