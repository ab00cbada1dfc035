"""HAControlPlaneDown: a control-plane node not Ready for 5 minutes — silent, under pressure, or reporting not ready."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.nodes import is_control_plane, node_not_ready, node_pressure


@rule("HAControlPlaneDown", reads=("Node",),
      causes=("kubelet-stopped-reporting", "node-pressure", "kubelet-not-ready", "unknown"))
def ha_control_plane_down(snap: Snapshot) -> Iterator[Detection]:
    """Each control-plane node whose Ready condition is not True, with what its conditions say."""
    for node in snap.kind("Node"):
        if not is_control_plane(node) or a.node_ready_status(node) == "True":
            continue
        name = a.name(node)
        ready = a.condition(node, "Ready")
        since = a.transitioned(ready)
        evidence = node_not_ready(node)
        params = {"node": name}
        status = (ready or {}).get("status")
        reason = (ready or {}).get("reason") or ""
        if status == "Unknown":
            yield Detection(Subject("Node", "", name), "kubelet-stopped-reporting",
                            f"control-plane node {name} stopped reporting its status ({reason or 'Ready Unknown'})",
                            since=since, evidence=tuple(evidence), params=params)
        elif status == "False" and a.node_pressures(node):
            pressure = node_pressure(node)
            kinds = ", ".join(str(c.get("type")) for c in a.node_pressures(node))
            yield Detection(Subject("Node", "", name), "node-pressure",
                            f"control-plane node {name} is not Ready under {kinds}", since=since,
                            evidence=tuple(evidence + pressure), params=params)
        elif status == "False":
            yield Detection(Subject("Node", "", name), "kubelet-not-ready",
                            f"control-plane node {name} is not Ready: {(ready or {}).get('message') or reason}",
                            since=since, evidence=tuple(evidence), params=params)
        else:
            yield Detection(Subject("Node", "", name), "unknown", f"control-plane node {name} reports no Ready "
                            "condition", since=since, evidence=tuple(evidence), params=params,
                            checked=tuple(f"condition {c.get('type')}" for c in a.status(node).get("conditions") or [])
                            or ("the node's conditions (none)",))
