"""The must-gather layout: which files are pod logs, where the collection time is written."""

from __future__ import annotations

import functools
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
    """The tail of a container's current and previous log, as the dump holds them (`unread`: why a live scan
    could not read it)."""

    path: str
    current: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)
    unread: str = ""


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


def listing_of(path: str) -> tuple[str, str, bool] | None:
    """(kind, namespace, whole) a must-gather file lists, judged from its place; None when its place says nothing.

    `namespaces/NS/<group>/<plural>.yaml` is the kind's whole list in NS (an empty one too: whole);
    `namespaces/NS/<group>/<plural>/<name>.yaml`, `namespaces/NS/crs/<crd>/<name>.yaml` and
    `namespaces/NS/kubevirt.io/virtualmachines/<flavour>/<name>.yaml` are one object a file of a kind the
    collector listed in NS (the directory is the list: not whole, only a dump read to its end shows it all);
    `cluster-scoped-resources/...` likewise for cluster-scoped kinds ('' namespace).
    A pod's own file (`namespaces/NS/pods/POD/POD.yaml`) proves the pod, not the list: old `oc adm inspect`
    skipped pods that were not running.
    """
    parts = path.split("/")
    stem = parts[-1].split(".", 1)[0]
    for at in range(len(parts) - 2, -1, -1):
        if parts[at] == "cluster-scoped-resources":
            found = _resource_under(parts[at + 1:], stem)
            return (found[0].kind, "", found[1]) if found is not None and not found[0].namespaced else None
        if parts[at] == "namespaces" and at + 2 < len(parts):
            namespace, rest = parts[at + 1], parts[at + 2:]
            if rest[0] == "crs":
                rest = rest[1:]
            found = _resource_under(rest, stem)
            return (found[0].kind, namespace, found[1]) if found is not None and found[0].namespaced else None
    return None


def _resource_under(rest: list[str], stem: str) -> tuple[resources.Resource, bool] | None:
    """The resource a path under a namespace (or the cluster scope) holds, and whether the file is its whole list."""
    found: resources.Resource | None = None
    if len(rest) == 2:  # <crd>/<name>.yaml (one object) or <group>/<plural>.yaml (the list)
        found = resources.by_crd_name(rest[0])
        if found is not None:
            return found, False
        found = resources.by_group_plural(rest[0], stem)
        return (found, True) if found is not None else None
    if len(rest) == 3 or len(rest) == 4 and rest[:2] == ["kubevirt.io", "virtualmachines"]:  # <group>/<plural>/<name>.yaml
        found = resources.by_group_plural(rest[0], rest[1])
    return (found, False) if found is not None else None


def inspected_namespace(path: str) -> str | None:
    """The namespace whose must-gather tree holds this file (`namespaces/NS/...`), else None."""
    return _namespace_of_directory(path.rpartition("/")[0])


@functools.lru_cache(maxsize=4096)
def _namespace_of_directory(directory: str) -> str | None:
    """A directory's files are all in the same namespace's tree (a dump has far fewer directories than files)."""
    parts = directory.split("/")
    for at in range(len(parts) - 2, -1, -1):
        if parts[at] == "namespaces":
            return parts[at + 1]
    return None
