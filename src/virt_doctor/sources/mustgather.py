"""The must-gather layout: which files are pod logs, where the collection time is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from virt_doctor.sources import resources
from virt_doctor.timeutil import parse_go_time

# namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}[.insecure].log
_POD_LOG = re.compile(
    r"(?:^|/)namespaces/(?P<ns>[^/]+)/pods/(?P<pod>[^/]+)/(?P<c>[^/]+)/(?P=c)/logs/"
    r"(?P<which>current|previous)(?:\.insecure)?\.log$"
)
# CDI collector: namespaces/<ns>/<pod>/<pod>.log
_CDI_LOG = re.compile(r"(?:^|/)namespaces/(?P<ns>[^/]+)/(?P<pod>[^/]+)/(?P=pod)\.log$")

LOG_TAIL_LINES = 400
LOG_TAIL_BYTES = 256 * 1024  # read from the end of each log: enough for LOG_TAIL_LINES of ordinary lines


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
    text = data[-LOG_TAIL_BYTES:].decode("utf-8", errors="replace")
    lines = text.splitlines()
    return lines[-limit:]


def parse_timestamp_file(data: bytes) -> datetime | None:
    """The collection start written by must-gather in its top-level `timestamp` file."""
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return parse_go_time(line)
    return None


def listing_of(path: str) -> tuple[str, str] | None:
    """(kind, namespace) a must-gather file lists, judged from its place; None when its place says nothing.

    `namespaces/NS/<group>/<plural>.yaml` is the kind's list in NS (an empty one too);
    `namespaces/NS/<group>/<plural>/<name>.yaml`, `namespaces/NS/crs/<crd>/<name>.yaml` and
    `namespaces/NS/kubevirt.io/virtualmachines/<flavour>/<name>.yaml` are one object a file of a kind the
    collector listed in NS; `cluster-scoped-resources/...` likewise for cluster-scoped kinds ('' namespace).
    A pod's own file (`namespaces/NS/pods/POD/POD.yaml`) proves the pod, not the list: old `oc adm inspect`
    skipped pods that were not running.
    """
    parts = path.split("/")
    stem = parts[-1].split(".", 1)[0]
    for at in range(len(parts) - 2, -1, -1):
        if parts[at] == "cluster-scoped-resources":
            res = _resource_under(parts[at + 1:], stem)
            return (res.kind, "") if res is not None and not res.namespaced else None
        if parts[at] == "namespaces" and at + 2 < len(parts):
            namespace, rest = parts[at + 1], parts[at + 2:]
            if rest[0] == "crs":
                rest = rest[1:]
            res = _resource_under(rest, stem)
            return (res.kind, namespace) if res is not None and res.namespaced else None
    return None


def _resource_under(rest: list[str], stem: str) -> resources.Resource | None:
    if len(rest) == 2:  # <crd>/<name>.yaml or <group>/<plural>.yaml
        return resources.by_crd_name(rest[0]) or resources.by_group_plural(rest[0], stem)
    if len(rest) == 3:  # <group>/<plural>/<name>.yaml
        return resources.by_group_plural(rest[0], rest[1])
    if len(rest) == 4 and rest[:2] == ["kubevirt.io", "virtualmachines"]:  # vmConvertor's custom|template-based
        return resources.by_group_plural(rest[0], rest[1])
    return None


def inspected_namespace(path: str) -> str | None:
    """The namespace whose must-gather tree holds this file (`namespaces/NS/...`), else None."""
    parts = path.split("/")
    for at in range(len(parts) - 3, -1, -1):
        if parts[at] == "namespaces":
            return parts[at + 1]
    return None
